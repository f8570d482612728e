from __future__ import annotations

import gzip
import json

import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.conftest import AUTHORED, FIXTURES, RECORDS


@pytest.fixture
def run(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for var in ("IAMBOT_CONFIG", "IAMBOT_SELF_ARNS"):
        monkeypatch.delenv(var, raising=False)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_triage_json_has_the_documented_fields(run):
    result = run("triage", "--format", "json", str(AUTHORED))
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 7
    required = {
        "event_id",
        "event_name",
        "event_time",
        "account_id",
        "region",
        "actor",
        "target",
        "source_ip",
        "error_code",
        "severity",
        "reasons",
        "remediations",
        "summary",
    }
    for row in rows:
        assert required <= set(row)
        assert set(row["actor"]) >= {"type", "arn", "name"}
        assert isinstance(row["reasons"], list) and isinstance(row["remediations"], list)
    by_name = {r["event_id"]: r for r in rows}
    first = by_name["0e1a7c52-5b0b-4d0e-9a51-000000000001"]
    assert first["severity"] == "critical"
    assert first["event_time"] == "2026-11-20T10:02:11Z"


def test_triage_table_sorted_by_severity_with_summary(run):
    result = run("triage", str(FIXTURES))
    assert result.exit_code == 0
    out = result.stdout
    assert out.index("CRITICAL") < out.index("HIGH") < out.index("MEDIUM") < out.index("INFO")
    assert "53 IAM event(s)" in out and "Skipped 305 non-IAM" in out


def test_triage_db_twice_stores_nothing_new(run, tmp_path):
    db = tmp_path / "t.db"
    first = run("triage", "--db", str(db), str(RECORDS))
    second = run("triage", "--db", str(db), str(RECORDS))
    assert "Stored 29 new event(s)" in first.stdout
    assert "Stored 0 new event(s)" in second.stdout


def test_missing_path_is_exit_2_without_traceback(run, tmp_path):
    result = run("triage", str(tmp_path / "nope.json"), str(AUTHORED / "UpdateAccessKey__authored__1.json"))
    assert result.exit_code == 2
    assert "no such file or directory" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert "UpdateAccessKey" in result.stdout  # the readable input was still triaged


def test_corrupt_gzip_is_exit_2(run, tmp_path):
    bad = tmp_path / "x.json.gz"
    bad.write_bytes(b"\x1f\x8b garbage")
    result = run("triage", str(bad))
    assert result.exit_code == 2 and "not a valid gzip" in result.stderr


def test_bad_records_are_reported_and_exit_0(run, tmp_path):
    path = tmp_path / "mixed.json.gz"
    good = (AUTHORED / "UpdateAccessKey__authored__1.json").read_text()
    path.write_bytes(gzip.compress((json.dumps(json.loads(good)) + "\n{broken\n").encode()))
    result = run("triage", "--format", "json", str(path))
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1
    assert "skipped" in result.stderr and "mixed.json.gz:2: not valid JSON" in result.stderr


def test_usage_error_is_exit_2(run):
    assert run("triage").exit_code == 2
    assert run("triage", "--format", "xml", str(AUTHORED)).exit_code == 2


def test_explain(run):
    result = run("explain", "updateaccesskey")
    assert result.exit_code == 0
    assert result.stdout.startswith("UpdateAccessKey: Access key status changed  [first-class]")
    assert "deactivate-access-key" in result.stdout
    missing = run("explain", "NoSuchCall")
    assert missing.exit_code == 2 and "generic alert" in missing.stderr


def test_self_arns_from_environment(run, monkeypatch):
    monkeypatch.setenv("IAMBOT_SELF_ARNS", "arn:aws:iam::111122223333:user/mallory-dev")
    result = run("triage", "--format", "json", str(AUTHORED / "UploadSigningCertificate__authored__1.json"))
    row = json.loads(result.stdout)
    assert row["severity"] == "info" and row["is_self"] is True and row["remediations"] == []


def test_demo_plays_the_whole_product_against_moto(run):
    result = run("demo")
    assert result.exit_code == 0, result.stderr
    out = " ".join(result.stdout.split())  # the terminal wraps lines
    for title in (
        "Access key status changed",
        "Console password",
        "Signing certificate",
        "Server certificate",
        "OIDC provider thumbprints",
    ):
        assert title.lower() in out.lower(), title
    assert "[ Deactivate the access key ]" in out
    assert "You asked for this remediation; someone else must approve it." in out
    assert "In AWS the key is now Inactive" in out
    assert "iambot digest" in out and "5 IAM event(s)" in out
    assert "iambot manifest" in out  # says what to do next


def test_demo_facts():
    from bot.demo import run_demo

    facts = run_demo()
    assert [name for name, _ in facts["alerts"]] == [
        "UpdateAccessKey",
        "UpdateLoginProfile",
        "UploadSigningCertificate",
        "UpdateServerCertificate",
        "UpdateOpenIDConnectProviderThumbprint",
    ]
    assert facts["request"] == "succeeded" and facts["key_status"] == "Inactive"
    assert facts["digest_total"] == 5


def test_parallel_json_triage_matches_the_sequential_one(run, tmp_path):
    from bot import parallel

    assert parallel.workers() >= 1
    fast = run("triage", "--format", "json", str(FIXTURES))  # several files: read on every core
    slow = run("triage", "--format", "json", "--db", str(tmp_path / "x.db"), str(FIXTURES))  # one process
    assert fast.exit_code == slow.exit_code == 0
    assert fast.stdout == slow.stdout and fast.stdout.count("\n") > 40
