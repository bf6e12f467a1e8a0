"""An API client on a freshly migrated database (SQLite and PostgreSQL), with development tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from rights.api.app import create_app
from rights.api.tokens import ensure_dev_key, mint_dev_token
from rights.domain.ports import PrincipalKind
from rights.settings import Settings
from rights.storage import create_store


def national_number(yymmdd: str, serial: int, *, born_2000: bool = False) -> str:
    """A valid synthetic national register number."""
    base = f"{yymmdd}{serial:03d}"
    check = 97 - int(("2" if born_2000 else "") + base) % 97
    return f"{base}{check:02d}"


def enterprise_number(body: int) -> str:
    """A valid enterprise number from an 8-digit body (first digit 0)."""
    base = f"{body:08d}"
    return f"{base}{97 - int(base) % 97:02d}"


KINDS = {
    "person": PrincipalKind.PERSON,
    "helpline": PrincipalKind.HELPLINE,
    "service": PrincipalKind.SERVICE,
    "platform": PrincipalKind.PLATFORM_ADMIN,
}


@dataclass
class Api:
    client: AsyncTestClient
    settings: Settings

    def auth(self, who: str) -> dict[str, str]:
        kind, _, subject = who.partition(":")
        if kind == "lister":  # a service client that also holds the scope to list who may act
            token = mint_dev_token(self.settings, PrincipalKind.SERVICE, subject,
                                   scopes=(self.settings.persons_list_scope,))
            return {"Authorization": f"Bearer {token}"}
        return {"Authorization": f"Bearer {mint_dev_token(self.settings, KINDS[kind], subject)}"}

    async def call(self, method: str, path: str, who: str | None = None, *, expect: int | None = None,
                   **kwargs: Any) -> Any:
        headers = {**(self.auth(who) if who else {}), **kwargs.pop("headers", {})}
        response = await self.client.request(method, path, headers=headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.text)
        return response

    async def revision(self) -> int:
        """The latest committed revision, read on the test's own connection (the app runs on another loop)."""
        store = create_store(self.settings.database)
        try:
            async with store.read() as tx:
                return await tx.latest_revision()
        finally:
            await store.close()


@pytest.fixture
def api_settings(store_url: str, tmp_path: Path) -> Settings:
    key = ensure_dev_key(tmp_path / "dev-signing-key.pem")
    return Settings(data_dir=tmp_path, database_url=store_url, dev_signing_key=key, seed_when_empty=False)


@pytest.fixture
async def api(api_settings: Settings) -> AsyncIterator[Api]:
    async with AsyncTestClient(app=create_app(api_settings)) as client:
        yield Api(client, api_settings)


@dataclass
class World:
    """Two companies and four people, registered by the platform; Bert legally represents Dupré."""

    dupre: dict[str, Any]
    other: dict[str, Any]
    bert: dict[str, Any]
    sofie: dict[str, Any]
    an: dict[str, Any]
    zoe: dict[str, Any]
    numbers: dict[str, str]
    enterprise: str


PLATFORM = "platform:ops"


async def build_world(api: Api) -> World:
    ent_a, ent_b = enterprise_number(4567891), enterprise_number(6543217)
    dupre = (await api.call("POST", "/v1/organisations", PLATFORM, expect=201, json={
        "type": "company", "name": "Boulangerie Dupré BV",
        "identifiers": {"enterprise_number": f"BE {ent_a[:4]}.{ent_a[4:7]}.{ent_a[7:]}"},
        "address": {"street": "Kerkstraat", "house_number": "1", "postal_code": "9000", "municipality": "Gent"},
    })).json()["organisation"]
    other = (await api.call("POST", "/v1/organisations", PLATFORM, expect=201, json={
        "type": "company", "name": "Garage Janssens NV", "identifiers": {"enterprise_number": ent_b},
    })).json()["organisation"]
    numbers = {
        "bert": national_number("700312", 123), "sofie": national_number("880521", 246),
        "an": "85073003328", "zoe": national_number("050607", 88, born_2000=True),
    }
    people = {}
    for key, (given, family) in {"bert": ("Bert", "Dupré"), "sofie": ("Sofie", "Claes"),
                                 "an": ("An", "Peeters"), "zoe": ("Zoë", "Maes")}.items():
        body = {"national_number": numbers[key], "given_name": given, "family_name": family,
                "email": f"{key}@example.be"}
        people[key] = (await api.call("POST", "/v1/persons", PLATFORM, expect=201, json=body)).json()["person"]
    await api.call("POST", f"/v1/organisations/{dupre['id']}/legal-representatives", PLATFORM, expect=201,
                   json={"person": people["bert"]["id"]})
    return World(dupre=dupre, other=other, numbers=numbers, enterprise=ent_a, **people)


async def appoint_and_employ(api: Api, w: World) -> None:
    """Bert makes himself main administrator, appoints Sofie; Sofie adds An as permanent staff."""
    bert, sofie = f"person:{w.numbers['bert']}", f"person:{w.numbers['sofie']}"
    org = w.dupre["id"]
    await api.call("POST", f"/v1/organisations/{org}/administrators", bert, expect=201,
                   json={"person": "me", "main": True})
    await api.call("POST", f"/v1/organisations/{org}/administrators", bert, expect=201, json={
        "person": w.sofie["id"], "contact": {"email": "hr@dupre.example", "phone": "+32 9 123 45 67",
                                            "disclose": True}})
    await api.call("POST", f"/v1/organisations/{org}/work-relations", sofie, expect=201,
                   json={"person": w.an["id"], "user_type": "permanent"})


@pytest.fixture
async def world(api: Api) -> World:
    return await build_world(api)
