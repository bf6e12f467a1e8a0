"""Issue 17: the pure succession rules for mandates (carried, listed, within one successor)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from rights.domain import succession as rules
from rights.domain.model import (
    Mandate,
    Organisation,
    OrgType,
    Succession,
    SuccessionKind,
    SuccessionSource,
)
from rights.policies import default_policies_dir, load_catalogue

CATALOGUE = load_catalogue(default_policies_dir())
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ORGS = {k: Organisation(id=k, type=OrgType.COMPANY, name=k) for k in ("client", "firm", "new", "north", "south")}


def mandate(mid: str, mandator: str, holder: str, **extra) -> Mandate:
    return Mandate(id=mid, mandator_id=mandator, holder_id=holder, applications=("WSELoket",), valid_from=T0,
                   proposed_by="x", proposed_at=T0, mandator_accepted_by="a", mandator_accepted_at=T0,
                   holder_accepted_by="b", holder_accepted_at=T0, **extra)


def succession(kind: SuccessionKind, preds: tuple[str, ...], succs: tuple[str, ...]) -> Succession:
    return Succession(id="s", kind=kind, source=SuccessionSource.DECREE, predecessor_ids=preds, successor_ids=succs,
                      effective_at=T0 + timedelta(days=30), entered_by="t", entered_at=T0)


def test_mandates_are_carried_or_listed() -> None:
    mandates = [mandate("m1", "client", "firm"), mandate("m2", "firm", "new"),
                mandate("m3", "client", "firm", revoked_at=T0 + timedelta(days=1))]
    facts = rules.Facts(organisations=ORGS, mandates=mandates)
    s = succession(SuccessionKind.ABSORPTION, ("client",), ("new",))
    plan = rules.make_plan(s, CATALOGUE, facts)
    outcomes = {i.id: (i.outcome, i.to) for i in plan.items}
    assert outcomes == {"m1": ("move", "new>firm")}  # m2 is not the client's; m3 ended before the date
    done = rules.carry(s, plan, facts, new_id=lambda p, c=count(): f"{p}{next(c)}", actor="t", now=T0)
    (new,), (closed,) = done.new_mandates, done.closed_mandates
    assert (new.mandator_id, new.holder_id, new.holder_accepted_at) == ("new", "firm", T0)
    assert new.valid_from == s.effective_at and closed.revoked_at == s.effective_at

    # The firm absorbed by its own client: the mandate would be within one organisation.
    inside = succession(SuccessionKind.ABSORPTION, ("firm",), ("client",))
    plan = rules.make_plan(inside, CATALOGUE, facts)
    assert {i.id: i.outcome for i in plan.items}["m1"] == "mandate_within_successor"

    # A split lists mandates for a decision.
    split = succession(SuccessionKind.SPLIT, ("client",), ("north", "south"))
    plan = rules.make_plan(split, CATALOGUE, facts)
    assert [(i.id, i.outcome, i.open) for i in plan.items] == [("m1", "mandate_listed", True)]
