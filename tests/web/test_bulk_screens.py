"""CSV export and bulk upload of grants on the /beheer screens, without a browser."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from litestar.testing import AsyncTestClient

from rights.domain import identifiers as ids
from rights.storage import create_store
from tests.web.conftest import SEEDS, csrf_of, login
from tests.web.test_beheer_screens import org_id_of

AN, SOFIE, BERT, KOEN = "85073003328", "90021714288", "62110402174", "79092305705"
HEADER = "national_number,role,measure,valid_until,reason\r\n"
CONTENT = re.compile(r'name="content" value="([^"]*)"', re.S)
PLAN = re.compile(r'name="plan" value="([^"]*)"')


def seed_numbers() -> list[str]:
    data = yaml.safe_load((SEEDS / "demo.yaml").read_text())
    return [ids.parse_national_number(p["national_number"]).value for p in data["persons"]]


async def read(client: AsyncTestClient, what: Callable[[Any], Awaitable[Any]]) -> Any:
    """Straight from the database, through a store of the test's own (the app runs in another loop)."""
    store = create_store(client.app.state.settings.database_url)
    try:
        async with store.read() as tx:
            return await what(tx)
    finally:
        await store.close()


async def grant_count(client: AsyncTestClient, org: str) -> int:
    return len(await read(client, lambda tx: tx.grants(organisation_id=org)))


def day(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%d/%m/%Y")


async def upload(client: AsyncTestClient, org: str, content: bytes | str, name: str = "rechten.csv"):  # noqa: ANN201
    form = await client.get(f"/beheer/organisations/{org}/upload")
    assert form.status_code == 200, form.text
    data = content.encode() if isinstance(content, str) else content
    return await client.post(f"/beheer/organisations/{org}/upload", data={"_csrf_token": csrf_of(form.text)},
                             files={"file": (name, data, "text/csv")})


def hidden(page: str) -> tuple[str, str]:
    content, plan = CONTENT.search(page), PLAN.search(page)
    assert content and plan, page
    return html.unescape(content.group(1)), plan.group(1)


async def apply(client: AsyncTestClient, org: str, content: str, plan: str, token: str):  # noqa: ANN201
    return await client.post(f"/beheer/organisations/{org}/upload/apply",
                             data={"content": content, "plan": plan, "_csrf_token": token}, follow_redirects=False)


# Two new rights and one An already holds (skipped); all within Sofie's applications.
GOOD = (HEADER + f"{AN},DWSEOrganisatieverantwoordelijke,AWI,,Aanwervingsincentive aanvragen\r\n"
        f"{KOEN},DWSEOpleider,,{day(200)},\"Opleidingen, voor de klant\"\r\n"
        f"{AN},DWSEOrganisatieverantwoordelijke,VOP,,Vlaamse Ondersteuningspremie\r\n")


async def test_export_has_masked_numbers_only_and_a_dated_filename(screen: AsyncTestClient) -> None:
    await login(screen, "bert")
    org = await org_id_of(screen)
    r = await screen.get(f"/beheer/organisations/{org}/rights.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert re.fullmatch(r'attachment; filename="rechten-0723145688-\d{4}-\d{2}-\d{2}\.csv"',
                        r.headers["content-disposition"])
    assert r.content.startswith(b"\xef\xbb\xbf")
    text = r.content.decode("utf-8-sig")
    for number in seed_numbers():  # no full national number, in any common form
        assert number not in text and ids.parse_national_number(number).formatted not in text
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))  # Dutch headers by default
    assert {(x["naam"], x["rolcode"], x["maatregelcode"]) for x in rows} >= {
        ("An Peeters", "DWSEOrganisatieverantwoordelijke", "VOP"), ("Koen Mertens", "VLAIOInkomGebruiker", "")}
    an = next(x for x in rows if x["naam"] == "An Peeters")
    assert an["rijksregisternummer (gemaskeerd)"] == "85.07.30-***.**" and an["persoon-id"].startswith("per_")
    assert an["toepassing"] == "WSE-loket" and an["toegekend door"] == "Sofie Vermeulen" and an["status"] == "actief"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", an["geldig tot en met"])


