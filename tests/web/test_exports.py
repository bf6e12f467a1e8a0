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
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
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
    types = {row["organisatietype"] for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")),
                                                              delimiter=";")}
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


async def test_both_csv_exports_share_one_format(screen: AsyncTestClient, web_settings: Settings) -> None:
    """``;``, UTF-8 with BOM, CRLF, Dutch headers or (?lang=en) English ones, formulas escaped, numbers masked."""
    h = bearer(web_settings, PrincipalKind.PLATFORM_ADMIN)
    admins_nl = (await screen.get("/v1/exports/administrators.csv", headers=h)).content
    admins_en = (await screen.get("/v1/exports/administrators.csv", params={"lang": "en"}, headers=h)).content
    await login(screen, "bert")
    org = re.search(r"/beheer/organisations/(org_[^\"/?]+)", (await screen.get("/beheer")).text).group(1)
    rights_nl = (await screen.get(f"/beheer/organisations/{org}/rights.csv")).content
    rights_en = (await screen.get(f"/beheer/organisations/{org}/rights.csv", params={"lang": "en"})).content
    for data in (admins_nl, admins_en, rights_nl, rights_en):
        assert data.startswith(b"\xef\xbb\xbf")
        text = data.decode("utf-8-sig")
        assert text.endswith("\r\n") and "\r\n" in text.split("\r\n", 1)[0] + "\r\n"
        first = text.split("\r\n", 1)[0]
        assert first.count(";") >= 6 and "," not in first
    assert admins_nl.decode("utf-8-sig").startswith("organisatietype;organisatie;identificatie;beheerder;")
    assert admins_en.decode("utf-8-sig").startswith("organisation type;organisation;identifier;administrator;")
    assert rights_nl.decode("utf-8-sig").startswith("persoon-id;naam;rijksregisternummer (gemaskeerd);")
    assert rights_en.decode("utf-8-sig").startswith("person id;name;national register number (masked);")
    en = list(csv.DictReader(io.StringIO(admins_en.decode("utf-8-sig")), delimiter=";"))
    sofie = next(r for r in en if r["administrator"] == "Sofie Vermeulen")
    assert (sofie["organisation type"], sofie["main administrator"], sofie["phone"]) == (
        "company", "no", "+32 470 00 00 02")  # a phone number is not mistaken for a formula
    assert "85.07.30-***.**" in rights_nl.decode("utf-8-sig") and "85073003328" not in rights_nl.decode("utf-8-sig")
    bad = await screen.get(f"/beheer/organisations/{org}/rights.csv", params={"lang": "fr"})
    assert bad.status_code == 400


def test_formula_like_cells_are_escaped_in_every_export() -> None:
    from rights.domain.csvfile import safe_cell
    from rights.web.exports import ExportRow, to_csv

    row = ExportRow("company", "=HYPERLINK(\"http://x\")", "0723.145.688", "@bert", False, "-1+1", "+32 2 553 00 00")
    cells = list(csv.reader(io.StringIO(to_csv([row]).decode("utf-8-sig")), delimiter=";"))[1]
    assert cells[1] == "'=HYPERLINK(\"http://x\")" and cells[3] == "'@bert" and cells[5] == "'-1+1"
    assert cells[6] == "+32 2 553 00 00"
    assert safe_cell("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0" and safe_cell("+32 470") == "+32 470"
