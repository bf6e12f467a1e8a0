"""Policy test cases: small worlds written in YAML, with the answers the rules must give in them.

A file in ``policies/tests/`` is a list of cases. Each case declares the facts (organisations,
persons, administrators, legal representatives, work relations, grants) by short keys, the moment
``now``, and then:

* ``checks``: questions to :func:`rights.domain.decisions.decide` ("may An act for the bakery with
  this right on this measure?"); ``expect`` is ``allowed`` or the reason of the denial;
* ``attempts``: actions judged by :mod:`rights.domain.rules` (``grant``, ``appoint``, ``remove``,
  ``add_user``); ``expect`` is ``allowed`` or the error code of the refusal;
* ``succession`` with ``plan``: what a succession would carry (:mod:`rights.domain.succession`); the
  case's checks are then asked of the world after it was applied (issue 17).

Organisations, persons and work relations get their keys as ids; identifiers are not needed by the
rules. A file with a wrong shape or a reference to an undeclared key is a :class:`PolicyError`.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal, NamedTuple

import msgspec

from rights.domain import rules
from rights.domain import succession as succession_rules
from rights.domain.catalogue import Catalogue
from rights.domain.decisions import decide
from rights.domain.errors import DomainError
from rights.domain.model import (
    Administrator,
    Grant,
    Organisation,
    OrgStatus,
    OrgType,
    Person,
    Succession,
    SuccessionKind,
    SuccessionSource,
    SuccessionStatus,
    UserType,
    WorkRelation,
)
from rights.policies.loader import PolicyError, decode_policy_file, relative_name

TESTS_DIR = "tests"
ALLOWED = "allowed"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Stamp = Annotated[datetime, msgspec.Meta(tz=True)]


class _Spec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # msgspec applies kw_only only to the fields a class itself defines: every subclass repeats it.
    pass


class OrgSpec(_Spec, kw_only=True):
    key: str
    type: OrgType
    status: OrgStatus = OrgStatus.ACTIVE
    # false: the rights service has never heard of it (checks then answer unknown_organisation).
    known: bool = True


class PersonSpec(_Spec, kw_only=True):
    key: str
    frozen: bool = False
    known: bool = True


class AdminSpec(_Spec, kw_only=True):
    organisation: str
    person: str
    main: bool = False
    # null: every application; otherwise the application codes this administrator manages.
    applications: tuple[str, ...] | None = None
    removed: bool = False


class LegalRepSpec(_Spec, kw_only=True):
    organisation: str
    person: str


class WorkRelationSpec(_Spec, kw_only=True):
    organisation: str
    person: str
    user_type: UserType
    started: Stamp | None = None  # null: long ago
    ended: Stamp | None = None
    blocked: bool = False


class GrantSpec(_Spec, kw_only=True):
    person: str
    organisation: str
    role: str
    measure: str | None = None
    valid_from: Stamp
    valid_until: Stamp
    revoked: Stamp | None = None


class CheckSpec(_Spec, kw_only=True):
    person: str
    organisation: str
    role: str
    measure: str | None = None
    at: Stamp | None = None  # null: the case's now
    expect: str


class Action(enum.StrEnum):
    GRANT = "grant"
    APPOINT = "appoint"
    REMOVE = "remove"
    ADD_USER = "add_user"


class AttemptSpec(_Spec, kw_only=True):
    action: Action
    actor: str | None = None
    platform: bool = False
    person: str
    organisation: str
    role: str | None = None
    measure: str | None = None
    days: int | None = None
    valid_from: Stamp | None = None
    valid_until: Stamp | None = None
    main: bool = False
    user_type: UserType | None = None
    expect: str


class SuccessionSpec(_Spec, kw_only=True):
    kind: SuccessionKind
    predecessors: tuple[str, ...]
    successors: tuple[str, ...]
    effective: Stamp
    # split: person key -> the successor key they go to
    assignments: dict[str, str] = {}
    # successor keys that would start without an administrator (the plan is then refused)
    expect_blocking: tuple[str, ...] = ()
    # expected refusal of the succession itself by the policy (e.g. succession_wrong_count)
    expect_refusal: str | None = None


class PlanSpec(_Spec, kw_only=True):
    item: Literal["administrator", "work_relation", "grant"]
    person: str
    organisation: str  # the predecessor
    role: str | None = None
    measure: str | None = None
    to: str | None = None  # the successor (when several, to pick the item)
    expect: str  # move, or the outcome that keeps it from moving


class PolicyCase(_Spec, kw_only=True):
    name: str
    description: str = ""
    now: Stamp
    organisations: tuple[OrgSpec, ...] = ()
    persons: tuple[PersonSpec, ...] = ()
    administrators: tuple[AdminSpec, ...] = ()
    legal_representatives: tuple[LegalRepSpec, ...] = ()
    work_relations: tuple[WorkRelationSpec, ...] = ()
    grants: tuple[GrantSpec, ...] = ()
    checks: tuple[CheckSpec, ...] = ()
    attempts: tuple[AttemptSpec, ...] = ()
    succession: SuccessionSpec | None = None
    plan: tuple[PlanSpec, ...] = ()


class PolicyTestResult(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of one case: per step (checks, then attempts) a label, the expected and actual answer."""

    file: str
    name: str
    passed: bool
    steps: tuple[str, ...]
    expected: tuple[str, ...]
    actual: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"

    def failures(self) -> list[str]:
        return [
            f"{step}: expected {exp}, got {act}"
            for step, exp, act in zip(self.steps, self.expected, self.actual, strict=True)
            if exp != act
        ]


