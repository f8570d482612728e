"""A small kustomize for the tests: exactly the part of it deploy/kubernetes/ uses, and an error for
anything else, so the manifests cannot lean on a feature these tests would silently ignore.

No kustomize (or kubectl) binary is installed, and none is on PyPI. What is implemented, with
kustomize's own semantics (kubectl's built-in kustomize, v5):

- ``resources``: YAML files (several documents each) and directories holding a kustomization.yaml,
  built first, recursively; files must lie inside the kustomization's directory (kustomize's
  default load restriction); two resources with one kind and name are an error.
- ``patches`` with ``path:`` only: one strategic-merge patch a file, applied to the resource of the
  patch's own apiVersion, kind and name. Maps merge key by key, a null deletes the key, and lists
  follow Kubernetes' patch strategies (``patchMergeKey``) for the fields in ``MERGE_KEYS``; a list
  anywhere else, or a ``$patch`` directive, is refused rather than guessed at.
- ``labels``: ``pairs`` added to every resource's metadata.labels, and to its pod template's with
  ``includeTemplates: true``; never to selectors (``includeSelectors: true`` is refused).
- ``images``: ``name`` with ``newName`` and/or ``newTag``, on the containers of pod templates.

Transformers run in kustomize's order: patches, then labels, then images.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZATION = "kustomization.yaml"
API_VERSION = "kustomize.config.k8s.io/v1beta1"
IMPLEMENTED = {"apiVersion", "kind", "resources", "patches", "labels", "images"}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

# Kubernetes' strategic-merge strategy for the lists a pod template holds, by path below the pod
# spec ("[]" stands for each element): merged by this key (k8s.io/api core/v1 patchMergeKey).
MERGE_KEYS = {
    ("containers",): "name",
    ("initContainers",): "name",
    ("volumes",): "name",
    ("containers", "[]", "env"): "name",
    ("initContainers", "[]", "env"): "name",
    ("containers", "[]", "ports"): "containerPort",
    ("initContainers", "[]", "ports"): "containerPort",
    ("containers", "[]", "volumeMounts"): "mountPath",
    ("initContainers", "[]", "volumeMounts"): "mountPath",
}
# ... and the lists a patch replaces whole (no patch strategy in the API).
REPLACED = {(c, "[]", f) for c in ("containers", "initContainers") for f in ("args", "command", "envFrom")}
POD_SPEC = ("spec", "template", "spec")


class KustomizeError(ValueError):
    """The kustomization uses something this renderer does not implement, or is wrong."""


def build(directory: Path) -> list[dict[str, Any]]:
    """The resources ``kubectl kustomize directory`` would print (in the order they were loaded)."""
    directory = directory.resolve()
    path = directory / KUSTOMIZATION
    if not path.is_file():
        raise KustomizeError(f"{directory}: no {KUSTOMIZATION}")
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = sorted(set(spec) - IMPLEMENTED)
    if unknown:
        raise KustomizeError(f"{path}: not implemented by tests/support/kustomize.py: {', '.join(unknown)}")
    if spec.get("apiVersion") != API_VERSION or spec.get("kind") != "Kustomization":
        raise KustomizeError(f"{path}: apiVersion {API_VERSION} and kind Kustomization expected")

    resources: list[dict[str, Any]] = []
    for entry in spec.get("resources", []):
        for resource in _load(directory, entry):
            if any(_id(r) == _id(resource) for r in resources):
                raise KustomizeError(f"{path}: {_id(resource)} is defined twice")
            resources.append(resource)
    for entry in spec.get("patches", []):
        _patch(directory, entry, resources)
    for entry in spec.get("labels", []):
        _label(entry, resources)
    for entry in spec.get("images", []):
        _image(entry, resources)
    return resources


def strategic_merge(original: Any, patch: Any, path: tuple[str, ...] = ()) -> Any:
    """``patch`` merged into ``original`` (neither is changed). ``path`` is where both sit below a
    pod spec, which decides how lists merge; ``None`` outside one, where no list may be patched."""
    if isinstance(original, dict) and isinstance(patch, dict):
        merged = copy.deepcopy(original)
        for key, value in patch.items():
            if key.startswith("$"):
                raise KustomizeError(f"patch directive {key} is not implemented")
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = strategic_merge(merged[key], value, (*path, key))
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    if isinstance(original, list) and isinstance(patch, list):
        return _merge_list(original, patch, path)
    return copy.deepcopy(patch)


def _merge_list(original: list[Any], patch: list[Any], path: tuple[str, ...]) -> list[Any]:
    below = path[len(POD_SPEC) :] if path[: len(POD_SPEC)] == POD_SPEC else None
    if below in REPLACED:
        return copy.deepcopy(patch)
    key = MERGE_KEYS.get(below) if below is not None else None
    if key is None:
        raise KustomizeError(f"strategic merge of the list at {'.'.join(path)} is not implemented")
    merged = copy.deepcopy(original)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise KustomizeError(f"{'.'.join(path)}: each patch element needs its merge key {key!r}")
        if any(k.startswith("$") for k in item):
            raise KustomizeError(f"{'.'.join(path)}: patch directives are not implemented")
        at = [i for i, old in enumerate(merged) if isinstance(old, dict) and old.get(key) == item[key]]
        if at:
            merged[at[0]] = strategic_merge(merged[at[0]], item, (*path, "[]"))
        else:
            merged.append(copy.deepcopy(item))
    return merged


def _id(resource: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = resource.get("metadata") or {}
    return (resource.get("apiVersion", ""), resource.get("kind", ""), meta.get("namespace", ""), meta.get("name", ""))


def _inside(directory: Path, entry: Any, what: str) -> Path:
    if not isinstance(entry, str) or "://" in entry or entry.startswith(("github.com", "git@")):
        raise KustomizeError(f"{directory}: {what} {entry!r}: only local paths are implemented")
    return (directory / entry).resolve()


def _load(directory: Path, entry: Any) -> list[dict[str, Any]]:
    target = _inside(directory, entry, "resource")
    if target.is_dir():
        return build(target)
    if not target.is_relative_to(directory):
        raise KustomizeError(f"{directory}: resource {entry} is outside the kustomization's directory")
    if not target.is_file():
        raise KustomizeError(f"{directory}: resource {entry} does not exist")
    documents = [d for d in yaml.safe_load_all(target.read_text(encoding="utf-8")) if d is not None]
    for d in documents:
        if not isinstance(d, dict) or not d.get("kind") or not (d.get("metadata") or {}).get("name"):
            raise KustomizeError(f"{target}: every document needs a kind and metadata.name")
    return documents


def _patch(directory: Path, entry: Any, resources: list[dict[str, Any]]) -> None:
    if not isinstance(entry, dict) or set(entry) != {"path"}:
        raise KustomizeError(f"{directory}: patches: only `- path: file` is implemented, not {entry!r}")
    target = _inside(directory, entry["path"], "patch")
    if not target.is_relative_to(directory) or not target.is_file():
        raise KustomizeError(f"{directory}: patch {entry['path']} is not a file inside the kustomization")
    documents = [d for d in yaml.safe_load_all(target.read_text(encoding="utf-8")) if d is not None]
    if len(documents) != 1 or not isinstance(documents[0], dict):
        raise KustomizeError(f"{target}: one strategic-merge patch a file is implemented")
    patch = documents[0]
    matches = [i for i, r in enumerate(resources) if _id(r) == _id(patch)]
    if len(matches) != 1:
        raise KustomizeError(f"{target}: no resource {_id(patch)} to patch")
    (i,) = matches
    resources[i] = strategic_merge(resources[i], patch)


def _label(entry: Any, resources: list[dict[str, Any]]) -> None:
    if not isinstance(entry, dict) or not set(entry) <= {"pairs", "includeSelectors", "includeTemplates"}:
        raise KustomizeError(f"labels: only pairs, includeSelectors and includeTemplates are implemented: {entry!r}")
    if entry.get("includeSelectors"):
        raise KustomizeError("labels: includeSelectors: true is not implemented")
    pairs = entry.get("pairs") or {}
    if not all(isinstance(v, str) for v in pairs.values()):
        raise KustomizeError(f"labels: values must be strings: {pairs!r}")
    for resource in resources:
        resource.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
        if entry.get("includeTemplates"):
            if resource["kind"] == "CronJob":
                raise KustomizeError("labels: includeTemplates on a CronJob is not implemented")
            if resource["kind"] in WORKLOADS:
                template = resource.setdefault("spec", {}).setdefault("template", {})
                template.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)


def split_image(image: str) -> tuple[str, str | None]:
    """``registry/name:tag`` → (``registry/name``, ``tag``); a registry's :port is not a tag."""
    if "@" in image:
        raise KustomizeError(f"image {image}: digests are not implemented")
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:
        return image, None
    return name, tag


def _image(entry: Any, resources: list[dict[str, Any]]) -> None:
    if not isinstance(entry, dict) or "name" not in entry or not set(entry) <= {"name", "newName", "newTag"}:
        raise KustomizeError(f"images: only name, newName and newTag are implemented: {entry!r}")
    for resource in resources:
        if resource["kind"] not in WORKLOADS:
            continue
        pod = resource.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []) + pod.get("initContainers", []):
            name, tag = split_image(container["image"])
            if name != entry["name"]:
                continue
            name, tag = entry.get("newName", name), str(entry["newTag"]) if "newTag" in entry else tag
            container["image"] = f"{name}:{tag}" if tag else name
