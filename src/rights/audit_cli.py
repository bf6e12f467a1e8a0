"""``rights audit``: verify the hash chains of the change log and the audit trail, show their heads.

See docs/security.md, "Tamper evidence", and docs/operations.md for how an operator anchors a head.
"""

from __future__ import annotations

import asyncio
import sys

import click


def _anchor(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    position, sep, digest = value.partition(":")
    if not sep or not position.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise click.BadParameter("expected POSITION:HASH, e.g. 42:3f0c… (64 lowercase hex digits)")
    return int(position), digest


@click.group("audit")
def audit_group() -> None:
    """Tamper evidence of the change log and the audit trail."""


@audit_group.command("verify")
@click.option("--changes-head", default=None, metavar="REVISION:HASH",
              help="A change-log head witnessed earlier: that entry must still be there with that hash.")
@click.option("--audit-head", default=None, metavar="ID:HASH",
              help="An audit-trail head witnessed earlier: that entry must still be there with that hash.")
def verify(changes_head: str | None, audit_head: str | None) -> None:
    """Walk both hash chains from the first entry; exit 1 naming the first broken entry of each."""
    from rights.cli import _settings
    from rights.storage import create_store

    anchors = {k: v for k, v in (("changes", _anchor(changes_head)), ("audit_events", _anchor(audit_head))) if v}

    async def run():  # noqa: ANN202
        store = create_store(_settings().database)
        try:
            async with store.read() as tx:
                return await tx.verify_chains(anchors), await tx.chain_heads()
        finally:
            await store.close()

    broken, heads = asyncio.run(run())
    for b in broken:
        click.echo(f"BROKEN {b}", err=True)
    if broken:
        sys.exit(1)
    for head in heads:
        click.echo(f"ok {head.table}: the chain holds up to its head {head.position}:{head.hash}")


@audit_group.command("head")
def head() -> None:
    """Print the current heads (position:hash and time), to hand to a witness outside the service."""
    from rights.cli import _settings
    from rights.storage import create_store

    async def run():  # noqa: ANN202
        store = create_store(_settings().database)
        try:
            async with store.read() as tx:
                return await tx.chain_heads()
        finally:
            await store.close()

    for h in asyncio.run(run()):
        click.echo(f"{h.table} {h.position}:{h.hash} {h.at.isoformat() if h.at else '-'}")
