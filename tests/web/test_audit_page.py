"""Issue 16 item 4: the local administrators' audit view — who granted or revoked what in my
organisation, and when; only their own organisation (and a limited administrator's own applications);
newest first, paged; the read itself audited."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from rights.api.tokens import mint_dev_token
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services.org_audit import NEWEST, organisation_audit
from rights.settings import Settings
from tests.web.conftest import csrf_of, login
from tests.web.test_beheer_screens import org_id_of


async def test_bert_sees_who_granted_and_revoked_what_newest_first(screen: AsyncTestClient,
                                                                  web_settings: Settings) -> None:
    await login(screen, "bert")
    org = await org_id_of(screen)
    home = await screen.get(f"/beheer/organisations/{org}")
    assert f'href="/beheer/organisations/{org}/audit"' in home.text
    revoke = re.search(r'href="(/beheer/organisations/org_[^/]+/grants/gr_[^/]+/revoke)">Intrekken<span '
                       r'class="visually-hidden"> — An Peeters', home.text)
    assert revoke
    form = await screen.get(revoke.group(1))
    done = await screen.post(revoke.group(1), data={"reason": "Uit dienst getreden.", "_csrf_token": csrf_of(form.text)})
    assert done.status_code == 200
    page = await screen.get(f"/beheer/organisations/{org}/audit")
    assert page.status_code == 200
    rows = page.text.split('id="audit"', 1)[1].split("</tbody>", 1)[0].split("<tr>")[2:]
    assert "recht ingetrokken: DWSE Organisatieverantwoordelijke" in rows[0]
    assert "An Peeters" in rows[0] and "Uit dienst getreden." in rows[0] and "Bert Peeters" in rows[0]
    assert any("recht toegekend" in r and "Koen Mertens" in r and "VLAIO Inkom Gebruiker" in r for r in rows)
    assert "DWSEOrganisatieverantwoordelijke" not in page.text and "85073003328" not in page.text
    token = mint_dev_token(web_settings, PrincipalKind.PLATFORM_ADMIN, "auditor")
    events = (await screen.get("/v1/audit/", params={"limit": 500},
                               headers={"Authorization": f"Bearer {token}"})).json()["items"]
    assert [e["target"] for e in events if e["action"] == "organisation_audit_read"] == [f"organisation:{org}"]


async def test_pages_follow_a_cursor_without_gaps_or_repeats(screen: AsyncTestClient) -> None:
    services = screen.app.state.services
    await login(screen, "bert")
    org = await org_id_of(screen)
    staff = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="t")
    staff_view = await services.organisations.audit_page(staff, org)
    seen: list[int] = []
    before = NEWEST
    while True:
        page = await organisation_audit(services.core, staff, org, before, limit=3)
        seen += [line.id for line in page.lines]
        if page.next_before is None:
            break
        before = page.next_before
    assert len(seen) > 3  # several pages were walked
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen))
    assert seen[:len(staff_view.lines)] == [line.id for line in staff_view.lines]
    # The screen's own pager: "Oudere" when there is more.
    first = await screen.get(f"/beheer/organisations/{org}/audit")
    assert ('rel="next"' in first.text) == (len(seen) > 25)


async def test_sofie_sees_only_her_applications_and_others_are_refused(screen: AsyncTestClient) -> None:
    await login(screen, "sofie")
    org = await org_id_of(screen)
    page = await screen.get(f"/beheer/organisations/{org}/audit")
    assert page.status_code == 200
    assert "DWSE Organisatieverantwoordelijke" in page.text
    assert "VLAIO" not in page.text  # Koen's VLAIO right: not her application
    await login(screen, "an")  # works at the bakery, administers nothing
    refused = await screen.get(f"/beheer/organisations/{org}/audit")
    unknown = await screen.get("/beheer/organisations/org_doesnotexist/audit")
    assert refused.status_code == unknown.status_code == 403
    assert "Wie deed wat" not in refused.text
    body = [re.sub(r'value="[^"]+"', "", r.text.split("<main", 1)[1]) for r in (refused, unknown)]
    assert body[0] == body[1]


async def test_search_by_name_pages_through_matches_only(screen: AsyncTestClient) -> None:
    services = screen.app.state.services
    await login(screen, "bert")
    org = await org_id_of(screen)
    staff = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="t")
    everything: list[int] = []
    before = NEWEST
    while True:
        page = await organisation_audit(services.core, staff, org, before, limit=3)
        everything += [line.id for line in page.lines if "Koen" in f"{line.who} {line.person}"]
        if page.next_before is None:
            break
        before = page.next_before
    found: list[int] = []
    before = NEWEST
    while True:
        page = await organisation_audit(services.core, staff, org, before, limit=1, name="koen MERTENS")
        assert all("Koen Mertens" in f"{line.who} {line.person}" for line in page.lines)
        found += [line.id for line in page.lines]
        if page.next_before is None:
            break
        before = page.next_before
    assert found == everything and found
    html = (await screen.get(f"/beheer/organisations/{org}/audit", params={"name": "Koen"})).text
    table = html.split('id="audit"', 1)[1].split("</table>", 1)[0]
    assert "Koen Mertens" in table and "An Peeters" not in table
    assert 'value="Koen"' in html
    none = await screen.get(f"/beheer/organisations/{org}/audit", params={"name": "Niemand"})
    assert "Niets gevonden voor deze naam." in none.text
