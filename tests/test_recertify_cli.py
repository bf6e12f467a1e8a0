"""`rights recertify start | list | tick` on a migrated and seeded SQLite database."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from rights.recertify import BRUSSELS, end_of_day
from tests.test_cli import clean_exit, rights


def test_start_list_and_tick(tmp_path: Path) -> None:
    env = {"RIGHTS_DATA_DIR": str(tmp_path)}
    clean_exit(rights("db", "upgrade", env=env), 0)
    clean_exit(rights("seed", env=env), 0)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()

    past = rights("recertify", "start", "--title", "Te laat", "--older-than-days", "0", "--deadline", "2020-01-01",
                  env=env)
    clean_exit(past, 1)
    assert "deadline: The deadline must be in the future." in past.output

    started = rights("recertify", "start", "--title", "Bakkerij", "--older-than-days", "0", "--deadline", tomorrow,
                     "--organisation", "BE 0723.145.688", env=env)
    clean_exit(started, 0)
    assert re.search(r"started rcc_\w+ 'Bakkerij': 4 grant\(s\) to recertify", started.output), started.output

    listed = rights("recertify", "list", env=env)
    clean_exit(listed, 0)
    assert "open" in listed.output and "pending 4" in listed.output

    ticked = rights("recertify", "tick", env=env)
    clean_exit(ticked, 0)
    # Bert and Sofie have a work e-mail; nothing is due yet.
    assert "reminders queued 2; campaigns closed 0" in ticked.output
    again = rights("recertify", "tick", env=env)
    assert "reminders queued 0" in again.output


def test_the_deadline_day_ends_at_midnight_in_brussels() -> None:
    deadline = end_of_day(date(2027, 3, 31))
    assert deadline.tzinfo is BRUSSELS and (deadline.month, deadline.day, deadline.hour) == (4, 1, 0)
    assert deadline.utcoffset() == timedelta(hours=2)  # summer time
