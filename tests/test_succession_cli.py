"""`rights succession enter | show | apply | list` and `rights check` on a migrated, seeded SQLite database."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from tests.test_cli import clean_exit, rights


def test_enter_preview_apply_and_check(tmp_path: Path) -> None:
    env = {"RIGHTS_DATA_DIR": str(tmp_path)}
    clean_exit(rights("db", "upgrade", env=env), 0)
    clean_exit(rights("seed", env=env), 0)
    yesterday = (date.today() - timedelta(days=1)).isoformat()

    refused = rights("succession", "enter", "--kind", "merger", "--predecessor", "0723.145.688",
                     "--successor", "0471230948", "--effective", yesterday, "--reason", "x", env=env)
    clean_exit(refused, 1)
    assert "predecessors: A merger has 2 to" in refused.output

    entered = rights("succession", "enter", "--kind", "absorption", "--source", "kbo", "--predecessor",
                     "BE 0723.145.688", "--successor", "0471230948", "--effective", yesterday,
                     "--reason", "KBO: overname door De Cijferaar", env=env)
    clean_exit(entered, 0)
    sid = re.search(r"^(suc_\w+)\s+absorption\s+proposed", entered.output, re.M)
    assert sid, entered.output
    assert re.search(r"move\s+grant\s+per_\w+ DWSEOrganisatieverantwoordelijke-VOP from Bakkerij Peeters BV",
                     entered.output), entered.output

    listed = rights("succession", "list", env=env)
    assert sid.group(1) in listed.output and "proposed" in listed.output

    applied = rights("succession", "apply", sid.group(1), env=env)
    clean_exit(applied, 0)
    assert "applied at revision" in applied.output
    again = rights("succession", "apply", sid.group(1), env=env)
    clean_exit(again, 1)
    assert "no longer proposed: applied" in again.output

    checked = rights("check", "--person", "85073003328", "--organisation", "0723145688",
                     "--role", "DWSEOrganisatieverantwoordelijke", "--measure", "VOP", env=env)
    clean_exit(checked, 0)
    assert "ALLOWED (granted)" in checked.output and "succeeded by org_" in checked.output
    shown = rights("succession", "show", sid.group(1), env=env)
    assert f"{sid.group(1)}  absorption  applied" in shown.output
