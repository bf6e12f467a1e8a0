"""GET /v1/audit/head publishes the heads of the hash-chained change log and audit trail (issue 10 item 9):
a service client or platform administrator can witness them; they match what `rights audit verify` checks."""

from __future__ import annotations

import asyncio
import re

import structlog

from rights.api.head_log import head_logging
from rights.logging import scrub_processor
from rights.storage import create_store
from tests.api.conftest import Api, World

HEX64 = re.compile(r"^[0-9a-f]{64}$")


async def test_head_follows_every_write(api: Api, world: World) -> None:
    head = (await api.call("GET", "/v1/audit/head", "service:witness", expect=200)).json()
    assert head["changes"]["revision"] == await api.revision() > 0
    assert HEX64.match(head["changes"]["hash"]) and HEX64.match(head["audit"]["hash"])
    assert head["audit"]["id"] >= head["changes"]["revision"]  # every write is audited too
    assert head["changes"]["at"] and head["observed_at"] and head["algorithm"] == "sha256"

    await api.call("POST", f"/v1/persons/{world.an['id']}/freeze", "platform:ops", expect=200)
    after = (await api.call("GET", "/v1/audit/head", "platform:ops", expect=200)).json()
    assert after["changes"]["revision"] == head["changes"]["revision"] + 1
    assert after["changes"]["hash"] != head["changes"]["hash"]
    assert after["audit"]["id"] > head["audit"]["id"]

    store = create_store(api.settings.database)
    try:
        async with store.read() as tx:
            changes_head, audit_head = await tx.chain_heads()
            assert await tx.verify_chains() == []
    finally:
        await store.close()
    assert (changes_head.position, changes_head.hash) == (after["changes"]["revision"], after["changes"]["hash"])
    assert (audit_head.position, audit_head.hash) == (after["audit"]["id"], after["audit"]["hash"])


async def test_head_is_for_services_and_platform_administrators_only(api: Api, world: World) -> None:
    await api.call("GET", "/v1/audit/head", None, expect=401)
    for who in (f"person:{world.numbers['bert']}", "helpline:op-1"):
        await api.call("GET", "/v1/audit/head", who, expect=403)


async def test_heads_are_logged_at_a_fixed_interval(api: Api, world: World) -> None:
    store = create_store(api.settings.database)
    try:
        async with store.read() as tx:
            changes_head, audit_head = await tx.chain_heads()
        with structlog.testing.capture_logs() as logs:
            async with head_logging(store, 0.01):
                for _ in range(1000):  # wait for two intervals, however slow the machine
                    if sum(e["event"] == "audit_head" for e in logs) >= 2:
                        break
                    await asyncio.sleep(0.01)
    finally:
        await store.close()
    events = [e for e in logs if e["event"] == "audit_head"]
    assert len(events) >= 2
    assert (events[0]["changes_revision"], events[0]["changes_hash"]) == (changes_head.position, changes_head.hash)
    assert (events[0]["audit_id"], events[0]["audit_hash"]) == (audit_head.position, audit_head.hash)


def test_the_log_scrubber_keeps_digests_whole_and_still_masks_numbers() -> None:
    digest = "85073003328" + "ab" * 26 + "c"  # 11 digits in a row, as ~1 in 7 SHA-256 hex digests have
    out = scrub_processor(None, "info", {"event": "audit_head", "changes_hash": digest,
                                         "note": f"person 85073003328 at {digest[:20]}"})
    assert out["changes_hash"] == digest
    assert "85073003328" not in out["note"]
