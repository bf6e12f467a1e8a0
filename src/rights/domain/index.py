"""The in-memory decision index: checks, batches and lists without the database.

Each server process builds one from the store (streamed) and keeps it current from the change log.
It answers exactly as :func:`rights.domain.decisions.decide` (a property test holds them together),
but in a few dictionary look-ups: people, organisations and (role, measure) pairs are small integers,
a grant lives in parallel arrays, and one dict maps (person, organisation, role-measure) to its
grants. Validity is evaluated at question time, so nothing expires by a background job.

The revision promise: an answer that reports revision R reflects every change up to and including R
and none after. The index is changed only by :meth:`DecisionIndex.apply`, which puts everything a batch
of changes touched and then advances ``revision``, in one synchronous step (no ``await`` inside). The
index lives on one event loop and its readers are synchronous too (they read ``revision`` and answer
without awaiting in between), so no reader can see a change without its revision or the reverse, and
the check path pays nothing for it: no lock, no copy.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
from datetime import datetime

import msgspec

from rights.domain.catalogue import Catalogue
from rights.domain.model import (
    Grant,
    Mandate,
    Organisation,
    OrgStatus,
    Person,
    Succession,
    SuccessionStatus,
    WorkRelation,
)

_INF = math.inf
_ACTIVE, _FROZEN, _CEASED = 0, 1, 2
_STATUS = {OrgStatus.ACTIVE: _ACTIVE, OrgStatus.FROZEN: _FROZEN, OrgStatus.CEASED: _CEASED}
_ORG_SHIFT, _PERSON_SHIFT = 16, 40  # key = person << 40 | organisation << 16 | role-measure


def ts(value: datetime | None, default: float = _INF) -> float:
    return value.timestamp() if value is not None else default


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    allowed: bool
    reason: str
    grant_id: str | None = None
    mandate_id: str | None = None
    reasons: tuple[str, ...] = ()


class _Mandate(msgspec.Struct, frozen=True):
    id: str
    holder: int
    applications: frozenset[str]
    measures: frozenset[str]
    valid_from: float
    valid_until: float
    accepted: float
    revoked: float


class IndexUpdate(msgspec.Struct, kw_only=True):
    """What a batch of changes touched, read in one snapshot, and the revision that snapshot is at."""

    revision: int
    organisations: list[Organisation] = msgspec.field(default_factory=list)
    persons: list[Person] = msgspec.field(default_factory=list)
    work_relations: list[WorkRelation] = msgspec.field(default_factory=list)
    mandates: list[Mandate] = msgspec.field(default_factory=list)
    grants: list[Grant] = msgspec.field(default_factory=list)
    successions: list[Succession] = msgspec.field(default_factory=list)


class DecisionIndex:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.revision = 0
        self._p_ix: dict[str, int] = {}
        self._p_ids: list[str] = []
        self._p_frozen = bytearray()
        self._nn: dict[str, int] = {}
        self._o_ix: dict[str, int] = {}
        self._o_ids: list[str] = []
        self._o_status = bytearray()
        self._o_ident: dict[str, int] = {}
        self._o_idents: list[tuple[str, ...]] = []
        self._rm_ix: dict[tuple[str, str | None], int] = {}
        self._rm: list[tuple[str, str | None]] = []
        self._rm_needs_wr = bytearray()
        for role in catalogue.roles.values():
            for measure in [m.code for m in role.measures] or [None]:
                self._rm_ix[(role.code, measure)] = len(self._rm)
                self._rm.append((role.code, measure))
                self._rm_needs_wr.append(role.requires_work_relation)
        executor = catalogue.mandate_executor
        self._executor = executor.code if executor else None
        self._g_ids: list[str] = []
        self._g_from = array("d")
        self._g_until = array("d")
        self._g_revoked = array("d")
        self._g_person = array("q")
        self._g_org = array("q")
        self._g_rm = array("l")
        self._by_key: dict[int, int | list[int]] = {}
        self._by_person: dict[int, list[int]] = {}
        self._by_org: dict[int, list[int]] = {}
        self._relations: dict[int, list[tuple[float, float, str]]] = {}
        self._mandates: dict[int, dict[str, _Mandate]] = {}
        self._mandators_of: dict[int, set[int]] = {}  # holder -> mandators
        # Applied successions: predecessor -> (effective from, successors). Consulted by the check service
        # after the organisation look-up, and only when some succession exists (never inside check()).
        self.succeeded: dict[int, tuple[float, tuple[int, ...]]] = {}

    # --- loading and keeping current --------------------------------------------------------------

    def apply(self, update: IndexUpdate) -> None:
        """Put everything ``update`` carries, then advance the revision: one step as readers see it.

        Synchronous on purpose: no coroutine can run in the middle of it, so an answer reflects a
        change exactly when it reports the change's revision. Keep awaits (and threads) out of here.
        """
        for org in update.organisations:
            self.put_organisation(org)
        for person in update.persons:
            self.put_person(person)
        for relation in update.work_relations:
            self.put_work_relation(relation)
        for mandate in update.mandates:
            self.put_mandate(mandate)
        for grant in update.grants:
            self.put_grant(grant)
        for succession in update.successions:
            self.put_succession(succession)
        self.revision = update.revision

    def put_person(self, person: Person) -> None:
        ix = self._p_ix.get(person.id)
        if ix is None:
            ix = self._p_ix[person.id] = len(self._p_ids)
            self._p_ids.append(person.id)
            self._p_frozen.append(0)
        self._p_frozen[ix] = person.frozen
        self._nn[person.national_number] = ix

    def set_person_frozen(self, person_id: str, frozen: bool) -> None:
        ix = self._p_ix.get(person_id)
        if ix is not None:
            self._p_frozen[ix] = frozen

    def _person(self, person_id: str) -> int:
        ix = self._p_ix.get(person_id)
        if ix is None:  # a grant for a person we have not seen yet: register, details follow
            ix = self._p_ix[person_id] = len(self._p_ids)
            self._p_ids.append(person_id)
            self._p_frozen.append(0)
        return ix

    def put_organisation(self, org: Organisation) -> None:
        ix = self._org(org.id)
        self._o_status[ix] = _STATUS[org.status]
        for key in self._o_idents[ix]:
            if self._o_ident.get(key) == ix:
                del self._o_ident[key]
        i = org.identifiers
        keys = [f"{kind}:{value}" for kind, value in (
            ("enterprise_number", i.enterprise_number), ("ovo_code", i.ovo_code), ("nis_code", i.nis_code),
            ("institution_number", i.institution_number),
        ) if value] + [f"establishment_number:{n}" for n in i.establishment_numbers]
        for key in keys:
            self._o_ident[key] = ix
        self._o_idents[ix] = tuple(keys)

    def set_organisation_status(self, org_id: str, status: OrgStatus) -> None:
        self._o_status[self._org(org_id)] = _STATUS[status]

    def _org(self, org_id: str) -> int:
        ix = self._o_ix.get(org_id)
        if ix is None:
            ix = self._o_ix[org_id] = len(self._o_ids)
            self._o_ids.append(org_id)
            self._o_status.append(_ACTIVE)
            self._o_idents.append(())
        return ix

    def put_work_relation(self, relation: WorkRelation) -> None:
        key = self._person(relation.person_id) << 32 | self._org(relation.organisation_id)
        spans = [s for s in self._relations.get(key, []) if s[2] != relation.id]
        if not relation.blocked:
            spans.append((ts(relation.started_at, -_INF), ts(relation.ended_at), relation.id))
        self._relations[key] = spans

    def put_grant(self, grant: Grant) -> None:
        """Add a grant or replace its state (revocation, new validity)."""
        rm = self._rm_ix.get((grant.role, grant.measure))
        if rm is None:  # a role the catalogue no longer knows answers "unknown_role" anyway
            return
        p, o = self._person(grant.person_id), self._org(grant.organisation_id)
        key = p << _PERSON_SHIFT | o << _ORG_SHIFT | rm
        slots = self._by_key.get(key)
        existing = [slots] if isinstance(slots, int) else (slots or [])
        slot = next((s for s in existing if self._g_ids[s] == grant.id), None)
        if slot is None:
            slot = len(self._g_ids)
            self._g_ids.append(grant.id)
            self._g_from.append(0.0)
            self._g_until.append(0.0)
            self._g_revoked.append(0.0)
            self._g_person.append(p)
            self._g_org.append(o)
            self._g_rm.append(rm)
            self._by_key[key] = slot if slots is None else [*existing, slot]
            self._by_person.setdefault(p, []).append(slot)
            self._by_org.setdefault(o, []).append(slot)
        self._g_from[slot] = ts(grant.valid_from)
        self._g_until[slot] = ts(grant.valid_until)
        self._g_revoked[slot] = ts(grant.revoked_at)

    def put_mandate(self, m: Mandate) -> None:
        accepted = m.accepted_at
        self._mandators_of.setdefault(self._org(m.holder_id), set()).add(self._org(m.mandator_id))
        self._mandates.setdefault(self._org(m.mandator_id), {})[m.id] = _Mandate(
            m.id, self._org(m.holder_id), frozenset(m.applications), frozenset(m.measures),
            ts(m.valid_from, -_INF), ts(m.valid_until), ts(accepted), ts(m.revoked_at),
        )

    def put_succession(self, s: Succession) -> None:
        """An applied succession: from its date on, its predecessors answer through their successors."""
        if s.status is not SuccessionStatus.APPLIED:
            return
        successors = tuple(self._org(o) for o in s.successor_ids)
        for o in s.predecessor_ids:
            self.succeeded[self._org(o)] = (ts(s.effective_at), successors)

    def successors(self, o: int, at: float, _depth: int = 0) -> tuple[int, ...] | None:
        """The organisations that answer for ``o`` at ``at`` (following later successions of the
        successors too); None when it answers for itself."""
        entry = self.succeeded.get(o)
        if entry is None or at < entry[0] or _depth > 8:
            return None
        out: list[int] = []
        for s in entry[1]:
            out.extend(self.successors(s, at, _depth + 1) or (s,))
        return tuple(dict.fromkeys(out))

    # --- questions ---------------------------------------------------------------------------------

    def person_ix(self, ref: str) -> int | None:
        """A person by id or by (normalised) national number."""
        ix = self._p_ix.get(ref)
        return ix if ix is not None else self._nn.get(ref)

    def organisation_ix(self, ref: str) -> int | None:
        """An organisation by id or by ``kind:value`` of a normalised identifier."""
        ix = self._o_ix.get(ref)
        return ix if ix is not None else self._o_ident.get(ref)

    def organisation_id(self, ix: int) -> str:
        return self._o_ids[ix]

    def person_id(self, ix: int) -> str:
        return self._p_ids[ix]

    def check(self, p: int | None, o: int | None, role: str, measure: str | None, at: float) -> Verdict:
        if o is None:
            return _deny("unknown_organisation")
        if p is None:
            return _deny("unknown_person")
        rm = self._rm_ix.get((role, measure or None))
        if rm is None:
            return _deny("unknown_role" if role not in self.catalogue.roles else "unknown_measure")
        status = self._o_status[o]
        if status:
            return _deny("organisation_frozen" if status == _FROZEN else "organisation_ceased")
        if self._p_frozen[p]:
            return _deny("person_frozen")
        verdict = self._grant_verdict(p, o, rm, at)
        if verdict.allowed or o not in self._mandates:
            return verdict
        return self._via_mandates(p, o, role, measure or None, at, verdict.reason)

    def _grant_verdict(self, p: int, o: int, rm: int, at: float) -> Verdict:
        slots = self._by_key.get(p << _PERSON_SHIFT | o << _ORG_SHIFT | rm)
        if slots is None:
            return _deny("no_grant")
        best = -1
        for s in (slots,) if isinstance(slots, int) else slots:
            if self._g_from[s] <= at < self._g_until[s] and at < self._g_revoked[s]:
                if best < 0 or (self._g_until[s], self._g_ids[s]) > (self._g_until[best], self._g_ids[best]):
                    best = s
        if best < 0:
            return _deny(self._why_not(slots, at))
        if self._rm_needs_wr[rm] and not self.relation_active(p, o, at):
            return _deny("work_relation_inactive")
        return Verdict(allowed=True, reason="granted", grant_id=self._g_ids[best])

    def _why_not(self, slots: int | list[int], at: float) -> str:
        slots = (slots,) if isinstance(slots, int) else slots
        if any(self._g_revoked[s] <= at for s in slots):
            return "grant_revoked"
        if any(self._g_until[s] <= at for s in slots):
            return "grant_expired"
        return "grant_not_yet_valid"

    def relation_active(self, p: int, o: int, at: float) -> bool:
        for start, end, _ in self._relations.get(p << 32 | o, ()):
            if start <= at < end:
                return True
        return False

    def _via_mandates(self, p: int, o: int, role: str, measure: str | None, at: float, first: str) -> Verdict:
        application = self.catalogue.roles[role].application
        reasons = [first]
        for m in sorted(self._mandates[o].values(), key=lambda m: m.id):
            if m.revoked <= at:
                reasons.append("mandate_revoked")
            elif m.accepted > at:
                reasons.append("mandate_not_accepted")
            elif at < m.valid_from:
                reasons.append("mandate_not_yet_valid")
            elif at >= m.valid_until:
                reasons.append("mandate_expired")
            elif application not in m.applications or (m.measures and measure not in m.measures):
                reasons.append("mandate_not_covering")
            elif self._o_status[m.holder] != _ACTIVE:
                reasons.append("mandate_holder_inactive")
            else:
                rm = self._rm_ix.get((self._executor, application)) if self._executor else None
                via = self._grant_verdict(p, m.holder, rm, at) if rm is not None else None
                if via is not None and via.allowed:
                    return Verdict(allowed=True, reason="mandate", grant_id=via.grant_id, mandate_id=m.id)
                reasons.append("no_executing_right")
        return Verdict(allowed=False, reason=first, reasons=tuple(reasons))

    def organisations_of(self, p: int, at: float, role: str | None = None, measure: str | None = None
                         ) -> dict[int, list[str]]:
        """Organisations (ix) the person may act for now, with the grant ids that allow it; under a
        mandate the id is the mandate's (``mandate:<id>``)."""
        out: dict[int, list[str]] = {}
        if self._p_frozen[p]:
            return out
        holders: set[int] = set()
        for s in self._by_person.get(p, ()):
            r, m = self._rm[self._g_rm[s]]
            o = self._g_org[s]
            if r == self._executor:
                holders.add(o)
            if (role is not None and r != role) or (measure is not None and m != measure):
                continue
            if self._o_status[o] == _ACTIVE and self._grant_verdict(p, o, self._g_rm[s], at).grant_id == self._g_ids[s]:
                out.setdefault(o, []).append(self._g_ids[s])
        if role is None:
            return out  # acting under a mandate is always for a particular right
        for holder in holders:
            for mandator in self._mandators_of.get(holder, ()):
                if mandator not in out:
                    verdict = self.check(p, mandator, role, measure, at)
                    if verdict.mandate_id is not None:
                        out[mandator] = [f"mandate:{verdict.mandate_id}"]
        return out

    def persons_of(self, o: int, at: float, role: str | None = None, measure: str | None = None
                   ) -> dict[int, list[str]]:
        """Persons (ix) who may act for the organisation now through their own grants."""
        out: dict[int, list[str]] = {}
        if self._o_status[o] != _ACTIVE:
            return out
        for s in self._by_org.get(o, ()):
            r, m = self._rm[self._g_rm[s]]
            if (role is not None and r != role) or (measure is not None and m != measure):
                continue
            p = self._g_person[s]
            if not self._p_frozen[p] and self._grant_verdict(p, o, self._g_rm[s], at).grant_id == self._g_ids[s]:
                out.setdefault(p, []).append(self._g_ids[s])
        return out

    @property
    def size(self) -> dict[str, int]:
        return {"persons": len(self._p_ids), "organisations": len(self._o_ids), "grants": len(self._g_ids),
                "mandates": sum(len(v) for v in self._mandates.values())}


_DENIALS: dict[str, Verdict] = {}


def _deny(reason: str) -> Verdict:
    # Verdicts are immutable: one per reason is enough, and saves an allocation per "no".
    verdict = _DENIALS.get(reason)
    if verdict is None:
        verdict = _DENIALS[reason] = Verdict(allowed=False, reason=reason, reasons=(reason,))
    return verdict


def build_index(
    catalogue: Catalogue,
    *,
    organisations: Iterable[Organisation] = (),
    persons: Iterable[Person] = (),
    work_relations: Iterable[WorkRelation] = (),
    grants: Iterable[Grant] = (),
    mandates: Iterable[Mandate] = (),
    revision: int = 0,
) -> DecisionIndex:
    index = DecisionIndex(catalogue)
    for org in organisations:
        index.put_organisation(org)
    for person in persons:
        index.put_person(person)
    for relation in work_relations:
        index.put_work_relation(relation)
    for grant in grants:
        index.put_grant(grant)
    for mandate in mandates:
        index.put_mandate(mandate)
    index.revision = revision
    return index
