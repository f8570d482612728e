"""deploy/kubernetes/: each overlay rendered the way `kubectl apply -k` would (tests/support/kustomize.py,
which refuses any kustomize feature it does not implement), every document checked against the
Kubernetes API's own schemas (kubernetes-validate, offline), and what the rendered objects promise
iambot: the probes on its port, a locked-down pod, secrets only by reference, the environment that
starts it in the overlay's mode."""

from __future__ import annotations

import copy
import os
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.config.files import ENVIRONMENT, TomlFile
from bot.config.settings import SECRET_FIELDS, Settings, load_settings
from bot.runtime.replicas import replica_name
from tests.conftest import TEST_SECRET_KEY
from tests.support.kustomize import KustomizeError, build, strategic_merge

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBE = DEPLOY / "kubernetes"
BASE = KUBE / "base"
OVERLAYS = ("http", "socket-mode")
MODE_FLAG = {"http": "--http", "socket-mode": "--socket-mode"}
SECRET = "iambot-secrets"
IMAGE = "ghcr.io/example/iambot"  # the placeholder, overridden with kustomize's images:
DATA_DIR = "/var/lib/iambot"  # the image's (root Dockerfile)
WRITABLE = {"/tmp", DATA_DIR}

# The oldest Kubernetes the manifests support and the newest whose schemas kubernetes-validate bundles
OLDEST = "1.29.0"
NEWEST = kubernetes_validate.latest_version()

# Read by iambot outside Settings (bot/runtime/replicas.py); AWS_* are boto3's own
READ_ELSEWHERE = {"IAMBOT_REPLICA"}
SECRET_VARIABLES = {ENVIRONMENT[name] for name in (*SECRET_FIELDS, "db")}


@cache
def _rendered(overlay: str) -> list[dict[str, Any]]:
    return build(KUBE / "overlays" / overlay)


def rendered(overlay: str) -> list[dict[str, Any]]:
    return copy.deepcopy(_rendered(overlay))


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = of_kind(docs, kind)
    return found


def pod(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return one(docs, "Deployment")["spec"]["template"]


def container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (only,) = pod(docs)["spec"]["containers"]
    return only


def env(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container(docs)["env"]}


def walk(node: Any) -> list[dict[str, Any]]:
    """Every mapping in ``node``, nested ones included."""
    if isinstance(node, dict):
        return [node, *(m for v in node.values() for m in walk(v))]
    if isinstance(node, list):
        return [m for v in node for m in walk(v)]
    return []


@pytest.fixture(params=OVERLAYS)
def overlay(request) -> str:
    return request.param


# ---------------------------------------------------------------- the API's schemas


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
def test_every_rendered_document_is_valid_for_the_kubernetes_api(overlay, version):
    docs = rendered(overlay)
    assert {d["kind"] for d in docs} >= {"Deployment", "ServiceAccount", "ConfigMap", "PodDisruptionBudget"}
    for doc in docs:
        used = kubernetes_validate.validate(doc, version, strict=True)
        assert used == version.rsplit(".", 1)[0], f"no bundled schemas of Kubernetes {version}"


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"].update(pth="/healthz"),
        lambda d: d["spec"].update(replicas="2"),
        lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("name"),
    ],
    ids=["unknown-field", "wrong-type", "missing-required"],
)
def test_validation_refuses_a_broken_deployment(break_it):
    deployment = one(rendered("http"), "Deployment")
    break_it(deployment)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, NEWEST, strict=True)


# ---------------------------------------------------------------- what the objects promise