# Which optional attempt fields each action reads; any other one set is a mistake in the file.
_ACTION_FIELDS: dict[Action, frozenset[str]] = {
    Action.GRANT: frozenset({"role", "measure", "days", "valid_from", "valid_until"}),
    Action.APPOINT: frozenset({"main"}),
    Action.REMOVE: frozenset(),
    Action.ADD_USER: frozenset({"user_type"}),
}
_OPTIONAL = {"role": None, "measure": None, "days": None, "valid_from": None, "valid_until": None,
             "main": False, "user_type": None}


class LoadedCase(NamedTuple):
    file: str  # relative to the policies directory, e.g. "tests/grants.yaml"
    index: int  # position in the file, for the "$[index]..." keys of errors
    case: PolicyCase

    @property
    def id(self) -> str:
        return f"{self.file}::{self.case.name}"


# --- reading -------------------------------------------------------------------------------------


def load_policy_cases(directory: Path) -> list[LoadedCase]:
    """Every case of ``<directory>/tests/*.yaml`` (or of ``directory`` itself when it is the tests folder)."""
    directory = Path(directory)
    has_tests = (directory / TESTS_DIR).is_dir()
    cases_dir, base = (directory / TESTS_DIR, directory) if has_tests else (directory, directory.parent)
    out: list[LoadedCase] = []
    for path in sorted(cases_dir.glob("*.yaml")):
        file = relative_name(path, base)
        cases = decode_policy_file(path, base, list[PolicyCase])
        names: set[str] = set()
        for i, case in enumerate(cases):
            if case.name in names:
                raise PolicyError(file, f"$[{i}].name", f"case name '{case.name}' is used twice in this file")
            names.add(case.name)
            _validate(file, f"$[{i}]", case)
        out.extend(LoadedCase(file, i, case) for i, case in enumerate(cases))
    return out


