"""POST/GET /v1/recertifications: platform administrators only; bad input is a problem naming the field
and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import Api

PLATFORM = "platform:ops"


def tomorrow() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()


async def test_start_and_list(api: Api) -> None:
    r = await api.call("POST", "/v1/recertifications", PLATFORM, expect=201,
                       json={"title": "Jaarlijks", "min_age_days": 365, "deadline": tomorrow()})
    body = r.json()
    assert body["campaign"]["status"] == "open" and body["campaign"]["items"] == {"pending": 0}
    listed = (await api.call("GET", "/v1/recertifications", PLATFORM, expect=200)).json()["items"]
    assert [c["id"] for c in listed] == [body["campaign"]["id"]]
    assert listed[0]["items"] == {"pending": 0, "confirmed": 0, "revoked": 0, "expired_before": 0}


async def test_refusals_name_the_field_and_write_nothing(api: Api) -> None:
    cases = [
        ({"title": "x", "min_age_days": 30, "deadline": "2020-01-01T00:00:00Z"}, 422, "deadline",
         "recert_deadline_in_past"),
        ({"title": "x", "min_age_days": -1, "deadline": tomorrow()}, 422, "min_age_days", "recert_min_age_invalid"),
        ({"title": " ", "min_age_days": 1, "deadline": tomorrow()}, 422, "title", "recert_title_required"),
        ({"title": "x", "min_age_days": 1, "deadline": tomorrow(), "colour": "red"}, 400, "colour", "invalid_request"),
        ({"title": "x", "min_age_days": "many", "deadline": tomorrow()}, 400, "min_age_days", "invalid_request"),
        ({"title": "x", "min_age_days": 1, "deadline": tomorrow(), "organisation": "0123.456.789"}, 422,
         "organisation", "invalid_identifier"),
    ]
    for body, status, field, code in cases:
        r = await api.call("POST", "/v1/recertifications", PLATFORM, json=body)
        assert r.status_code == status, (body, r.text)
        problem = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert (problem["field"], problem["code"]) == (field, code), problem
    person = await api.call("POST", "/v1/recertifications", "person:85073003328",
                            json={"title": "x", "min_age_days": 1, "deadline": tomorrow()})
    assert person.status_code == 403
    assert (await api.call("GET", "/v1/recertifications", "person:85073003328")).status_code == 403
    assert (await api.call("GET", "/v1/recertifications", PLATFORM, expect=200)).json()["items"] == []