def test_probes_hit_healthz_and_readyz_on_the_named_port_iambot_listens_on(overlay):
    docs = rendered(overlay)
    c = container(docs)
    port = int(env(docs)["PORT"]["value"])
    named = {p["name"]: p["containerPort"] for p in c["ports"]}
    probes = {kind: c[f"{kind}Probe"]["httpGet"] for kind in ("startup", "liveness", "readiness")}
    assert {kind: g["path"] for kind, g in probes.items()} == {
        "startup": "/healthz",
        "liveness": "/healthz",
        "readiness": "/readyz",
    }
    for probe in probes.values():
        assert named[probe["port"]] == port == 3000
    annotations = pod(docs)["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert (int(annotations["prometheus.io/port"]), annotations["prometheus.io/path"]) == (port, "/metrics")


def test_the_pod_runs_as_the_images_non_root_user_locked_down(overlay):
    spec = pod(rendered(overlay))["spec"]
    context = spec["securityContext"]
    assert context["runAsNonRoot"] is True
    for key in ("runAsUser", "runAsGroup", "fsGroup"):
        assert type(context[key]) is int and context[key] == 10001, key
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    for c in spec["containers"] + spec.get("initContainers", []):
        sc = c["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"] == {"drop": ["ALL"]}
        assert not sc.get("privileged", False)
        assert "runAsUser" not in sc or sc["runAsUser"] != 0


def test_every_container_has_requests_and_limits(overlay):
    spec = pod(rendered(overlay))["spec"]
    for c in spec["containers"] + spec.get("initContainers", []):
        for bound in ("requests", "limits"):
            assert set(c["resources"][bound]) >= {"cpu", "memory"}, (c["name"], bound)


def test_the_only_writable_mounts_are_empty_dirs_at_tmp_and_the_data_dir(overlay):
    spec = pod(rendered(overlay))["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    writable = {}
    for c in spec["containers"] + spec.get("initContainers", []):
        for mount in c["volumeMounts"]:
            volume = volumes[mount["name"]]
            if mount.get("readOnly"):
                assert "configMap" in volume, mount  # read-only, and nothing secret
            else:
                assert set(volume) == {"name", "emptyDir"}, mount
                writable[mount["mountPath"]] = volume
    assert set(writable) == WRITABLE
    assert all(v["emptyDir"].get("sizeLimit") for v in writable.values())


def test_the_disruption_budget_and_rollout_keep_a_replica_serving(overlay):
    docs = rendered(overlay)
    deployment, budget = one(docs, "Deployment"), one(docs, "PodDisruptionBudget")
    labels = pod(docs)["metadata"]["labels"]
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert budget["spec"]["minAvailable"] == 1 < deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
    }
    for spread in pod(docs)["spec"].get("topologySpreadConstraints", []):
        assert spread["labelSelector"]["matchLabels"].items() <= labels.items()


def test_the_http_service_targets_the_named_port_of_the_pods():
    docs = rendered("http")
    (service,) = of_kind(docs, "Service")
    assert service["spec"]["selector"].items() <= pod(docs)["metadata"]["labels"].items()
    names = {p["name"] for p in container(docs)["ports"]}
    assert [(p["port"], p["targetPort"] in names) for p in service["spec"]["ports"]] == [(80, True)]


def test_socket_mode_has_no_service():
    assert of_kind(rendered("socket-mode"), "Service") == []


def test_the_pods_run_as_the_irsa_service_account(overlay):
    docs = rendered(overlay)
    account = one(docs, "ServiceAccount")
    arn = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert re.fullmatch(r"arn:aws:iam::111122223333:role/[\w+=,.@-]+", arn), "AWS's documentation account only"
    spec = pod(docs)["spec"]
    assert spec["serviceAccountName"] == account["metadata"]["name"]
    assert spec["automountServiceAccountToken"] is False and account["automountServiceAccountToken"] is False


def test_secrets_are_referenced_never_inlined(overlay):
    docs = rendered(overlay)
    found = walk(docs)
    named = {m["secretKeyRef"]["name"] for m in found if "secretKeyRef" in m}
    named |= {m["secretRef"]["name"] for m in found if "secretRef" in m}
    named |= {m["secret"]["secretName"] for m in found if isinstance(m.get("secret"), dict)}
    assert named == {SECRET}
    assert of_kind(docs, "Secret") == []
    variables = env(docs)
    for name in SECRET_VARIABLES & set(variables):
        assert variables[name]["valueFrom"]["secretKeyRef"] == {"name": SECRET, "key": name}
    assert {"SLACK_BOT_TOKEN", "IAMBOT_DB"} <= set(variables)
    for config_map in of_kind(docs, "ConfigMap"):
        text = yaml.safe_dump(config_map["data"])
        assert not SECRET_VARIABLES & set(config_map["data"]), config_map["metadata"]["name"]
        assert not re.search(r"xox[a-z]-|xapp-|postgres(ql)?://", text), config_map["metadata"]["name"]


def test_no_secret_manifest_anywhere_under_deploy():
    files = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    assert files
    for path in files:
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert not (isinstance(doc, dict) and doc.get("kind") == "Secret"), path


@pytest.mark.parametrize(
    ("mode", "present", "absent"),
    [("http", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"), ("socket-mode", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")],
)
def test_each_overlay_runs_its_mode_with_its_slack_secret(mode, present, absent):
    docs = rendered(mode)
    assert container(docs)["args"] == ["run", MODE_FLAG[mode]]
    assert present in env(docs) and absent not in env(docs)
    assert pod(docs)["metadata"]["labels"]["app.kubernetes.io/component"] == mode


def test_each_replica_is_named_after_its_pod_and_stops_in_its_grace_period(overlay):
    docs = rendered(overlay)
    assert env(docs)["IAMBOT_REPLICA"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert pod(docs)["spec"]["terminationGracePeriodSeconds"] >= 10  # iambot stops within 5 s of SIGTERM
    assert pod(docs)["spec"]["enableServiceLinks"] is False  # no IAMBOT_PORT=tcp://… from the Service


# ---------------------------------------------------------------- the environment iambot gets


def environment(docs: list[dict[str, Any]]) -> dict[str, str]:
    """The container's environment as the kubelet builds it: envFrom first, env over it; fakes for
    the Secret's keys and the pod's name."""
    config_maps = {c["metadata"]["name"]: c["data"] for c in of_kind(docs, "ConfigMap")}
    values: dict[str, str] = {}
    for source in container(docs).get("envFrom", []):
        values.update(config_maps[source["configMapRef"]["name"]])
    for e in container(docs)["env"]:
        ref = e.get("valueFrom", {})
        if "value" in e:
            values[e["name"]] = e["value"]
        elif "secretKeyRef" in ref:
            values[e["name"]] = {
                "SLACK_BOT_TOKEN": "xoxb-fake",
                "SLACK_SIGNING_SECRET": "fake-signing-secret",
                "SLACK_APP_TOKEN": "xapp-fake",
                "IAMBOT_DB": "postgresql://iambot:fake@db.example.com:5432/iambot?sslmode=require",
                "IAMBOT_SECRET_KEY": TEST_SECRET_KEY,
            }[ref["secretKeyRef"]["key"]]
        elif ref.get("fieldRef") == {"fieldPath": "metadata.name"}:
            values[e["name"]] = "iambot-7d9f8b6c5d-x2x7q"
        else:
            raise AssertionError(f"unexpected env source {e}")
    return values


def test_every_variable_the_manifests_set_is_one_iambot_reads(overlay, monkeypatch):
    unknown = {
        name
        for name in environment(rendered(overlay))
        if name not in ENVIRONMENT.values() and name not in READ_ELSEWHERE and not name.startswith("AWS_")
    }
    assert unknown == set()
    monkeypatch.setenv("IAMBOT_REPLICA", "iambot-7d9f8b6c5d-x2x7q")
    assert replica_name() == "iambot-7d9f8b6c5d-x2x7q"  # READ_ELSEWHERE is read


def test_the_rendered_environment_and_config_file_start_iambot_in_the_overlays_mode(overlay, monkeypatch, tmp_path):
    docs = rendered(overlay)
    values = environment(docs)
    c, volumes = container(docs), {v["name"]: v for v in pod(docs)["spec"]["volumes"]}
    mounted = {
        f"{m['mountPath']}/{key}": text
        for m in c["volumeMounts"]
        if "configMap" in volumes[m["name"]]
        for cm in of_kind(docs, "ConfigMap")
        if cm["metadata"]["name"] == volumes[m["name"]]["configMap"]["name"]
        for key, text in cm["data"].items()
    }
    assert values["IAMBOT_CONFIG"] in mounted
    text = mounted[values["IAMBOT_CONFIG"]]
    (tmp_path / "iambot.toml").write_text(text, encoding="utf-8")
    values["IAMBOT_CONFIG"] = str(tmp_path / "iambot.toml")
    for var in ENVIRONMENT.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.missing_for_slack() == []
    assert settings.http_mode is (overlay == "http")
    assert settings.port == 3000 and settings.db.startswith("postgresql://")
    assert TomlFile(Settings)() == tomllib.loads(text)  # the mounted file was read, every key valid


def test_the_readme_creates_every_secret_key_and_names_the_versions_checked():
    readme = (KUBE / "README.md").read_text(encoding="utf-8")
    created = set(re.findall(r"--from-literal=([A-Z_]+)=", readme))
    referenced = {
        m["secretKeyRef"]["key"] for overlay in OVERLAYS for m in walk(rendered(overlay)) if "secretKeyRef" in m
    }
    assert referenced <= created
    assert re.search(r"kubectl apply (-n \S+ )?-k deploy/kubernetes/overlays/http\b", readme)
    oldest, newest = (v.rsplit(".", 1)[0] for v in (OLDEST, NEWEST))
    assert f"Kubernetes {oldest} and {newest} API schemas" in readme, "the README names the versions checked"


# ---------------------------------------------------------------- the renderer itself


def kustomization(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" + text, encoding="utf-8"
    )
    return directory


def test_the_renderer_refuses_a_kustomization_key_it_does_not_implement(tmp_path):
    for key in ("configMapGenerator: []", "namePrefix: x-", "patchesStrategicMerge: []", "replicas: []"):
        with pytest.raises(KustomizeError, match=key.split(":")[0]):
            build(kustomization(tmp_path / key.split(":")[0], key + "\n"))


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("patches:\n  - patch: '{}'\n    target: {kind: Deployment}\n", "only `- path: file`"),
        ("labels:\n  - pairs: {a: b}\n    includeSelectors: true\n", "includeSelectors: true"),
        ("images:\n  - name: x\n    digest: sha256:0\n", "only name, newName and newTag"),
        ("resources: [https://github.com/example/iambot//deploy]\n", "only local paths"),
    ],
    ids=["inline-patch", "label-selectors", "image-digest", "remote-resource"],
)
def test_the_renderer_refuses_features_it_does_not_implement(tmp_path, text, refusal):
    if not text.startswith("resources"):
        text = f"resources: [{os.path.relpath(BASE, tmp_path)}]\n" + text
    with pytest.raises(KustomizeError, match=re.escape(refusal)):
        build(kustomization(tmp_path, text))