def _validate(file: str, at: str, case: PolicyCase) -> None:
    def unique(items: tuple[OrgSpec, ...] | tuple[PersonSpec, ...], what: str) -> dict[str, bool]:
        seen: dict[str, bool] = {}
        for k, item in enumerate(items):
            if item.key in seen:
                raise PolicyError(file, f"{at}.{what}[{k}].key", f"key '{item.key}' is declared twice")
            seen[item.key] = item.known
        return seen

    orgs, persons = unique(case.organisations, "organisations"), unique(case.persons, "persons")

    def ref(key: str | None, table: dict[str, bool], where: str, what: str, must_be_known: bool = True) -> None:
        if key not in table:
            raise PolicyError(file, where, f"unknown {what} key '{key}' (declare it under {what}s)")
        if must_be_known and not table[key]:
            raise PolicyError(file, where, f"{what} '{key}' is declared known: false; only checks may name it")

    sections: list[tuple[str, tuple[AdminSpec | LegalRepSpec | WorkRelationSpec | GrantSpec, ...]]] = [
        ("administrators", case.administrators), ("legal_representatives", case.legal_representatives),
        ("work_relations", case.work_relations), ("grants", case.grants),
    ]
    for section, items in sections:
        for k, item in enumerate(items):
            ref(item.organisation, orgs, f"{at}.{section}[{k}].organisation", "organisation")
            ref(item.person, persons, f"{at}.{section}[{k}].person", "person")
    for k, check in enumerate(case.checks):
        ref(check.organisation, orgs, f"{at}.checks[{k}].organisation", "organisation", must_be_known=False)
        ref(check.person, persons, f"{at}.checks[{k}].person", "person", must_be_known=False)
    for k, attempt in enumerate(case.attempts):
        where = f"{at}.attempts[{k}]"
        ref(attempt.organisation, orgs, f"{where}.organisation", "organisation")
        ref(attempt.person, persons, f"{where}.person", "person")
        _validate_attempt(file, where, attempt)
        if attempt.actor is not None:
            ref(attempt.actor, persons, f"{where}.actor", "person")
    if case.succession is not None:
        sp = case.succession
        for side in ("predecessors", "successors"):
            for k, key in enumerate(getattr(sp, side)):
                ref(key, orgs, f"{at}.succession.{side}[{k}]", "organisation")
        for person_key, org_key in sp.assignments.items():
            ref(person_key, persons, f"{at}.succession.assignments.{person_key}", "person")
            ref(org_key, orgs, f"{at}.succession.assignments.{person_key}", "organisation")
    elif case.plan:
        raise PolicyError(file, f"{at}.plan", "a plan needs a succession")
    for k, item in enumerate(case.plan):
        ref(item.organisation, orgs, f"{at}.plan[{k}].organisation", "organisation")
        ref(item.person, persons, f"{at}.plan[{k}].person", "person")
    if not case.checks and not case.attempts and case.succession is None:
        raise PolicyError(file, f"{at}.checks", "a case needs at least one check, attempt or succession")


def _validate_attempt(file: str, where: str, attempt: AttemptSpec) -> None:
    used = _ACTION_FIELDS[attempt.action]
    for name, default in _OPTIONAL.items():
        if name not in used and getattr(attempt, name) != default:
            raise PolicyError(file, f"{where}.{name}", f"not used by action '{attempt.action}'")
    if attempt.platform and attempt.actor is not None:
        raise PolicyError(file, f"{where}.actor", "give either an actor or platform: true, not both")
    if attempt.action is Action.GRANT:
        if attempt.platform:
            raise PolicyError(file, f"{where}.platform", "only local administrators grant, never the platform")
        if attempt.actor is None:
            raise PolicyError(file, f"{where}.actor", "a grant attempt names the actor (a person key)")
        if attempt.role is None:
            raise PolicyError(file, f"{where}.role", "a grant attempt names the role")
        if attempt.days is not None and attempt.valid_until is not None:
            raise PolicyError(file, f"{where}.days", "give either days or valid_until, not both")
    elif not attempt.platform and attempt.actor is None:
        raise PolicyError(file, f"{where}.actor", "name the actor (a person key) or set platform: true")
    if attempt.action is Action.ADD_USER and attempt.user_type is None:
        raise PolicyError(file, f"{where}.user_type", "an add_user attempt names the user type")


# --- running -------------------------------------------------------------------------------------


