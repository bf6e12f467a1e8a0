"""Self-registration (issue 5): a person requests a right; the organisation's administrators decide.

* Only a person submits, and only for themself. The organisation must exist and be active, the (role,
  measure) must be one the catalogue allows for its type (the same checks a grant makes), some active
  administrator of the organisation must administer the role's application, and the same request may
  not be pending twice.
* Each administrator who could decide it and has a work e-mail gets one e-mail of their own (one
  recipient per mail), queued in the same transaction as the request.
* Listing and deciding: the organisation's local administrators, each within their applications, and
  platform staff (who may refuse, but cannot approve: platform staff never grant).
* Approving grants through :meth:`GrantService.grant_in`, in the same transaction as the status change:
  when a rule refuses the grant, nothing is written and the request stays pending. Refusing needs a
  reason. The requester is mailed the outcome.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

import msgspec

from rights.domain import notifications as texts
from rights.domain import rules
from rights.domain.catalogue import Role
from rights.domain.commands import Command, NewGrant, Reason, Ref
from rights.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from rights.domain.model import AccessRequest, Administrator, Organisation, Person, RequestStatus
from rights.domain.notifications import Notice, Notifier, NullNotifier
from rights.domain.ports import Caller, PrincipalKind, Tx
from rights.domain.services.base import Core, Written, audit_read, new_id, record, resolve_organisation
from rights.domain.services.grants import GrantService

_EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[^@\s<>\"]+\.[^@\s<>\"]{2,}$")
MOTIVATION_MIN, MOTIVATION_MAX = 10, 2000
REASON_MIN, REASON_MAX = 3, 1000


class NewAccessRequest(Command, kw_only=True):
    organisation: Ref  # opaque id or any identifier of the organisation
    role: Ref
    measure: str | None = None
    motivation: Annotated[str, msgspec.Meta(max_length=MOTIVATION_MAX)]
    contact_email: Annotated[str, msgspec.Meta(max_length=320)] | None = None


class RequestApproval(Command, kw_only=True):
    valid_until: datetime | None = None  # default: the role's default validity
    reason: Reason = ""


class RequestRefusal(Command, kw_only=True):
    reason: Annotated[str, msgspec.Meta(max_length=REASON_MAX)]


class Submitted(msgspec.Struct, frozen=True, kw_only=True):
    request: AccessRequest
    notified: int  # administrators e-mailed (each their own mail); their addresses are not returned


class RequestEntry(msgspec.Struct, frozen=True, kw_only=True):
    request: AccessRequest
    person: Person
    organisation: Organisation


def summary(r: AccessRequest) -> dict:
    """What the change log says about a request: no motivation, no e-mail address (the feed is shared)."""
    return {"person_id": r.person_id, "organisation_id": r.organisation_id, "role": r.role, "measure": r.measure,
            "status": r.status.value, "grant_id": r.grant_id}


def ensure_requestable(role: Role, measure: str | None, org: Organisation, person: Person) -> None:
    """The catalogue checks a grant makes first (same codes), before anyone is asked to decide."""
    if org.type not in role.org_types:
        raise InvalidInput("role_not_for_organisation_type", "role", role=role.code, org_type=org.type.value)
    if org.type not in role.grantors:
        raise Forbidden("role_not_grantable_by_organisation_type", "role", role=role.code, org_type=org.type.value)
    role.measure(measure)
    rules.ensure_may_receive_grants(org, person)


class RequestService:
    def __init__(self, core: Core, notifier: Notifier | None = None) -> None:
        self.core = core
        self.grants = GrantService(core)
        # Wired by the composition root (rights.web) once its outbox exists; without it nothing is mailed.
        self.notifier: Notifier = notifier or NullNotifier()

    # --- helpers -------------------------------------------------------------------------------

    def _right(self, role_code: str, measure: str | None) -> str:
        catalogue = self.core.catalogue
        role = catalogue.roles.get(role_code)
        if role is None:
            return role_code + (f" — {measure}" if measure else "")
        m = role.measure(measure) if measure and role.measures else None
        return texts.right_text(catalogue.application(role.application).name, role.name, m.name if m else measure)

    def _link(self, path: str) -> str:
        return f"{self.notifier.base_url}{path}"

    async def _decidable(
        self, tx: Tx, caller: Caller, request_id: str, org_id: str | None, *, granting: bool = False
    ) -> AccessRequest:
        """The request, if the caller may decide it; under another organisation's URL it does not exist.
        Approving grants, which platform staff do not do; they may refuse."""
        req = await tx.get_access_request(request_id)
        if req is None or (org_id is not None and req.organisation_id != org_id):
            raise NotFound("unknown_request", "request")
        if granting or not caller.platform_admin:
            role = self.core.catalogue.role(req.role)
            rules.ensure_administers(await tx.administrators(req.organisation_id), caller.person_id, role.application)
        if req.status is not RequestStatus.PENDING:
            raise Conflict("request_already_decided", "request", status=req.status.value)
        return req

    async def _queue(self, tx: Tx, notices: list[Notice]) -> int:
        return await self.notifier.enqueue(tx, notices, now=self.core.now()) if notices else 0

    # --- the person ----------------------------------------------------------------------------

    async def submit(self, caller: Caller, cmd: NewAccessRequest) -> Written[Submitted]:
        if caller.kind is not PrincipalKind.PERSON or caller.person_id is None:
            raise Forbidden("request_only_by_person")
        motivation = cmd.motivation.strip()
        if not MOTIVATION_MIN <= len(motivation) <= MOTIVATION_MAX:
            raise InvalidInput("motivation_required", "motivation")
        email = (cmd.contact_email or "").strip() or None
        if email is not None and not _EMAIL.match(email):
            raise InvalidInput("invalid_email", "contact_email")
        role = self.core.catalogue.role(cmd.role)
        measure = cmd.measure or None
        now = self.core.now()
        async with self.core.store.write() as tx:
            org = await resolve_organisation(tx, cmd.organisation)
            person = await tx.get_person(caller.person_id)
            if person is None:
                raise NotFound("unknown_person", "person")
            deciders = await self._requestable_in(tx, role, measure, org, person, now)
            req = AccessRequest(
                id=new_id("req_"), person_id=person.id, organisation_id=org.id, role=role.code, measure=measure,
                motivation=motivation, contact_email=email, created_at=now,
            )
            await tx.add_access_request(req)
            rev = await record(self.core, tx, caller, kind="access_request_submitted", entity="access_request",
                               entity_id=req.id, data=summary(req), organisation_id=org.id)
            right = self._right(role.code, measure)
            link = self._link(f"/beheer/organisations/{org.id}/requests")
            recipients = dict.fromkeys(a.contact.email.strip() for a in deciders if a.contact.email)
            queued = await self._queue(tx, [
                texts.request_submitted(recipient=r, organisation_id=org.id, org_name=org.name,
                                        requester=person.display_name, national_number=person.national_number,
                                        right=right, motivation=motivation, contact_email=email, link=link)
                for r in recipients
            ])
        await self.core.committed(rev)
        if queued:
            self.notifier.wake()
        return Written(Submitted(request=req, notified=queued), rev)

    async def _requestable_in(self, tx: Tx, role: Role, measure: str | None, org: Organisation, person: Person,
                              now: datetime) -> list[Administrator]:
        """Every rule a request must pass, asked of the facts in ``tx``; the administrators who would decide
        it. submit() and the request form's preview (requestable) both come through here."""
        ensure_requestable(role, measure, org, person)
        deciders = [a for a in await tx.administrators(org.id) if a.active and a.administers(role.application)]
        if not deciders:
            raise Conflict("request_no_administrator", "organisation")
        mine = await tx.access_requests(person_id=person.id, organisation_id=org.id,
                                        status=RequestStatus.PENDING.value)
        if any(r.role == role.code and r.measure == measure for r in mine):
            raise Conflict("request_already_pending", "role")
        held = await tx.grants(person_id=person.id, organisation_id=org.id, role=role.code, measure=measure)
        if any(g.active_at(now) for g in held):
            raise Conflict("grant_already_exists", "role")
        return deciders

    async def requestable(self, caller: Caller, org_id: str,
                          rights: Sequence[tuple[str, str | None]]) -> list[DomainError | None]:
        """Per (role, measure), None when submit() would accept it from the caller now, else its refusal:
        the request form offers only what it would accept (reads only, writes nothing)."""
        if caller.kind is not PrincipalKind.PERSON or caller.person_id is None:
            raise Forbidden("request_only_by_person")
        now = self.core.now()
        out: list[DomainError | None] = []
        async with self.core.store.read() as tx:
            org = await resolve_organisation(tx, org_id)
            person = await tx.get_person(caller.person_id)
            if person is None:
                raise NotFound("unknown_person", "person")
            for role_code, measure in rights:
                try:
                    await self._requestable_in(tx, self.core.catalogue.role(role_code), measure or None, org,
                                               person, now)
                except DomainError as exc:
                    out.append(exc)
                else:
                    out.append(None)
        return out

    async def mine(self, caller: Caller) -> list[RequestEntry]:
        """The caller's own requests, newest first, with their outcome."""
        if caller.person_id is None:
            raise Forbidden("request_only_by_person")
        async with self.core.store.read() as tx:
            person = await tx.get_person(caller.person_id)
            if person is None:
                raise NotFound("unknown_person", "person")
            found = await tx.access_requests(person_id=person.id)
            orgs = {o.id: o for o in await tx.get_organisations({r.organisation_id for r in found})}
        return [RequestEntry(request=r, person=person, organisation=orgs[r.organisation_id])
                for r in reversed(found) if r.organisation_id in orgs]

    async def withdraw(self, caller: Caller, request_id: str) -> Written[AccessRequest]:
        async with self.core.store.write() as tx:
            req = await tx.get_access_request(request_id)
            if req is None or req.person_id != caller.person_id:
                raise NotFound("unknown_request", "request")
            if req.status is not RequestStatus.PENDING:
                raise Conflict("request_already_decided", "request", status=req.status.value)
            done = msgspec.structs.replace(req, status=RequestStatus.WITHDRAWN, decided_at=self.core.now(),
                                           decided_by=caller.person_id)
            await tx.save_access_request(done)
            rev = await record(self.core, tx, caller, kind="access_request_withdrawn", entity="access_request",
                               entity_id=req.id, data=summary(done), organisation_id=req.organisation_id)
        await self.core.committed(rev)
        return Written(done, rev)

    # --- the organisation's administrators -----------------------------------------------------

    async def pending(self, caller: Caller, org_ref: str) -> list[RequestEntry]:
        """Pending requests the caller may decide: an administrator sees those of their applications."""
        async with self.core.store.read() as tx:
            org = await resolve_organisation(tx, org_ref)
            admin = None
            if not caller.platform_admin:
                admin = rules.active_admin(await tx.administrators(org.id), caller.person_id)
                if admin is None:
                    raise Forbidden("not_an_administrator", "organisation")
            out = []
            for r in await tx.access_requests(organisation_id=org.id, status=RequestStatus.PENDING.value):
                role = self.core.catalogue.roles.get(r.role)
                if admin is not None and (role is None or not admin.administers(role.application)):
                    continue
                person = await tx.get_person(r.person_id)
                if person is not None:
                    out.append(RequestEntry(request=r, person=person, organisation=org))
        if out:  # a list of persons who asked: a read of personal data
            await audit_read(self.core, caller, action="access_requests_read", target=f"organisation:{org.id}",
                             organisation_id=org.id, details={"requests": len(out)})
        return out

    async def get(self, caller: Caller, org_ref: str, request_id: str) -> RequestEntry:
        """One request of this organisation, for a caller who may decide it (any status)."""
        async with self.core.store.read() as tx:
            org = await resolve_organisation(tx, org_ref)
            req = await tx.get_access_request(request_id)
            if req is None or req.organisation_id != org.id:
                raise NotFound("unknown_request", "request")
            if not caller.platform_admin:
                role = self.core.catalogue.role(req.role)
                rules.ensure_administers(await tx.administrators(org.id), caller.person_id, role.application)
            person = await tx.get_person(req.person_id)
            if person is None:
                raise NotFound("unknown_person", "person")
            return RequestEntry(request=req, person=person, organisation=org)

    async def approve(
        self, caller: Caller, request_id: str, cmd: RequestApproval, *, organisation: str | None = None
    ) -> Written[AccessRequest]:
        """Grant what was asked, through the manual grant's path, and close the request — or neither."""
        now = self.core.now()
        async with self.core.store.write() as tx:
            org_id = (await resolve_organisation(tx, organisation)).id if organisation else None
            req = await self._decidable(tx, caller, request_id, org_id, granting=True)
            reason = cmd.reason.strip() or f"Aanvraag / request {req.id}"
            grant, _ = await self.grants.grant_in(tx, caller, NewGrant(
                person=req.person_id, organisation=req.organisation_id, role=req.role, measure=req.measure,
                valid_from=now, valid_until=cmd.valid_until, reason=reason))
            done = msgspec.structs.replace(
                req, status=RequestStatus.APPROVED, decided_at=now, decided_by=caller.person_id or caller.subject,
                decision_reason=cmd.reason.strip() or None, grant_id=grant.id)
            await tx.save_access_request(done)
            rev = await record(self.core, tx, caller, kind="access_request_approved", entity="access_request",
                               entity_id=req.id, data=summary(done), organisation_id=req.organisation_id)
            queued = await self._tell_requester(tx, done, lambda person, org, to: texts.request_approved(
                recipient=to, organisation_id=org.id, org_name=org.name, requester=person.display_name,
                right=self._right(req.role, req.measure), valid_from=grant.valid_from,
                valid_until=grant.valid_until, link=self._link("/beheer/me")))
        await self.core.committed(rev)
        if queued:
            self.notifier.wake()
        return Written(done, rev)

    async def refuse(
        self, caller: Caller, request_id: str, cmd: RequestRefusal, *, organisation: str | None = None
    ) -> Written[AccessRequest]:
        reason = cmd.reason.strip()
        if not REASON_MIN <= len(reason) <= REASON_MAX:
            raise InvalidInput("reason_required", "reason")
        async with self.core.store.write() as tx:
            org_id = (await resolve_organisation(tx, organisation)).id if organisation else None
            req = await self._decidable(tx, caller, request_id, org_id)
            done = msgspec.structs.replace(
                req, status=RequestStatus.REFUSED, decided_at=self.core.now(),
                decided_by=caller.person_id or caller.subject, decision_reason=reason)
            await tx.save_access_request(done)
            rev = await record(self.core, tx, caller, kind="access_request_refused", entity="access_request",
                               entity_id=req.id, data=summary(done), organisation_id=req.organisation_id,
                               reason=reason)  # audited, not in the shared change log
            queued = await self._tell_requester(tx, done, lambda person, org, to: texts.request_refused(
                recipient=to, organisation_id=org.id, org_name=org.name, requester=person.display_name,
                right=self._right(req.role, req.measure), reason=reason, link=self._link("/beheer/me/requests")))
        await self.core.committed(rev)
        if queued:
            self.notifier.wake()
        return Written(done, rev)

    async def _tell_requester(self, tx: Tx, req: AccessRequest, build) -> int:  # noqa: ANN001
        person = await tx.get_person(req.person_id)
        org = await tx.get_organisation(req.organisation_id)
        to = req.contact_email or (person.email if person else None)
        if person is None or org is None or not to:
            return 0
        return await self._queue(tx, [build(person, org, to)])
