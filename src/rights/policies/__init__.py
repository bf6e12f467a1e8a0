"""The repository's policy files: the rights catalogue and its test cases, read and checked."""

from rights.policies.loader import PolicyError, default_policies_dir, load_catalogue
from rights.policies.testing import (
    LoadedCase,
    PolicyCase,
    PolicyTestResult,
    load_policy_cases,
    run_policy_case,
    run_policy_tests,
)

__all__ = [
    "LoadedCase",
    "PolicyCase",
    "PolicyError",
    "PolicyTestResult",
    "default_policies_dir",
    "load_catalogue",
    "load_policy_cases",
    "run_policy_case",
    "run_policy_tests",
]
