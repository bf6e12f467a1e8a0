"""Successions a register itself records (issue 17): proposed by the import, never applied by it.

The organisation register (OVO) relates organisations to one another with named relation types; an
entry whose validity ended and that is related to its successor ("heeft als opvolger", or the successor's
"is opvolger van") becomes a **proposed** succession with source ``register``, entered through the same
use case a platform administrator uses (``SuccessionService.enter``), so the same policy refuses what it
must. Nothing moves until a platform administrator reads the plan and confirms it (docs/successions.md).

A predecessor that already has a succession from the register, in any state (a withdrawn proposal
included: a platform administrator said no), or any other succession still standing, is not proposed
again, so the monthly re-import proposes each succession once.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rights.domain.catalogue import Catalogue
from rights.domain.commands import NewSuccession
from rights.domain.errors import DomainError
from rights.domain.identifiers import IdentifierKind
from rights.domain.model import SuccessionKind, SuccessionSource
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services.base import Core
from rights.domain.services.successions import SuccessionService
from rights.imports.report import BadRowReport
from rights.storage import SqlStore

BRUSSELS = ZoneInfo("Europe/Brussels")

# The register's relation types are a list its administrators keep (no fixed code is published); these
# are the names that say "succeeded by", read case- and space-insensitively. docs/imports.md.
SUCCEEDED_BY = frozenset({"heeft als opvolger", "wordt opgevolgd door", "is voorganger van", "has successor"})
SUCCEEDS = frozenset({"is opvolger van", "heeft als voorganger", "volgt op", "is successor of"})


def relation_direction(name: str) -> str | None:
    """``"succeeded_by"`` (the related organisation is the entry's successor), ``"succeeds"``, or ``None``."""
    n = " ".join(name.lower().split())
    return "succeeded_by" if n in SUCCEEDED_BY else "succeeds" if n in SUCCEEDS else None


@dataclass(frozen=True)
class Link:
    """One "succeeded by" the register states: predecessor and successor by OVO code."""

    predecessor: str
    successor: str
    line: int
    field: str


@dataclass(frozen=True)
class Proposal:
    predecessors: tuple[str, ...]
    successors: tuple[str, ...]
    effective: datetime.date
    kinds: tuple[SuccessionKind, ...]  # tried in order: the first the policy allows is proposed
    line: int
    field: str


def proposals(links: list[Link], ended: dict[str, datetime.date]) -> list[Proposal]:
    """Group the links: one predecessor with several successors is a split; several predecessors of one
    successor a merger (or an absorption when the successor already exists); one to one a renumbering
    (or an absorption). Only predecessors whose validity ended are proposed, from the next day."""
    by_pred: dict[str, list[Link]] = defaultdict(list)
    for link in dict.fromkeys(links):  # both sides may state the same relation
        if link.predecessor in ended and link.predecessor != link.successor:
            by_pred[link.predecessor].append(link)
    out: list[Proposal] = []
    by_succ: dict[str, list[Link]] = defaultdict(list)
    for pred, found in by_pred.items():
        succs = tuple(dict.fromkeys(link.successor for link in found))
        if len(succs) > 1:
            out.append(Proposal((pred,), succs, ended[pred] + datetime.timedelta(days=1), (SuccessionKind.SPLIT,),
                                found[0].line, found[0].field))  # fmt: skip
        else:
            by_succ[succs[0]].append(found[0])
    for succ, found in by_succ.items():
        preds = tuple(sorted(link.predecessor for link in found))
        first = (SuccessionKind.MERGER if len(preds) > 1 else SuccessionKind.RENUMBERING,)
        effective = max(ended[p] for p in preds) + datetime.timedelta(days=1)
        out.append(Proposal(preds, (succ,), effective, (*first, SuccessionKind.ABSORPTION), found[0].line,
                            found[0].field))  # fmt: skip
    return out


async def propose(store: SqlStore, catalogue: Catalogue, source: str, file: str, found: list[Proposal],
                  rep: BadRowReport) -> dict[str, int]:  # fmt: skip
    """Enter each proposal not entered before; a refusal is reported with the row that stated it."""
    service = SuccessionService(Core(store=store, catalogue=catalogue, clock=store.clock))
    caller = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject=f"import:{source}")
    counts = {"successions_proposed": 0, "successions_known": 0}
    for p in found:
        if await _known(store, p.predecessors):
            counts["successions_known"] += 1
            continue
        effective = datetime.datetime.combine(p.effective, datetime.time(), BRUSSELS)
        reason = (f"{'organisatieregister' if source == 'ovo' else source}: {', '.join(p.predecessors)} "
                  f"opgevolgd door {', '.join(p.successors)} vanaf {p.effective.isoformat()}")  # fmt: skip
        refusal: DomainError | None = None
        for kind in p.kinds:
            cmd = NewSuccession(kind=kind, source=SuccessionSource.REGISTER, predecessors=p.predecessors,
                                successors=p.successors, effective_at=effective, reason=reason)  # fmt: skip
            try:
                await service.enter(caller, cmd)
            except DomainError as exc:
                refusal = exc
                if exc.code == "succession_already_entered":
                    break
                continue
            refusal = None
            counts["successions_proposed"] += 1
            break
        if refusal is not None and refusal.code == "succession_already_entered":
            counts["successions_known"] += 1
        elif refusal is not None:
            rep.bad(file, p.line, refusal.code, p.predecessors[0], p.field)
    return counts


async def _known(store: SqlStore, predecessors: tuple[str, ...]) -> bool:
    """A predecessor the register proposed a succession for before (in any state)."""
    async with store.read() as tx:
        for code in predecessors:
            org = await tx.find_organisation(IdentifierKind.OVO_CODE, code)
            if org is None:
                continue
            for s in await tx.successions(organisation_id=org.id):
                if s.source is SuccessionSource.REGISTER and org.id in s.predecessor_ids:
                    return True
    return False


__all__ = ["Link", "Proposal", "propose", "proposals", "relation_direction"]
