"""The container image's recipe (issue 18), with no container engine on the machine: hadolint on
the Dockerfile; what the Dockerfile declares (base, stages, numeric user, exec forms, port, the
hashed lock, the data directory); its ENTRYPOINT, CMD and HEALTHCHECK run exactly as written,
with its ENV, against the virtualenv built from the lock (and, where the machine allows, as PID 1
of a PID namespace of its own, signalled from outside it); compose.yaml's wiring; and
.dockerignore keeping what the Dockerfile copies while leaving out .venv and .git."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.utils import canonicalize_name

from tests.support.dockerfile import Dockerfile, DockerIgnore
from tests.support.process import IAMBOT, Running, free_port, run_env, wait_until_serving
from tests.test_packaging import declared, pins

ROOT = Path(__file__).resolve().parents[1]
HADOLINT = Path(sys.executable).with_name("hadolint")
RUNTIME_LOCK = "requirements/runtime.txt"
# What the python image's own ENV gives before the Dockerfile's lines (its PATH and LANG)
IMAGE_ENV = {"PATH": "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
STOP_BUDGET = 5.0  # bot/runtime/run.py: SIGTERM stops `iambot run` within 5 s, exit 0


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return Dockerfile.parse((ROOT / "Dockerfile").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8")))


def hadolint(tmp_path: Path, target: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """hadolint failing on any finding, style included: an empty ignore list of its own (no
    config file of the machine or the repository applies) and no inline ignore pragmas."""
    config = tmp_path / "hadolint.yaml"
    config.write_text("ignored: []\n")
    command = [
        str(HADOLINT),
        "--config",
        str(config),
        "--disable-ignore-pragma",
        "--failure-threshold",
        "style",
        "--no-color",
        target,
    ]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60, cwd=tmp_path)


# ------------------------------------------------------------------ hadolint


def test_hadolint_finds_nothing_in_the_dockerfile(tmp_path):
    result = hadolint(tmp_path, str(ROOT / "Dockerfile"))
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_hadolint_runs_and_fails_a_bad_dockerfile(tmp_path):
    result = hadolint(tmp_path, "-", stdin="FROM python:latest\nRUN apt-get install x\n")
    assert result.returncode == 1
    assert {"DL3007", "DL3008", "DL3014"} <= set(re.findall(r"DL\d{4}", result.stdout))


def test_hadolint_sees_the_tag_of_our_base_image(tmp_path):
    """The base is named literally (not through an ARG, which hadolint cannot check): untagged,
    it is reported."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    untagged, count = re.subn(r"^FROM python:\S+", "FROM python", text, flags=re.MULTILINE)
    assert count == 1
    result = hadolint(tmp_path, "-", stdin=untagged)
    assert result.returncode == 1 and "DL3006" in result.stdout


# ------------------------------------------------------------------ what the Dockerfile declares


def final_user(dockerfile: Dockerfile) -> tuple[int, int]:
    user = dockerfile.final.last("USER")  # none: it would run as root
    m = re.fullmatch(r"(\d+):(\d+)", user.args)
    assert m, f"USER {user.args}: numeric uid:gid, so Kubernetes' runAsNonRoot can verify it"
    return int(m.group(1)), int(m.group(2))


def data_dir(dockerfile: Dockerfile) -> str:
    (path,) = dockerfile.final.last("VOLUME").exec_form() or []
    return path


def venv_dir(dockerfile: Dockerfile) -> str:
    """Where the final stage puts the builder's virtualenv (at the builder's own path)."""
    copies = [c for c in dockerfile.final.all("COPY") if c.flags()[0].get("from") == "builder"]
    assert len(copies) == 1
    source, dest = copies[0].flags()[1].split()
    assert source == dest, "the venv's scripts name its path in their #! lines: copy it to the same path"
    return dest


def final_expose(dockerfile: Dockerfile) -> list[str]:
    return [port for inst in dockerfile.final.all("EXPOSE") for port in inst.args.split()]


def test_a_builder_stage_and_a_final_stage_on_the_same_slim_python(dockerfile):
    builder, final = dockerfile.stage("builder"), dockerfile.final
    assert builder is not final
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", dockerfile.image(final))
    assert dockerfile.image(builder) == dockerfile.image(final)  # the venv's interpreter is the base's
    assert not [r for r in final.all("RUN") if "pip" in r.args]  # nothing is installed in the final stage
    assert not dockerfile.global_args


def test_the_final_stage_runs_as_a_fixed_numeric_user_that_it_creates(dockerfile):
    uid, gid = final_user(dockerfile)
    assert uid >= 10000 and gid >= 10000  # not root, and clear of a host's own users
    created = " ".join(r.args for r in dockerfile.final.all("RUN"))
    assert f"--uid {uid}" in created and f"--gid {gid}" in created


