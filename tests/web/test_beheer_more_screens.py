"""The rest of the /beheer administrator screens without a browser: adding a person, a grant's validity
and history, the people filter, appointing a main administrator and the mandates — and what they refuse."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient

from rights.domain.commands import Appointment
from rights.domain.identifiers import IdentifierKind
from rights.domain.ports import Caller, PrincipalKind
from rights.domain.services import Services
from rights.web import beheer_views
from tests.web.conftest import csrf_of, login

STAFF = Caller(kind=PrincipalKind.PLATFORM_ADMIN, subject="test-setup")
BAKERY_NO, CIJFERAAR_NO, DE_PLOEG_NO = "0723145688", "0471230948", "0449123757"
KOEN = "79092305705"


def services_of(client: AsyncTestClient) -> Services:
    return client.app.state.services


async def org_of(client: AsyncTestClient, number: str) -> str:
    async with services_of(client).core.store.read() as tx:
        org = await tx.find_organisation(IdentifierKind.ENTERPRISE_NUMBER, number)
    assert org is not None
    return org.id


def nrn(yymmdd: str, serial: str, *, wrong: bool = False) -> str:
    """A synthetic national register number (born in the 1900s) with right or wrong check digits."""
    base = int(yymmdd + serial)
    check = 97 - base % 97
    if wrong:
        check = check % 96 + 1  # any other value
    return f"{yymmdd}{serial}{check:02d}"


async def person_by_number(client: AsyncTestClient, number: str):  # noqa: ANN201
    async with services_of(client).core.store.read() as tx:
        return await tx.find_person(number)


async def grant_of(client: AsyncTestClient, org_number: str, measure: str | None, role: str | None = None):  # noqa: ANN201
    org = await org_of(client, org_number)
    async with services_of(client).core.store.read() as tx:
        grants = await tx.grants(organisation_id=org)
    return next(g for g in grants if g.measure == measure and (role is None or g.role == role))


async def make_koen_admin_of_cijferaar(client: AsyncTestClient) -> str:
    services = services_of(client)
    org = await org_of(client, CIJFERAAR_NO)
    await services.people.appoint(STAFF, org, Appointment(person=KOEN, main=False, applications=None))
    return org


# --- add a person ---------------------------------------------------------------------------------


async def test_add_person_bad_check_digit_names_the_field_and_writes_nothing(screen: AsyncTestClient) -> None:
    await login(screen, "bert")
    org = await org_of(screen, BAKERY_NO)
    form = await screen.get(f"/beheer/organisations/{org}/people/new")
    assert form.status_code == 200
    assert 'aria-live="polite"' in form.text and "/static/beheer_nrn.js" in form.text
    # only the user types a company may record
    assert 'value="permanent"' in form.text and 'value="civil_servant"' not in form.text
    bad, good = nrn("910512", "123", wrong=True), nrn("910512", "123")
    r = await screen.post(f"/beheer/organisations/{org}/people/new", data={
        "existing": "", "national_number": bad, "given_name": "Lien", "family_name": "Goossens",
        "user_type": "permanent", "_csrf_token": csrf_of(form.text)})
    assert r.status_code == 422
    assert "Rijksregisternummer: de controlecijfers (de laatste twee) kloppen niet" in r.text
    assert 'href="#national_number"' in r.text and 'aria-invalid="true"' in r.text
    assert f'value="{bad}"' in r.text and 'value="Lien"' in r.text  # what was typed is kept, in this form
    assert await person_by_number(screen, good) is None and await person_by_number(screen, bad) is None
    # fixed: the person is registered with a work relation, and listed with the masked number only
    done = await screen.post(f"/beheer/organisations/{org}/people/new", data={
        "existing": "", "national_number": f"91.05.12-123.{good[-2:]}", "given_name": "Lien",
        "family_name": "Goossens", "user_type": "permanent", "_csrf_token": csrf_of(form.text)},
        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=addperson_done")
    page = await screen.get(done.headers["location"])
    assert "De persoon is toegevoegd" in page.text and "Lien Goossens" in page.text
    assert "91.05.12-***.**" in page.text and good not in page.text
    assert await person_by_number(screen, good) is not None


async def test_add_person_missing_fields_and_user_type_not_allowed(screen: AsyncTestClient) -> None:
    await login(screen, "bert")
    org = await org_of(screen, BAKERY_NO)
    form = await screen.get(f"/beheer/organisations/{org}/people/new")
    token = csrf_of(form.text)
    empty = await screen.post(f"/beheer/organisations/{org}/people/new", data={
        "national_number": "12345", "given_name": "", "family_name": "", "user_type": "", "_csrf_token": token})
    assert empty.status_code == 422
    for text in ("Rijksregisternummer: een nummer heeft 11 cijfers", "Voornaam: vul de voornaam in",
                 "Familienaam: vul de familienaam in", "Gebruikerstype: kies een gebruikerstype"):
        assert text in empty.text
    number = nrn("880229", "045")
    refused = await screen.post(f"/beheer/organisations/{org}/people/new", data={
        "national_number": number, "given_name": "Jan", "family_name": "Smet", "user_type": "civil_servant",
        "_csrf_token": token})
    assert refused.status_code == 422
    assert "Gebruikerstype (soort werkrelatie): Gebruikerstype civil_servant is niet toegelaten" in refused.text
    assert await person_by_number(screen, number) is None  # refused before anything is written


async def test_add_a_known_person_from_another_organisation(screen: AsyncTestClient) -> None:
    cijferaar = await org_of(screen, CIJFERAAR_NO)
    await services_of(screen).people.appoint(STAFF, cijferaar, Appointment(person="62110402174", applications=None))
    await login(screen, "bert")
    bakery = await org_of(screen, BAKERY_NO)
    form = await screen.get(f"/beheer/organisations/{bakery}/people/new")
    # De Cijferaar's staff who do not work for the bakery yet: Griet (Koen already does), masked numbers only
    griet = re.search(r'<option value="(per_[^"]+)" >Griet [^(]+\((\d\d\.\d\d\.\d\d-\*\*\*\.\*\*)\)</option>',
                      form.text)
    assert griet, form.text
    assert "Koen Mertens (" not in form.text
    token = csrf_of(form.text)
    both = await screen.post(f"/beheer/organisations/{bakery}/people/new", data={
        "existing": griet.group(1), "national_number": KOEN, "user_type": "external", "_csrf_token": token})
    assert both.status_code == 422 and "niet allebei" in both.text
    done = await screen.post(f"/beheer/organisations/{bakery}/people/new", data={
        "existing": griet.group(1), "user_type": "external", "_csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    page = await screen.get(f"/beheer/organisations/{bakery}?name=griet")
    assert "externe medewerker" in page.text and griet.group(2) in page.text
    # Koen already works for the bakery: adding him again by number is refused on the number field
    again = await screen.post(f"/beheer/organisations/{bakery}/people/new", data={
        "national_number": KOEN, "given_name": "Koen", "family_name": "Mertens", "user_type": "external",
        "_csrf_token": token})
    assert again.status_code == 409 and "al een actieve werkrelatie" in again.text
    assert 'href="#national_number"' in again.text


async def test_sofie_cannot_add_people_to_another_organisation_and_csrf_is_needed(screen: AsyncTestClient) -> None:
    await login(screen, "sofie")
    other = await org_of(screen, CIJFERAAR_NO)
    assert (await screen.get(f"/beheer/organisations/{other}/people/new")).status_code == 403
    bakery = await org_of(screen, BAKERY_NO)
    number = nrn("910512", "127")
    r = await screen.post(f"/beheer/organisations/{bakery}/people/new", data={
        "national_number": number, "given_name": "A", "family_name": "B", "user_type": "permanent"})
    assert r.status_code == 403
    assert await person_by_number(screen, number) is None


# --- a grant's page: validity and history ---------------------------------------------------------


async def test_change_validity_within_the_maximum_and_see_the_history(screen: AsyncTestClient) -> None:
    await login(screen, "sofie")
    org = await org_of(screen, BAKERY_NO)
    grant = await grant_of(screen, BAKERY_NO, "VOP")
    page = await screen.get(f"/beheer/organisations/{org}/grants/{grant.id}")
    assert page.status_code == 200
    last = (grant.valid_from + timedelta(days=1095)).strftime("%d/%m/%Y")
    assert f"dus ten laatste tot en met {last}" in page.text
    assert "toegekend" in page.text and "Sofie Vermeulen" in page.text  # who granted it, by name
    assert "Aanvraag Vlaamse Ondersteuningspremie" in page.text
    url = f"/beheer/organisations/{org}/grants/{grant.id}/validity"
    too_long = (grant.valid_from + timedelta(days=1096)).strftime("%d/%m/%Y")
    r = await screen.post(url, data={"valid_until": too_long, "reason": "langer", "version": "1",
                                     "_csrf_token": csrf_of(page.text)})
    assert r.status_code == 422
    assert "Nieuwe einddatum: geldig tot en met (dd/mm/jjjj): De looptijd mag hoogstens 1095 dagen zijn." in r.text
    assert f'value="{too_long}"' in r.text and "langer" in r.text
    bad = await screen.post(url, data={"valid_until": "30/02/2027", "reason": "", "_csrf_token": csrf_of(page.text)})
    assert bad.status_code == 422 and "Nieuwe einddatum: vul een datum in" in bad.text and "Reden: vul" in bad.text
    unchanged = await grant_of(screen, BAKERY_NO, "VOP")
    assert unchanged.valid_until == grant.valid_until and unchanged.version == grant.version
    ok = await screen.post(url, data={"valid_until": last, "reason": "Verlengd tot het maximum", "version": "1",
                                      "_csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"].endswith("?done=changed")
    after = await screen.get(ok.headers["location"])
    assert "De geldigheid is gewijzigd." in after.text
    assert "geldigheid gewijzigd" in after.text and "Verlengd tot het maximum" in after.text
    assert f"nu tot en met {last}" in after.text
    stale = await screen.post(url, data={"valid_until": last, "reason": "nog eens", "version": "1",
                                         "_csrf_token": csrf_of(page.text)})
    assert stale.status_code == 409 and "intussen gewijzigd" in stale.text


async def test_grant_page_of_another_organisation_is_refused(screen: AsyncTestClient) -> None:
    await login(screen, "sofie")
    bakery = await org_of(screen, BAKERY_NO)
    other = await org_of(screen, DE_PLOEG_NO)
    theirs = await grant_of(screen, DE_PLOEG_NO, "IMW")
    ours = await grant_of(screen, BAKERY_NO, "VOP")
    assert (await screen.get(f"/beheer/organisations/{bakery}/grants/{theirs.id}")).status_code == 403
    assert (await screen.get(f"/beheer/organisations/{other}/grants/{ours.id}")).status_code == 403
    page = await screen.get(f"/beheer/organisations/{bakery}/grants/{ours.id}")
    r = await screen.post(f"/beheer/organisations/{bakery}/grants/{theirs.id}/validity",
                          data={"valid_until": "01/01/2027", "reason": "gewijzigd", "_csrf_token": csrf_of(page.text)})
    assert r.status_code == 403
    assert (await grant_of(screen, DE_PLOEG_NO, "IMW")).version == theirs.version
    # Bert administers the bakery: a grant of De Ploeg under the bakery's URL is not found there
    await login(screen, "bert")
    assert (await screen.get(f"/beheer/organisations/{bakery}/grants/{theirs.id}")).status_code in (403, 404)
    no_csrf = await screen.post(f"/beheer/organisations/{bakery}/grants/{ours.id}/validity",
                                data={"valid_until": "01/01/2027", "reason": "zonder token"})
    assert no_csrf.status_code == 403


async def test_grant_page_in_english(screen: AsyncTestClient) -> None:
    await login(screen, "bert")
    org = await org_of(screen, BAKERY_NO)
    grant = await grant_of(screen, BAKERY_NO, "IMW")
    page = await screen.get(f"/beheer/organisations/{org}/grants/{grant.id}?lang=en")
    assert "History" in page.text and "Change the validity" in page.text and "granted" in page.text


# --- the people filter ---------------------------------------------------------------------------


def names_in(html: str) -> set[str]:
    table = html.split('id="people"', 1)[1].split("</table>", 1)[0]
    return set(re.findall(r'<th scope="row"[^>]*>(?:<a [^>]*class="person-link">)?([^<]+)(?:</a>)?<br>', table))


async def test_filter_the_people_list(screen: AsyncTestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    await login(screen, "bert")
    org = await org_of(screen, BAKERY_NO)
    base = f"/beheer/organisations/{org}"
    everyone = names_in((await screen.get(base)).text)
    assert everyone == {"An Peeters", "Bert Peeters", "Koen Mertens", "Sofie Vermeulen"}
    assert names_in((await screen.get(f"{base}?name=peet")).text) == {"An Peeters", "Bert Peeters"}
    assert names_in((await screen.get(f"{base}?name=AN%20PE")).text) == {"An Peeters"}
    assert names_in((await screen.get(f"{base}?role=VLAIOInkomGebruiker")).text) == {"Koen Mertens"}
    assert names_in((await screen.get(f"{base}?measure=VOP")).text) == {"An Peeters"}
    with_rights = await screen.get(f"{base}?with_rights=1")
    assert names_in(with_rights.text) == {"An Peeters", "Koen Mertens", "Sofie Vermeulen"}
    assert 'id="f-with-rights" name="with_rights" value="1" checked' in with_rights.text
    assert "3 personen gevonden." in with_rights.text
    assert names_in((await screen.get(f"{base}?name=nobody")).text) == set()
    # the pager keeps the filter
    monkeypatch.setattr(beheer_views, "PAGE_SIZE", 2)
    first = await screen.get(f"{base}?with_rights=1")
    assert "Pagina 1 van 2" in first.text and "?with_rights=1&amp;page=2" in first.text
    second = await screen.get(f"{base}?with_rights=1&page=2")
    assert names_in(second.text) == {"Sofie Vermeulen"} and "?with_rights=1&amp;page=1" in second.text


# --- main administrator ----------------------------------------------------------------------------


async def test_main_administrator_option_only_for_main_administrators(screen: AsyncTestClient) -> None:
    await login(screen, "sofie")
    org = await org_of(screen, BAKERY_NO)
    page = await screen.get(f"/beheer/organisations/{org}")
    assert "hoofdbeheerder (alle toepassingen" not in page.text
    assert (await screen.get(f"/beheer/organisations/{org}/administrators/new")).status_code == 403
    async with services_of(screen).core.store.read() as tx:
        an = await tx.find_person("85073003328")
    r = await screen.post(f"/beheer/organisations/{org}/administrators/new",
                          data={"person": an.id, "main": "1", "_csrf_token": csrf_of(page.text)})
    assert r.status_code == 403 and "Enkel een hoofd lokale beheerder" in r.text
    await login(screen, "bert")
    form = await screen.get(f"/beheer/organisations/{org}/administrators/new")
    assert 'id="main" name="main"' in form.text and "stel dan eerst iemand anders aan" in form.text
    done = await screen.post(f"/beheer/organisations/{org}/administrators/new",
                             data={"person": an.id, "main": "1", "applications": "WSELoket",
                                   "_csrf_token": csrf_of(form.text)}, follow_redirects=False)
    assert done.status_code == 303
    async with services_of(screen).core.store.read() as tx:
        admins = await tx.administrators(org)
    made = next(a for a in admins if a.person_id == an.id)
    assert made.main and made.applications is None  # a main administrator administers every application
    page = await screen.get(f"/beheer/organisations/{org}")
    assert re.search(r"An Peeters</strong> — hoofdbeheerder", page.text)


# --- mandates ---------------------------------------------------------------------------------------


async def test_propose_accept_and_revoke_a_mandate(screen: AsyncTestClient) -> None:
    cijferaar = await make_koen_admin_of_cijferaar(screen)
    await login(screen, "bert")
    bakery = await org_of(screen, BAKERY_NO)
    listing = await screen.get(f"/beheer/organisations/{bakery}/mandates")
    assert listing.status_code == 200 and 'id="no-mandates"' in listing.text
    form = await screen.get(f"/beheer/organisations/{bakery}/mandates/new")
    token = csrf_of(form.text)
    url = f"/beheer/organisations/{bakery}/mandates/new"
    errors = await screen.post(url, data={"direction": "give", "other": "0471.230.949", "valid_until": "1/1/2000",
                                          "_csrf_token": token})
    assert errors.status_code == 422
    for text in ("Ondernemingsnummer: vul het ondernemingsnummer", "Toepassingen: vink minstens",
                 "Geldig tot en met: vul een datum in de toekomst"):
        assert text in errors.text
    assert 'value="0471.230.949"' in errors.text
    unknown = await screen.post(url, data={"direction": "give", "other": "0999.999.965",
                                           "applications": "WSELoket", "_csrf_token": token})
    assert unknown.status_code in (400, 422), unknown.text
    own = await screen.post(url, data={"direction": "give", "other": BAKERY_NO, "applications": "WSELoket",
                                       "_csrf_token": token})
    assert own.status_code == 422 and "Een organisatie kan zichzelf geen mandaat geven." in own.text
    done = await screen.post(url, data={"direction": "give", "other": "0471.230.948", "applications": "WSELoket",
                                        "_csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=proposed")
    listing = await screen.get(done.headers["location"])
    assert "Boekhoudkantoor De Cijferaar BV" in listing.text and "wacht op de andere organisatie" in listing.text
    assert "wij geven mandaat aan" in listing.text and "WSE-loket" in listing.text
    mid = re.search(r'id="mandate-(man_[^"]+)"', listing.text).group(1)
    # Bert cannot accept for De Cijferaar, nor under another organisation's URL
    assert (await screen.post(f"/beheer/organisations/{bakery}/mandates/{mid}/accept",
                              data={"_csrf_token": token})).status_code == 409
    assert (await screen.post(f"/beheer/organisations/{cijferaar}/mandates/{mid}/accept",
                              data={"_csrf_token": token})).status_code == 403
    await login(screen, "koen")
    theirs = await screen.get(f"/beheer/organisations/{cijferaar}/mandates")
    assert "wacht op uw aanvaarding" in theirs.text and "wij werken voor" in theirs.text
    assert "Bakkerij Peeters BV" in theirs.text
    no_csrf = await screen.post(f"/beheer/organisations/{cijferaar}/mandates/{mid}/accept")
    assert no_csrf.status_code == 403
    assert (await services_of(screen).mandates.get(STAFF, mid)).holder_accepted_at is None
    accepted = await screen.post(f"/beheer/organisations/{cijferaar}/mandates/{mid}/accept",
                                 data={"_csrf_token": csrf_of(theirs.text)})
    assert accepted.status_code == 200 and "Het mandaat is aanvaard." in accepted.text
    assert re.search(r'class="state">actief<', accepted.text)
    revoke = await screen.get(f"/beheer/organisations/{cijferaar}/mandates/{mid}/revoke")
    assert "Bakkerij Peeters BV (mandaatgever)" in revoke.text
    empty = await screen.post(f"/beheer/organisations/{cijferaar}/mandates/{mid}/revoke",
                              data={"reason": "", "_csrf_token": csrf_of(revoke.text)})
    assert empty.status_code == 422 and "Reden: vul een reden in" in empty.text
    gone = await screen.post(f"/beheer/organisations/{cijferaar}/mandates/{mid}/revoke",
                             data={"reason": "Klant vertrokken", "_csrf_token": csrf_of(revoke.text)})
    assert gone.status_code == 200 and "Het mandaat is beëindigd." in gone.text and "ingetrokken" in gone.text
    m = await services_of(screen).mandates.get(STAFF, mid)
    assert m.revoked_at is not None and m.revoke_reason == "Klant vertrokken"


async def test_mandates_refused_to_others(screen: AsyncTestClient) -> None:
    await login(screen, "bert")
    bakery = await org_of(screen, BAKERY_NO)
    form = await screen.get(f"/beheer/organisations/{bakery}/mandates/new")
    await screen.post(f"/beheer/organisations/{bakery}/mandates/new", data={
        "direction": "give", "other": CIJFERAAR_NO, "applications": "WSELoket", "_csrf_token": csrf_of(form.text)})
    mid = (await services_of(screen).mandates.of_organisation(STAFF, bakery))[0].id
    # Sofie administers the bakery but not the mandates application: refused, nothing changes
    await login(screen, "sofie")
    listing = await screen.get(f"/beheer/organisations/{bakery}/mandates")
    assert listing.status_code == 200 and "Mandaat voorstellen" not in listing.text
    propose = await screen.post(f"/beheer/organisations/{bakery}/mandates/new", data={
        "direction": "give", "other": DE_PLOEG_NO, "applications": "WSELoket", "_csrf_token": csrf_of(listing.text)})
    assert propose.status_code == 403
    revoke = await screen.post(f"/beheer/organisations/{bakery}/mandates/{mid}/revoke",
                               data={"reason": "niet van mij", "_csrf_token": csrf_of(listing.text)})
    assert revoke.status_code == 403
    # another organisation's mandate page, by URL
    cijferaar = await org_of(screen, CIJFERAAR_NO)
    assert (await screen.get(f"/beheer/organisations/{cijferaar}/mandates")).status_code == 403
    assert (await services_of(screen).mandates.get(STAFF, mid)).revoked_at is None


async def test_a_revoked_grant_shows_who_revoked_it_and_cannot_be_changed(screen: AsyncTestClient) -> None:
    await login(screen, "bert")
    org = await org_of(screen, BAKERY_NO)
    grant = await grant_of(screen, BAKERY_NO, "IMW")
    form = await screen.get(f"/beheer/organisations/{org}/grants/{grant.id}/revoke")
    await screen.post(f"/beheer/organisations/{org}/grants/{grant.id}/revoke",
                      data={"reason": "Werkt niet meer aan Maatwerk", "_csrf_token": csrf_of(form.text)})
    page = await screen.get(f"/beheer/organisations/{org}/grants/{grant.id}")
    assert page.status_code == 200
    history = page.text.split('id="history"', 1)[1]
    assert "ingetrokken" in history and "Bert Peeters" in history and "Werkt niet meer aan Maatwerk" in history
    assert 'id="state">ingetrokken<' in page.text and "/validity" not in page.text
    r = await screen.post(f"/beheer/organisations/{org}/grants/{grant.id}/validity",
                          data={"valid_until": "01/01/2027", "reason": "toch nog", "_csrf_token": csrf_of(page.text)})
    assert r.status_code == 409 and "al ingetrokken" in r.text
