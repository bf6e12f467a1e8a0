"""The screens on a seeded SQLite database (the demo seeds, copied per test from one seeded template)."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from rights.api.app import create_app
from rights.api.tokens import ensure_dev_key
from rights.settings import Settings
from tests.conftest import run_in_thread

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def _seed(url: str) -> None:
    from rights.domain.services import build_services
    from rights.policies import default_policies_dir, load_catalogue
    from rights.seeding import seed_directory
    from rights.storage import create_store
    from rights.storage.migrate import upgrade

    await upgrade(url)
    services = build_services(create_store(url), load_catalogue(default_policies_dir()))
    try:
        await seed_directory(services, SEEDS)
    finally:
        await services.core.store.close()


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "rights.db"
    run_in_thread(_seed, f"sqlite+aiosqlite:///{path}")
    return path


def web_settings_for(seeded_db: Path, tmp_path: Path, **overrides: object) -> Settings:
    db = tmp_path / "rights.db"
    shutil.copy(seeded_db, db)
    key = ensure_dev_key(tmp_path / "dev-signing-key.pem")
    return Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{db}", dev_signing_key=key,
                    seed_when_empty=False, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def web_settings(seeded_db: Path, tmp_path: Path) -> Settings:
    return web_settings_for(seeded_db, tmp_path)


@pytest.fixture
async def screen(web_settings: Settings) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=create_app(web_settings)) as client:
        yield client


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "no CSRF token in the page"
    return m.group(1)


async def login(client: AsyncTestClient, persona: str = "helpline") -> None:
    page = await client.get("/helpline/login")
    r = await client.post("/helpline/login", data={"persona": persona, "_csrf_token": csrf_of(page.text)})
    assert r.status_code in (200, 303), (r.status_code, r.text)