def test_entrypoint_cmd_and_healthcheck_are_exec_forms(dockerfile):
    final = dockerfile.final
    for keyword in ("ENTRYPOINT", "CMD", "HEALTHCHECK"):
        assert final.last(keyword).exec_form(), f"{keyword} in shell form would run under /bin/sh"
    assert final.last("ENTRYPOINT").exec_form() == ["iambot"]
    assert final.last("CMD").exec_form() == ["run", "--http"]
    assert final.last("STOPSIGNAL").args == "SIGTERM"
    assert not final.all("SHELL")
    check = final.last("HEALTHCHECK").exec_form()
    assert check is not None and check[0] == "python" and "/healthz" in " ".join(check)  # no curl in the image


def test_the_exposed_port_is_ports_default(dockerfile):
    from bot.config.settings import Settings

    default = Settings.model_fields["port"].default
    env = dockerfile.env(dockerfile.final, IMAGE_ENV)
    assert final_expose(dockerfile) == [f"{default}"] and env["PORT"] == str(default)


def test_the_environment_of_the_image(dockerfile):
    env = dockerfile.env(dockerfile.final, IMAGE_ENV)
    assert env["PYTHONDONTWRITEBYTECODE"] == "1" and env["PYTHONUNBUFFERED"] == "1"
    assert env["PATH"].split(":")[0] == venv_dir(dockerfile) + "/bin"
    assert env["PATH"].endswith(IMAGE_ENV["PATH"])  # the image's own PATH kept after it
    assert Path(env["IAMBOT_DB"]).parent == Path(data_dir(dockerfile))


def test_the_builder_installs_the_hashed_runtime_lock_then_iambot_without_dependencies(dockerfile):
    builder = dockerfile.stage("builder")
    copied = {c.flags()[1].split()[-1]: c.flags()[1].split()[:-1] for c in builder.all("COPY")}
    lock_in_image = next(dest for dest, sources in copied.items() if sources == [RUNTIME_LOCK])
    installs = [" ".join(r.args.split()) for r in builder.all("RUN") if "pip install" in r.args]
    assert len(installs) == 2
    deps, iambot = installs
    assert f"--require-hashes --only-binary=:all: -r {lock_in_image}" in deps
    assert "--no-deps --no-build-isolation" in iambot  # setuptools from the lock, nothing else fetched
    assert venv_dir(dockerfile) + "/bin/pip install" in deps and venv_dir(dockerfile) + "/bin/pip install" in iambot

    # what the wheel is built from: pyproject.toml, its readme and every package it finds
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    needed = {"pyproject.toml", project["project"]["readme"]}
    include = project["tool"]["setuptools"]["packages"]["find"]["include"]
    needed |= {
        p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and any(fnmatchcase(p.name, i) for i in include)
    }
    assert needed <= {source for sources in copied.values() for source in sources}


def test_only_the_data_directory_belongs_to_the_user(dockerfile):
    uid, gid = final_user(dockerfile)
    final, data = dockerfile.final, data_dir(dockerfile)
    assert final.last("WORKDIR").args == data
    runs = " ".join(" ".join(r.args.split()) for r in final.all("RUN"))
    assert f"install -d -o {uid} -g {gid} -m 0700 {data}" in runs
    assert "chown" not in runs and "chmod" not in runs
    assert not [c for c in final.all("COPY") if "chown" in c.flags()[0]]  # the code stays root's


def lock_problems(lock: Path) -> list[str]:
    """What is wrong with a runtime lock: pins without hashes, versions other than the test
    lock's, a runtime dependency missing, or a test tool in it."""
    problems = []
    text = lock.read_text(encoding="utf-8")
    if text.count("==") > text.count("--hash=sha256:"):
        problems.append("a pin without its hashes")
    locked = {(canonicalize_name(r.name), str(r.specifier), str(r.marker)) for r in pins(lock)}
    tested = {
        (canonicalize_name(r.name), str(r.specifier), str(r.marker)) for r in pins(ROOT / "requirements" / "test.txt")
    }
    problems += [f"{n}{v} ; {m}: not so in the test lock" for n, v, m in sorted(locked - tested)]
    names = {n for n, _, _ in locked}
    runtime = {canonicalize_name(r.name) for r in declared()} | {"setuptools"}
    problems += [f"{n}: missing" for n in sorted(runtime - names)]
    # the test extra's tools (botocore is there for its floor only: boto3 needs it anyway)
    tools = {canonicalize_name(r.name) for r in declared("test")} - runtime - {"botocore"}
    problems += [f"{n}: a test tool in the image" for n in sorted(tools & names)]
    return problems


@pytest.mark.skipif(not (ROOT / RUNTIME_LOCK).exists(), reason=f"{RUNTIME_LOCK} not written yet (make lock)")
def test_the_runtime_lock_is_the_test_locks_runtime_part():
    assert lock_problems(ROOT / RUNTIME_LOCK) == []


