"""deploy/prometheus/alerts.yaml and deploy/grafana/rights.json: well formed, over the metrics the service
exposes (and nothing else), every alert explained in the runbook; promtool checks and unit-tests the rules."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from tests.deploy.helpers import DEPLOY, ROOT

# The service's own metrics (agreed with the metrics work, issue 15 item 6), plus Prometheus' `up`.
METRICS = {
    "rights_checks_total", "rights_check_seconds", "rights_index_revision", "rights_index_lag_revisions",
    "rights_index_grants", "rights_outbox_pending", "rights_outbox_failed", "rights_outbox_oldest_age_seconds",
    "rights_import_runs_total", "rights_directory_sync_ok", "rights_directory_sync_lag_seconds",
    "rights_held_removals", "rights_ratelimit_refusals_total", "rights_audit_head_age_seconds",
}
HISTOGRAMS = {"rights_check_seconds"}
ALERTS = DEPLOY / "prometheus" / "alerts.yaml"
DASHBOARD = DEPLOY / "grafana" / "rights.json"
RUNBOOK = ROOT / "docs" / "operations.md"
_NAME = re.compile(r"\b(rights_[a-z0-9_]+)\b")


def metric_names(expr: str) -> set[str]:
    """The metric names an expression reads (histogram series mapped to their histogram)."""
    names = set()
    for name in _NAME.findall(re.sub(r'"[^"]*"', '""', expr)):  # not inside label values
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        names.add(base if base in HISTOGRAMS else name)
    return names


def unknown_metrics(expr: str) -> set[str]:
    return metric_names(expr) - METRICS


def _anchors() -> set[str]:
    return {re.sub(r"[^a-z0-9 -]", "", m.lower()).replace(" ", "-")
            for m in re.findall(r"^#+\s+(.+?)\s*$", RUNBOOK.read_text(encoding="utf-8"), flags=re.M)}


def _rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def test_every_rule_is_well_formed_and_explained() -> None:
    rules, anchors = _rules(), _anchors()
    assert len({r["alert"] for r in rules}) == len(rules), "alert names are unique"
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        url = rule["annotations"]["runbook_url"]
        assert url == f"docs/operations.md#{rule['alert'].lower()}" and rule["alert"].lower() in anchors, rule["alert"]
        assert not unknown_metrics(rule["expr"]), (rule["alert"], unknown_metrics(rule["expr"]))


def test_the_rules_cover_every_metric() -> None:
    used = set().union(*(metric_names(r["expr"]) for r in _rules()))
    assert used == METRICS, sorted(METRICS - used)


def test_the_checker_refuses_an_unknown_metric() -> None:
    assert unknown_metrics('rate(rights_checks_total{outcome="rights_typo"}[5m])') == set()
    assert unknown_metrics("rights_outbox_pendng > 5") == {"rights_outbox_pendng"}
    assert unknown_metrics("histogram_quantile(0.9, rate(rights_check_seconds_bucket[5m]))") == set()
    assert unknown_metrics("rate(rights_checks_seconds_bucket[5m])") == {"rights_checks_seconds_bucket"}


def test_the_dashboard_reads_only_known_metrics() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] and dashboard["title"] == "rights"
    assert {v["name"] for v in dashboard["templating"]["list"]} >= {"datasource", "instance"}
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for p in dashboard["panels"]:
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24, p["title"]
    assert not set().union(*(unknown_metrics(e) for e in exprs))
    assert set().union(*(metric_names(e) for e in exprs)) == METRICS


def test_promtool_checks_and_unit_tests_the_rules() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is missing (apt-get install prometheus; scripts/setup --dev installs it)")
        pytest.skip("promtool is not installed (Debian package prometheus)")
    for args in (["check", "rules", "alerts.yaml"], ["test", "rules", "alerts.test.yaml"]):
        result = subprocess.run([promtool, *args], cwd=ALERTS.parent, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
