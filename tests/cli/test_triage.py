"""`iambot triage`: the identity events in CloudTrail files, as a table or JSON lines, optionally
stored; every mistake a person can make is exit 2 with one line, never a traceback."""

from __future__ import annotations

import gzip
import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import datetime

import pytest

from bot.catalog import SEVERITIES
from bot.catalog import load as load_catalog
from tests.support.cli import clean_environment, invoke, one_line_error, records_in
from tests.support.records import AUTHORED, DETONATIONS, FIXTURES, RECORDS, as_root, detonation, load

ONE = AUTHORED / "UpdateAccessKey__authored__1.json"
REQUIRED = {
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


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    clean_environment(monkeypatch, tmp_path)


def wanted(records):
    selection = load_catalog().selection()
    return [r for r in records if selection.keeps(r)]  # the root user's calls in any service too


def test_triage_json_has_the_documented_fields():
    result = invoke("triage", "--format", "json", str(AUTHORED))
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(wanted(records_in(sorted(AUTHORED.glob("*.json")))))
    assert len(rows) > 50
    for row in rows:
        assert set(row) >= REQUIRED
        assert set(row["actor"]) >= {"type", "arn", "name"}
        assert isinstance(row["reasons"], list) and isinstance(row["remediations"], list)
        assert row["severity"] in SEVERITIES
    by_id = {r["event_id"]: r for r in rows}
    first = by_id["0e1a7c52-5b0b-4d0e-9a51-000000000001"]  # UpdateAccessKey__authored__1
    # changed on purpose: an Identity Center session's mfaAuthenticated "false" no longer means
    # "no MFA", so this reactivated key is high (it was critical)
    assert first["severity"] == "high"
    assert first["event_time"] == "2026-11-20T10:02:11Z"
    assert first["target"] == {"user": "legacy-etl", "access_key_id": "AKIAEXAMPLELEGACY001"}
    assert "deactivate-access-key" in first["remediations"]


def test_triage_reports_the_root_user_in_any_service(tmp_path):
    """The measured gap of issue 21: root acting in S3 (PutBucketPolicy) or EC2 (RunInstances) was
    skipped as another service's record; now each is an identity event, at least high."""
    run = as_root(detonation("aws.execution.ec2-launch-unusual-instances.json", "RunInstances"))
    other = detonation("aws.execution.ec2-launch-unusual-instances.json", "RunInstances")  # a role's: skipped
    log = tmp_path / "delivery.json"
    log.write_text(json.dumps({"Records": [run, load("PutBucketPolicy__authored__1.json"), other]}))
    result = invoke("triage", "--format", "json", str(log))
    assert result.exit_code == 0, result.stderr
    rows = {r["event_name"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert set(rows) == {"RunInstances", "PutBucketPolicy"}
    assert rows["RunInstances"]["title"] == "Root user called ec2:RunInstances"
    assert rows["RunInstances"]["attack"] == ["T1078.004"]
    # S3's PutBucketPolicy has an entry of its own (the trail bucket's policy): root keeps it, at least high
    assert rows["PutBucketPolicy"]["summary"] == "root replaced the bucket policy of S3 bucket amzn-s3-demo-bucket"
    assert {r["severity"] for r in rows.values()} == {"high"}
    assert all(r["actor"]["type"] == "Root" and "root-actor" in r["factors"] for r in rows.values())


def test_triage_reports_what_could_blind_iambot():
    """The measured gap of issue 21 item 2, on Stratus Red Team's detonations and a DisableRule on
    the template's rule: each is now an identity event, at least high; stopping the trail critical."""
    paths = [DETONATIONS / f"aws.defense-evasion.cloudtrail-{n}.json" for n in ("stop", "delete", "event-selectors")]
    result = invoke("triage", "--format", "json", *map(str, paths), str(AUTHORED / "DisableRule__authored__1.json"))
    assert result.exit_code == 0, result.stderr
    rows = {r["event_name"]: r["severity"] for r in map(json.loads, result.stdout.splitlines())}
    assert rows == {"StopLogging": "critical", "DeleteTrail": "critical", "PutEventSelectors": "high",
                    "DisableRule": "high"}  # fmt: skip


def summary_line(out: str) -> str:
    return " ".join(out.split()).split("└")[-1]


def test_triage_table_sorted_by_severity_with_summary():
    result = invoke("triage", str(FIXTURES))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.index("CRITICAL") < out.index("HIGH") < out.index("MEDIUM") < out.index("LOW") < out.index("INFO")
    paths = sorted(RECORDS.glob("*.json")) + sorted(AUTHORED.glob("*.json")) + sorted(DETONATIONS.glob("*.json"))
    records = records_in(paths)
    kept = len(wanted(records))
    line = summary_line(out)
    assert f"{kept} identity event(s) in {len(records)} record(s) from {len(paths)} file(s)" in line
    assert f"Skipped {len(records) - kept} record(s) of other services, rejected 0." in line
    counts = {s: int(n) for n, s in re.findall(r"(\d+) (critical|high|medium|low|info)\b", line.split(":")[1])}
    assert sum(counts.values()) == kept and list(counts) == ["critical", "high", "medium", "low", "info"]


def test_min_severity_leaves_out_the_rest():
    result = invoke("triage", "--format", "json", "--min-severity", "high", str(AUTHORED))
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and {r["severity"] for r in rows} <= {"high", "critical"}


def distinct(records):
    """What the store keeps once: eventID (or the whole record when it has none), name and time.
    Published fixtures reuse eventIDs like "1111" for different events."""
    return {
        (r.get("eventID") or json.dumps(r, sort_keys=True), r["eventName"],
         int(datetime.fromisoformat(r["eventTime"].replace("Z", "+00:00")).timestamp()))
        for r in records
    }


def test_triage_db_twice_stores_nothing_new(tmp_path):
    db = tmp_path / "t.db"
    kept = len(distinct(wanted(records_in(sorted(RECORDS.glob("*.json"))))))
    assert 0 < kept < len(wanted(records_in(sorted(RECORDS.glob("*.json")))))
    first = invoke("triage", "--db", str(db), str(RECORDS))
    second = invoke("triage", "--db", str(db), str(RECORDS))
    assert f"Stored {kept} new event(s)" in " ".join(first.stdout.split())
    assert "Stored 0 new event(s)" in " ".join(second.stdout.split())
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == kept


def test_triage_json_with_db_says_what_it_stored_on_stderr(tmp_path):
    result = invoke("triage", "--format", "json", "--db", str(tmp_path / "t.db"), str(ONE))
    assert len(result.stdout.splitlines()) == 1
    assert "stored 1 new event(s)" in result.stderr


def test_missing_path_is_exit_2_without_traceback(tmp_path):
    result = invoke("triage", str(tmp_path / "nope.json"), str(ONE))
    line = one_line_error(result)
    assert "nope.json: no such file or directory" in line
    assert "UpdateAccessKey" in result.stdout  # the readable input was still triaged


def test_corrupt_gzip_is_exit_2(tmp_path):
    bad = tmp_path / "x.json.gz"
    bad.write_bytes(b"\x1f\x8b garbage")
    assert "not a valid gzip" in one_line_error(invoke("triage", str(bad)))


def test_bad_records_are_reported_and_exit_0(tmp_path):
    path = tmp_path / "mixed.json.gz"
    path.write_bytes(gzip.compress((json.dumps(json.loads(ONE.read_text())) + "\n{broken\n").encode()))
    result = invoke("triage", "--format", "json", str(path))
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1
    assert "skipped" in result.stderr and "mixed.json.gz:2: not valid JSON" in result.stderr


def test_usage_error_is_exit_2():
    assert invoke("triage").exit_code == 2
    assert invoke("triage", "--format", "xml", str(AUTHORED)).exit_code == 2
    assert invoke("triage", "--min-severity", "urgent", str(AUTHORED)).exit_code == 2


def test_self_arns_from_environment(monkeypatch):
    monkeypatch.setenv("IAMBOT_SELF_ARNS", "arn:aws:iam::111122223333:user/mallory-dev")
    result = invoke("triage", "--format", "json", str(AUTHORED / "UploadSigningCertificate__authored__1.json"))
    row = json.loads(result.stdout)
    assert row["severity"] == "info" and row["is_self"] is True and row["remediations"] == []


def test_a_bad_setting_is_exit_2_naming_it(monkeypatch):
    monkeypatch.setenv("IAMBOT_ALERT_CHANNEL", "#iam-alerts")
    assert "IAMBOT_ALERT_CHANNEL" in one_line_error(invoke("triage", str(ONE)))


# ---------------------------------------------------------------- an unusable --db


def test_a_db_that_is_a_directory_is_exit_2(tmp_path):
    folder = tmp_path / "adir"
    folder.mkdir()
    line = one_line_error(invoke("triage", "--db", str(folder), str(ONE)))
    assert str(folder) in line and "cannot open it" in line


def test_a_db_in_a_read_only_location_is_exit_2(tmp_path):
    import os

    if os.geteuid() == 0:  # root writes through permission bits; /proc refuses everyone
        target = "/proc/iambot-test.db"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        target = str(ro / "x.db")
    line = one_line_error(invoke("triage", "--db", target, str(ONE)))
    assert target in line and "cannot open it" in line


def test_a_db_under_a_file_is_exit_2(tmp_path):
    (tmp_path / "afile").write_text("x")
    line = one_line_error(invoke("triage", "--db", str(tmp_path / "afile" / "x.db"), str(ONE)))
    assert "cannot create its folder" in line


def test_a_db_that_is_not_sqlite_is_exit_2(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 20)
    line = one_line_error(invoke("triage", "--db", str(path), str(ONE)))
    assert str(path) in line and "not an iambot database" in line
    assert path.read_text().startswith("these are my notes")  # untouched


def test_a_db_of_a_newer_iambot_is_exit_2(tmp_path):
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    line = one_line_error(invoke("triage", "--db", str(path), str(ONE)))
    assert "newer than this iambot" in line


def test_triage_with_db_scores_sign_ins_against_the_history_it_stored(tmp_path):
    login = json.loads((RECORDS / "ConsoleLogin__awsdocs__1.json").read_text())
    later = {**login, "eventID": "later-login", "eventTime": "2022-11-11T09:00:00Z", "sourceIPAddress": "203.0.113.7"}
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps({"Records": [login]}))
    second.write_text(json.dumps({"Records": [later]}))
    db = str(tmp_path / "t.db")

    def factors(*args):
        lines = invoke("triage", "--format", "json", *args, str(second)).stdout.splitlines()
        return json.loads(lines[0])["factors"]

    assert "new-network" not in factors()  # no store, no history
    invoke("triage", "--db", db, str(first))
    assert "new-network" in factors("--db", db)


def _escalation_files(tmp_path, per_file=1):
    """The issue's twelve denied writes, in files read apart (and out of time order across them)."""
    from tests.support.sequences import escalation_attempt

    records = escalation_attempt()
    order = records[::-1]
    for i in range(0, len(order), per_file):
        (tmp_path / f"part-{i:02d}.json").write_text(json.dumps({"Records": order[i : i + per_file]}))
    return tmp_path


@pytest.mark.parametrize("per_file", [1, 12])  # read in parallel processes, and in this one
def test_triage_json_names_the_sequence_across_files_in_time_order(tmp_path, per_file):
    result = invoke("triage", "--format", "json", str(_escalation_files(tmp_path, per_file)))
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    singles = [r for r in rows if "sequence" not in r]
    [sequence] = [r for r in rows if "sequence" in r]
    assert len(singles) == 12 and max(SEVERITIES.index(r["severity"]) for r in singles) <= SEVERITIES.index("low")
    assert sequence["sequence"] == "escalation" and sequence["title"] == "Self-escalation attempt"
    assert sequence["severity"] == "medium" and sequence["events"] == 12 and sequence["aimed_at_self"] == 4
    assert sequence["principal"] == "arn:aws:iam::111122223333:user/mallory-dev"
    assert {"AttachUserPolicy", "PutUserPolicy", "CreatePolicyVersion", "CreateAccessKey"} <= set(sequence["calls"])
    assert sequence["first"].startswith("2026-11-20T10:00:00") and sequence["last"].startswith("2026-11-20T10:03:40")


def test_triage_table_names_the_sequence(tmp_path):
    result = invoke("triage", str(_escalation_files(tmp_path, 3)))
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "Sequence (medium): Self-escalation attempt." in text
    assert "was denied 12 identity write(s), 12 distinct operation(s); 4 of them aimed at the caller's own user" in text
    assert "1 sequence(s) across events of one principal." in text


def test_triage_min_severity_above_medium_leaves_the_sequence_out(tmp_path):
    result = invoke("triage", "--format", "json", "--min-severity", "high", str(_escalation_files(tmp_path, 4)))
    assert result.exit_code == 0 and result.stdout == ""


def test_triage_finds_an_enumeration_once_per_principal(tmp_path):
    from datetime import timedelta

    from tests.support.sequences import START, enumeration

    records = enumeration() + enumeration(start=START + timedelta(hours=3))
    (tmp_path / "reads.json").write_text(json.dumps({"Records": records}))
    result = invoke("triage", "--format", "json", str(tmp_path))
    [sequence] = [json.loads(line) for line in result.stdout.splitlines() if '"sequence"' in line]
    assert sequence["title"] == "Identity enumeration" and sequence["events"] == 11


def test_a_terminal_in_latin_1_gets_the_table_with_what_it_cannot_show_replaced():
    from click.testing import CliRunner

    from bot.cli import cli

    result = CliRunner(charset="latin-1").invoke(cli, ["triage", str(FIXTURES)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "identity event(s) in" in result.stdout and "CreateAccessKey" in result.stdout
    assert "?" in result.stdout  # "…" of a clipped summary, which Latin-1 lacks


@pytest.mark.parametrize("rows", [0, 1, 3, 5000])
def test_the_spooled_table_is_the_same_written_as_bytes_or_through_the_console(monkeypatch, rows):
    import io
    import sys
    from datetime import UTC, timedelta

    from bot.cli.triage import Output
    from bot.config.settings import load_settings
    from bot.events import ReadStats

    monkeypatch.setenv("COLUMNS", "80")
    at = datetime(2026, 11, 20, 10, 2, tzinfo=UTC)

    def printed(own_buffer: bool) -> bytes:
        stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
        monkeypatch.setattr(sys, "stdout", stdout)
        elsewhere = io.BytesIO()
        out = Output("table", stdout.buffer if own_buffer else elsewhere, None, load_settings(), 0)
        assert out.plain is not None
        for i in range(rows):
            out.add_row((SEVERITIES[i % 5], at + timedelta(seconds=-i), f"│ row {i} dé │\n"))
        out.finish(ReadStats(), None)
        stdout.flush()
        assert elsewhere.getvalue() == b""
        return stdout.buffer.getvalue()

    direct, through = printed(True), printed(False)
    assert direct == through
    expected = sorted(range(rows), key=lambda i: (-(i % 5), -i))  # the higher severity first, then the earlier
    assert [int(n) for n in re.findall(r"row (\d+) dé", direct.decode())] == expected


def _iambot(*args, stdin, tmp_path, after=""):
    """iambot in a process of its own, with this standard input (- reads the process's fd 0);
    ``after``: code run once iambot has finished, in the same process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IAMBOT_")}
    code = "import sys; from bot.cli import main; sys.argv[0] = 'iambot'\n"
    code += f"try:\n    main()\nfinally:\n    {after or 'pass'}"
    return subprocess.run([sys.executable, "-c", code, *args], stdin=stdin, capture_output=True, timeout=120,
                          cwd=tmp_path, env=env)  # fmt: skip


def test_triage_json_does_not_import_rich(tmp_path):
    """JSON lines need no console: rich (a twentieth of triage's serial start) is left unimported."""
    done = _iambot("triage", "--format", "json", str(FIXTURES), stdin=subprocess.DEVNULL, tmp_path=tmp_path,
                   after="print('rich' in sys.modules, file=sys.stderr)")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(b"\n") > 10  # the alerts were written
    assert done.stderr.decode().strip().splitlines()[-1] == "False"


def test_triage_reads_standard_input_as_dash(tmp_path):
    """`aws s3 cp s3://…/f.json.gz - | iambot triage -`: the same lines as naming the file."""
    delivery = tmp_path / "f.json.gz"
    delivery.write_bytes(gzip.compress(json.dumps({"Records": records_in(sorted(RECORDS.glob("*.json")))}).encode()))
    named = _iambot("triage", "--format", "json", str(delivery), stdin=subprocess.DEVNULL, tmp_path=tmp_path)
    with delivery.open("rb") as f:
        piped = _iambot("triage", "--format", "json", "-", stdin=f, tmp_path=tmp_path)
    assert piped.returncode == named.returncode == 0, piped.stderr
    lines, expected = ([json.loads(line) for line in done.stdout.splitlines()] for done in (piped, named))
    assert len(lines) > 10
    for line, want in zip(lines, expected, strict=True):
        assert line.pop("origin") == want.pop("origin").replace(str(delivery), "/dev/stdin")
        assert line == want


def test_triage_reads_standard_input_once(tmp_path):
    with ONE.open("rb") as f:
        done = _iambot("triage", "--format", "json", "-", "-", stdin=f, tmp_path=tmp_path)
    assert done.returncode == 2
    said = "iambot: -: standard input is named more than once; it can be read once"
    assert done.stderr.decode().strip().splitlines() == [said]
    assert json.loads(done.stdout.splitlines()[0])["event_name"] == "UpdateAccessKey"  # the first - was read


def test_triage_refuses_a_terminal_as_standard_input(tmp_path):
    primary, secondary = os.openpty()
    try:
        done = _iambot("triage", "-", stdin=secondary, tmp_path=tmp_path)
    finally:
        os.close(primary)
        os.close(secondary)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr.decode()
    assert "standard input is a terminal" in done.stderr.decode()
