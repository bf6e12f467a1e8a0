"""The self-registration screens without a browser: the person's form, the administrator's decisions."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from tests.web.conftest import csrf_of, login

ORG = re.compile(r'name="organisation" value="(org_[^"]+)"')
REQ = re.compile(r'id="request-(req_[0-9a-f]+)"')


async def choose(client: AsyncTestClient, q: str) -> tuple[str, str]:
    """The request form for the organisation ``q`` finds: (its id, the page)."""
    page = await client.get("/beheer/request", params={"q": q})
    assert page.status_code == 200, page.text
    m = ORG.search(page.text)
    assert m, page.text
    return m.group(1), page.text


async def submit(client: AsyncTestClient, org: str, page: str, right: str, **kw: str):  # noqa: ANN201
    data = {"organisation": org, "right": right, "motivation": "Ik dien de aanvragen voor de bakkerij in.",
            "contact_email": "", "_csrf_token": csrf_of(page), **kw}
    return await client.post("/beheer/request", data=data, follow_redirects=False)


async def test_the_request_form_keeps_input_and_names_fields(screen: AsyncTestClient) -> None:
    await login(screen, "an")
    me = await screen.get("/beheer/me")
    assert 'href="/beheer/request"' in me.text
    empty = await screen.get("/beheer/request", params={"q": "x"})
    assert empty.status_code == 422 and "Organisatie: typ minstens 2 tekens" in empty.text
    none = await screen.get("/beheer/request", params={"q": "0403.019.261"})
    assert none.status_code == 422 and "geen organisatie gevonden" in none.text
    nrn = await screen.get("/beheer/request", params={"q": "85073003328"})  # never searched for
    assert nrn.status_code == 422
    org, page = await choose(screen, "BE 0723.145.688")
    assert "Bakkerij Peeters BV" in page and "WebEdison" not in page  # education rights are not offered
    assert "an.peeters@example.be" in page  # her e-mail is proposed
    r = await submit(screen, org, page, "nope|", motivation="kort", contact_email="geen adres")
    assert r.status_code == 422
    for text in ("Recht: kies een recht", "Motivering: leg in 10 tot 2000 tekens", "E-mailadres voor de beslissing",
                 'href="#motivation"', 'value="geen adres"', ">kort</textarea>"):
        assert text in r.text, text
    # A rule of the core on its field: she already holds the IMW right.
    held = await submit(screen, org, page, "DWSEOrganisatieverantwoordelijke|IMW")
    assert held.status_code == 409 or held.status_code == 422
    assert "Recht (toepassing, rol en maatregel): Deze persoon heeft dit recht al" in held.text


async def test_request_approve_and_see_it_and_tampering_is_refused(screen: AsyncTestClient) -> None:
    await login(screen, "an")
    org, page = await choose(screen, "Bakkerij Peeters")
    sent = await submit(screen, org, page, "DWSEOrganisatieverantwoordelijke|AWI")
    assert sent.status_code == 303, sent.text
    done = await screen.get(sent.headers["location"])
    assert "naar de 2 beheerder(s) van de organisatie" in done.text
    assert "sofie.vermeulen@example.be" not in done.text and "bert@bakkerij" not in done.text
    other, other_page = await choose(screen, "0471.230.948")  # De Cijferaar: not Sofie's nor Bert's
    assert (await submit(screen, other, other_page, "SubsidiepuntGebruiker|")).status_code == 303
    mine = await screen.get("/beheer/me/requests")
    assert mine.text.count("wacht op beslissing") == 2
    elsewhere = REQ.findall(mine.text)[0]  # newest first: De Cijferaar's

    await login(screen, "sofie")
    home = await screen.get(f"/beheer/organisations/{org}")
    assert 'id="requests-count">1<' in home.text
    listing = await screen.get(f"/beheer/organisations/{org}/requests")
    ids = REQ.findall(listing.text)
    assert len(ids) == 1 and "Aanwervingsincentive" in listing.text and "85.07.30-***.**" in listing.text
    assert "85073003328" not in listing.text
    token = csrf_of(listing.text)
    # Another organisation's request under this organisation's URL does not exist here.
    tampered = await screen.post(f"/beheer/organisations/{org}/requests/{elsewhere}/approve",
                                 data={"valid_until": "", "note": "", "_csrf_token": token})
    assert tampered.status_code == 404
    # ... and another organisation's URL is refused outright.
    assert (await screen.get(f"/beheer/organisations/{other}/requests")).status_code == 403
    bad = await screen.post(f"/beheer/organisations/{org}/requests/{ids[0]}/approve",
                            data={"valid_until": "31/02/2027", "note": "", "_csrf_token": token})
    assert bad.status_code == 422 and "Geldig tot en met: vul een datum in" in bad.text
    assert 'value="31/02/2027"' in bad.text
    too_long = await screen.post(f"/beheer/organisations/{org}/requests/{ids[0]}/approve",
                                 data={"valid_until": "01/01/2099", "note": "", "_csrf_token": token})
    assert too_long.status_code == 422 and "hoogstens 1095 dagen" in too_long.text
    assert "De aanvraag blijft open." in too_long.text
    confirm = await screen.get(f"/beheer/organisations/{org}/requests/{ids[0]}/refuse")
    assert confirm.status_code == 200 and "krijgt het recht" in confirm.text and 'name="reason"' in confirm.text
    no_reason = await screen.post(f"/beheer/organisations/{org}/requests/{ids[0]}/refuse",
                                  data={"reason": "", "_csrf_token": token})
    assert no_reason.status_code == 422 and "Reden van de weigering: vul een reden in" in no_reason.text
    assert 'id="sentence"' in no_reason.text  # still on the confirmation page, nothing written
    ok = await screen.post(f"/beheer/organisations/{org}/requests/{ids[0]}/approve",
                           data={"valid_until": "", "note": "ok", "_csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    after = await screen.get(ok.headers["location"])
    assert "De aanvraag is goedgekeurd" in after.text and 'id="no-requests"' in after.text

    await login(screen, "an")
    assert "Aanwervingsincentive" in (await screen.get("/beheer/me")).text
    assert "goedgekeurd" in (await screen.get("/beheer/me/requests")).text
    english = await screen.get("/beheer/me/requests", params={"lang": "en"})
    assert "My requests" in english.text and "approved" in english.text and "awaiting a decision" in english.text


async def test_a_helpline_operator_cannot_request(screen: AsyncTestClient) -> None:
    await login(screen, "helpline")
    assert (await screen.get("/beheer/request")).status_code == 403


async def test_a_person_withdraws_a_pending_request(screen: AsyncTestClient) -> None:
    await login(screen, "an")
    org, page = await choose(screen, "0723145688")
    assert (await submit(screen, org, page, "DWSEOpleider|")).status_code == 303
    mine = await screen.get("/beheer/me/requests")
    req = REQ.findall(mine.text)[0]
    no_token = await screen.post(f"/beheer/me/requests/{req}/withdraw", data={})
    assert no_token.status_code == 403
    r = await screen.post(f"/beheer/me/requests/{req}/withdraw", data={"_csrf_token": csrf_of(mine.text)})
    assert r.status_code == 200 and "Uw aanvraag is ingetrokken." in r.text and "ingetrokken" in r.text
    await login(screen, "koen")  # someone else's request does not exist for him
    other = await screen.get("/beheer/me/requests")
    assert (await screen.post(f"/beheer/me/requests/{req}/withdraw",
                              data={"_csrf_token": csrf_of(other.text)})).status_code == 404


async def test_refusing_goes_through_a_confirmation_and_the_reason_is_audited(screen: AsyncTestClient,
                                                                            web_settings) -> None:  # noqa: ANN001
    from rights.api.tokens import mint_dev_token
    from rights.domain.ports import PrincipalKind

    await login(screen, "an")
    org, page = await choose(screen, "Bakkerij Peeters")
    assert (await submit(screen, org, page, "DWSEOrganisatieverantwoordelijke|AWI")).status_code == 303
    await login(screen, "sofie")
    listing = await screen.get(f"/beheer/organisations/{org}/requests")
    (rid,) = REQ.findall(listing.text)
    assert f'action="/beheer/organisations/{org}/requests/{rid}/refuse"' not in listing.text  # no inline refusal
    confirm = await screen.get(f"/beheer/organisations/{org}/requests/{rid}/refuse")
    assert "An Peeters krijgt het recht DWSE Organisatieverantwoordelijke" in confirm.text
    done = await screen.post(f"/beheer/organisations/{org}/requests/{rid}/refuse",
                             data={"reason": "Vraag het aan Bert.", "_csrf_token": csrf_of(confirm.text)})
    assert done.status_code == 200 and "De aanvraag is geweigerd." in done.text
    token = mint_dev_token(web_settings, PrincipalKind.PLATFORM_ADMIN, "auditor")
    events = (await screen.get("/v1/audit/", params={"limit": 500},
                               headers={"Authorization": f"Bearer {token}"})).json()["items"]
    assert [e["details"].get("reason") for e in events if e["action"] == "access_request_refused"] == [
        "Vraag het aan Bert."]
    latest = (await screen.get("/v1/changes", headers={"Authorization": f"Bearer {token}"})).json()["latest_revision"]
    feed = await screen.get("/v1/changes", params={"after": latest - 3}, headers={"Authorization": f"Bearer {token}"})
    assert feed.status_code == 200 and "access_request_refused" in feed.text
    assert "Vraag het aan Bert." not in feed.text  # the shared change log still carries no free text
