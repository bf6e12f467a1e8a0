"""The image builds and runs (issue 15 item 1): deploy/build-image makes it from a Debian base built with
mmdebstrap (no registry needed); its file system, exported with podman, runs `rights serve` with the
image's own user, working directory, environment and command, chrooted on the host network against a
fresh PostgreSQL database, until /readyz answers 200. (`podman run` cannot run containers on these
machines: their cgroups refuse OCI runtimes; the chroot is the documented way, deploy/README.md.)

Slow on a cold cache (bootstrap and apt: about 6 minutes); with the base tarball and podman's layer and pip
caches warm, a rebuild after a source change takes one to three minutes."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import smtplib
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.deploy.helpers import DEPLOY, ROOT
from tests.test_serve import free_port

TAG = "localhost/rights:local"

pytestmark = pytest.mark.postgres


def _need_tools() -> None:
    missing = [t for t in ("podman", "mmdebstrap", "chroot") if shutil.which(t) is None]
    if missing or os.geteuid() != 0:
        why = f"missing {', '.join(missing)} (apt-get install podman mmdebstrap)" if missing else "needs root"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the image test must run with CI=true: {why}; scripts/setup --dev installs them")
        pytest.skip(f"cannot build images here: {why}")


@contextmanager
def exported(tag: str, target: str) -> Iterator[tuple[Path, dict]]:
    """Build `target` as `tag` with deploy/build-image, then its file system in a temporary directory."""
    _need_tools()
    build = subprocess.run([str(DEPLOY / "build-image"), tag, target], cwd=ROOT, capture_output=True, text=True,
                           timeout=1800)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    config = json.loads(subprocess.run(["podman", "image", "inspect", tag], capture_output=True, text=True,
                                       check=True).stdout)[0]["Config"]
    with tempfile.TemporaryDirectory(prefix="rights-image-") as tmp:
        root = Path(tmp)
        root.chmod(0o755)  # "/" of the image: the service's user must get through it
        container = subprocess.run(["podman", "create", tag], capture_output=True, text=True, check=True).stdout.strip()
        try:
            export = subprocess.Popen(["podman", "export", container], stdout=subprocess.PIPE)
            subprocess.run(["tar", "-x", "-C", str(root)], stdin=export.stdout, check=True)
            assert export.wait() == 0
        finally:
            subprocess.run(["podman", "rm", container], capture_output=True, check=False)
        yield root, config


def start(root: Path, config: dict, **overrides: str) -> subprocess.Popen:
    """Run the image's entry point and command as its user, in its working directory, with its environment."""
    env = {**dict(e.split("=", 1) for e in config["Env"]), **overrides}
    command = " ".join(shlex.quote(a) for a in [*config["Entrypoint"], *(config.get("Cmd") or [])])
    return subprocess.Popen(
        ["chroot", f"--userspec={config['User']}", str(root), "/usr/bin/env", "-i",
         *(f"{k}={v}" for k, v in env.items()), "/bin/sh", "-c", f"cd {config.get('WorkingDir') or '/'} && exec {command}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def image_root() -> Iterator[tuple[Path, dict]]:
    with exported(TAG, "production") as built:
        yield built


def test_the_runtime_is_slim_and_non_root(image_root: tuple[Path, dict]) -> None:
    root, config = image_root
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["rights"] and config["Cmd"] == ["serve"]
    env = dict(e.split("=", 1) for e in config["Env"])
    assert env["RIGHTS_ENV"] == "production" and env["RIGHTS_POLICIES_DIR"] == "/app/policies"
    # No compiler, no headers, no pip secrets: the build stage keeps them.
    for path in ("usr/bin/gcc", "usr/include/ldap.h", "usr/include/python3.11", "run/secrets/pip-cert"):
        assert not (root / path).exists(), path
    assert (root / "opt/venv/bin/rights").exists() and (root / "app/policies").is_dir()


def test_the_image_serves_and_is_ready(image_root: tuple[Path, dict], pg_url: str) -> None:
    root, config = image_root
    port = free_port()
    shutil.copy(DEPLOY / "jwks.example.json", root / "tmp" / "jwks.json")
    proc = start(
        root, config,
        RIGHTS_HOST="127.0.0.1", RIGHTS_PORT=str(port),  # the host network: loopback only
        RIGHTS_DATABASE_URL=make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False),
        RIGHTS_OIDC_ISSUER="https://issuer.example.invalid", RIGHTS_OIDC_JWKS_FILE="/tmp/jwks.json",
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the image did not become ready"
            time.sleep(0.5)
        assert ready.json()["database"] == "ok"
        # Production mode: no demo login, tokens only from the configured issuer.
        assert httpx.get(f"http://127.0.0.1:{port}/v1/persons/me/claims", timeout=5).status_code == 401
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0]
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert lines, "the image logs JSON (RIGHTS_LOG_FORMAT=json)"


def test_the_mailcatcher_target_catches_mail() -> None:
    with exported("localhost/rights-mailcatcher:local", "mailcatcher") as (root, config):
        smtp_port, http_port = free_port(), free_port()
        config = {**config, "Cmd": ["--host", "127.0.0.1", "--smtp-port", str(smtp_port), "--http-port", str(http_port)]}
        proc = start(root, config)
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, proc.stdout.read()
                try:
                    httpx.get(f"http://127.0.0.1:{http_port}/healthz", timeout=2).raise_for_status()
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline, "the mail catcher did not start"
                    time.sleep(0.3)
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = "noreply@rights.localhost", "bert@example.be", "Doorgestuurd"
            msg.set_content("Jan belde.")
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as s:
                s.send_message(msg)
            [kept] = httpx.get(f"http://127.0.0.1:{http_port}/messages.json", timeout=5).json()
            assert kept["subject"] == "Doorgestuurd" and kept["envelope_to"] == ["bert@example.be"]
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
