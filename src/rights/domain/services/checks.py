"""The questions other services ask: may P act for O with R on M; for whom may P act; P's claims.

Present-tense questions are answered by the process's decision index when it has one (never the
database); ``at`` questions are answered from the stored history. Without an index (the CLI, tests of
the reference path) the same answers come from the store through :func:`decide`.
"""

from __future__ import annotations

import functools
from datetime import datetime

import msgspec

from rights.domain import identifiers as ids
from rights.domain import rules
from rights.domain.commands import CheckQuestion
from rights.domain.decisions import Decision, decide
from rights.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from rights.domain.index import DecisionIndex, Verdict, ts
from rights.domain.keeper import IndexKeeper
from rights.domain.model import Change, Grant, Mandate, Organisation, OrgStatus, Person
from rights.domain.ports import Caller, PrincipalKind, Tx
from rights.domain.services.base import (
    ORG_PREFIX,
    PERSON_PREFIX,
    Core,
    audit_read,
    find_organisation,
    find_person,
    identifier_error,
)
from rights.domain.services.successions import successors_at

WAIT_SECONDS = 2.0


class Answer(msgspec.Struct, frozen=True):
    verdict: Verdict
    revision: int
    organisation_id: str | None = None
    # The question named a predecessor of an applied succession: these answered for it (issue 17).
    succeeded_by: tuple[str, ...] = ()


class OrganisationRight(msgspec.Struct, frozen=True):
    organisation: Organisation
    grants: tuple[Grant, ...]


class Explanation(msgspec.Struct, frozen=True, kw_only=True):
    grant: Grant | None = None
    mandate: Mandate | None = None
    reasons: tuple[str, ...] = ()


def verdict_of(decision: Decision) -> Verdict:
    return Verdict(
        allowed=decision.allowed, reason=decision.reason,
        grant_id=decision.grant.id if decision.grant else None,
        mandate_id=decision.mandate.id if decision.mandate else None,
        reasons=decision.reasons,
    )


def person_key(ref: str, field_name: str = "person") -> str:
    """The index key of a person reference: its id, or its normalised national number."""
    try:
        return _person_key(ref)
    except ids.IdentifierError as exc:
        raise identifier_error(exc, field_name) from None


def organisation_key(ref: str, field_name: str = "organisation") -> str:
    try:
        return _organisation_key(ref)
    except ids.IdentifierError as exc:
        raise identifier_error(exc, field_name) from None


# Parsing an identifier with python-stdnum costs 3-5 µs, more than the index's answer: callers ask about
# the same people and organisations over and over, so the parsed keys are memoised (bounded; failures,
# which raise, are not cached).
@functools.lru_cache(maxsize=1 << 17)
def _person_key(ref: str) -> str:
    ref = ref.strip()
    return ref if ref.startswith(PERSON_PREFIX) else ids.parse_national_number(ref).value


@functools.lru_cache(maxsize=1 << 17)
def _organisation_key(ref: str) -> str:
    ref = ref.strip()
    if ref.startswith(ORG_PREFIX):
        return ref
    kind, value = ids.parse_organisation_identifier(ref)
    return f"{kind.value}:{value}"


def _organisation_ix(index: DecisionIndex, key: str, field: str) -> int | None:
    """The index's organisation for a key; a NIS code that is also a school's institution number is ambiguous
    (as :func:`find_organisation` decides for the store), and with only the school known it finds the school."""
    o = index.organisation_ix(key)
    if not key.startswith("nis_code:"):
        return o
    number = key.removeprefix("nis_code:")
    school = index.organisation_ix(f"institution_number:{number.zfill(6)}")
    if school is not None and o is not None and school != o:
        raise InvalidInput("ambiguous_identifier", field, number=number, municipality=index.organisation_id(o),
                           school=index.organisation_id(school))
    return o if o is not None else school