# ------------------------------------------------------------------ ENTRYPOINT, CMD and HEALTHCHECK, run


def container_env(dockerfile: Dockerfile, data: Path, slack_url: str, port: int) -> dict[str, str]:
    """The container's environment: the image's ENV (the venv's path mapped to the lock's venv,
    the data directory to ``data``), HOME as the user's, and what `docker run -e` would add: Slack
    at the fake, AWS at nothing that answers, a free PORT. Nothing of this machine's environment."""
    venv, volume = venv_dir(dockerfile), data_dir(dockerfile)
    image = {
        k: v.replace(venv, sys.prefix).replace(volume, str(data))
        for k, v in dockerfile.env(dockerfile.final, IMAGE_ENV).items()
    }
    given = run_env(slack_url, data, port, "http://127.0.0.1:9")  # port 9: no AWS, and none needed
    given = {k: v for k, v in given.items() if k.startswith(("SLACK_", "IAMBOT_", "AWS_")) and k != "IAMBOT_DB"}
    return {**image, "HOME": str(data), **given, "PORT": str(port)}


def healthcheck(dockerfile: Dockerfile, env: dict[str, str], data: Path) -> int:
    """The HEALTHCHECK's command as written, with the container's environment, within its timeout."""
    inst = dockerfile.final.last("HEALTHCHECK")
    timeout = float(inst.flags()[0]["timeout"].removesuffix("s"))
    command = inst.exec_form()
    assert command is not None
    return subprocess.run(command, env=env, cwd=data, timeout=timeout, capture_output=True).returncode


def cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]


@contextmanager
def launched(argv: list[str], env: dict[str, str], data: Path, logs: Path) -> Iterator[Running]:
    out, err = logs / "iambot.out", logs / "iambot.err"
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen(argv, env=env, cwd=data, stdout=o, stderr=e, stdin=subprocess.DEVNULL)
    running = Running(proc, int(env["PORT"]), out, err)
    try:
        yield running
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def stopped_within_budget(running: Running, pid: int) -> tuple[int, float]:
    """SIGTERM to ``pid``; the launched process's exit status and how long it took."""
    began = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    try:
        code = running.proc.wait(timeout=STOP_BUDGET + 5)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"no exit {STOP_BUDGET + 5} s after SIGTERM: {running.output()[-2000:]}") from None
    return code, time.monotonic() - began


