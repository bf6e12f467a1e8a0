"""compose.yaml's mail path: `rights mail work` (the outbox worker as its own process) sends what waits in
the outbox to the development mail catcher, whose web view shows it; SIGTERM stops the worker cleanly."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import httpx

from rights.mail.ports import NewMail
from rights.mail.sql import SqlOutbox
from rights.storage.engine import build_engine
from rights.storage.migrate import upgrade
from tests.conftest import run_in_thread
from tests.deploy.mailcatcher import running_catcher

RIGHTS = Path(sys.executable).with_name("rights")


def test_the_catcher_keeps_and_shows_mail() -> None:
    with running_catcher() as catcher:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "noreply@rights.localhost", "bert@example.be", "Vraag <VOP>"
        msg.set_content("Beste Bert,\nJan belde.")
        with smtplib.SMTP("127.0.0.1", catcher.smtp_port, timeout=5) as s:
            s.send_message(msg)
        [kept] = catcher.messages()
        assert kept["envelope_to"] == ["bert@example.be"] and kept["subject"] == "Vraag <VOP>"
        assert "Jan belde." in kept["body"]
        page = httpx.get(catcher.web + "/", timeout=5).text
        assert "DEVELOPMENT mail catcher" in page and "Vraag &lt;VOP&gt;" in page and "<VOP>" not in page
        assert httpx.post(catcher.web + "/clear", timeout=5).status_code in (200, 303)
        assert catcher.messages() == []


async def _queue(url: str, n: int) -> None:
    await upgrade(url)
    engine = build_engine(url)
    try:
        await SqlOutbox(engine).enqueue(
            [NewMail(kind="t", recipient=f"admin{i}@example.be", subject=f"s{i}", body="b") for i in range(n)],
            now=datetime.now(UTC))
    finally:
        await engine.dispose()


def test_mail_work_sends_to_the_catcher_until_stopped(sqlite_url: str, tmp_path: Path) -> None:
    run_in_thread(_queue, sqlite_url, 2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_")}
    with running_catcher() as catcher:
        refused = subprocess.run([str(RIGHTS), "mail", "work"], env={**env, "RIGHTS_DATABASE_URL": sqlite_url},
                                 capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0 and "RIGHTS_SMTP_HOST" in refused.stderr
        env.update(RIGHTS_DATABASE_URL=sqlite_url, RIGHTS_SMTP_HOST="127.0.0.1",
                   RIGHTS_SMTP_PORT=str(catcher.smtp_port), RIGHTS_DATA_DIR=str(tmp_path), RIGHTS_LOG_FORMAT="json")
        proc = subprocess.Popen([str(RIGHTS), "mail", "work", "--poll-seconds", "0.2"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while len(catcher.messages()) < 2:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the worker sent nothing"
                time.sleep(0.2)
            # Queued while the worker runs: picked up by its next poll.
            run_in_thread(_queue, sqlite_url, 1)
            while len(catcher.messages()) < 3:
                assert time.monotonic() < deadline + 15, "the worker missed a later mail"
                time.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert sorted(m["envelope_to"][0] for m in catcher.messages()) == [
            "admin0@example.be", "admin0@example.be", "admin1@example.be"]
        assert "example.be" not in err, "addresses are never logged"