class CheckService:
    def __init__(self, core: Core, keeper: IndexKeeper | None = None) -> None:
        self.core = core
        self.keeper = keeper

    # --- freshness ---------------------------------------------------------------------------------

    async def ensure_fresh(self, at_least_revision: int | None) -> None:
        """Wait (boundedly) until the index has the caller's own write; never answer a stale yes."""
        if at_least_revision is None or self.keeper is None or self.keeper.revision >= at_least_revision:
            return
        async with self.core.store.read() as tx:
            latest = await tx.latest_revision()
        if at_least_revision > latest:
            raise Conflict("revision_in_future", "at_least_revision", revision=at_least_revision, latest=latest)
        if not await self.keeper.wait_for(at_least_revision, WAIT_SECONDS):
            raise Conflict("index_behind", "at_least_revision", revision=at_least_revision)

    # --- checks ------------------------------------------------------------------------------------

    async def check(self, caller: Caller, q: CheckQuestion, *, at_least_revision: int | None = None) -> Answer:
        if q.at is not None:
            return await self.check_at(q, q.at)
        keys = (person_key(q.person), organisation_key(q.organisation))
        if self.keeper is None:
            return await self._check_from_store(q, None)
        await self.ensure_fresh(at_least_revision)
        return self.ask_index(keys, q.role, q.measure, ts(self.core.now()))

    def ask_index(self, keys: tuple[str, str], role: str, measure: str | None, at: float,
                  field: str = "organisation") -> Answer:
        assert self.keeper is not None
        index = self.keeper.index
        revision = index.revision  # read first: the answer is at least this fresh
        o = _organisation_ix(index, keys[1], field)
        p = index.person_ix(keys[0])
        if index.succeeded and o is not None and (successors := index.successors(o, at)) is not None:
            return _first_allowed([
                Answer(index.check(p, s, role, measure, at), revision, index.organisation_id(s))
                for s in successors
            ], tuple(index.organisation_id(s) for s in successors))
        verdict = index.check(p, o, role, measure, at)
        return Answer(verdict, revision, index.organisation_id(o) if o is not None else None)

    async def batch(self, caller: Caller, questions: list[CheckQuestion], *, at_least_revision: int | None = None
                    ) -> list[Answer]:
        """Answers in order; identifiers are validated first so a bad item is refused by its index."""
        keys = []
        for i, q in enumerate(questions):
            keys.append((person_key(q.person, f"questions[{i}].person"),
                         organisation_key(q.organisation, f"questions[{i}].organisation")))
        if self.keeper is None:
            return [await self.check(caller, q) for q in questions]
        await self.ensure_fresh(at_least_revision)
        now = ts(self.core.now())
        # Every present-tense question first, in one pass without an await: all at one revision.
        answers: list[Answer | None] = [
            None if q.at is not None else self.ask_index(k, q.role, q.measure, now, f"questions[{i}].organisation")
            for i, (q, k) in enumerate(zip(questions, keys, strict=True))
        ]
        for i, q in enumerate(questions):
            if q.at is not None:
                answers[i] = await self.check_at(q, q.at)
        return answers  # type: ignore[return-value]  # every None was replaced

    async def explain(self, answer: Answer) -> Explanation:
        """The chain behind an answer: the grant (who granted it, when), the mandate, or every reason."""
        v = answer.verdict
        async with self.core.store.read() as tx:
            grant = await tx.get_grant(v.grant_id) if v.grant_id else None
            mandate = await tx.get_mandate(v.mandate_id) if v.mandate_id else None
        return Explanation(grant=grant, mandate=mandate, reasons=v.reasons)

    # --- the reference path and history -------------------------------------------------------------

    async def _facts(self, tx: Tx, person: Person, org: Organisation) -> dict:
        mandates = [m for m in await tx.mandates(organisation_id=org.id) if m.mandator_id == org.id]
        holders = {}
        for m in mandates:
            if (h := await tx.get_organisation(m.holder_id)) is not None:
                holders[h.id] = h
        grants = [g for g in await tx.grants(person_id=person.id) if g.organisation_id in {org.id, *holders}]
        relations = [w for w in await tx.work_relations(person_id=person.id)
                     if w.organisation_id in {org.id, *holders}]
        return {"grants": grants, "work_relations": relations, "mandates": mandates, "holders": holders,
                "executor": self.core.catalogue.mandate_executor}

    async def _check_from_store(self, q: CheckQuestion, at: datetime | None, history: bool = False) -> Answer:
        """``at`` None: now, taken once the snapshot is (see :meth:`_rights_from_store`)."""
        async with self.core.store.read() as tx:
            revision = await tx.latest_revision()
            at = at or self.core.now()
            org = await find_organisation(tx, q.organisation)
            person = await find_person(tx, q.person)
            successors = await successors_at(tx, org.id, at) if org is not None else ()
            if successors:
                by_id = {o.id: o for o in await tx.get_organisations(successors)}
                answers = [await self._decide(tx, q, by_id.get(s), person, at, history, revision) for s in successors]
                return _first_allowed(answers, successors)
            return await self._decide(tx, q, org, person, at, history, revision)

    async def _decide(self, tx: Tx, q: CheckQuestion, org: Organisation | None, person: Person | None,
                      at: datetime, history: bool, revision: int) -> Answer:
        facts: dict = {}
        if org is not None and person is not None:
            facts = await self._facts(tx, person, org)
            if history:
                org, person, facts = await _as_of(tx, org, person, facts, at)
        decision = decide(org=org, person=person, role=self.core.catalogue.roles.get(q.role),
                          measure=q.measure, at=at, **{"grants": (), "work_relations": (), **facts})
        return Answer(verdict_of(decision), revision, org.id if org else None)

    async def check_at(self, q: CheckQuestion, at: datetime) -> Answer:
        """Could P act for O on M at that moment, as the service knew it then (appeals and audits)."""
        return await self._check_from_store(q, rules.aware_utc(at, "at"), history=True)

    # --- lists -------------------------------------------------------------------------------------

    async def _listable_person(self, caller: Caller, person_ref: str) -> Person:
        """Service clients and platform staff list anyone's rights; a person only their own. A caller who may
        not list gets the same refusal whether the person exists or not (no existence oracle)."""
        async with self.core.store.read() as tx:
            person = await find_person(tx, person_ref, caller)
        if caller.kind in (PrincipalKind.SERVICE, PrincipalKind.PLATFORM_ADMIN) or person_ref.strip() == "me":
            if person is None:
                raise NotFound("unknown_person", "person")
            return person
        if person is None or caller.person_id != person.id:
            raise Forbidden("not_own_data", "person")
        return person

    async def organisations_of(
        self, caller: Caller, person_ref: str, *, role: str | None, measure: str | None
    ) -> tuple[list[tuple[str, list[str]]], int]:
        """(organisation id, grant ids) the person may act for now, ordered by organisation id."""
        if role is not None and role not in self.core.catalogue.roles:
            raise NotFound("unknown_role", "role", role=role)
        person = await self._listable_person(caller, person_ref)
        if self.keeper is not None:
            index = self.keeper.index
            revision = index.revision
            p = index.person_ix(person.id)
            found = index.organisations_of(p, ts(self.core.now()), role, measure) if p is not None else {}
            rows = [(index.organisation_id(o), g) for o, g in found.items()]
            return sorted(rows), revision
        rights, revision = await self._rights_from_store(person.id, role, measure)
        return sorted((r.organisation.id, [g.id for g in r.grants]) for r in rights), revision

    async def persons_of(
        self, caller: Caller, org_ref: str, *, role: str | None, measure: str | None
    ) -> tuple[str, list[tuple[str, list[str]]], int]:
        """(person id, grant ids) of everyone who may act for the organisation now, by person id.

        Only for the organisation's administrators (a local administrator limited to some applications
        sees only the grants of those), platform staff and service clients with the listing scope.
        Every answer is audited: it is a list of persons."""
        if self.keeper is None:
            raise NotFound("unknown_organisation", "organisation")
        if role is not None and role not in self.core.catalogue.roles:
            raise NotFound("unknown_role", "role", role=role)
        applications: frozenset[str] | None = None  # None: every application
        async with self.core.store.read() as tx:
            org = await find_organisation(tx, org_ref)
            if org is None:
                raise NotFound("unknown_organisation", "organisation")
            if not (caller.platform_admin or caller.may_list_persons):
                admin = rules.active_admin(await tx.administrators(org.id), caller.person_id)
                if admin is None:
                    raise Forbidden("not_allowed_to_list_persons", "organisation")
                if admin.applications is not None:
                    applications = frozenset(admin.applications)
                    if role is not None and self.core.catalogue.role(role).application not in applications:
                        raise Forbidden("application_not_administered", "role",
                                        application=self.core.catalogue.role(role).application)
            roles_of = {g.id: g.role for g in await tx.grants(organisation_id=org.id)} if applications else {}
        index = self.keeper.index
        revision = index.revision
        o = index.organisation_ix(org.id)
        found = index.persons_of(o, ts(self.core.now()), role, measure) if o is not None else {}
        rows = sorted((index.person_id(p), g) for p, g in found.items())
        if applications is not None:
            # Grants of the applications this administrator administers only (mandates are not theirs).
            catalogue = self.core.catalogue
            rows = [(p, kept) for p, gs in rows
                    if (kept := [g for g in gs if g in roles_of and catalogue.role(roles_of[g]).application
                                 in applications])]
        await audit_read(self.core, caller, action="organisation_persons_read", target=f"organisation:{org.id}",
                         organisation_id=org.id, details={"persons": len(rows), "role": role, "measure": measure})
        return org.id, rows, revision

    async def _rights_from_store(self, person_id: str, role: str | None, measure: str | None
                                 ) -> tuple[list[OrganisationRight], int]:
        async with self.core.store.read() as tx:
            revision = await tx.latest_revision()
            # "Now" is taken after the snapshot is: a write in it stamped its times before it committed,
            # so a revocation (or a new grant) at this revision is never in the future of the question.
            at = self.core.now()
            person = await tx.get_person(person_id)
            if person is None or person.frozen:
                return [], revision
            relations = await tx.work_relations(person_id=person_id)
            by_org: dict[str, list[Grant]] = {}
            for g in await tx.grants(person_id=person_id):
                if (role is None or g.role == role) and (measure is None or g.measure == measure):
                    by_org.setdefault(g.organisation_id, []).append(g)
            out = []
            for org_id, grants in sorted(by_org.items()):
                org = await tx.get_organisation(org_id)
                allowed = tuple(
                    g for g in grants
                    if org is not None and (r := self.core.catalogue.roles.get(g.role)) is not None
                    and decide(org=org, person=person, role=r, measure=g.measure, grants=grants,
                               work_relations=relations, at=at).grant == g
                )
                if org is not None and allowed:
                    out.append(OrganisationRight(org, allowed))
        return out, revision

    async def claims(self, caller: Caller, person_ref: str, *, application: str | None) -> tuple[list[str], int]:
        """Active rights as ACM/IDM claims: ``RoleCode[-context]:orgcode``."""
        if application is not None:
            self.core.catalogue.application(application)
        person = await self._listable_person(caller, person_ref)
        rights, revision = await self._rights_from_store(person.id, None, None)
        claims: set[str] = set()
        for entry in rights:
            code = self.core.catalogue.organisation_code(entry.organisation)
            if code is None:
                continue
            for g in entry.grants:
                if application is not None and self.core.catalogue.role(g.role).application != application:
                    continue
                claims.add(f"{g.role}-{g.measure}:{code}" if g.measure else f"{g.role}:{code}")
        return sorted(claims), revision


