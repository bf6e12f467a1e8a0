"""Issue 17: the local cache does not guess about organisations a succession moved; it defers to the server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rights.client import Change
from rights.client.cache import LocalDecisionCache, NotCached
from rights.domain.index import DecisionIndex
from rights.policies import default_policies_dir, load_catalogue


def test_a_succession_in_the_feed_makes_its_organisations_not_cached() -> None:
    catalogue = load_catalogue(default_policies_dir())
    cache = LocalDecisionCache(None, catalogue=catalogue)  # type: ignore[arg-type]  # no network needed
    cache.index = DecisionIndex(catalogue)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for n, org in enumerate(("org_old", "org_new", "org_other"), 1):
        cache._apply(Change(revision=n, at=at, kind="organisation_created", entity="organisation", entity_id=org,
                            data={"id": org, "type": "company", "name": org}))
    assert cache.check("per_x", "org_old", "KIOSKAanvrager").reason == "unknown_person"
    cache._apply(Change(revision=4, at=at, kind="succession_applied", entity="succession", entity_id="suc_1",
                        data={"organisation_ids": ["org_old", "org_new"], "grant_ids": []}))
    for org in ("org_old", "org_new"):
        with pytest.raises(NotCached):
            cache.check("per_x", org, "KIOSKAanvrager")
    assert cache.check("per_x", "org_other", "KIOSKAanvrager").reason == "unknown_person"