def test_entrypoint_and_cmd_serve_pass_the_healthcheck_and_stop_on_sigterm(dockerfile, slack, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    env = container_env(dockerfile, data, slack.url, free_port())
    argv = dockerfile.command()
    assert shutil.which(argv[0], path=env["PATH"]) == str(IAMBOT)  # the image's PATH finds the venv's iambot

    assert healthcheck(dockerfile, env, data) != 0  # nothing listens yet
    with launched(argv, env, data, tmp_path) as running:
        wait_until_serving(running, timeout=30)
        # exec form: the process started (and signalled) is iambot itself, no shell between
        assert cmdline(running.proc.pid)[1:] == [str(IAMBOT), *argv[1:]]
        assert healthcheck(dockerfile, env, data) == 0
        code, took = stopped_within_budget(running, running.proc.pid)
    assert code == 0 and took < STOP_BUDGET, running.output()[-3000:]
    assert healthcheck(dockerfile, env, data) != 0
    assert (data / "iambot.db").is_file()  # IAMBOT_DB from the image's ENV, in the data directory


def _cannot_be_pid_1() -> str | None:
    """Why this machine cannot start a process as PID 1 of a new PID namespace, if it cannot."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return "needs root and util-linux's unshare"
    probe = subprocess.run(["unshare", "--pid", "--fork", "--kill-child", "true"], capture_output=True, timeout=10)
    if probe.returncode != 0:
        return "unshare --pid is not permitted here"
    return None


def forked_child(pid: int, timeout: float = 10) -> int:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = path.read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.01)  # waiting for unshare to fork, not for time to pass
    raise AssertionError("unshare started no child")


def namespace_pid(pid: int) -> str:
    """The process's pid in its own PID namespace (the last of /proc's NSpid)."""
    (line,) = [ln for ln in Path(f"/proc/{pid}/status").read_text().splitlines() if ln.startswith("NSpid:")]
    return line.split()[-1]


def test_as_pid_1_of_its_namespace_sigterm_from_outside_still_stops_it(dockerfile, slack, tmp_path):
    """The kernel drops a signal sent to a namespace's PID 1 from outside unless PID 1 handles
    it; with no init in the image, iambot is that PID 1, and `docker stop` must still stop it.
    (As the current user: the lock's venv here runs an interpreter that only root can reach.)"""
    why = _cannot_be_pid_1()
    if why is not None:
        pytest.skip(why)
    data = tmp_path / "data"
    data.mkdir()
    env = container_env(dockerfile, data, slack.url, free_port())
    argv = dockerfile.command()
    with launched(["unshare", "--pid", "--fork", "--kill-child", *argv], env, data, tmp_path) as running:
        wait_until_serving(running, timeout=30)
        pid = forked_child(running.proc.pid)
        assert namespace_pid(pid) == "1" and cmdline(pid)[1:] == [str(IAMBOT), *argv[1:]]
        assert healthcheck(dockerfile, env, data) == 0
        code, took = stopped_within_budget(running, pid)  # from outside its namespace, as docker stop does
    assert code == 0 and took < STOP_BUDGET, running.output()[-3000:]  # unshare exits with its child's status


# ------------------------------------------------------------------ compose.yaml


def test_compose_runs_iambot_on_the_postgres_service_once_it_is_healthy(compose, dockerfile):
    services = compose["services"]
    iambot, postgres = services["iambot"], services["postgres"]
    assert iambot["build"] == "."
    url = urlsplit(iambot["environment"]["IAMBOT_DB"])
    pg_env = postgres["environment"]
    assert (url.scheme, url.hostname, url.port) == ("postgresql", "postgres", 5432)
    assert (url.username, url.path) == (pg_env["POSTGRES_USER"], "/" + pg_env["POSTGRES_DB"])
    assert url.password == pg_env["POSTGRES_PASSWORD"] and url.password.startswith("${POSTGRES_PASSWORD")
    assert iambot["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert "pg_isready" in postgres["healthcheck"]["test"]


def test_compose_runs_iambot_read_only_as_the_images_user(compose, dockerfile):
    iambot = compose["services"]["iambot"]
    uid, gid = final_user(dockerfile)
    assert iambot["user"] == f"{uid}:{gid}"
    assert iambot["read_only"] is True and "/tmp" in iambot["tmpfs"]
    (volume,) = iambot["volumes"]
    name, target = volume.split(":")
    assert target == data_dir(dockerfile) and name in compose["volumes"]  # a named volume, not a host folder
    assert [p.split(":")[-1] for p in iambot["ports"]] == final_expose(dockerfile)
    assert iambot["command"] == dockerfile.final.last("CMD").exec_form()


def test_compose_holds_no_secret(compose):
    env = compose["services"]["iambot"]["environment"]
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", env[name]), f"{name} must come from the environment"
    assert all(env[k] is None for k in env if k.startswith(("AWS_", "SLACK_APP"))), "passed through, never given"
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    for secret in (r"xox[abposr]-\w", r"xapp-\w", r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", r"\b\d{12}\b"):
        assert not re.search(secret, text), secret


# ------------------------------------------------------------------ .dockerignore


@pytest.fixture(scope="module")
def ignore() -> DockerIgnore:
    return DockerIgnore.parse((ROOT / ".dockerignore").read_text(encoding="utf-8"))


def test_the_context_leaves_out_the_venv_git_tests_and_local_state(ignore):
    for path in (
        ".venv",
        ".venv/bin/python",
        ".git/HEAD",
        "tests/test_dockerfile.py",
        "bench/run.py",
        ".ci/run",
        "iambot.db",
        "iambot.toml",
        ".env",
        ".hypothesis/x",
        "bot/__pycache__/cli.cpython-311.pyc",
        "Dockerfile",
        "compose.yaml",
    ):
        assert ignore.excludes(path), path
    assert not ignore.excludes("bot/cli/__init__.py")


def test_the_context_keeps_every_file_the_dockerfile_copies(dockerfile, ignore):
    sources = [
        s
        for stage in dockerfile.stages
        for c in stage.all("COPY")
        if "from" not in c.flags()[0]
        for s in c.flags()[1].split()[:-1]
    ]
    assert sources and not [s for s in sources if ignore.excludes(s)]
    # requirements/runtime.txt may not be written yet: its own test above says so
    present = [s for s in sources if (ROOT / s).exists()]
    assert set(sources) - set(present) <= {RUNTIME_LOCK}
    assert [f for s in present for f in ignore.excluded_files(ROOT, s) if "__pycache__" not in f] == []


def test_the_matcher_follows_dockers_rules():
    rules = DockerIgnore.parse("*\n!keep\n!dir/one.txt\n**/*.tmp\n# note\n")
    assert rules.excludes("other") and rules.excludes("dir/two.txt") and rules.excludes("dir")
    assert not rules.excludes("keep/deep/file.py") and not rules.excludes("dir/one.txt")
    assert rules.excludes("keep/deep/x.tmp")  # a later pattern wins
    assert not DockerIgnore.parse("*.db\n").excludes("sub/x.db")  # * stays in its segment
