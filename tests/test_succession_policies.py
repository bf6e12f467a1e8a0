"""Issue 17: policies/successions.yaml is validated like every policy file, and its test cases run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rights.domain.model import SuccessionKind
from rights.policies import PolicyError, default_policies_dir, load_catalogue
from rights.policies.testing import run_policy_tests

POLICIES = default_policies_dir()


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICIES, target)
    return target


def test_every_kind_has_its_rules() -> None:
    catalogue = load_catalogue(POLICIES)
    assert set(catalogue.successions) == set(SuccessionKind)
    assert catalogue.succession(SuccessionKind.SPLIT).mandates == "list"
    assert catalogue.succession(SuccessionKind.MERGER).min_predecessors == 2


def test_the_succession_cases_pass_and_cover_every_outcome() -> None:
    results = [r for r in run_policy_tests(POLICIES, load_catalogue(POLICIES)) if r.file == "tests/successions.yaml"]
    assert results and all(r.passed for r in results), [r.failures() for r in results if not r.passed]
    outcomes = {a for r in results for s, a in zip(r.steps, r.actual, strict=True) if s.startswith("plan[")}
    assert outcomes >= {"move", "already_administrator", "already_user", "already_held",
                        "role_not_for_organisation_type", "user_type_not_allowed", "assignment_needed"}
    refusals = {a for r in results for s, a in zip(r.steps, r.actual, strict=True) if s == "succession"}
    assert {"succession_wrong_count", "succession_type_mismatch"} <= refusals


@pytest.mark.parametrize(("text", "key"), [
    ("- {kind: merger}\n- {kind: merger}\n", "$[1].kind"),
    ("- {kind: merger, min_predecessors: 0}\n", "$[0].min_predecessors"),
    ("- {kind: split, min_successors: 3, max_successors: 2}\n", "$[0].max_successors"),
    ("- {kind: fusion}\n", "$[0].kind"),
    ("- {kind: merger, mandates: keep}\n", "$[0].mandates"),
    ("- {kind: merger, carry: everything}\n", "$[0]"),
])
def test_a_broken_successions_file_is_refused(policies: Path, text: str, key: str) -> None:
    (policies / "successions.yaml").write_text(text)
    with pytest.raises(PolicyError) as err:
        load_catalogue(policies)
    assert err.value.file == "successions.yaml" and err.value.key.startswith(key)


def test_a_plan_without_a_succession_is_refused(policies: Path) -> None:
    (policies / "tests" / "bad.yaml").write_text(
        "- name: x\n  now: 2026-01-01T00:00:00Z\n  organisations: [{key: a, type: company}]\n"
        "  persons: [{key: p}]\n  plan: [{item: grant, person: p, organisation: a, expect: move}]\n")
    with pytest.raises(PolicyError) as err:
        run_policy_tests(policies, load_catalogue(policies))
    assert err.value.key == "$[0].plan"