async def test_export_of_revoked_rights_only_on_request_and_formulas_are_escaped(screen: AsyncTestClient) -> None:
    await login(screen, "bert")
    org = await org_id_of(screen)
    evil = '"=HYPERLINK(""http://evil"",""klik"")"'
    r = await upload(screen, org, HEADER + f"{KOEN},SubsidiepuntGebruiker,,,{evil}\r\n")
    content, plan = hidden(r.text)
    assert (await apply(screen, org, content, plan, csrf_of(r.text))).status_code == 303
    page = await screen.get(f"/beheer/organisations/{org}")
    imw = re.search(r'/grants/(gr_[^/]+)/revoke">[^<]*<span class="visually-hidden"> — An Peeters, '
                    r'DWSE Organisatieverantwoordelijke Individueel Maatwerk', page.text)
    assert imw, page.text
    form = await screen.get(f"/beheer/organisations/{org}/grants/{imw.group(1)}/revoke")
    revoked = await screen.post(f"/beheer/organisations/{org}/grants/{imw.group(1)}/revoke",
                                data={"reason": "-niet meer nodig", "_csrf_token": csrf_of(form.text)})
    assert revoked.status_code in (200, 303)
    active = (await screen.get(f"/beheer/organisations/{org}/rights.csv?lang=en")).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(active), delimiter=";"))  # the English variant
    assert "IMW" not in {x["measure code"] for x in rows}
    assert "'=HYPERLINK(\"http://evil\",\"klik\")" in {x["reason"] for x in rows}  # a formula gets a quote
    everything = (await screen.get(f"/beheer/organisations/{org}/rights.csv?all=1&lang=en")).content.decode("utf-8-sig")
    row = next(x for x in csv.DictReader(io.StringIO(everything), delimiter=";") if x["measure code"] == "IMW")
    assert row["status"] == "revoked"


async def test_export_and_upload_refused_to_non_administrators_and_by_url(screen: AsyncTestClient) -> None:
    await login(screen, "koen")
    other = re.findall(r'name="organisation" value="([^"]+)"', (await screen.get("/beheer")).text)
    await login(screen, "sofie")
    org = await org_id_of(screen)
    token = csrf_of((await screen.get(f"/beheer/organisations/{org}/upload")).text)
    cijferaar = next(o for o in other if o != org)
    before = await grant_count(screen, cijferaar)
    for path in ("/rights.csv", "/rights.csv?all=1", "/upload"):
        r = await screen.get(f"/beheer/organisations/{cijferaar}{path}")
        assert r.status_code == 403 and "U bent geen lokale beheerder" in r.text
    r = await screen.post(f"/beheer/organisations/{cijferaar}/upload", data={"_csrf_token": token},
                          files={"file": ("x.csv", GOOD.encode(), "text/csv")})
    assert r.status_code == 403
    r = await apply(screen, cijferaar, "person,role,measure,valid_until,reason\r\nper_x,SubsidiepuntGebruiker,,,reden\r\n",
                    "x", token)
    assert r.status_code == 403
    assert await grant_count(screen, cijferaar) == before
    await login(screen, "an")  # staff, not an administrator
    for path in ("/rights.csv", "/upload"):
        assert (await screen.get(f"/beheer/organisations/{org}{path}")).status_code == 403
    await login(screen, "helpline")  # the permission itself is not held
    assert (await screen.get(f"/beheer/organisations/{org}/rights.csv")).status_code == 403


async def test_one_bad_line_refuses_the_whole_file_and_writes_nothing(screen: AsyncTestClient) -> None:
    await login(screen, "sofie")
    org = await org_id_of(screen)
    before = await grant_count(screen, org)
    bad = GOOD.replace(f"{AN},DWSEOrganisatieverantwoordelijke,VOP,,Vlaamse Ondersteuningspremie",
                       f"{AN[:-1]}9,DWSEOrganisatieverantwoordelijke,IMW,{day(4000)},ok")
    r = await upload(screen, org, bad)
    assert r.status_code == 422
    assert "Het hele bestand is geweigerd: 1 regel(s) bevatten een fout. Er is niets opgeslagen." in r.text
    line4 = re.search(r'<tr id="line-4".*?</tr>', r.text, re.S)
    assert line4, r.text
    assert "Kolom national_number: Ongeldig rijksregister- of BIS-nummer" in line4.group(0)
    assert "Kijk het nummer na: 11 cijfers" in line4.group(0)
    assert "Kolom reason: De reden moet 3 tot 1000 tekens lang zijn." in line4.group(0)
    assert 'href="#line-4"' in r.text
    assert 'id="apply-form"' not in r.text and "upload/apply" not in r.text  # no apply button
    assert 'enctype="multipart/form-data"' in r.text  # but a corrected file can be uploaded right there
    assert "85.07.30-***.** An Peeters" in r.text  # the good lines say who, masked
    assert AN not in r.text and KOEN not in r.text
    assert await grant_count(screen, org) == before


