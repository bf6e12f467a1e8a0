"""Self-registration in a real browser, with the outbox worker sending to a real SMTP server (aiosmtpd).

An requests two rights at Bakkerij Peeters (one found by its enterprise number, one by name); each of the
bakery's two administrators gets their own e-mail per request; Sofie approves the first and refuses the
second with a reason; An gets an e-mail for each outcome and sees the new right and the refusal.
Screenshots: test-artifacts/beheer-requests-*.png.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect

from rights.api.app import create_app
from tests.mail.conftest import Inbox, free_port
from tests.web.conftest import web_settings_for
from tests.web.live import open_page, serve
from tests.web.test_beheer_browser import log_in, log_out, shot
from tests.web.test_browser import CHROMIUM, browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")

ADMINS = {"bert@bakkerij-peeters.example.be", "sofie.vermeulen@example.be"}


class Site:
    def __init__(self, url: str, inbox: Inbox) -> None:
        self.url, self.inbox = url, inbox


@pytest.fixture(scope="module")
def site(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    inbox, smtp_port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    port = free_port()
    settings = web_settings_for(seeded_db, tmp_path_factory.mktemp("requests"), host="127.0.0.1", port=port,
                                smtp_host="127.0.0.1", smtp_port=smtp_port)
    try:
        with serve(create_app(settings), port):
            yield Site(f"http://127.0.0.1:{port}", inbox)
    finally:
        smtp.stop()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:  # noqa: F811
    with open_page(browser, site.url) as pg:
        yield pg


def wait_for_mail(inbox: Inbox, count: int, timeout: float = 15.0) -> list[Message]:
    deadline = time.monotonic() + timeout
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(inbox.messages) >= count, [subject(m) for m in inbox.messages]
    return list(inbox.messages)


def subject(msg: Message) -> str:
    return " ".join(str(msg["Subject"]).split())  # unfolded


def body(msg: Message) -> str:
    return msg.get_payload(decode=True).decode()  # type: ignore[union-attr]


def test_request_approve_refuse_with_mails(page: Page, site: Site) -> None:
    # An requests the Aanwervingsincentive, finding the bakery by its enterprise number.
    log_in(page, "an")
    page.get_by_role("link", name="Mijn rechten").first.click()
    page.get_by_role("link", name="Een recht aanvragen").click()
    page.get_by_label("Organisatie: naam, ondernemingsnummer").fill("0723.145.688")
    page.get_by_role("button", name="Organisatie zoeken").click()
    expect(page.locator("#chosen-org")).to_have_text("Bakkerij Peeters BV")
    page.get_by_role("button", name="Aanvraag versturen").click()  # nothing filled in: errors
    expect(page.locator("#error-summary")).to_contain_text("Recht: kies een recht uit de lijst.")
    expect(page.locator("#error-summary")).to_contain_text("Motivering: leg in 10 tot 2000 tekens uit")
    shot(page, "requests-form-errors")
    page.get_by_label("Recht (toepassing, rol en maatregel)").select_option("DWSEOrganisatieverantwoordelijke|AWI")
    page.get_by_label("Motivering").fill("Ik dien de aanvraag voor de aanwervingsincentive in.")
    page.get_by_label("E-mailadres voor de beslissing").fill("an.werk@example.be")
    page.get_by_role("button", name="Aanvraag versturen").click()
    expect(page.locator("#sent")).to_have_text("Uw aanvraag werd verstuurd naar de 2 beheerder(s) van de organisatie.")
    assert "@bakkerij-peeters" not in page.content() and "sofie.vermeulen@" not in page.content()
    shot(page, "requests-sent")

    # A second request, finding the bakery by (part of) its name.
    page.goto("/beheer/request")
    page.get_by_label("Organisatie: naam, ondernemingsnummer").fill("bakkerij peeters")
    page.get_by_role("button", name="Organisatie zoeken").click()
    if page.locator("#results").count():
        page.get_by_role("link", name="Kies Bakkerij Peeters BV").click()
    expect(page.locator("#chosen-org")).to_have_text("Bakkerij Peeters BV")
    page.get_by_label("Recht (toepassing, rol en maatregel)").select_option("Opleidingsverlof|")
    page.get_by_label("Motivering").fill("Ik wil de terugbetaling van opleidingsverlof aanvragen.")
    page.get_by_role("button", name="Aanvraag versturen").click()
    expect(page.locator("#sent")).to_contain_text("2 beheerder(s)")
    log_out(page)

    # Each administrator got their own e-mail per request: one recipient each, no other address inside.
    mails = wait_for_mail(site.inbox, 4)
    submitted = [m for m in mails if subject(m).startswith("Aanvraag gebruikersrecht")]
    assert len(submitted) == 4, [subject(m) for m in mails]
    for m in submitted:
        assert m["X-Envelope-To"] in ADMINS and m["To"] == m["X-Envelope-To"]
        text = body(m)
        assert "85073003328" not in text and "85.07.30-***.**" in text
        assert not (ADMINS - {m["To"]}) & {a for a in ADMINS if a in text}
        assert "Dear local administrator" in text
    assert sorted(m["To"] for m in submitted) == sorted([*ADMINS, *ADMINS])

    # Sofie sees both on the organisation's page, approves the first and refuses the second.
    log_in(page, "sofie")
    page.get_by_role("link", name="Beheren: Bakkerij Peeters BV").click()
    expect(page.locator("#requests-count")).to_have_text("2")
    page.get_by_role("link", name="Aanvragen die op uw beslissing wachten").click()
    expect(page.locator("section.request")).to_have_count(2)
    expect(page.locator("main")).not_to_contain_text("85073003328")
    shot(page, "requests-pending")
    page.get_by_role("button", name="Goedkeuren en toekennen — An Peeters, DWSE Organisatieverantwoordelijke "
                                    "Aanwervingsincentive").click()
    expect(page.locator("#done")).to_have_text("De aanvraag is goedgekeurd en het recht toegekend.")
    page.get_by_role("link", name="Weigeren — An Peeters, Opleidingsverlof").click()  # a confirmation page first
    expect(page.locator("#sentence")).to_contain_text("An Peeters krijgt het recht")
    page.get_by_role("button", name="Bevestigen en weigeren").click()  # no reason: refused with the field named
    expect(page.locator("#error-summary")).to_contain_text("Reden van de weigering: vul een reden in")
    shot(page, "requests-refuse-error")
    page.get_by_label("Reden van de weigering").fill("Opleidingsverlof vraagt Bert zelf aan.")
    page.get_by_role("button", name="Bevestigen en weigeren").click()
    expect(page.locator("#done")).to_have_text("De aanvraag is geweigerd.")
    expect(page.locator("#no-requests")).to_be_visible()
    log_out(page)

    # An gets both outcomes by e-mail, at the address given with each request (the form proposed her own).
    mails = wait_for_mail(site.inbox, 6)
    outcomes = [m for m in mails if subject(m).startswith("Uw aanvraag")]
    approved = next(m for m in outcomes if "goedgekeurd" in subject(m))
    refused = next(m for m in outcomes if "geweigerd" in subject(m))
    assert (approved["X-Envelope-To"], refused["X-Envelope-To"]) == ("an.werk@example.be", "an.peeters@example.be")
    assert "Aanwervingsincentive" in body(approved) and "approved" in body(approved)
    assert "Opleidingsverlof vraagt Bert zelf aan." in body(refused)
    for m in outcomes:
        assert "85073003328" not in body(m) and not any(a in body(m) for a in ADMINS)

    # ... and sees the new right under "my rights" and the refusal with its reason under "my requests".
    log_in(page, "an")
    page.get_by_role("link", name="Mijn rechten").first.click()
    expect(page.locator("main")).to_contain_text("Aanwervingsincentive")
    shot(page, "requests-my-rights")
    page.get_by_role("link", name="Mijn aanvragen").click()
    expect(page.locator("#my-requests")).to_contain_text("goedgekeurd")
    expect(page.locator("#my-requests")).to_contain_text("geweigerd")
    expect(page.locator("#my-requests .reason")).to_have_text("Opleidingsverlof vraagt Bert zelf aan.")
    shot(page, "requests-mine")