def _first_allowed(answers: list[Answer], successors: tuple[str, ...]) -> Answer:
    """A predecessor answers through its successors: the first that allows (a split's person is at one)."""
    chosen = next((a for a in answers if a.verdict.allowed), answers[0])
    return msgspec.structs.replace(chosen, succeeded_by=successors)


async def _as_of(tx: Tx, org: Organisation, person: Person, facts: dict, at: datetime
                 ) -> tuple[Organisation, Person, dict]:
    """Replay the change log up to ``at``: statuses, freezes and grants' validity as they were then."""
    # Organisations without their own history (bulk register imports) keep their current status.
    status = org.status
    for c in await tx.changes(entity="organisation", entity_id=org.id, limit=100_000):
        if c.at > at:
            break
        if c.kind == "organisation_created":
            status = OrgStatus(c.data.get("status", "active"))
        elif c.kind in ("organisation_frozen", "organisation_active", "organisation_ceased"):
            status = OrgStatus(c.data["status"])
    frozen = False
    for c in await tx.changes(entity="person", entity_id=person.id, limit=100_000):
        if c.at <= at and c.kind in ("person_frozen", "person_unfrozen"):
            frozen = c.kind == "person_frozen"
    grants = []
    for g in facts["grants"]:
        if g.granted_at > at:
            continue
        grants.append(_grant_as_of(g, await tx.changes(entity="grant", entity_id=g.id, limit=100_000), at))
    org = msgspec.structs.replace(org, status=status)
    person = msgspec.structs.replace(person, frozen=frozen)
    return org, person, {**facts, "grants": grants}


def _grant_as_of(g: Grant, changes: list[Change], at: datetime) -> Grant:
    valid_from, valid_until = g.valid_from, g.valid_until
    for c in changes:
        if c.kind == "grant_created":
            valid_from = datetime.fromisoformat(c.data["valid_from"])
            valid_until = datetime.fromisoformat(c.data["valid_until"])
        elif c.kind == "grant_validity_changed" and c.at <= at:
            valid_from = datetime.fromisoformat(c.data["valid_from"])
            valid_until = datetime.fromisoformat(c.data["valid_until"])
    return msgspec.structs.replace(g, valid_from=valid_from, valid_until=valid_until)
