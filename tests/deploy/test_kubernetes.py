"""deploy/kubernetes: the kustomize overlays render, every manifest validates against a pinned Kubernetes
version (kubernetes-validate, strict), and the workloads carry the settings and commands the code has."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess

import click
import kubernetes_validate
import pytest
import yaml

from rights.cli import main
from rights.settings import ENVIRONMENT_VARIABLES
from tests.deploy import kustomize
from tests.deploy.helpers import DEPLOY

KUBERNETES_VERSION = "1.33.0"  # pinned: the oldest release the manifests promise to run on
OVERLAYS = ("development", "production")
SECRET_SETTINGS = {"RIGHTS_DATABASE_URL", "RIGHTS_SESSION_SECRET", "RIGHTS_OIDC_CLIENT_SECRET"}
WORKLOADS = {  # name -> the rights command it runs
    "rights": ["serve"],
    "rights-mail-worker": ["mail", "work"],
    "rights-directory-follower": ["ldap", "follow", "--lock"],
    "rights-migrate": ["db", "upgrade"],
    "rights-recertify": ["recertify", "tick"],
    "rights-audit-verify": ["audit", "verify"],
}


def _kubectl() -> str | None:
    """kubectl with a kustomize of v5 or later, if installed."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    version = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"Kustomize Version: v(\d+)", version)
    return kubectl if m and int(m.group(1)) >= 5 else None


def kubectl_render(overlay: str) -> list[dict]:
    kubectl = _kubectl()
    assert kubectl
    out = subprocess.run([kubectl, "kustomize", str(DEPLOY / "kubernetes" / "overlays" / overlay)],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def render(overlay: str) -> list[dict]:
    """`kubectl kustomize` where it is installed, else the suite's own renderer (tests/deploy/kustomize.py)."""
    if _kubectl():
        return kubectl_render(overlay)
    return kustomize.render(DEPLOY / "kubernetes" / "overlays" / overlay)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_suites_renderer_matches_kubectl(overlay: str) -> None:
    if not _kubectl():
        pytest.skip("kubectl with kustomize v5 is not installed: the suite's renderer is used alone")
    ours = json.dumps(kustomize.render(DEPLOY / "kubernetes" / "overlays" / overlay), sort_keys=True)
    theirs = json.dumps(kubectl_render(overlay), sort_keys=True)
    theirs = re.sub(r'"(rights-ldap-mapping|rights-secrets|rights-ldap)-[a-z0-9]{10}"', r'"\1"', theirs)  # hashes
    key = lambda d: (d["kind"], d["metadata"]["name"])  # noqa: E731
    assert sorted(json.loads(ours), key=key) == sorted(json.loads(theirs), key=key)


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict]]:
    return request.param, render(request.param)


def _pod_spec(doc: dict) -> dict:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return doc["spec"]["template"]["spec"]


def _find(docs: list[dict], kind: str, name: str) -> dict:
    [doc] = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def test_every_manifest_is_valid_for_the_pinned_kubernetes(rendered: tuple[str, list[dict]]) -> None:
    _, docs = rendered
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_validation_refuses_a_misspelt_field(rendered: tuple[str, list[dict]]) -> None:
    bad = copy.deepcopy(_find(rendered[1], "Deployment", "rights"))
    bad["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFileSystem"] = True  # capital S: wrong
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


def test_the_api_has_its_companions(rendered: tuple[str, list[dict]]) -> None:
    overlay, docs = rendered
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert {("Deployment", "rights"), ("Service", "rights"), ("Ingress", "rights"), ("NetworkPolicy", "rights-api"),
            ("Deployment", "rights-mail-worker"), ("Deployment", "rights-directory-follower"),
            ("Job", "rights-migrate"), ("CronJob", "rights-recertify"), ("CronJob", "rights-audit-verify")} <= kinds
    if overlay == "production":
        assert {("PodDisruptionBudget", "rights"), ("HorizontalPodAutoscaler", "rights")} <= kinds
        hpa = _find(docs, "HorizontalPodAutoscaler", "rights")
        assert hpa["spec"]["scaleTargetRef"]["name"] == "rights" and hpa["spec"]["minReplicas"] >= 2
        pdb = _find(docs, "PodDisruptionBudget", "rights")
        api = _find(docs, "Deployment", "rights")
        assert pdb["spec"]["selector"]["matchLabels"].items() <= api["spec"]["template"]["metadata"]["labels"].items()
    else:  # development: PostgreSQL and the mail catcher come along; one API pod (one development key)
        assert {("StatefulSet", "postgres"), ("Deployment", "mailcatcher")} <= kinds
        assert _find(docs, "Deployment", "rights")["spec"]["replicas"] == 1


def test_the_follower_is_single_active(rendered: tuple[str, list[dict]]) -> None:
    follower = _find(rendered[1], "Deployment", "rights-directory-follower")
    assert follower["spec"]["strategy"]["type"] == "Recreate"
    assert "--lock" in _pod_spec(follower)["containers"][0]["args"]


def test_workloads_run_real_commands_with_every_setting(rendered: tuple[str, list[dict]]) -> None:
    overlay, docs = rendered
    config = _find(docs, "ConfigMap", "rights-config")["data"]
    known = set(ENVIRONMENT_VARIABLES)
    expected = known - {"RIGHTS_DEV_SIGNING_KEY"}  # production refuses it; development generates one
    assert "RIGHTS_DEV_SIGNING_KEY" not in config
    assert (config["RIGHTS_ENV"] == "production") == (overlay == "production")
    for doc in docs:
        if doc["kind"] not in ("Deployment", "Job", "CronJob") or doc["metadata"]["name"] not in WORKLOADS:
            continue
        spec = _pod_spec(doc)
        for container in spec.get("initContainers", []) + spec["containers"]:
            assert container["image"].endswith(("/rights:0.1.0", "/rights:local")), container["image"]
            env = {e["name"] for e in container.get("env", [])}
            from_config = {k for ref in container.get("envFrom", []) if "configMapRef" in ref for k in config}
            assert env | from_config >= expected, (doc["metadata"]["name"], sorted(expected - env - from_config))
            assert (env | from_config) <= known, sorted((env | from_config) - known)
            assert SECRET_SETTINGS <= env and not SECRET_SETTINGS & set(config), "secrets only from the Secret"
            sc = container["securityContext"]
            assert sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"]
        assert spec["securityContext"]["runAsNonRoot"] and spec["securityContext"]["runAsUser"] == 10001
        args = spec["containers"][0]["args"]
        assert args == WORKLOADS[doc["metadata"]["name"]]
        _resolve(args)


def test_only_the_worker_sends_mail(rendered: tuple[str, list[dict]]) -> None:
    docs = rendered[1]
    config = _find(docs, "ConfigMap", "rights-config")["data"]
    assert config["RIGHTS_SMTP_HOST"]
    api = _pod_spec(_find(docs, "Deployment", "rights"))["containers"][0]
    assert {"name": "RIGHTS_SMTP_HOST", "value": ""} in api["env"]


def _resolve(args: list[str]) -> None:
    """The command exists in `rights` with these options."""
    command: click.Command = main
    rest = list(args)
    ctx = main.make_context("rights", list(args), resilient_parsing=True)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        command = command.get_command(ctx, rest.pop(0))
        assert command is not None, args
    options = {opt for p in command.params for opt in p.opts}
    assert all(a in options for a in rest if a.startswith("-")), (args, options)


def test_the_example_mapping_loads() -> None:
    from rights.directory.mapping import load_mapping

    load_mapping(DEPLOY / "kubernetes" / "base" / "ldap-mapping.yaml")