class _World:
    """The case's facts as domain Structs."""

    def __init__(self, loaded: LoadedCase, catalogue: Catalogue) -> None:
        file, case, at = loaded.file, loaded.case, f"$[{loaded.index}]"
        self.now = now = case.now
        self.orgs = {
            o.key: Organisation(id=o.key, type=o.type, name=o.key, status=o.status) for o in case.organisations if o.known
        }
        self.persons = {
            p.key: Person(id=p.key, national_number="", given_name=p.key, family_name="", frozen=p.frozen)
            for p in case.persons if p.known
        }
        self.admins = [
            Administrator(
                id=f"adm-{a.organisation}-{a.person}", organisation_id=a.organisation, person_id=a.person,
                main=a.main, applications=a.applications, removed_at=now if a.removed else None,
            )
            for a in case.administrators
        ]
        self.legal_reps = [(r.organisation, r.person) for r in case.legal_representatives]
        self.work_relations = [
            WorkRelation(
                id=f"wr-{k}", person_id=w.person, organisation_id=w.organisation, user_type=w.user_type,
                started_at=w.started or _EPOCH, ended_at=w.ended, blocked=w.blocked,
            )
            for k, w in enumerate(case.work_relations)
        ]
        self.grants: list[Grant] = []
        for k, g in enumerate(case.grants):
            role = catalogue.roles.get(g.role)
            if role is None:
                raise PolicyError(file, f"{at}.grants[{k}].role", f"role '{g.role}' is not in the catalogue")
            try:
                role.measure(g.measure)
            except DomainError as e:
                raise PolicyError(file, f"{at}.grants[{k}].measure", e.message_en) from None
            self.grants.append(
                Grant(
                    id=f"gr-{k}", person_id=g.person, organisation_id=g.organisation, role=g.role,
                    measure=g.measure, valid_from=g.valid_from, valid_until=g.valid_until,
                    granted_by="policy-test", granted_at=g.valid_from, revoked_at=g.revoked,
                )
            )

        self.successions: list[Succession] = []

    def admins_of(self, org_id: str) -> list[Administrator]:
        return [a for a in self.admins if a.organisation_id == org_id]


def _label_check(k: int, c: CheckSpec) -> str:
    right = f"{c.role}-{c.measure}" if c.measure else c.role
    return f"checks[{k}] {c.person} @ {c.organisation}: {right}"


def _label_attempt(k: int, a: AttemptSpec) -> str:
    actor = "platform" if a.platform else a.actor
    what = f" {a.role}-{a.measure}" if a.measure else (f" {a.role}" if a.role else "")
    return f"attempts[{k}] {a.action} by {actor}: {a.person} @ {a.organisation}{what}"


def _succeed(world: _World, catalogue: Catalogue, case: PolicyCase) -> tuple[list[str], list[str], list[str]]:
    """Plan the case's succession, compare it with ``plan``, and apply it to the world."""
    sp = case.succession
    assert sp is not None
    s = Succession(
        id="succession", kind=sp.kind, source=SuccessionSource.DECREE, predecessor_ids=sp.predecessors,
        successor_ids=sp.successors, effective_at=sp.effective, entered_by="policy-test", entered_at=world.now,
        assignments=dict(sp.assignments), status=SuccessionStatus.APPLIED,
    )
    steps, expected, actual = ["succession"], [sp.expect_refusal or ALLOWED], []
    try:
        fresh = [o for o in sp.successors if not any(g.organisation_id == o for g in world.grants)
                 and not any(w.organisation_id == o for w in world.work_relations)]
        succession_rules.validate(s, catalogue, world.orgs, fresh)
    except DomainError as e:
        actual.append(e.code)
        return steps, expected, actual
    actual.append(ALLOWED)
    facts = succession_rules.Facts(organisations=world.orgs, administrators=world.admins,
                                   work_relations=world.work_relations, grants=world.grants)
    plan = succession_rules.make_plan(s, catalogue, facts)
    for k, p in enumerate(case.plan):
        steps.append(f"plan[{k}] {p.item} {p.person} @ {p.organisation}" + (f": {p.role}" if p.role else ""))
        expected.append(p.expect)
        found = [i for i in plan.items if i.item == p.item and i.person_id == p.person
                 and i.organisation_id == p.organisation and (p.role is None or i.role == p.role)
                 and (p.measure is None or i.measure == p.measure) and (p.to is None or i.to == p.to)]
        actual.append(found[0].outcome if len(found) == 1 else f"{len(found)} matching items")
    steps.append("plan blocking")
    expected.append(",".join(sorted(sp.expect_blocking)) or "none")
    blocked = sorted(b.rpartition(":")[2] for b in plan.blocking)
    actual.append(",".join(blocked) or "none")
    if not plan.blocking:
        counter = iter(range(1_000_000))
        done = succession_rules.carry(s, plan, facts, new_id=lambda prefix: f"{prefix}{next(counter)}",
                                      actor="policy-test", now=world.now)
        closed = {e.id: e for e in (*done.closed_grants, *done.closed_work_relations)}
        world.grants = [closed.get(g.id, g) for g in world.grants] + list(done.new_grants)  # type: ignore[misc]
        world.work_relations = [closed.get(w.id, w) for w in world.work_relations] + list(done.new_work_relations)  # type: ignore[misc]
        world.admins += list(done.new_administrators)
        world.successions.append(s)
    return steps, expected, actual


