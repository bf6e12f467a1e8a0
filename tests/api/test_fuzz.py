"""Issue 10, item 15 and issue 13, item 4: schemathesis fuzzes every operation of the OpenAPI document, in
process, with a platform administrator's token and with a service client's token: no input may get a
server error, and every answer conforms to the document (its status code, its content type, its body
against the response schema, its documented headers).

Bounded (10 examples per operation, positive and negative, no shrinking; SQLite and PostgreSQL) so
the whole run takes a couple of minutes.
(The schemathesis pytest plugin breaks on pytest 9, so hypothesis drives each operation's strategy.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation.modes import GenerationMode

from rights.api.app import create_app
from rights.api.tokens import ensure_dev_key, mint_dev_token
from rights.domain.ports import PrincipalKind
from rights.settings import Settings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
TOKENS = {"platform": (PrincipalKind.PLATFORM_ADMIN, "fuzz-ops"), "service": (PrincipalKind.SERVICE, "fuzz-desk")}


@pytest.fixture
def fuzz_settings(store_url: str, tmp_path: Path) -> Settings:
    """A migrated database of each kind, with the demo data (seeded below) for the fuzzer to hit."""
    return Settings(data_dir=tmp_path, database_url=store_url, dev_signing_key=ensure_dev_key(tmp_path / "key.pem"),
                    seed_when_empty=False, helpline_lookups_per_minute=1_000_000)


@pytest.fixture
def api_schema(fuzz_settings: Settings) -> Iterator[Any]:
    from schemathesis.python.asgi import shutdown_lifespans

    from rights.cli import _seed
    from tests.conftest import run_in_thread

    run_in_thread(_seed, fuzz_settings, True)
    yield schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(fuzz_settings))
    shutdown_lifespans()  # stop the app (its index keeper) before the database is dropped


@pytest.fixture
def bearers(fuzz_settings: Settings) -> list[dict[str, str]]:
    return [{"Authorization": f"Bearer {mint_dev_token(fuzz_settings, kind, subject)}"}
            for kind, subject in TOKENS.values()]


def test_no_input_gets_a_server_error_or_an_undocumented_answer(api_schema, bearers: list[dict[str, str]]) -> None:
    """Every operation, a dozen generated inputs each, each input as the platform and as a service."""
    failures: dict[str, str] = {}
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # Valid-looking inputs (which reach the use cases and the database) and invalid ones.
        strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                             operation.as_strategy(GenerationMode.NEGATIVE))

        @given(case=strategy)
        @settings(max_examples=10, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def fuzz(case) -> None:
            for bearer in bearers:
                case.call_and_validate(headers=bearer, checks=CHECKS)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure, then report them all
            failures[operation.label] = str(exc)[:2000]
    assert operations > 40
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
