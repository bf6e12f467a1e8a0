"""The compose stack, run without containers: the processes deploy/compose.yaml starts (`rights serve`,
`rights mail work`, the mail catcher) with the environment it gives them, on a fresh PostgreSQL database.
Only what compose resolves itself is replaced: host names and ports become loopback ones, and the image's
paths (/app/policies, /var/lib/rights) the checkout's. Then what the README promises: the screens with the
demo login, a helpline forward that arrives in the mail catcher, and the README's curl session."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.deploy.helpers import ROOT, load_compose, rights_command, service_environment
from tests.deploy.mailcatcher import running_catcher
from tests.test_serve import free_port

RIGHTS = Path(sys.executable).with_name("rights")
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
AN, PEETERS = "85073003328", "0723.145.688"
VOP = {"person": AN, "organisation": "BE 0723.145.688", "role": "DWSEOrganisatieverantwoordelijke", "measure": "VOP"}

pytestmark = pytest.mark.postgres


def _env(service: str, **local: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_")}
    compose = service_environment(load_compose()["services"][service])
    assert set(local) <= set(compose), "only settings compose gives are replaced"
    return {**env, **compose, **local}


def _csrf(html: str) -> str:
    m = CSRF.search(html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def test_the_compose_stack_serves_the_screens_mail_and_the_readme_session(pg_url: str, tmp_path: Path) -> None:
    compose = load_compose()["services"]
    assert rights_command(compose["rights"]) == ["serve"] and rights_command(compose["mail-worker"]) == ["mail", "work"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    paths = dict(RIGHTS_DATABASE_URL=database, RIGHTS_DATA_DIR=str(tmp_path),
                 RIGHTS_POLICIES_DIR=str(ROOT / "policies"), RIGHTS_SEEDS_DIR=str(ROOT / "seeds"))
    with running_catcher() as catcher:
        api = subprocess.Popen(
            [str(RIGHTS), *rights_command(compose["rights"])],
            env=_env("rights", **paths, RIGHTS_HOST="127.0.0.1", RIGHTS_PORT=str(port), RIGHTS_PUBLIC_URL=base),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        worker = None
        try:
            banner = []
            deadline = time.monotonic() + 120
            while not any("export PLATFORM_TOKEN=" in line for line in banner):
                line = api.stdout.readline()
                assert line or api.poll() is None, "rights serve stopped: " + "".join(banner)
                banner.append(line)
                assert time.monotonic() < deadline, "no demo tokens printed"
            tokens = dict(re.findall(r"export (\w+_TOKEN)=(\S+)", "".join(banner)))
            assert {"DESK_TOKEN", "HELPLINE_TOKEN", "AN_TOKEN", "SOFIE_TOKEN"} <= set(tokens)
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline and api.poll() is None, "rights serve not ready"
                time.sleep(0.3)
            worker = subprocess.Popen(
                [str(RIGHTS), *rights_command(compose["mail-worker"]), "--poll-seconds", "0.3"],
                env=_env("mail-worker", **paths, RIGHTS_SMTP_HOST="127.0.0.1", RIGHTS_SMTP_PORT=str(catcher.smtp_port)),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

            _helpline_forward_reaches_the_catcher(base, catcher)
            _readme_session(base, tokens)
        finally:
            for proc in (worker, api):
                if proc is not None:
                    proc.terminate()
                    proc.communicate(timeout=30)


def _helpline_forward_reaches_the_catcher(base: str, catcher) -> None:
    with httpx.Client(base_url=base, follow_redirects=True, timeout=10) as screen:
        login = screen.get("/helpline/login")
        assert "demo" in login.text.lower()
        r = screen.post("/helpline/login", data={"persona": "helpline", "_csrf_token": _csrf(login.text)})
        assert r.status_code == 200 and str(r.url).endswith("/helpline"), r.url
        results = screen.get("/helpline", params={"q": PEETERS}).text
        link = re.search(r'href="(/helpline/organisations/org_[0-9a-f]+)"', results).group(1)
        card = screen.get(link).text
        form = {"caller_name": "Jan Janssens", "caller_email": "jan@example.be", "caller_phone": "+32 470 12 34 56",
                "message": "Ik wil de VOP aanvragen.", "_csrf_token": _csrf(card)}
        r = screen.post(f"{link}/forward", data=form)
        assert r.status_code == 200 and "Doorgestuurd naar 2 beheerders." in r.text
    deadline = time.monotonic() + 30
    while len(catcher.messages()) < 2:
        assert time.monotonic() < deadline, "the forwarded e-mails did not reach the mail catcher"
        time.sleep(0.3)
    mails = catcher.messages()
    assert sorted(m["envelope_to"][0] for m in mails) == ["bert@bakkerij-peeters.example.be",
                                                          "sofie.vermeulen@example.be"]
    assert all("Jan Janssens" in m["body"] for m in mails)
    assert "Jan Janssens" in httpx.get(catcher.web + "/", timeout=5).text


def _readme_session(base: str, tokens: dict[str, str]) -> None:
    def auth(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[name]}"}

    with httpx.Client(base_url=base, timeout=10) as http:
        yes = http.post("/v1/check", headers=auth("DESK_TOKEN"), json=VOP).json()
        assert yes["allowed"] is True and yes["reason"] == "granted"
        no = http.post("/v1/check", headers=auth("DESK_TOKEN"),
                       json={**VOP, "organisation": "0723145688", "measure": "AWI"}).json()
        assert no["allowed"] is False and no["reason"] == "no_grant"
        lookup = http.get("/v1/helpline/lookup", params={"q": "bakkerij peeters"}, headers=auth("HELPLINE_TOKEN"))
        assert lookup.status_code == 200 and "Peeters" in lookup.text
        assert http.get("/v1/persons/me/claims", headers=auth("AN_TOKEN")).status_code == 200
        assert http.get("/v1/persons/me/organisations", headers=auth("AN_TOKEN")).status_code == 200
        revoked = http.post(f"/v1/grants/{yes['grant_id']}/revoke", headers=auth("SOFIE_TOKEN"),
                            json={"reason": "An is uit dienst"})
        assert revoked.status_code == 200, revoked.text
        after = http.post("/v1/check", headers=auth("DESK_TOKEN"),
                          json={**VOP, "at_least_revision": revoked.json().get("revision", 0)}).json()
        assert after["allowed"] is False and after["reason"] == "grant_revoked", after
        bad = http.post("/v1/check", headers=auth("DESK_TOKEN"), json={**VOP, "organisation": "0723.145.689"})
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_identifier"
        assert bad.json()["field"] == "organisation"
