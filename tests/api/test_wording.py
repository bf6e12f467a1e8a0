"""Issue 13, item 6: a Dutch message is entirely Dutch and an English one entirely English; an empty body gets a
sentence. Each case fails on the main of before (English words in message_nl, "Invalid request: 'data'")."""

from __future__ import annotations

import re

import pytest

from rights.domain.errors import InvalidInput
from tests.api.conftest import Api

PLATFORM = "platform:ops"
# English words or raw field names that gave a Dutch message away
NOT_DUTCH = re.compile(r"checksum|time zone|required|missing|Object|Expected|enterprise_number|nis_code|ovo_code|"
                       r"institution_number|`")
NOT_ENGLISH = re.compile(r"enterprise_number|nis_code|ovo_code|institution_number|needs a |`|'data'")

CASES = [
    # (body sent to POST /v1/organisations, status, field)
    ({"type": "company", "name": "Bakkerij X"}, 400, "identifiers"),
    ({"type": "company", "name": "Bakkerij X", "identifiers": {"enterprise_number": "0207.509.032"}}, 422,
     "identifiers.enterprise_number"),
    ({"type": "company", "name": "Bakkerij X", "identifiers": {}}, 422, "identifiers.enterprise_number"),
    ({"type": "company", "name": 5, "identifiers": {"enterprise_number": "0207509031"}}, 400, "name"),
    ({"type": "company", "name": "Bakkerij X", "colour": "blue", "identifiers": {}}, 400, "colour"),
]


@pytest.mark.parametrize(("body", "status", "field"), CASES)
async def test_dutch_is_dutch_and_english_is_english(api: Api, body, status, field) -> None:
    r = await api.call("POST", "/v1/organisations", PLATFORM, json=body)
    assert r.status_code == status, r.text
    problem = r.json()
    assert problem["field"] == field
    assert not NOT_DUTCH.search(problem["message_nl"]), problem["message_nl"]
    assert not NOT_ENGLISH.search(problem["message_en"]), problem["message_en"]


async def test_the_check_digits_are_named_in_words(api: Api) -> None:
    r = await api.call("POST", "/v1/organisations", PLATFORM, json={
        "type": "company", "name": "Bakkerij X", "identifiers": {"enterprise_number": "0207.509.032"}})
    assert r.json()["message_nl"] == "Ongeldige identificatie: de controlecijfers kloppen niet."
    assert r.json()["message_en"] == "Invalid identifier: the check digits do not match."


async def test_a_missing_identifier_is_named_in_words(api: Api) -> None:
    r = await api.call("POST", "/v1/organisations", PLATFORM,
                       json={"type": "company", "name": "Bakkerij X", "identifiers": {}})
    assert r.json()["message_nl"] == "Een organisatie van dit type heeft een ondernemingsnummer nodig."
    assert r.json()["message_en"] == "An organisation of this type needs its enterprise number."


@pytest.mark.parametrize(("content", "nl", "en"), [
    (b"", "De aanvraag heeft geen inhoud: stuur een JSON-object.", "The request has no body: send a JSON object."),
    (b" ", "De aanvraag is ongeldig: de JSON is leeg of onvolledig.",
     "The request is invalid: the JSON is empty or incomplete.")])
async def test_an_empty_body_gets_a_sentence(api: Api, content: bytes, nl: str, en: str) -> None:
    r = await api.call("POST", "/v1/check", "service:wse", content=content,
                       headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    problem = r.json()
    assert (problem["message_nl"], problem["message_en"]) == (nl, en), problem


def test_a_missing_time_zone_is_said_in_each_language() -> None:
    error = InvalidInput("invalid_value", "valid_until", reason="a time zone is required")
    assert error.message_nl == "Ongeldige waarde: vermeld een tijdzone (bijvoorbeeld Z of +01:00)."
    assert error.message_en == "Invalid value: give a time zone (for example Z or +01:00)."
