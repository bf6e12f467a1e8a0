"""rights_client.DecisionCache: the server's own answers, kept only while no applied change could alter them.

Against a live server: a cached yes becomes a no once the feed with the revocation is followed; a change
elsewhere does not evict; and no answer ever carries a revision whose changes the cache has not applied."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from rights_client import AsyncDecisionCache, AsyncRightsClient, DecisionCache, RightsClient
from rights_client.cache import _State, normalise
from rights_client.wire import Change, ChangePage, CheckAnswer, Successor

from rights.domain.ports import PrincipalKind
from tests.client.conftest import AN, BAKKERIJ, SOFIE, Server

DWSE = "DWSEOrganisatieverantwoordelijke"
# seeds/demo.yaml: two organisations that have nothing to do with Bakkerij Peeters, their administrator and staff
VAN_DAMME, PIETERJAN, ANNSOFIE = "0816342003", "66071403510", "95012612233"
ETOILE, JEROME, OLENA = "0745881203", "68120111311", "94461531279"
FOREVER = 3600.0  # no polling by itself: the tests say when the feed is followed


def _as(server: Server, person: str) -> RightsClient:
    return RightsClient(server.url, server.token(PrincipalKind.PERSON, person))


def test_a_cached_yes_becomes_a_no_once_the_revocation_is_followed(server: Server) -> None:
    with RightsClient(server.url, server.service) as desk, \
            RightsClient(server.url, server.token(PrincipalKind.PERSON, SOFIE)) as sofie:
        cache = DecisionCache(desk, max_lag=FOREVER)
        cache.start()
        yes = cache.check(AN, f"BE {BAKKERIJ[:4]}.{BAKKERIJ[4:7]}.{BAKKERIJ[7:]}", DWSE, "VOP")
        assert yes.allowed and yes.grant_id and cache.stats["misses"] == 1
        again = cache.check(AN, BAKKERIJ, DWSE, "VOP")  # another spelling of the same question: a hit
        assert again.allowed and again.grant_id == yes.grant_id and cache.stats["hits"] == 1
        assert again.revision == cache.revision

        eager = DecisionCache(desk, max_lag=0.0)  # polls the feed before every hit
        eager.start()
        assert eager.check(AN, BAKKERIJ, DWSE, "VOP").allowed

        revoked = sofie.revoke(yes.grant_id, "An is uit dienst")
        assert cache.check(AN, BAKKERIJ, DWSE, "VOP").allowed  # the feed is not followed yet
        assert eager.check(AN, BAKKERIJ, DWSE, "VOP").reason == "grant_revoked"
        assert eager.revision >= revoked.revision
        cache.sync()
        assert cache.revision >= revoked.revision
        no = cache.check(AN, BAKKERIJ, DWSE, "VOP")
        assert not no.allowed and no.reason == "grant_revoked" and no.revision >= revoked.revision
        assert cache.check(AN, BAKKERIJ, DWSE, "VOP").reason == "grant_revoked"  # and that no is cached


def test_an_unrelated_change_does_not_evict(server: Server) -> None:
    with RightsClient(server.url, server.service) as desk, _as(server, PIETERJAN) as elsewhere, \
            _as(server, SOFIE) as sofie:
        cache = DecisionCache(desk, max_lag=FOREVER)
        cache.start()
        first = cache.check(AN, BAKKERIJ, DWSE, "AWI")
        made = elsewhere.grant(ANNSOFIE, VAN_DAMME, DWSE, "VOP", reason="elsewhere")
        assert cache.sync() >= made.revision
        assert cache.stats["evictions"] == 0 and cache.stats["entries"] == 1
        second = cache.check(AN, BAKKERIJ, DWSE, "AWI")
        assert cache.stats["hits"] == 1 and second.reason == first.reason
        assert second.revision == cache.revision >= made.revision  # it reflects the change it survived
        # A change at that organisation does evict.
        near = sofie.grant(AN, BAKKERIJ, DWSE, "AWI", reason="here")
        cache.sync()
        assert cache.stats["entries"] == 0
        now = cache.check(AN, BAKKERIJ, DWSE, "AWI")
        assert now.allowed and now.grant_id == near.grant.id and now.revision >= near.revision


def test_no_answer_carries_a_revision_whose_changes_it_has_not_applied(server: Server) -> None:
    with RightsClient(server.url, server.service) as desk, _as(server, JEROME) as jerome:
        cache = DecisionCache(desk, max_lag=FOREVER)
        cache.start()
        seen = [cache.check(OLENA, ETOILE, DWSE, "VOP")]
        written = jerome.grant(OLENA, ETOILE, DWSE, "AWI", reason="behind the cache's back")
        # A miss answered by the server at a later revision than the cache's: the cache catches up first.
        seen.append(cache.check(OLENA, ETOILE, DWSE, "AWI"))
        assert seen[-1].allowed and seen[-1].revision >= written.revision
        assert all(a.revision <= cache.revision for a in seen)
        # A hit asked for a later revision than applied: the cache follows the feed before answering.
        later = jerome.grant(OLENA, ETOILE, DWSE, "VOP", reason="another one")
        assert cache.check(OLENA, ETOILE, DWSE, "AWI").revision <= cache.revision < later.revision  # a hit
        seen.append(cache.check(OLENA, ETOILE, DWSE, "VOP", at_least_revision=later.revision))
        assert seen[-1].revision >= later.revision and all(a.revision <= cache.revision for a in seen)
        # And the client's own writes count as such a demand.
        assert seen[-1].allowed  # the feed named Étoile: the cached no was dropped, the server asked again
        again = jerome.revoke(seen[-1].grant_id, "test done")
        desk.note_write(again.revision)
        after = cache.check(OLENA, ETOILE, DWSE, "VOP")
        assert after.reason == "grant_revoked" and again.revision <= after.revision <= cache.revision


async def test_async_cache_follows_the_feed_and_drops_a_revoked_yes(server: Server) -> None:
    async with AsyncRightsClient(server.url, server.service) as desk, \
            AsyncRightsClient(server.url, server.token(PrincipalKind.PERSON, PIETERJAN)) as admin:
        cache = AsyncDecisionCache(desk, max_lag=FOREVER)
        await cache.start()
        made = await admin.grant(ANNSOFIE, VAN_DAMME, DWSE, "AWI", reason="async test")
        yes = await cache.check(ANNSOFIE, VAN_DAMME, DWSE, "AWI")
        assert yes.allowed and yes.grant_id == made.grant.id and yes.revision <= cache.revision
        assert (await cache.check(ANNSOFIE, VAN_DAMME, DWSE, "AWI")).allowed and cache.stats["hits"] == 1
        gone = await admin.revoke(made.grant.id, "async test done")
        follower = asyncio.create_task(cache.follow(interval=0.05))  # polls the feed by itself
        try:
            for _ in range(200):
                if cache.revision >= gone.revision:
                    break
                await asyncio.sleep(0.05)
        finally:
            follower.cancel()
        no = await cache.check(ANNSOFIE, VAN_DAMME, DWSE, "AWI")
        assert no.reason == "grant_revoked" and gone.revision <= no.revision <= cache.revision


def _change(revision: int, kind: str, entity: str, entity_id: str, **data: object) -> Change:
    return Change(revision=revision, at=datetime.now(UTC), kind=kind, entity=entity, entity_id=entity_id, data=data)


def _page(*changes: Change) -> ChangePage:
    last = changes[-1].revision if changes else 0
    return ChangePage(items=list(changes), next_after=last, latest_revision=last)


def test_eviction_rules_drop_more_when_in_doubt() -> None:
    state = _State(max_age=60.0)
    state.apply(_page(_change(1, "organisation_created", "organisation", "org_a")))
    a, b = normalise(AN, "org_a", DWSE, "VOP", None), normalise(AN, "org_b", DWSE, "VOP", None)
    yes_a = CheckAnswer(allowed=True, reason="granted", revision=1, grant_id="gr_a", organisation_id="org_a")
    no_b = CheckAnswer(allowed=False, reason="no_grant", revision=1, organisation_id="org_b",
                       explanation={"reasons": ["no_grant"]})
    assert state.store(a, yes_a, False) and state.store(b, no_b, False)
    state.apply(_page(_change(2, "grant_revoked", "grant", "gr_a", reason="x")))  # attributed through yes_a
    assert a not in state.entries and b in state.entries
    state.apply(_page(_change(3, "grant_revoked", "grant", "gr_unknown", reason="x")))  # cannot attribute it
    assert not state.entries
    # An answer from before a change the cache already applied to its organisation is not kept.
    assert not state.store(b, no_b, False)
    # Nor one newer than what the cache has applied.
    assert not state.store(b, msgspec_replace(no_b, revision=9), False)
    # A no that weighed mandates depends on the holders' grants: any grant change drops it.
    weighed = msgspec_replace(no_b, revision=3, explanation={"reasons": ["no_grant", "no_executing_right"]})
    assert state.store(b, weighed, False)
    state.apply(_page(_change(4, "grant_created", "grant", "gr_c", organisation_id="org_c")))
    assert b not in state.entries
    # A person change cannot be attributed to an organisation: everything goes.
    assert state.store(a, msgspec_replace(yes_a, revision=4), False)
    state.apply(_page(_change(5, "person_updated", "person", "per_1")))
    assert not state.entries


def msgspec_replace(answer: CheckAnswer, **changes: object) -> CheckAnswer:
    import msgspec

    return msgspec.structs.replace(answer, **changes)


def test_a_present_tense_answer_is_kept_no_longer_than_max_age_or_its_grant() -> None:
    yes = CheckAnswer(allowed=True, reason="granted", revision=0, grant_id="gr_a", organisation_id="org_a")
    key = normalise(AN, "org_a", DWSE, "VOP", None)
    gone = _State(max_age=0.0)
    assert gone.store(key, yes, False) and gone.lookup(key) is None  # max_age passed
    ended = _State(max_age=60.0)
    past = msgspec_replace(yes, explanation={"grant": {"valid_until": "2020-01-01T00:00:00+00:00"}})
    assert ended.store(key, past, False) and ended.lookup(key) is None  # the grant behind the yes ended
    assert ended.store(key, yes, False) and ended.lookup(key) is not None
    at = normalise(AN, "org_a", DWSE, "VOP", datetime(2026, 1, 1, tzinfo=UTC))
    timeless = _State(max_age=0.0)
    assert timeless.store(at, past, True) and timeless.lookup(at) is not None  # `at` given: only changes stale it


def test_an_answer_through_successors_goes_on_any_grant_change() -> None:
    state = _State(max_age=60.0)
    via = CheckAnswer(allowed=False, reason="no_grant", revision=0, organisation_id="org_s1",
                      explanation={"reasons": ["no_grant"]},
                      succeeded_by=[Successor(id="org_s1", name="S1"), Successor(id="org_s2", name="S2")])
    key = normalise(AN, "0723145688", DWSE, "VOP", None)
    assert state.store(key, via, False)
    state.apply(_page(_change(1, "grant_created", "grant", "gr_x", organisation_id="org_s2")))
    assert key not in state.entries
