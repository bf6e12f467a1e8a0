"""Issue 15 item 5: the issuer's JWKS is fetched asynchronously. A real local key server that sleeps
shows that requests signed with an already-known key are answered while a refresh for a new key id is
still pending, and that an unknown key id re-reads the key set at most once per interval."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec

from rights.api.app import create_app
from rights.settings import Settings

ISSUER = "https://idp.example.vlaanderen.be"
SLEEP = 4.0  # the key server's stall; generous: only used to prove the others did not wait


class KeyServer:
    def __init__(self) -> None:
        self.keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        self.delay = 0.0
        self.requests = 0
        self.sleeping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests += 1
                published = dict(server.keys)
                if server.delay:
                    server.sleeping.set()
                    time.sleep(server.delay)
                    server.sleeping.clear()
                body = json.dumps({"keys": [
                    {**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(k.public_key())), "kid": kid, "use": "sig",
                     "alg": "ES256"} for kid, k in published.items()]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/jwks.json"

    def add_key(self, kid: str) -> None:
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())

    def token(self, kid: str, client: str, key_of: str | None = None) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": "rights", "sub": client, "client_id": client, "scope": "rights:check",
                  "iat": now, "exp": now + 300}
        key = self.keys[key_of or kid] if (key_of or kid) in self.keys else ec.generate_private_key(ec.SECP256R1())
        return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid})


@pytest.fixture
def key_server() -> Iterator[KeyServer]:
    server = KeyServer()
    server.add_key("k1")
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture
def issuer_settings(key_server: KeyServer, store_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=store_url, seed_when_empty=False, oidc_issuer=ISSUER,
                    oidc_jwks_url=key_server.url, oidc_jwks_refresh_seconds=60)


QUESTION = {"person": "85073003328", "organisation": "0723.145.688", "role": "DWSEOrganisatieverantwoordelijke",
            "measure": "VOP"}


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app under uvicorn on a loopback port, in this event loop: real concurrent requests (the
    test client would serialise them)."""
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_config=None,
                                           access_log=False, lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.02)
        assert server.started, "server did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        await task


async def check(client: httpx.AsyncClient, token: str) -> int:
    r = await client.post("/v1/check", json=QUESTION, headers={"Authorization": f"Bearer {token}"})
    return r.status_code


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_known_keys_answer_while_a_refresh_for_a_new_key_is_pending(
        key_server: KeyServer, issuer_settings: Settings) -> None:
    async with serving(issuer_settings) as client:
        assert await check(client, key_server.token("k1", "warm-up")) == 200

        # The issuer rotates in k2 and its key server stalls; a k2 token triggers the refresh.
        key_server.add_key("k2")
        key_server.delay = SLEEP
        rotated = asyncio.create_task(check(client, key_server.token("k2", "rotated")))
        for _ in range(200):
            if key_server.sleeping.is_set():
                break
            await asyncio.sleep(0.02)
        assert key_server.sleeping.is_set(), "the unknown kid did not trigger a refresh"

        # Twenty different clients with tokens from the known key (none in the token cache) all get
        # their answers while the key server is still sleeping: nothing waited for the refresh.
        known = await asyncio.gather(*(check(client, key_server.token("k1", f"wse-{i}")) for i in range(20)))
        assert known == [200] * 20
        assert key_server.sleeping.is_set() and not rotated.done()

        assert await rotated == 200  # the new key, once the refresh came back
        assert key_server.requests == 2

        # A made-up key id right after: refused, and the key server is not asked again (once per interval).
        key_server.delay = 0
        assert await check(client, key_server.token("k9", "forger")) == 401
        assert key_server.requests == 2
        assert await check(client, key_server.token("k1", "still-fine")) == 200


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_a_token_signed_by_another_key_under_a_known_kid_is_refused(
        key_server: KeyServer, issuer_settings: Settings) -> None:
    async with serving(issuer_settings) as client:
        assert await check(client, key_server.token("k1", "warm-up")) == 200
        forged = key_server.token("k1", "forger", key_of="nobody")
        assert await check(client, forged) == 401


async def test_old_keys_serve_while_a_background_refresh_runs_and_survive_a_failed_one(key_server: KeyServer) -> None:
    from rights.api.jwks import RemoteKeySet

    now = [1000.0]
    keys = RemoteKeySet(key_server.url, refresh_seconds=60, max_age_seconds=300, timeout=2, clock=lambda: now[0])
    try:
        assert [k.key_id for k in await keys.keys_for("k1")] == ["k1"] and key_server.requests == 1
        now[0] += 301  # the set is old: refreshed in the background, the cached key answers at once
        key_server.delay = 1.0
        assert [k.key_id for k in await keys.keys_for("k1")] == ["k1"]
        refresh = keys._task
        assert refresh is not None and not refresh.done()
        await refresh
        assert key_server.requests == 2

        key_server.delay = 0
        key_server.httpd.shutdown()  # the issuer goes away: a failed refresh keeps the keys we have
        key_server.httpd.server_close()
        now[0] += 301
        assert [k.key_id for k in await keys.keys_for("k1")] == ["k1"]
        await keys._task
        assert [k.key_id for k in await keys.keys_for("k1")] == ["k1"]
        assert await keys.keys_for("unknown") == [] and keys.fetches == 4
        assert await keys.keys_for("unknown-2") == [] and keys.fetches == 4  # once per interval
    finally:
        await keys.aclose()
