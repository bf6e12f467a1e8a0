"""Issue 16 item 4: a page per person for the organisation's administrators — work relations, rights,
requests and history in their organisation — read through the services (audited), refusing an unknown
person and one of another organisation alike."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from rights.api.tokens import mint_dev_token
from rights.domain.ports import PrincipalKind
from rights.settings import Settings
from tests.web.conftest import login
from tests.web.test_beheer_screens import org_id_of

PERSON_LINK = r'href="(/beheer/organisations/org_[^/"]+/people/per_[^/"]+)" class="person-link">{name}<'


async def _person_page(client: AsyncTestClient, name: str) -> str:
    org = await org_id_of(client)
    page = await client.get(f"/beheer/organisations/{org}")
    m = re.search(PERSON_LINK.format(name=name), page.text)
    assert m, page.text
    return m.group(1)


async def test_bert_sees_ans_work_relation_rights_and_history(screen: AsyncTestClient,
                                                             web_settings: Settings) -> None:
    await login(screen, "bert")
    link = await _person_page(screen, "An Peeters")
    r = await screen.get(link)
    assert r.status_code == 200
    html = r.text
    assert "An Peeters" in html and "85.07.30-***.**" in html and "85073003328" not in html
    assert "vast personeel" in html.split('id="relations-h"')[1].split("</section>")[0]
    rights = html.split('id="rights-h"')[1].split("</section>")[0]
    assert "Vlaamse Ondersteuningspremie" in rights and "Individueel Maatwerk" in rights
    assert "/revoke" in rights  # Bert may revoke them
    history = html.split('id="history-h"')[1]
    assert "recht toegekend: DWSE Organisatieverantwoordelijke — Vlaamse Ondersteuningspremie" in history
    assert "DWSEOrganisatieverantwoordelijke" not in history  # names, not codes
    token = mint_dev_token(web_settings, PrincipalKind.PLATFORM_ADMIN, "auditor")
    events = (await screen.get("/v1/audit/", params={"limit": 500},
                               headers={"Authorization": f"Bearer {token}"})).json()["items"]
    reads = [e for e in events if e["action"] == "person_file_read"]
    assert len(reads) == 1 and reads[0]["target"] == "person:" + link.rsplit("/", 1)[1]


async def test_sofie_sees_koen_without_the_vlaio_right_she_does_not_administer(screen: AsyncTestClient) -> None:
    await login(screen, "sofie")
    r = await screen.get(await _person_page(screen, "Koen Mertens"))
    assert r.status_code == 200
    assert "externe medewerker" in r.text
    assert "VLAIO" not in r.text  # outside her applications: not shown, so not offered


async def test_unknown_and_foreign_people_get_the_same_refusal(screen: AsyncTestClient) -> None:
    await login(screen, "bert")
    org = await org_id_of(screen)
    koen = (await _person_page(screen, "Koen Mertens")).rsplit("/", 1)[1]
    services = screen.app.state.services
    async with services.core.store.read() as tx:
        cijferaar = next(w.organisation_id for w in await tx.work_relations(person_id=koen)
                         if w.organisation_id != org)
        griet = (await tx.administrators(cijferaar))[0].person_id  # De Cijferaar's, no tie to the bakery
    foreign = await screen.get(f"/beheer/organisations/{org}/people/{griet}")
    unknown = await screen.get(f"/beheer/organisations/{org}/people/per_doesnotexist")
    assert foreign.status_code == unknown.status_code == 403
    assert _main(foreign.text) == _main(unknown.text)
    assert "D'hondt" not in foreign.text and "D&#39;hondt" not in foreign.text
    # Koen under De Cijferaar, which Bert does not administer: refused as its organisation page is.
    assert (await screen.get(f"/beheer/organisations/{cijferaar}/people/{koen}")).status_code == 403
    assert (await screen.get(f"/beheer/organisations/org_nope/people/{koen}")).status_code == 403


def _main(html: str) -> str:
    return re.sub(r'name="_csrf_token" value="[^"]+"', "", html.split("<main", 1)[1].split("</main>", 1)[0])