def test_a_strategic_merge_merges_containers_and_env_by_name_and_replaces_args():
    deployment = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "a", "args": ["x"], "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                        {"name": "b", "image": "b:1"},
                    ]
                }
            }
        }
    }
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "a", "args": ["y"], "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}]}
                    ]
                }
            }
        }
    }
    merged = strategic_merge(deployment, patch)
    a, b = merged["spec"]["template"]["spec"]["containers"]
    assert a == {
        "name": "a",
        "args": ["y"],
        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
    }
    assert b == {"name": "b", "image": "b:1"}
    assert deployment["spec"]["template"]["spec"]["containers"][0]["args"] == ["x"]  # the original is untouched


def test_a_strategic_merge_refuses_lists_and_directives_it_does_not_know():
    pod_spec = {"spec": {"template": {"spec": {"tolerations": [{"key": "a"}], "containers": [{"name": "a"}]}}}}
    with pytest.raises(KustomizeError, match="tolerations"):
        strategic_merge(pod_spec, {"spec": {"template": {"spec": {"tolerations": [{"key": "b"}]}}}})
    with pytest.raises(KustomizeError, match=r"\$patch"):
        strategic_merge(pod_spec, {"spec": {"template": {"spec": {"$patch": "replace"}}}})
    with pytest.raises(KustomizeError, match="merge key"):
        strategic_merge(pod_spec, {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}})


def test_an_overlay_of_the_users_own_replaces_the_placeholder_image(tmp_path):
    overlay = kustomization(
        tmp_path / "mine",
        f"resources: [{os.path.relpath(KUBE / 'overlays' / 'http', tmp_path / 'mine')}]\n"
        f"images:\n  - name: {IMAGE}\n    newName: registry.example.com:5000/iambot\n    newTag: '1.2.3'\n",
    )
    assert container(build(overlay))["image"] == "registry.example.com:5000/iambot:1.2.3"
    assert container(rendered("http"))["image"] == f"{IMAGE}:0.1.0"
