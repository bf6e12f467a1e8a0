"""The demo seed loads through the rules on SQLite and PostgreSQL, tells the VOP story, and is idempotent."""

from __future__ import annotations

from rights.domain.commands import CheckQuestion
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services import build_services
from rights.policies import default_policies_dir, load_catalogue
from rights.seeding import seed_directory
from rights.storage import SqlStore

DESK = Caller(kind=PrincipalKind.SERVICE, subject="service:test")
SEEDS = default_policies_dir().parent / "seeds"


async def test_seed_tells_the_vop_story_and_is_idempotent(store: SqlStore) -> None:
    services = build_services(store, load_catalogue(default_policies_dir()))
    first = await seed_directory(services, SEEDS)
    assert first["organisations"] >= 20 and first["grants"] >= 10
    async with store.read() as tx:
        revision = await tx.latest_revision()
    second = await seed_directory(services, SEEDS)
    assert set(second.values()) == {0}
    async with store.read() as tx:
        assert await tx.latest_revision() == revision  # the second run wrote nothing

    def ask(measure: str, organisation: str = "BE 0723.145.688") -> CheckQuestion:
        return CheckQuestion(person="85.07.30-033.28", organisation=organisation,
                             role="DWSEOrganisatieverantwoordelijke", measure=measure)

    yes = await services.checks.check(DESK, ask("VOP"))
    assert yes.verdict.allowed and yes.revision == revision
    assert (await services.checks.check(DESK, ask("AWI"))).verdict.reason == "no_grant"
    claims, _ = await services.checks.claims(DESK, "85073003328", application="WSELoket")
    assert "DWSEOrganisatieverantwoordelijke-VOP:0723145688" in claims

    # The seed's organisation without any administrator, and the frozen one, are what they claim to be.
    cards = await services.helpline.lookup(Caller(kind=PrincipalKind.HELPLINE, subject="helpline:t"), "zonnebloem")
    assert cards and cards[0].administrators == ()
