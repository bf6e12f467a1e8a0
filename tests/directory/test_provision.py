"""Provisioning out: grants become groupOfNames members; revoke, expiry and freeze take them away; the
repair pass puts hand-made drift right and reports it; follow mode publishes within its poll interval."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from rights.directory.provision import provision, provision_follow
from rights.directory.reconcile import SYSTEM
from rights.directory.sync import full_sync
from rights.domain.commands import NewGrant, Revocation, StatusChange
from rights.domain.model import OrgStatus
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services import Services
from tests.directory.conftest import RIGHTS, populate
from tests.directory.slapd import Slapd
from tests.directory.test_full_sync import facts

HOOFD = f"cn=dvmetadatavlaanderengebruiker-hoofdeditor:ovo002949,{RIGHTS}"
EDITOR = f"cn=dvmetadatavlaanderengebruiker-editor:ovo002949,{RIGHTS}"


def groups(slapd: Slapd) -> dict[str, list[str]]:
    found = slapd.search(RIGHTS, "(objectClass=groupOfNames)", ["member"])
    return {dn: [m.lower() for m in a["member"]] for dn, a in found.items()}


async def world(slapd: Slapd, mapping, services: Services):
    d = populate(slapd)
    await full_sync(services.core, mapping)
    f = await facts(services)
    bert = Caller(kind=PrincipalKind.PERSON, subject="bert", person_id=f["bert"].id)
    return d, f, bert


async def grant(services: Services, bert: Caller, f: dict, measure: str, **kw):
    return await services.grants.grant(bert, NewGrant(
        person=f["an"].id, organisation=f["dv"].id, role="DVMetadataVlaanderenGebruiker", measure=measure, **kw))


async def test_grant_revoke_expiry_and_freeze(slapd: Slapd, mapping, services: Services, clock) -> None:
    d, f, bert = await world(slapd, mapping, services)
    hoofd = await grant(services, bert, f, "hoofdeditor")
    await grant(services, bert, f, "editor", valid_until=clock.at + timedelta(days=1))
    report, boundary = await provision(services.core, mapping)
    an = d["an"].lower()
    assert groups(slapd) == {HOOFD: [an], EDITOR: [an]}
    assert boundary == clock.at + timedelta(days=1)
    assert (await provision(services.core, mapping))[0].written == 0  # idempotent
    await services.grants.revoke(bert, hoofd.value.id, Revocation(reason="left the team"))
    await provision(services.core, mapping)
    assert groups(slapd) == {EDITOR: [an]}  # no members left: the entry is deleted
    clock.advance(days=2)  # the editor grant expires
    await provision(services.core, mapping)
    assert groups(slapd) == {}
    await grant(services, bert, f, "hoofdeditor")
    await provision(services.core, mapping)
    assert groups(slapd) == {HOOFD: [an]}
    await services.organisations.set_status(SYSTEM, f["dv"].id, OrgStatus.FROZEN, StatusChange(reason="test"))
    await provision(services.core, mapping)
    assert groups(slapd) == {}
    await services.organisations.set_status(SYSTEM, f["dv"].id, OrgStatus.ACTIVE, StatusChange(reason="test"))
    await provision(services.core, mapping)
    assert groups(slapd) == {HOOFD: [an]}


async def test_repair_puts_hand_made_drift_right_and_reports_it(slapd: Slapd, mapping, services: Services) -> None:
    d, f, bert = await world(slapd, mapping, services)
    await grant(services, bert, f, "hoofdeditor")
    await provision(services.core, mapping)
    an, sofie = d["an"].lower(), d["sofie"].lower()
    slapd.modify(HOOFD, member=[d["an"], d["sofie"]])  # someone adds Sofie by hand
    slapd.add(f"cn=handmade,{RIGHTS}", objectClass="groupOfNames", cn="handmade", member=d["bert"])
    report, _ = await provision(services.core, mapping, repair=True)
    assert f"drift: {sofie} was added by hand to {HOOFD}; removed" in report.lines
    assert any(line.startswith("drift:") and "cn=handmade" in line for line in report.lines)
    assert report.drift == 2
    assert groups(slapd) == {HOOFD: [an]}
    slapd.delete(HOOFD)  # someone deletes the group by hand
    report, _ = await provision(services.core, mapping, repair=True)
    assert report.lines[0] == f"drift: {an} was removed by hand from {HOOFD}; put back"
    assert groups(slapd) == {HOOFD: [an]}
    again, _ = await provision(services.core, mapping, repair=True)
    assert again.drift == 0 and again.written == 0


async def test_follow_publishes_grants_as_they_happen(slapd: Slapd, mapping, services: Services) -> None:
    d, f, bert = await world(slapd, mapping, services)
    stop = asyncio.Event()
    task = asyncio.create_task(provision_follow(services.core, mapping, stop, interval=0.05))
    try:
        await grant(services, bert, f, "hoofdeditor")
        for _ in range(200):
            if groups(slapd):
                break
            await asyncio.sleep(0.025)
        assert groups(slapd) == {HOOFD: [d["an"].lower()]}
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
