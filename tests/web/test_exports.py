"""Overview exports of local administrators: platform administrators only, disclosure flags respected."""

from __future__ import annotations

import csv
import io
import re
import zlib

from litestar.testing import AsyncTestClient

from rights.api.tokens import mint_dev_token
from rights.domain.ports import PrincipalKind
from rights.settings import Settings
from tests.web.conftest import login


def bearer(settings: Settings, kind: PrincipalKind) -> dict[str, str]:
    subject = "85073003328" if kind is PrincipalKind.PERSON else "x"
    return {"Authorization": f"Bearer {mint_dev_token(settings, kind, subject)}"}


def pdf_text(data: bytes) -> str:
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S)
    out = []
    for s in streams:
        try:
            out.append(zlib.decompress(s).decode("latin-1"))
        except zlib.error:
            out.append(s.decode("latin-1"))
    return "\n".join(out)


async def test_only_platform_administrators_export(screen: AsyncTestClient, web_settings: Settings) -> None:
    for kind in (PrincipalKind.HELPLINE, PrincipalKind.PERSON, PrincipalKind.SERVICE):
        r = await screen.get("/v1/exports/administrators.csv", headers=bearer(web_settings, kind))
        assert r.status_code == 403, kind
    assert (await screen.get("/v1/exports/administrators.pdf")).status_code == 401
    await login(screen, "helpline")
    assert (await screen.get("/helpline/exports/administrators.csv")).status_code == 403


async def test_csv_respects_disclosure(screen: AsyncTestClient, web_settings: Settings) -> None:
    r = await screen.get("/v1/exports/administrators.csv", headers=bearer(web_settings, PrincipalKind.PLATFORM_ADMIN))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    by_name = {(row["organisatie"], row["beheerder"]): row for row in rows}
    sofie = by_name[("Bakkerij Peeters BV", "Sofie Vermeulen")]
    bert = by_name[("Bakkerij Peeters BV", "Bert Peeters")]
    assert (sofie["e-mail"], sofie["telefoon"], sofie["hoofdbeheerder"]) == (
        "sofie.vermeulen@example.be", "+32 470 00 00 02", "nee")
    assert (bert["e-mail"], bert["telefoon"], bert["hoofdbeheerder"]) == ("", "", "ja")
    assert sofie["identificatie"] == "0723.145.688"
    assert "bert@bakkerij-peeters.example.be" not in r.text
    assert not any("Bloemenwinkel" in row["organisatie"] for row in rows)  # no administrator, no row
    assert all(re.fullmatch(r"\d{2}\.\d{2}", v) is None for row in rows for v in row.values())


async def test_filter_by_type_and_bad_type(screen: AsyncTestClient, web_settings: Settings) -> None:
    h = bearer(web_settings, PrincipalKind.PLATFORM_ADMIN)
    r = await screen.get("/v1/exports/administrators.csv", params={"type": "local_government"}, headers=h)
    types = {row["organisatietype"] for row in csv.DictReader(io.StringIO(r.text))}
    assert types == {"lokaal bestuur"}
    bad = await screen.get("/v1/exports/administrators.csv", params={"type": "castle"}, headers=h)
    assert bad.status_code == 400 and bad.json()["field"] == "type"


async def test_pdf_is_titled_and_respects_disclosure(screen: AsyncTestClient, web_settings: Settings) -> None:
    await login(screen, "platform")
    r = await screen.get("/helpline/exports/administrators.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    text = pdf_text(r.content)
    assert "Overzicht lokale beheerders" in text
    assert "Sofie Vermeulen" in text and "sofie.vermeulen@example.be" in text
    assert "Bert Peeters" in text and "bert@bakkerij-peeters.example.be" not in text
    audit = await screen.get("/v1/audit/", params={"limit": 500},
                             headers=bearer(web_settings, PrincipalKind.PLATFORM_ADMIN))
    exports = [e for e in audit.json()["items"] if e["action"] == "administrators_export"]
    assert exports and exports[-1]["actor"] == "demo-platform" and exports[-1]["details"]["format"] == "pdf"
