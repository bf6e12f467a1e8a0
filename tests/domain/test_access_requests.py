"""Self-registration requests: every rule refuses what it must, on SQLite and PostgreSQL.

The services run on a migrated database (``store`` is parametrized per backend) with the SQL outbox as
notifier, so the e-mails are queued in the same transaction as the request and roll back with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from rights.domain.commands import (
    Appointment,
    IdentifiersInput,
    NewOrganisation,
    NewPerson,
    NewWorkRelation,
    StatusChange,
)
from rights.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from rights.domain.model import AccessRequest, ContactCard, OrgStatus, OrgType, RequestStatus, UserType
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services import Services, build_services
from rights.domain.services.requests import NewAccessRequest, RequestApproval, RequestRefusal
from rights.mail.notifier import OutboxNotifier
from rights.mail.ports import MailStatus
from rights.mail.sql import SqlOutbox
from rights.policies import default_policies_dir, load_catalogue
from rights.storage import SqlStore

STAFF = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="platform:test")
AN_NRN = "85073003328"


def person(pid: str, subject: str) -> Caller:
    return Caller(kind=PrincipalKind.PERSON, subject=subject, person_id=pid)


@dataclass
class World:
    services: Services
    outbox: SqlOutbox
    bakery: str
    other: str
    an: Caller
    koen: Caller
    bert: Caller
    sofie: Caller
    griet: Caller


@pytest.fixture
async def world(store: SqlStore) -> World:
    services = build_services(store, load_catalogue(default_policies_dir()))
    outbox = SqlOutbox(store.engine)
    services.requests.notifier = OutboxNotifier(outbox, base_url="https://rights.example")
    bakery = (await services.organisations.create(STAFF, NewOrganisation(
        type=OrgType.COMPANY, name="Bakkerij Peeters BV",
        identifiers=IdentifiersInput(enterprise_number="0723.145.688")))).value
    other = (await services.organisations.create(STAFF, NewOrganisation(
        type=OrgType.COMPANY, name="De Cijferaar BV", identifiers=IdentifiersInput(enterprise_number="0471.230.948"))
    )).value
    people = {}
    for key, nrn, given, email in [("an", AN_NRN, "An", "an@example.be"), ("bert", "62110402174", "Bert", None),
                                   ("sofie", "90021714288", "Sofie", None), ("koen", "79092305705", "Koen", None),
                                   ("griet", "71050823680", "Griet", None)]:
        written, _ = await services.people.register(STAFF, NewPerson(
            national_number=nrn, given_name=given, family_name="Test", email=email))
        people[key] = written.value.id
    await services.people.appoint(STAFF, bakery.id, Appointment(
        person=people["bert"], main=True, contact=ContactCard(email="bert@bakery.example")))
    await services.people.appoint(STAFF, bakery.id, Appointment(
        person=people["sofie"], applications=("WSELoket",), contact=ContactCard(email="sofie@bakery.example")))
    await services.people.appoint(STAFF, other.id, Appointment(
        person=people["griet"], main=True, contact=ContactCard(email="griet@other.example")))
    for key in ("an", "sofie", "bert"):
        await services.people.add_work_relation(STAFF, bakery.id, NewWorkRelation(
            person=people[key], user_type=UserType.PERMANENT))
    return World(services, outbox, bakery.id, other.id, person(people["an"], "an"), person(people["koen"], "koen"),
                 person(people["bert"], "bert"), person(people["sofie"], "sofie"), person(people["griet"], "griet"))


def ask(org: str = "0723.145.688", role: str = "DWSEOrganisatieverantwoordelijke", measure: str | None = "IMW",
        **kw: object) -> NewAccessRequest:
    values: dict = {"motivation": "Ik dien de aanvraag Maatwerk in.", **kw}
    return NewAccessRequest(organisation=org, role=role, measure=measure, **values)


async def submit(w: World, caller: Caller | None = None, **kw: object) -> AccessRequest:
    return (await w.services.requests.submit(caller or w.an, ask(**kw))).value.request


# --- submitting --------------------------------------------------------------------------------


async def test_submit_mails_each_deciding_administrator_separately(world: World) -> None:
    written = await world.services.requests.submit(world.an, ask(contact_email="an.work@example.be"))
    req = written.value.request
    assert req.status is RequestStatus.PENDING and req.contact_email == "an.work@example.be"
    assert written.value.notified == 2  # Bert (all applications) and Sofie (WSE)
    mails = await world.outbox.list()
    assert sorted(m.recipient for m in mails) == ["bert@bakery.example", "sofie@bakery.example"]
    for m in mails:
        assert m.kind == "request_submitted" and m.status is MailStatus.PENDING
        assert AN_NRN not in m.body and "85.07.30-***.**" in m.body
        assert "Individueel Maatwerk" in m.body and "Dear local administrator" in m.body
        assert f"https://rights.example/beheer/organisations/{world.bakery}/requests" in m.body
        other = "sofie@" if m.recipient.startswith("bert") else "bert@"
        assert other not in m.body  # nobody sees another administrator's address
    async with world.services.core.store.read() as tx:
        changes = await tx.changes(entity="access_request", entity_id=req.id)
        events = await tx.audit_events(organisation_id=world.bakery)
    assert [c.kind for c in changes] == ["access_request_submitted"]
    assert "motivation" not in changes[0].data and "contact_email" not in changes[0].data
    assert any(e.action == "access_request_submitted" and e.actor == "an" for _, e in events)


async def test_only_an_administrator_of_the_application_is_mailed(world: World) -> None:
    written = await world.services.requests.submit(world.an, ask(role="VLAIOInkomGebruiker", measure=None))
    assert written.value.notified == 1
    assert [m.recipient for m in await world.outbox.list()] == ["bert@bakery.example"]


@pytest.mark.parametrize("kind", [PrincipalKind.PLATFORM_ADMIN, PrincipalKind.HELPLINE, PrincipalKind.SERVICE])
async def test_only_a_person_submits(world: World, kind: PrincipalKind) -> None:
    with pytest.raises(Forbidden) as err:
        await world.services.requests.submit(Caller(kind=kind, subject="x", person_id=world.an.person_id), ask())
    assert err.value.code == "request_only_by_person"


async def test_a_role_not_for_the_organisation_type_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput) as err:
        await submit(world, role="WebEdisonBeheerder", measure=None)  # education only
    assert (err.value.code, err.value.field) == ("role_not_for_organisation_type", "role")


async def test_a_right_company_administrators_do_not_grant_is_refused(world: World) -> None:
    with pytest.raises((InvalidInput, Forbidden)) as err:
        await submit(world, role="DVMetadataVlaanderenGebruiker", measure="editor")
    assert err.value.field == "role"


@pytest.mark.parametrize(("role", "measure", "code"), [
    ("DWSEOrganisatieverantwoordelijke", None, "measure_required"),
    ("DWSEOrganisatieverantwoordelijke", "NOPE", "unknown_measure"),
    ("NoSuchRole", None, "unknown_role"),
])
async def test_the_catalogue_decides_role_and_measure(world: World, role: str, measure: str | None, code: str) -> None:
    with pytest.raises((InvalidInput, NotFound)) as err:
        await submit(world, role=role, measure=measure)
    assert err.value.code == code


async def test_a_duplicate_pending_request_is_refused(world: World) -> None:
    await submit(world)
    with pytest.raises(Conflict) as err:
        await submit(world)
    assert err.value.code == "request_already_pending"
    await submit(world, measure="AWI")  # another measure is another request


@pytest.mark.parametrize("motivation", ["", "   kort   ", "x" * 2001])
async def test_motivation_is_required_and_limited(world: World, motivation: str) -> None:
    with pytest.raises(InvalidInput) as err:
        await submit(world, motivation=motivation)  # (the API's decoder also caps it at 2000)
    assert (err.value.code, err.value.field) == ("motivation_required", "motivation")


async def test_a_bad_contact_email_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput) as err:
        await submit(world, contact_email="geen adres")
    assert err.value.field == "contact_email"


async def test_unknown_frozen_or_ceased_organisations_are_refused(world: World) -> None:
    with pytest.raises(NotFound):
        await submit(world, org="0403.019.261")
    await world.services.organisations.set_status(STAFF, world.other, OrgStatus.CEASED, StatusChange())
    with pytest.raises(Conflict) as err:
        await submit(world, org=world.other)
    assert err.value.code == "organisation_ceased"


async def test_an_organisation_without_a_deciding_administrator_is_refused(world: World) -> None:
    org = (await world.services.organisations.create(STAFF, NewOrganisation(
        type=OrgType.COMPANY, name="Zonder beheerder", identifiers=IdentifiersInput(enterprise_number="0353.456.320"))
    )).value
    with pytest.raises(Conflict) as err:
        await submit(world, org=org.id)
    assert err.value.code == "request_no_administrator"
    assert await world.outbox.list() == []


# --- deciding ------------------------------------------------------------------------------------


async def test_approve_grants_through_the_grant_rules_and_mails_the_person(world: World) -> None:
    req = await submit(world)
    pending = await world.services.requests.pending(world.sofie, world.bakery)
    assert [e.request.id for e in pending] == [req.id]
    now = world.services.core.now()
    done = (await world.services.requests.approve(world.sofie, req.id, RequestApproval(
        valid_until=now + timedelta(days=200)), organisation=world.bakery)).value
    assert done.status is RequestStatus.APPROVED and done.grant_id and done.decided_by == world.sofie.person_id
    grant = await world.services.grants.get(world.an, done.grant_id)
    assert (grant.role, grant.measure, grant.granted_by) == ("DWSEOrganisatieverantwoordelijke", "IMW",
                                                             world.sofie.person_id)
    assert grant.valid_until == now + timedelta(days=200)
    mails = [m for m in await world.outbox.list() if m.kind == "request_approved"]
    assert [m.recipient for m in mails] == ["an@example.be"]  # no contact e-mail given: the person's own
    assert "goedgekeurd" in mails[0].body and "approved" in mails[0].body
    assert await world.services.requests.pending(world.sofie, world.bakery) == []
    mine = await world.services.requests.mine(world.an)
    assert [(e.request.status, e.organisation.name) for e in mine] == [(RequestStatus.APPROVED, "Bakkerij Peeters BV")]
    with pytest.raises(Conflict) as err:  # asking again for what one holds
        await submit(world)
    assert err.value.code == "grant_already_exists"


async def test_a_grant_rule_refusing_keeps_the_request_pending(world: World) -> None:
    # Koen has no work relation with the bakery: the grant's rule refuses, the request stays pending.
    req = await submit(world, world.koen)
    with pytest.raises(Conflict) as err:
        await world.services.requests.approve(world.bert, req.id, RequestApproval())
    assert err.value.code == "work_relation_required"
    still = await world.services.requests.get(world.bert, world.bakery, req.id)
    assert still.request.status is RequestStatus.PENDING and still.request.grant_id is None
    assert [m.kind for m in await world.outbox.list()] == ["request_submitted", "request_submitted"]
    # ... and a validity beyond the catalogue's maximum is refused the same way.
    an_req = await submit(world)
    with pytest.raises(InvalidInput) as err2:
        await world.services.requests.approve(world.bert, an_req.id, RequestApproval(
            valid_until=world.services.core.now() + timedelta(days=2000)))
    assert err2.value.code == "validity_too_long"


async def test_refuse_needs_a_reason_and_mails_the_person(world: World) -> None:
    req = await submit(world, contact_email="an.work@example.be")
    for reason in ("", "  x "):
        with pytest.raises(InvalidInput) as err:
            await world.services.requests.refuse(world.bert, req.id, RequestRefusal(reason=reason))
        assert (err.value.code, err.value.field) == ("reason_required", "reason")
    done = (await world.services.requests.refuse(world.bert, req.id, RequestRefusal(
        reason="Enkel de zaakvoerder dient aanvragen in."))).value
    assert done.status is RequestStatus.REFUSED and done.decision_reason == "Enkel de zaakvoerder dient aanvragen in."
    mails = [m for m in await world.outbox.list() if m.kind == "request_refused"]
    assert [m.recipient for m in mails] == ["an.work@example.be"]
    assert "Enkel de zaakvoerder" in mails[0].body and AN_NRN not in mails[0].body


async def test_a_decided_request_cannot_be_decided_again(world: World) -> None:
    req = await submit(world)
    await world.services.requests.refuse(world.bert, req.id, RequestRefusal(reason="Nee, dank u."))
    for decide in (world.services.requests.approve(world.bert, req.id, RequestApproval()),
                   world.services.requests.refuse(world.bert, req.id, RequestRefusal(reason="nogmaals")),
                   world.services.requests.withdraw(world.an, req.id)):
        with pytest.raises(Conflict) as err:
            await decide
        assert err.value.code == "request_already_decided"


async def test_a_person_who_is_not_an_administrator_cannot_list_or_decide(world: World) -> None:
    req = await submit(world)
    with pytest.raises(Forbidden):
        await world.services.requests.pending(world.an, world.bakery)
    with pytest.raises(Forbidden):
        await world.services.requests.approve(world.an, req.id, RequestApproval())  # not even her own
    with pytest.raises(Forbidden):
        await world.services.requests.refuse(world.koen, req.id, RequestRefusal(reason="zomaar"))


async def test_an_administrator_of_another_organisation_cannot_decide(world: World) -> None:
    req = await submit(world)
    with pytest.raises(Forbidden):
        await world.services.requests.approve(world.griet, req.id, RequestApproval())
    with pytest.raises(Forbidden):
        await world.services.requests.pending(world.griet, world.bakery)
    # Under her own organisation's URL the bakery's request does not exist.
    with pytest.raises(NotFound):
        await world.services.requests.refuse(world.griet, req.id, RequestRefusal(reason="niet van ons"),
                                             organisation=world.other)
    with pytest.raises(NotFound):
        await world.services.requests.get(world.griet, world.other, req.id)


async def test_a_scoped_administrator_decides_only_within_their_applications(world: World) -> None:
    vlaio = await submit(world, role="VLAIOInkomGebruiker", measure=None)
    wse = await submit(world)
    assert [e.request.id for e in await world.services.requests.pending(world.sofie, world.bakery)] == [wse.id]
    with pytest.raises(Forbidden) as err:
        await world.services.requests.approve(world.sofie, vlaio.id, RequestApproval())
    assert err.value.code == "application_not_administered"
    with pytest.raises(Forbidden):
        await world.services.requests.refuse(world.sofie, vlaio.id, RequestRefusal(reason="niet mijn toepassing"))
    assert {e.request.id for e in await world.services.requests.pending(world.bert, world.bakery)} == {vlaio.id, wse.id}


async def test_platform_staff_may_refuse_but_never_grant(world: World) -> None:
    req = await submit(world)
    with pytest.raises(Forbidden) as err:
        await world.services.requests.approve(STAFF, req.id, RequestApproval())
    assert err.value.code == "not_an_administrator"
    done = (await world.services.requests.refuse(STAFF, req.id, RequestRefusal(reason="Geen werkrelatie."))).value
    assert done.status is RequestStatus.REFUSED


async def test_a_person_sees_and_withdraws_only_their_own_requests(world: World) -> None:
    req = await submit(world)
    assert await world.services.requests.mine(world.koen) == []
    with pytest.raises(NotFound):
        await world.services.requests.withdraw(world.koen, req.id)
    done = (await world.services.requests.withdraw(world.an, req.id)).value
    assert done.status is RequestStatus.WITHDRAWN
    assert await world.services.requests.pending(world.bert, world.bakery) == []


async def test_storage_round_trip(store: SqlStore, world: World) -> None:
    req = await submit(world, contact_email="an.work@example.be", measure="AWI")
    async with store.read() as tx:
        assert await tx.get_access_request(req.id) == req
        assert await tx.access_requests(organisation_id=world.bakery, status="pending") == [req]
        assert await tx.access_requests(person_id=world.koen.person_id) == []
        assert await tx.get_access_request("req_nope") is None
