"""A small kustomize renderer for deploy/kubernetes, for machines without kubectl (Debian 12's
kubernetes-client is 1.20, whose built-in kustomize predates what the manifests use).

It implements exactly what the manifests use, in kustomize's order: resources (files and directories),
configMapGenerator (files) and secretGenerator (literals), patches (strategic-merge files, inline
`$patch: delete`, JSON 6902 with a target), then labels (with includeSelectors), images, replicas and
namespace. Generated names get no hash suffix. tests/deploy/test_kubernetes.py compares its output
with `kubectl kustomize` wherever kubectl is installed, so it cannot drift from the real thing."""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import yaml

POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "Job"}


def render(directory: Path) -> list[dict[str, Any]]:
    k = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
    docs: list[dict[str, Any]] = []
    for resource in k.get("resources", []):
        path = directory / resource
        if path.is_dir():
            docs += render(path)
        else:
            docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    for gen in k.get("configMapGenerator", []):
        data = {Path(f).name: (directory / f).read_text(encoding="utf-8") for f in gen.get("files", [])}
        data |= dict(item.split("=", 1) for item in gen.get("literals", []))
        docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": gen["name"]}, "data": data})
    for gen in k.get("secretGenerator", []):
        data = {key: base64.b64encode(value.encode()).decode()
                for key, value in (item.split("=", 1) for item in gen.get("literals", []))}
        docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": gen["name"]}, "type": "Opaque",
                     "data": data})
    for patch in k.get("patches", []):
        docs = _patch(docs, patch, directory)
    for label in k.get("labels", []):
        for doc in docs:
            _label(doc, label["pairs"], label.get("includeSelectors", False))
    for image in k.get("images", []):
        for doc in docs:
            for container in _containers(doc):
                if container["image"].split(":")[0] == image["name"]:
                    container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    for rep in k.get("replicas", []):
        for doc in docs:
            if doc["kind"] in ("Deployment", "StatefulSet") and doc["metadata"]["name"] == rep["name"]:
                doc["spec"]["replicas"] = rep["count"]
    if "namespace" in k:
        for doc in docs:
            doc["metadata"]["namespace"] = k["namespace"]
    return docs


def _pod_template(doc: dict) -> dict | None:
    if doc["kind"] in POD_TEMPLATE_KINDS:
        return doc["spec"]["template"]
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]
    return None


def _containers(doc: dict) -> list[dict]:
    template = _pod_template(doc)
    if template is None:
        return []
    return template["spec"].get("initContainers", []) + template["spec"]["containers"]


def _label(doc: dict, pairs: dict, selectors: bool) -> None:
    doc["metadata"].setdefault("labels", {}).update(pairs)
    if not selectors:
        return
    spec = doc.get("spec", {})
    if doc["kind"] == "Service":
        spec.setdefault("selector", {}).update(pairs)
    if doc["kind"] in ("Deployment", "StatefulSet"):
        spec.setdefault("selector", {}).setdefault("matchLabels", {}).update(pairs)
        for claim in spec.get("volumeClaimTemplates", []):
            claim.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
    if doc["kind"] == "PodDisruptionBudget" and "matchLabels" in spec.get("selector", {}):
        spec["selector"]["matchLabels"].update(pairs)
    if doc["kind"] == "NetworkPolicy" and "matchLabels" in spec.get("podSelector", {}):
        spec["podSelector"]["matchLabels"].update(pairs)
    if doc["kind"] == "CronJob":
        spec["jobTemplate"].setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
    template = _pod_template(doc)
    if template is not None:
        template.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
        for constraint in template["spec"].get("topologySpreadConstraints", []):
            if "matchLabels" in constraint.get("labelSelector", {}):
                constraint["labelSelector"]["matchLabels"].update(pairs)


def _patch(docs: list[dict], patch: dict, directory: Path) -> list[dict]:
    text = patch.get("patch") or (directory / patch["path"]).read_text(encoding="utf-8")
    body = yaml.safe_load(text)
    if isinstance(body, list):  # JSON 6902, applied to the target
        target = patch["target"]
        for doc in docs:
            if doc["kind"] == target["kind"] and doc["metadata"]["name"] == target["name"]:
                for op in body:
                    _json6902(doc, op)
        return docs
    match = [d for d in docs if d["kind"] == body["kind"] and d["metadata"]["name"] == body["metadata"]["name"]]
    assert len(match) == 1, f"patch target not found: {body['kind']}/{body['metadata']['name']}"
    if body.get("$patch") == "delete":
        return [d for d in docs if d is not match[0]]
    _merge(match[0], body)
    return docs


def _merge(into: dict, patch: dict) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def _json6902(doc: dict, op: dict) -> None:
    *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].lstrip("/").split("/")]
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if op["op"] == "remove":
        del node[int(last) if isinstance(node, list) else last]
    elif op["op"] == "add" and isinstance(node, list):
        node.insert(len(node) if last == "-" else int(last), copy.deepcopy(op["value"]))
    elif op["op"] in ("add", "replace"):
        node[int(last) if isinstance(node, list) else last] = copy.deepcopy(op["value"])
    else:
        raise ValueError(f"unsupported JSON patch op {op['op']}")