def _check(world: _World, catalogue: Catalogue, c: CheckSpec) -> str:
    successors = succession_rules.successors_at(world.successions, c.organisation, c.at or world.now)
    if successors:  # a predecessor answers through its successors (the first that allows)
        answers = [_check(world, catalogue, msgspec.structs.replace(c, organisation=o)) for o in successors]
        return next((a for a in answers if a == ALLOWED), answers[0])
    decision = decide(
        org=world.orgs.get(c.organisation),
        person=world.persons.get(c.person),
        role=catalogue.roles.get(c.role),
        measure=c.measure,
        grants=world.grants,
        work_relations=world.work_relations,
        at=c.at or world.now,
    )
    return ALLOWED if decision.allowed else decision.reason


def _attempt(world: _World, catalogue: Catalogue, a: AttemptSpec) -> str:
    org, person, now = world.orgs[a.organisation], world.persons[a.person], world.now
    admins = world.admins_of(org.id)
    try:
        if a.action is Action.GRANT:
            assert a.role is not None and a.actor is not None  # _validate_attempt
            role = catalogue.role(a.role)
            rules.ensure_administers(admins, a.actor, role.application)
            valid_from = a.valid_from or now
            days = a.days if a.days is not None else role.default_validity_days
            valid_until = a.valid_until or valid_from + timedelta(days=days)
            rules.ensure_grantable(
                role=role, measure=a.measure, org=org, holder=person, actor_person_id=a.actor,
                work_relations=world.work_relations, valid_from=valid_from, valid_until=valid_until, now=now,
            )
        elif a.action is Action.APPOINT:
            rules.ensure_may_appoint(
                actor_person_id=a.actor, platform_admin=a.platform, admins=admins,
                legal_representatives=[p for o, p in world.legal_reps if o == org.id],
                target_person_id=person.id, main=a.main,
            )
        elif a.action is Action.REMOVE:
            target = rules.active_admin(admins, person.id)
            if target is None:
                return "not_an_administrator"
            rules.ensure_may_remove(actor_person_id=a.actor, platform_admin=a.platform, admins=admins, target=target)
        else:  # add a user (work relation): an administrator of the organisation, a user type it allows
            assert a.user_type is not None  # _validate_attempt
            if not a.platform and rules.active_admin(admins, a.actor) is None:
                return "not_an_administrator"
            rules.ensure_user_type_allowed(catalogue.org_type(org.type), a.user_type)
    except DomainError as e:
        return e.code
    return ALLOWED


def run_policy_case(loaded: LoadedCase, catalogue: Catalogue) -> PolicyTestResult:
    """Run one case; a grant naming a role or measure the catalogue lacks is a PolicyError."""
    case = loaded.case
    world = _World(loaded, catalogue)
    steps: list[str] = []
    expected: list[str] = []
    actual: list[str] = []
    if case.succession is not None:
        steps, expected, actual = _succeed(world, catalogue, case)
    for k, c in enumerate(case.checks):
        steps.append(_label_check(k, c))
        expected.append(c.expect)
        actual.append(_check(world, catalogue, c))
    for k, a in enumerate(case.attempts):
        steps.append(_label_attempt(k, a))
        expected.append(a.expect)
        actual.append(_attempt(world, catalogue, a))
    return PolicyTestResult(
        file=loaded.file, name=case.name, passed=expected == actual,
        steps=tuple(steps), expected=tuple(expected), actual=tuple(actual),
    )


def run_policy_tests(directory: Path, catalogue: Catalogue) -> list[PolicyTestResult]:
    """Run every case under ``directory`` (the policies directory, or its ``tests`` folder)."""
    return [run_policy_case(loaded, catalogue) for loaded in load_policy_cases(directory)]
