"""`iambot hunt`: the query printed by --dry-run, run on moto's Athena and Glue, its rows explained
in triage's table or JSON lines with what Athena scanned; --db stores them, --post sends one
summary; every mistake or refusal is exit 2 with one line."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import ALERTS
from tests.support.athena import athena_row, glue_table, queue_results, result_set, route_athena
from tests.support.aws import enforced
from tests.support.cli import clean_environment, invoke, one_line_error
from tests.support.records import as_account, load

COLUMNS = ["eventversion", "useridentity", "eventtime", "eventsource", "eventname", "awsregion",
           "sourceipaddress", "useragent", "errorcode", "requestparameters", "responseelements", "eventid",
           "readonly", "recipientaccountid"]  # fmt: skip
KEY = "AKIAIOSFODNN7EXAMPLE"


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("IAMBOT_DB", str(tmp_path / "iambot.db"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def record(name: str, event_id: str, **identity) -> dict:
    r = as_account(load(name))
    r["eventID"] = event_id
    r["eventTime"] = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    r["userIdentity"] = {**r.get("userIdentity", {}), "accessKeyId": KEY, **identity}
    return r


@pytest.fixture
def athena(aws, monkeypatch):
    route_athena(monkeypatch)
    aws.client("s3").create_bucket(Bucket="hunt-results")
    glue_table(aws.client("glue"))
    records = [record("UpdateAccessKey__authored__1.json", "evt-1"), record("CreateUser__panther__1.json", "evt-2"),
               {**record("CreateUser__panther__1.json", "evt-3"), "eventSource": "s3.amazonaws.com",
                "eventName": "PutObject"}]  # fmt: skip
    queue_results(result_set(COLUMNS, [athena_row(r, COLUMNS) for r in records]))
    return aws


def hunt(*extra: str):
    return invoke("hunt", "--athena-table", "cloudtrail.org_trail", "--since", "90d", "--access-key", KEY,
                  "--output", "s3://hunt-results/iambot/", *extra)  # fmt: skip


def test_dry_run_prints_the_query_and_runs_nothing():
    result = invoke("hunt", "--athena-table", "cloudtrail.org_trail", "--since", "90d", "--access-key", KEY,
                    "--dry-run")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("SELECT ") and 'FROM "cloudtrail"."org_trail"' in result.stdout
    assert f"useridentity.accesskeyid = '{KEY}'" in result.stdout and '"timestamp" BETWEEN' in result.stdout


def test_the_hunt_explains_what_athena_found_as_triage_does(athena):
    result = hunt()
    assert result.exit_code == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "UpdateAccessKey" in out and "CreateUser" in out and "PutObject" not in out
    assert "2 identity event(s) in 3 record(s) from Athena query" in out
    assert "Skipped 1 record(s) of other services" in out
    assert "3 row(s), scanned 0.0 MB" in out and "about $0.00005 at $5 per TB (10 MB minimum)" in out


def test_json_lines_and_the_scan_on_stderr(athena):
    result = hunt("--format", "json")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {line["event_id"] for line in lines} == {"evt-1", "evt-2"}
    assert "Athena query" in result.stderr and "scanned" in result.stderr


def test_severity_is_applied_after_assessment(athena):
    result = hunt("--format", "json", "--severity", "critical")
    assert result.exit_code == 0
    assert all(json.loads(line)["severity"] == "critical" for line in result.stdout.splitlines())


def test_db_stores_what_was_found(athena, tmp_path):
    db = tmp_path / "hunt.db"
    result = hunt("--db", str(db))
    assert result.exit_code == 0, result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 2
    assert "Stored 2 new event(s)" in " ".join(result.stdout.split())


def test_post_sends_one_summary_with_the_top_rows(athena, monkeypatch, slack):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-not-a-real-token")
    monkeypatch.setenv("SLACK_API_URL", slack.url + "/api/")
    monkeypatch.setenv("IAMBOT_ALERT_CHANNEL", ALERTS)
    result = hunt("--post")
    assert result.exit_code == 0, result.stderr
    [posted] = slack.posted(ALERTS)
    body = json.dumps(posted)
    assert "Hunt: access key AKIAIOSFODNN7EXAMPLE" in posted["text"] and "UpdateAccessKey" in body
    assert "Posted the hunt's summary" in result.stderr


def test_a_missing_table_is_one_line(aws, monkeypatch):
    route_athena(monkeypatch)
    aws.client("glue").create_database(DatabaseInput={"Name": "cloudtrail"})
    line = one_line_error(hunt())
    assert "Glue table cloudtrail.org_trail: no such table or database" in line


def test_a_partition_given_skips_glue(aws, monkeypatch):
    # --partition given: Glue is not asked (there is no table in it here); moto answers no rows
    route_athena(monkeypatch)
    aws.client("s3").create_bucket(Bucket="hunt-results")
    result = hunt("--partition", "timestamp")
    assert result.exit_code == 0, result.stderr
    assert "0 identity event(s) in 0 record(s)" in " ".join(result.stdout.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "12345"], "'12345' is not an account id (12 digits)"),
        (["--source-ip", "300.1.1.1"], "is not an IP address or a CIDR block"),
        (["--event", "Create User"], "is not an API call name"),
        (["--since", "forever"], "is not a span like 90d"),
        (["--lake", "eds-123"], "choose --athena-table or --lake, not both"),
        (["--workgroup", "bad name"], "is not an Athena workgroup name"),
        (["--output", "https://example.com"], "is not an s3://bucket/prefix/ location"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(args, message):
    assert message in one_line_error(hunt("--dry-run", *args))


def test_nowhere_to_hunt_is_one_line():
    assert "say where to hunt" in one_line_error(invoke("hunt", "--since", "1d", "--dry-run"))


def test_policy_hunt_needs_a_hunt_configured(tmp_path):
    assert "set hunt_table" in one_line_error(invoke("policy", "--hunt"))
    (tmp_path / "iambot.toml").write_text('hunt_table = "cloudtrail.org_trail"\nhunt_workgroup = "responders"\n')
    result = invoke("policy", "--hunt")
    assert result.exit_code == 0, result.stderr
    sids = {s["Sid"] for s in json.loads(result.stdout)["Statement"]}
    assert sids == {"IambotHuntQuery", "IambotHuntCatalog"}  # no trail bucket or results location configured


def test_access_denied_is_one_line(athena, monkeypatch):
    # a principal that may read the table in Glue but not run Athena queries (moto checks action names)
    admin = athena.client("iam")
    admin.create_user(UserName="responder")
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["glue:GetTable"], "Resource": "*"}]}
    admin.put_user_policy(UserName="responder", PolicyName="glue", PolicyDocument=json.dumps(doc))
    key = admin.create_access_key(UserName="responder")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    with enforced():
        line = one_line_error(hunt())
    assert line.startswith("iambot: Athena refused the query: access denied (") and "iambot policy --hunt" in line