async def test_a_good_file_is_previewed_then_applied_in_one_go(screen: AsyncTestClient) -> None:
    await login(screen, "bert")
    org = await org_id_of(screen)
    before = await grant_count(screen, org)
    r = await upload(screen, org, GOOD)
    assert r.status_code == 200, r.text
    assert "Alle regels zijn in orde: 2 recht(en) worden toegekend, 1 regel(s) overgeslagen." in r.text
    assert "Krijgt DWSE Organisatieverantwoordelijke (DWSEOrganisatieverantwoordelijke) voor de maatregel " \
           "Aanwervingsincentive" in r.text
    assert "Heeft het recht" in r.text and "regel overgeslagen" in r.text
    for number in seed_numbers():  # not even in the hidden copy of the file
        assert number not in r.text
    content, plan = hidden(r.text)
    assert "per_" in content
    assert await grant_count(screen, org) == before  # the preview writes nothing
    done = await apply(screen, org, content, plan, csrf_of(r.text))
    assert done.status_code == 303 and done.headers["location"].endswith("?done=bulk_applied")
    assert await grant_count(screen, org) == before + 2
    page = await screen.get(done.headers["location"])
    assert "De rechten uit het bestand zijn toegekend." in page.text
    assert "Aanwervingsincentive" in page.text and "DWSE Opleider" in page.text
    assert f"/beheer/organisations/{org}/upload" in page.text and f"/beheer/organisations/{org}/rights.csv" in page.text
    events = [e for _, e in await read(screen, lambda tx: tx.audit_events(organisation_id=org, limit=1000))]
    assert [e.details for e in events if e.action == "grants_file_applied"] == [
        {"lines": 3, "granted": 2, "skipped": 1}]
    assert sum(e.action == "grant_created" for e in events) >= 2
    again = await apply(screen, org, content, plan, csrf_of(r.text))  # the same file twice: the plan changed
    assert again.status_code == 409 and "er is niets opgeslagen" in again.text
    assert await grant_count(screen, org) == before + 2


async def test_the_hidden_copy_is_never_trusted(screen: AsyncTestClient) -> None:
    await login(screen, "sofie")
    org = await org_id_of(screen)
    before = await grant_count(screen, org)
    r = await upload(screen, org, HEADER + f"{AN},DWSEOrganisatieverantwoordelijke,AWI,,Aanwerving\r\n")
    content, plan = hidden(r.text)
    token = csrf_of(r.text)
    # a role Sofie may not grant (VLAIO is not one of her applications), smuggled into the copy
    tampered = content.replace("DWSEOrganisatieverantwoordelijke,AWI", "VLAIOInkomGebruiker,")
    refused = await apply(screen, org, tampered, plan, token)
    assert refused.status_code == 422 and "Het hele bestand is geweigerd" in refused.text
    assert "U beheert de toepassing" in refused.text
    # a valid but different line under the old plan: shown again, not written
    other = content.replace("Aanwerving", "Andere reden")
    changed = await apply(screen, org, other, plan, token)
    assert changed.status_code == 409 and "Het bestand of de gegevens zijn gewijzigd sinds het nazicht" in changed.text
    assert "upload/apply" in changed.text  # the new check can be applied after reading it
    # garbage instead of a file
    garbage = await apply(screen, org, "nonsense", plan, token)
    assert garbage.status_code == 422 and "Bestand:" in garbage.text
    assert await grant_count(screen, org) == before


async def test_unreadable_files_are_refused_with_a_clear_message(screen: AsyncTestClient) -> None:
    await login(screen, "sofie")
    org = await org_id_of(screen)
    before = await grant_count(screen, org)
    cases = [
        (b"", "Bestand: Het bestand is leeg."),
        (b"voornaam,functie\r\nx,y\r\n", "Bestand: De eerste regel bevat onbekende kolom(men) voornaam, functie."),
        (HEADER.encode(), "Bestand: Het bestand bevat enkel de kolomnamen, geen rechten."),
        ((HEADER + f"{AN},Rôle,,,réden\r\n").encode("cp1252"), "Bestand: Het bestand is geen UTF-8-tekst."),
        (b"x" * (1024 * 1024 + 1), "Bestand: Het bestand is groter dan 1024 KiB."),
    ]
    for data, message in cases:
        r = await upload(screen, org, data)
        assert r.status_code == 422, (message, r.status_code)
        assert message in r.text and 'id="error-summary"' in r.text and 'href="#file"' in r.text
    form = await screen.get(f"/beheer/organisations/{org}/upload")
    r = await screen.post(f"/beheer/organisations/{org}/upload", data={"_csrf_token": csrf_of(form.text)},
                          files={"file": ("", b"", "application/octet-stream")})
    assert r.status_code == 422 and "Bestand: kies een CSV-bestand." in r.text
    assert await grant_count(screen, org) == before


async def test_upload_page_documents_the_format_and_in_english(screen: AsyncTestClient) -> None:
    await login(screen, "sofie")
    org = await org_id_of(screen)
    r = await screen.get(f"/beheer/organisations/{org}/upload")
    assert "national_number,role,measure,valid_until,reason" in r.text
    assert "DWSEOrganisatieverantwoordelijke" in r.text and "VLAIOInkomGebruiker" not in r.text  # Sofie's scope
    en = await upload(screen, org, HEADER + f"{AN},DWSEOrganisatieverantwoordelijke,XYZ,,reason\r\n")
    en = await screen.post(f"/beheer/organisations/{org}/upload?lang=en",
                           data={"_csrf_token": csrf_of(en.text)},
                           files={"file": ("r.csv", (HEADER + f"{AN},DWSEOrganisatieverantwoordelijke,XYZ,,reason\r\n")
                                           .encode(), "text/csv")})
    assert en.status_code == 422
    assert "The whole file is refused" in en.text and "Column measure: Role 'DWSEOrganisatieverantwoordelijke' " \
           "does not carry measure 'XYZ'." in html.unescape(en.text)

