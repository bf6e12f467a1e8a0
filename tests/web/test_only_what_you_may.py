"""Issue 16 item 2: a screen offers only what the write would accept, asked of the same rules first
(a preview in the services that writes nothing), and a refusal that still happens is said in words,
never with a catalogue code, and never on a field the page does not show."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from litestar.testing import AsyncTestClient

from rights.domain.commands import EndWorkRelation, NewGrant, Revocation, ValidityChange
from rights.domain.errors import Conflict, Forbidden
from rights.domain.model import Grant
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services import Services
from rights.domain.services.requests import NewAccessRequest
from tests.web.conftest import csrf_of, login
from tests.web.test_beheer_screens import org_id_of


def _services(client: AsyncTestClient) -> Services:
    return client.app.state.services


async def _grant_of(services: Services, given_name: str, role: str, measure: str | None = None) -> Grant:
    async with services.core.store.read() as tx:
        for g in await tx.grants(role=role):
            person = await tx.get_person(g.person_id)
            if person is not None and person.given_name == given_name and g.measure == measure and g.revoked_at is None:
                return g
    raise AssertionError(f"no {role} grant of {given_name} in the seeds")


async def _person_id(services: Services, given_name: str) -> str:
    """A person of Bakkerij Peeters (an administrator or a holder of a right there), by given name."""
    async with services.core.store.read() as tx:
        org = (await tx.grants(role="VLAIOInkomGebruiker"))[0].organisation_id
        ids = [a.person_id for a in await tx.administrators(org)] + [g.person_id for g in await tx.grants()]
        for pid in dict.fromkeys(ids):
            person = await tx.get_person(pid)
            if person is not None and person.given_name == given_name:
                return person.id
    raise AssertionError(given_name)


def _caller(person_id: str) -> Caller:
    return Caller(kind=PrincipalKind.PERSON, subject=person_id, person_id=person_id)


async def test_revocable_is_the_revocation_rule_and_writes_nothing(screen: AsyncTestClient) -> None:
    services = _services(screen)
    koen_vlaio = await _grant_of(services, "Koen", "VLAIOInkomGebruiker")
    an_vop = await _grant_of(services, "An", "DWSEOrganisatieverantwoordelijke", "VOP")
    sofie, bert = _caller(await _person_id(services, "Sofie")), _caller(await _person_id(services, "Bert"))
    # Sofie administers the WSE applications only: An's VOP right yes, Koen's VLAIO right no.
    assert await services.grants.revocable(sofie, [koen_vlaio, an_vop]) == {an_vop.id}
    assert await services.grants.revocable(bert, [koen_vlaio, an_vop]) == {koen_vlaio.id, an_vop.id}
    try:
        await services.grants.preview_revoke(sofie, koen_vlaio.id)
        raise AssertionError("the preview accepted what revoke() refuses")
    except Forbidden as exc:
        assert exc.code == "application_not_administered"
    # The write refuses with the very same refusal.
    try:
        await services.grants.revoke(sofie, koen_vlaio.id, Revocation(reason="buiten mijn toepassingen"))
        raise AssertionError("revoke() accepted")
    except Forbidden as exc:
        assert exc.code == "application_not_administered"
    # Nothing was written by the previews: the grant is untouched.
    async with services.core.store.read() as tx:
        assert (await tx.get_grant(koen_vlaio.id)) == koen_vlaio


async def test_preview_grant_refuses_what_grant_refuses(screen: AsyncTestClient) -> None:
    services = _services(screen)
    an_vop = await _grant_of(services, "An", "DWSEOrganisatieverantwoordelijke", "VOP")
    bert = _caller(await _person_id(services, "Bert"))
    cmd = NewGrant(person=an_vop.person_id, organisation=an_vop.organisation_id, role=an_vop.role,
                   measure="VOP", reason="nog eens")
    for attempt in (services.grants.preview_grant, services.grants.grant):
        try:
            await attempt(bert, cmd)
            raise AssertionError(f"{attempt.__name__} accepted a right An already holds")
        except Conflict as exc:
            assert exc.code == "grant_already_exists"
    refusals = await services.grants.grantable(bert, [cmd])
    assert refusals[0] is not None and refusals[0].code == "grant_already_exists"


async def test_sofie_is_not_offered_revoking_koens_vlaio_right(screen: AsyncTestClient) -> None:
    services = _services(screen)
    koen_vlaio = await _grant_of(services, "Koen", "VLAIOInkomGebruiker")
    await login(screen, "sofie")
    org = await org_id_of(screen)
    page = await screen.get(f"/beheer/organisations/{org}")
    assert f"/grants/{koen_vlaio.id}/revoke" not in page.text
    # Every "Intrekken" she is offered is one the revocation accepts.
    offered = re.findall(r"/grants/(gr_[^/\"]+)/revoke", page.text)
    assert offered
    sofie = _caller(await _person_id(services, "Sofie"))
    async with services.core.store.read() as tx:
        grants = [await tx.get_grant(g) for g in offered]
    assert await services.grants.revocable(sofie, [g for g in grants if g]) == set(offered)
    # Following an old link: a refusal in words before any reason is typed, naming the application by name.
    form = await screen.get(f"/beheer/organisations/{org}/grants/{koen_vlaio.id}/revoke")
    assert form.status_code == 403
    assert "VLAIO Inkom" in form.text and "VLAIOInkom'" not in form.text
    assert 'name="reason"' not in form.text
    # Posting anyway (a stale form): refused in words, tied to no field the page lacks.
    r = await screen.post(f"/beheer/organisations/{org}/grants/{koen_vlaio.id}/revoke",
                          data={"reason": "geen WSE-recht", "_csrf_token": csrf_of(page.text)})
    assert r.status_code == 403
    assert "VLAIOInkom'" not in r.text and "'VLAIOInkom" not in r.text
    assert 'href="#right"' not in r.text and "right-err" not in r.text


async def test_a_revocation_refused_meanwhile_is_explained_above_the_form(screen: AsyncTestClient) -> None:
    services = _services(screen)
    an_vop = await _grant_of(services, "An", "DWSEOrganisatieverantwoordelijke", "VOP")
    await login(screen, "bert")
    org = await org_id_of(screen)
    form = await screen.get(f"/beheer/organisations/{org}/grants/{an_vop.id}/revoke")
    assert form.status_code == 200 and 'name="reason"' in form.text
    # Meanwhile Sofie revokes it.
    sofie = _caller(await _person_id(services, "Sofie"))
    await services.grants.revoke(sofie, an_vop.id, Revocation(reason="uit dienst"))
    r = await screen.post(f"/beheer/organisations/{org}/grants/{an_vop.id}/revoke",
                          data={"reason": "uit dienst getreden", "_csrf_token": csrf_of(form.text)})
    assert r.status_code == 409
    assert 'id="blocked"' in r.text and "Dit recht is al ingetrokken." in r.text
    assert "reason-err" not in r.text  # not the reason's fault
    assert "already_revoked" not in r.text
    assert "uit dienst getreden" in r.text  # what was typed stays


async def test_grant_form_for_a_person_offers_only_what_she_may_receive(screen: AsyncTestClient) -> None:
    services = _services(screen)
    an_vop = await _grant_of(services, "An", "DWSEOrganisatieverantwoordelijke", "VOP")
    await login(screen, "bert")
    org = await org_id_of(screen)
    everyone = await screen.get(f"/beheer/organisations/{org}/grant")
    assert 'value="DWSEOrganisatieverantwoordelijke|VOP"' in everyone.text  # someone may still receive it
    for_an = await screen.get(f"/beheer/organisations/{org}/grant?person={an_vop.person_id}")
    assert 'value="DWSEOrganisatieverantwoordelijke|VOP"' not in for_an.text  # she holds it
    assert 'value="DWSEOrganisatieverantwoordelijke|AWI"' in for_an.text  # one she does not hold yet
    # A stale form posting it anyway: the confirmation step asks the grant's own rules and says why.
    r = await screen.post(f"/beheer/organisations/{org}/grant", data={
        "person": an_vop.person_id, "right": "DWSEOrganisatieverantwoordelijke|VOP", "valid_until": "",
        "reason": "nog een keer", "_csrf_token": csrf_of(everyone.text)})
    assert r.status_code == 409
    assert "heeft dit recht al" in r.text and 'href="#right"' in r.text
    assert 'id="sentence"' not in r.text  # no confirmation page promising what the write would refuse


async def test_an_is_not_offered_rights_she_already_holds_or_asked_for(screen: AsyncTestClient) -> None:
    services = _services(screen)
    an_vop = await _grant_of(services, "An", "DWSEOrganisatieverantwoordelijke", "VOP")
    await login(screen, "an")
    form = await screen.get(f"/beheer/request?org={an_vop.organisation_id}")
    assert form.status_code == 200
    assert 'value="DWSEOrganisatieverantwoordelijke|VOP"' not in form.text
    assert 'value="DWSEOrganisatieverantwoordelijke|IMW"' not in form.text
    offered = re.findall(r'<option value="([A-Za-z]+\|[A-Za-z]*)"', form.text)
    assert "VLAIOInkomGebruiker|" in offered
    sent = await screen.post("/beheer/request", data={
        "organisation": an_vop.organisation_id, "right": "VLAIOInkomGebruiker|",
        "motivation": "Ik vraag de KMO-portefeuille aan.", "contact_email": "", "_csrf_token": csrf_of(form.text)})
    assert sent.status_code in (200, 303), sent.text
    again = await screen.get(f"/beheer/request?org={an_vop.organisation_id}")
    assert 'value="VLAIOInkomGebruiker|"' not in again.text  # asked for already
    # A stale form asking anyway: refused in words on the right's field, with the right's name, no code.
    r = await screen.post("/beheer/request", data={
        "organisation": an_vop.organisation_id, "right": "DWSEOrganisatieverantwoordelijke|VOP",
        "motivation": "Ik wil het nog eens aanvragen.", "contact_email": "", "_csrf_token": csrf_of(form.text)})
    assert r.status_code == 422
    assert "heeft dit recht al" in r.text and "grant_already_exists" not in r.text


class _Later:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


async def test_the_validity_form_is_offered_only_where_the_change_would_be_looked_at(screen: AsyncTestClient) -> None:
    services = _services(screen)
    an_vop = await _grant_of(services, "An", "DWSEOrganisatieverantwoordelijke", "VOP")
    koen_vlaio = await _grant_of(services, "Koen", "VLAIOInkomGebruiker")
    sofie = _caller(await _person_id(services, "Sofie"))
    assert await services.grants.validity_refusal(sofie, an_vop.id) is None
    refused = await services.grants.validity_refusal(sofie, koen_vlaio.id)
    assert refused is not None and refused.code == "application_not_administered"
    clock = services.core.clock
    services.core.clock = _Later(an_vop.valid_until + timedelta(days=1))  # type: ignore[misc]
    try:
        ended = await services.grants.validity_refusal(sofie, an_vop.id)
        assert ended is not None and ended.code == "grant_ended"
        try:
            await services.grants.change_validity(sofie, an_vop.id, ValidityChange(
                valid_until=an_vop.valid_until + timedelta(days=30), reason="verlengen"))
            raise AssertionError("change_validity() accepted an ended grant")
        except Conflict as exc:
            assert exc.code == "grant_ended"
    finally:
        services.core.clock = clock  # type: ignore[misc]
    # On the page: no form for a right she may not change.
    await login(screen, "bert")
    org = await org_id_of(screen)
    await services.grants.revoke(sofie, an_vop.id, Revocation(reason="uit dienst"))
    page = await screen.get(f"/beheer/organisations/{org}/grants/{an_vop.id}")
    assert page.status_code == 200 and 'action="/beheer/organisations/' not in page.text.split('id="history-h"')[0]


async def test_approve_is_offered_only_where_the_grant_would_be_accepted(screen: AsyncTestClient) -> None:
    services = _services(screen)
    koen_vlaio = await _grant_of(services, "Koen", "VLAIOInkomGebruiker")
    org = koen_vlaio.organisation_id
    an = _caller((await _grant_of(services, "An", "DWSEOrganisatieverantwoordelijke", "VOP")).person_id)
    ok = await services.requests.submit(an, NewAccessRequest(
        organisation=org, role="DWSEOrganisatieverantwoordelijke", measure="AWI",
        motivation="Voor de aanwervingsincentive."))
    # Koen's work relation at the bakery ends: his request can be refused, no longer approved.
    koen = _caller(koen_vlaio.person_id)
    blocked = await services.requests.submit(koen, NewAccessRequest(
        organisation=org, role="DWSEOrganisatieverantwoordelijke", measure="IMW",
        motivation="Voor het dossier Individueel Maatwerk."))
    bert = _caller(await _person_id(services, "Bert"))
    async with services.core.store.read() as tx:
        relation = next(w for w in await tx.work_relations(person_id=koen_vlaio.person_id)
                        if w.organisation_id == org and w.ended_at is None)
    await services.people.end_work_relation(bert, org, relation.id, EndWorkRelation(reason="contract afgelopen"))
    await login(screen, "bert")
    page = await screen.get(f"/beheer/organisations/{org}/requests")
    assert page.status_code == 200
    mine = page.text.split(f'id="request-{ok.value.request.id}"', 1)[1].split("</section>", 1)[0]
    theirs = page.text.split(f'id="request-{blocked.value.request.id}"', 1)[1].split("</section>", 1)[0]
    assert "/approve" in mine and "approve-blocked" not in mine
    assert "/approve" not in theirs and "/refuse" in theirs
    assert "De persoon heeft geen actieve werkrelatie met deze organisatie." in theirs
    assert "work_relation_required" not in theirs


async def test_a_person_who_can_get_nothing_more_is_told_so(screen: AsyncTestClient) -> None:
    services = _services(screen)
    an = (await _grant_of(services, "An", "DWSEOrganisatieverantwoordelijke", "VOP")).person_id
    sofie = _caller(await _person_id(services, "Sofie"))
    await login(screen, "sofie")
    org = await org_id_of(screen)
    form = await screen.get(f"/beheer/organisations/{org}/grant?person={an}")
    offered = re.findall(r'<option value="([A-Za-z]+\|[A-Za-z]*)"', form.text)
    assert offered and 'id="nothing-to-grant"' not in form.text
    # Whatever is offered, the grant accepts: Sofie gives An every one of them.
    for value in offered:
        role, measure = value.split("|")
        await services.grants.grant(sofie, NewGrant(person=an, organisation=org, role=role, measure=measure or None,
                                                    reason="alles wat kan"))
    after = await screen.get(f"/beheer/organisations/{org}/grant?person={an}")
    assert not re.findall(r'<option value="([A-Za-z]+\|[A-Za-z]*)"', after.text)
    assert 'id="nothing-to-grant"' in after.text
