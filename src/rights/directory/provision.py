"""Rights -> directory: publish active grants as ``groupOfNames`` entries for LDAP-minded applications.

One group per (organisation, role, measure), named by the token-claim string the applications already
know (``cn=DWSEOrganisatieverantwoordelijke-VOP:0207509031,<base>``), members being the DNs of the
persons the directory holds. "Active" is decided by the same ``decide`` as ``/v1/check`` at run time,
so revocations, expiries and freezes all drop members. groupOfNames needs at least one member: a group
with none is *deleted* (no placeholder DN that an application could mistake for a user); it comes back
when someone holds the right again.

The subtree under ``provisioning.base`` belongs to rights. ``directory_groups`` remembers what was last
published, so the repair pass can tell a hand edit (drift, reported) from a change in rights.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import datetime

import ldap
import ldap.dn
import msgspec
import structlog

from rights.directory import metrics
from rights.directory import state as st
from rights.directory.client import (
    UNAVAILABLE,
    Backoff,
    DirectoryUnavailable,
    connect,
    dependency_error,
    describe,
)
from rights.directory.mapping import Mapping
from rights.directory.records import norm_dn
from rights.directory.sync import record_error
from rights.domain.decisions import decide
from rights.domain.services.base import Core

log = structlog.get_logger("rights.directory")
STREAM = "out"


class Group(msgspec.Struct, frozen=True):
    dn: str
    cn: str
    members: tuple[str, ...]


class ProvisionReport(msgspec.Struct, kw_only=True):
    lines: list[str] = []
    drift: int = 0
    written: int = 0
    groups: int = 0
    not_in_directory: int = 0  # holders of an active grant the directory does not know

    def text(self) -> str:
        return "".join(f"{line}\n" for line in self.lines) + (
            f"{self.groups} groups, {self.written} written, {self.drift} drift repaired, "
            f"{self.not_in_directory} holders not in the directory\n")


async def desired_groups(core: Core, tx, base: str) -> tuple[dict[str, Group], int, datetime | None]:
    """What the subtree should hold now, how many holders lack a DN, and when that next changes by time."""
    now, cat = core.now(), core.catalogue
    dns = await st.person_dns(tx)
    members: dict[str, set[str]] = {}
    cns: dict[str, str] = {}
    missing, boundary = 0, None
    orgs, persons, relations = {}, {}, {}
    for g in await tx.grants():
        if g.revoked_at is not None and g.revoked_at <= now:
            continue
        for at in (g.valid_from, g.valid_until):
            if at > now and (boundary is None or at < boundary):
                boundary = at
        if g.organisation_id not in orgs:
            orgs[g.organisation_id] = await tx.get_organisation(g.organisation_id)
        if g.person_id not in persons:
            persons[g.person_id] = await tx.get_person(g.person_id)
        pair = (g.person_id, g.organisation_id)
        if pair not in relations:
            relations[pair] = await tx.work_relations(person_id=g.person_id, organisation_id=g.organisation_id)
        org, role = orgs[g.organisation_id], cat.roles.get(g.role)
        if org is None or role is None:
            continue
        decision = decide(org=org, person=persons[g.person_id], role=role, measure=g.measure, grants=[g],
                          work_relations=relations[pair], at=now)
        code = cat.organisation_code(org)
        if not decision.allowed or code is None:
            continue
        if g.person_id not in dns:
            missing += 1
            continue
        cn = f"{g.role}-{g.measure}:{code}" if g.measure else f"{g.role}:{code}"
        dn = f"cn={ldap.dn.escape_dn_chars(cn)},{base}"
        cns[norm_dn(dn)] = cn
        members.setdefault(norm_dn(dn), set()).add(dns[g.person_id])
    groups = {key: Group(f"cn={ldap.dn.escape_dn_chars(cns[key])},{base}", cns[key], tuple(sorted(m)))
              for key, m in members.items()}
    return groups, missing, boundary


def _read_subtree(conn, base: str) -> dict[str, tuple[str, set[str]]]:
    found = conn.search_s(base, ldap.SCOPE_ONELEVEL, "(objectClass=groupOfNames)", ["member"])
    return {norm_dn(dn): (dn, {m.decode() for m in attrs.get("member", [])}) for dn, attrs in found}


def _write(conn, dn: str, cn: str, members: list[str], exists: bool) -> None:
    values = [m.encode() for m in members]
    try:
        if not members:
            with suppress(ldap.NO_SUCH_OBJECT):
                conn.delete_s(dn)
        elif exists:
            conn.modify_s(dn, [(ldap.MOD_REPLACE, "member", values)])
        else:
            try:
                conn.add_s(dn, [("objectClass", [b"groupOfNames"]), ("cn", [cn.encode()]), ("member", values),
                                ("description", [b"managed by rights: do not edit by hand"])])
            except ldap.ALREADY_EXISTS:
                conn.modify_s(dn, [(ldap.MOD_REPLACE, "member", values)])
    except UNAVAILABLE as exc:
        raise DirectoryUnavailable(describe(exc)) from None


async def provision(core: Core, mapping: Mapping, *, repair: bool = False) -> tuple[ProvisionReport, datetime | None]:
    """Publish what changed since the last run (``repair``: compare with the directory itself)."""
    assert mapping.provisioning is not None
    base = mapping.provisioning.base
    async with core.store.read() as tx:
        revision = await tx.latest_revision()
        desired, missing, boundary = await desired_groups(core, tx, base)
        published = {norm_dn(dn): (dn, {norm_dn(m) for m in ms}) for dn, ms in (await st.published_groups(tx)).items()}
    conn = await asyncio.to_thread(connect, mapping.connection)
    report = ProvisionReport(lines=[], groups=len(desired), not_in_directory=missing)
    written: dict[str, list[str] | None] = {}
    try:
        actual = await asyncio.to_thread(_read_subtree, conn, base) if repair else {}
        for key in sorted(set(desired) | set(published) | set(actual)):
            group = desired.get(key)
            want = {norm_dn(m): m for m in (group.members if group else ())}
            last = published.get(key, ("", set()))[1]
            if repair:
                have = {norm_dn(m) for m in actual.get(key, ("", set()))[1]}
                # A difference rights did not cause (the member was, or was not, published) is drift.
                for m in sorted(have - set(want) - last):
                    report.lines.append(f"drift: {m} was added by hand to {key}; removed")
                for m in sorted((set(want) - have) & last):
                    report.lines.append(f"drift: {m} was removed by hand from {key}; put back")
                report.drift += len((have - set(want) - last) | ((set(want) - have) & last))
                if have == set(want):
                    continue
                exists = key in actual
            else:
                if set(want) == last and (key in published) == bool(want):
                    continue
                exists = key in published
            dn = group.dn if group else (actual.get(key) or published.get(key) or (key,))[0]
            await asyncio.to_thread(_write, conn, dn, group.cn if group else "", sorted(want.values()), exists)
            written[dn] = sorted(want.values()) or None
            report.lines.append(f"{'~' if want else '-'} {dn}  ({len(want)} members)")
    finally:
        with suppress(ldap.LDAPError):
            await asyncio.to_thread(conn.unbind_s)
    report.written = len(written)
    async with core.store.write() as tx:
        for dn, members in written.items():
            await st.publish_group(tx, dn, members, core.now())
        previous = await st.get_state(tx, STREAM)
        await st.save_state(tx, msgspec.structs.replace(previous, revision=revision, synced_at=core.now(), status={
            "groups": report.groups, "written": report.written, "drift": report.drift,
            "not_in_directory": missing, "error": None}))
    metrics.observe_provisioning({"written": report.written, "drift": report.drift})
    if report.drift:
        log.warning("directory_drift_repaired", drift=report.drift, base=base)
    return report, boundary


async def provision_follow(core: Core, mapping: Mapping, stop: asyncio.Event, *, interval: float = 1.0,
                           repair_every: float = 3600.0) -> None:
    """Follow the change log (and the clock, for expiries); a repair pass at start and every ``repair_every``."""
    backoff = Backoff(mapping.connection.retry_initial_seconds, mapping.connection.retry_max_seconds)
    boundary: datetime | None = None
    last_repair: float | None = None
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        try:
            async with core.store.read() as tx:
                latest = await tx.latest_revision()
                done = (await st.get_state(tx, STREAM)).revision
            repair = last_repair is None or loop.time() - last_repair >= repair_every
            if repair or latest > done or (boundary is not None and core.now() >= boundary):
                _, boundary = await provision(core, mapping, repair=repair)
                if repair:
                    last_repair = loop.time()
            backoff.reset()
            delay = interval
        except (DirectoryUnavailable, ldap.LDAPError) as exc:  # never ends follow: retry with back-off
            error = describe(exc, "directory error") if isinstance(exc, ldap.LDAPError) else str(exc)
        except Exception as exc:  # a database outage (or a bug) must not end follow either
            error = dependency_error(exc)
        else:
            error = None
        if error is not None:
            delay = backoff.next_delay()
            log.warning("directory_unavailable", error=error, retry_in=round(delay, 2))
            with suppress(Exception):  # the database may be down as well
                await record_error(core, error, STREAM)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
