"""Issue 10, items 1 and 7 on the add-person screen: a format hint that is nobody's number, and no register names shown."""

from __future__ import annotations

import re
from pathlib import Path

from litestar.testing import AsyncTestClient

from rights.domain import identifiers as ids
from rights.domain.identifiers import IdentifierKind
from rights.seeding import load_seed
from rights.web.i18n import TEXTS
from tests.web.conftest import login

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "demo.yaml"
# Eleven digits in any of the usual groupings (the logging scrubber's shape).
NUMBER_SHAPE = re.compile(r"(?<!\d)\d{2}[.\s]?\d{2}[.\s]?\d{2}[-.\s]?\d{3}[.\s]?\d{2}(?!\d)")


def valid_numbers(text: str) -> list[str]:
    found = []
    for m in NUMBER_SHAPE.finditer(text):
        try:
            found.append(ids.parse_national_number(m.group(0)).value)
        except ids.IdentifierError:
            pass
    return found


def test_no_screen_text_shows_a_valid_national_number() -> None:
    offenders = {key: valid_numbers(" ".join(pair)) for key, pair in TEXTS.items()}
    assert {k: v for k, v in offenders.items() if v} == {}


async def test_the_add_person_screen_shows_no_seed_persons_number(screen: AsyncTestClient) -> None:
    seeded = {ids.parse_national_number(p.national_number).value for p in load_seed(SEEDS).persons}
    await login(screen, "bert")
    async with screen.app.state.services.core.store.read() as tx:
        org = await tx.find_organisation(IdentifierKind.ENTERPRISE_NUMBER, "0723145688")
    assert org is not None
    for lang in ("nl", "en"):
        page = await screen.get(f"/beheer/organisations/{org.id}/people/new?lang={lang}")
        assert page.status_code == 200
        assert "YY.MM.DD" in page.text or "JJ.MM.DD" in page.text
        shown = set(valid_numbers(page.text))
        assert not shown & seeded, shown & seeded


async def test_a_known_number_with_other_names_is_refused_without_showing_the_register(
    screen: AsyncTestClient,
) -> None:
    """Issue 10, item 1 on the screen: Bert types Koen's number (another company's person) with other names."""
    from tests.web.conftest import csrf_of

    await login(screen, "bert")
    async with screen.app.state.services.core.store.read() as tx:
        org = await tx.find_organisation(IdentifierKind.ENTERPRISE_NUMBER, "0723145688")
    assert org is not None
    form = await screen.get(f"/beheer/organisations/{org.id}/people/new")
    r = await screen.post(f"/beheer/organisations/{org.id}/people/new", data={
        "existing": "", "national_number": "79092305705", "given_name": "Karel", "family_name": "Peeters",
        "user_type": "permanent", "_csrf_token": csrf_of(form.text)})
    assert r.status_code == 422
    assert "Mertens" not in r.text and "koen@" not in r.text
    assert "komt niet overeen" in r.text
