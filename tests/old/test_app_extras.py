"""OIDC restores from snapshots, approver groups, accounts without a role, the manifest, `iambot run`."""

from __future__ import annotations

import json
from datetime import timedelta

import time_machine
import yaml
from click.testing import CliRunner

from bot.cli import cli
from bot.events import normalize
from bot.manifest import BOT_SCOPES
from tests.conftest import APPROVER, REQUESTER, STRANGER, as_account, load
from tests.test_slack_app import access_key_event


def oidc_event(iam, new):
    arn = iam.create_open_id_connect_provider(
        Url="https://token.actions.example.com", ThumbprintList=["a" * 40], ClientIDList=["sts.amazonaws.com"]
    )["OpenIDConnectProviderArn"]
    record = as_account(load("UpdateOpenIDConnectProviderThumbprint__authored__1.json"))
    record["requestParameters"] = {"openIDConnectProviderArn": arn, "thumbprintList": [new]}
    return arn, record


def test_restore_thumbprints_from_the_snapshot_before_the_change(runtime, http, slack, aws):
    iam = aws.client("iam")
    arn, record = oidc_event(iam, "b" * 40)
    with time_machine.travel(normalize(record).event_time - timedelta(hours=1)):
        assert runtime.service.snapshot_oidc() == 1  # taken before the change: ["a" * 40]
    assert runtime.service.snapshot_oidc() == 0  # unchanged: no new row
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["b" * 40])
    event = normalize(record)
    runtime.service.ingest([event])
    http.click("request:restore-oidc-thumbprints", event.key, REQUESTER)
    row = slack.wait_for(lambda s: runtime.store.row("SELECT id, plan FROM requests"))
    assert f"{'b' * 40} → {'a' * 40}" in row["plan"]
    http.click("approve", row["id"], APPROVER)
    slack.wait_for(lambda s: runtime.store.row("SELECT status FROM requests")["status"] == "succeeded")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == ["a" * 40]


def test_restore_without_a_snapshot_says_so_and_offers_the_command(runtime, http, slack, aws):
    arn, record = oidc_event(aws.client("iam"), "b" * 40)
    event = normalize(record)
    runtime.service.ingest([event])
    http.click("request:restore-oidc-thumbprints", event.key, REQUESTER)
    answer = slack.wait_for(lambda s: s.responses)[0]["text"]
    assert "no record of this provider's thumbprints" in answer
    assert f"/iam remediate restore-oidc-thumbprints provider_arn={arn}" in answer
    assert runtime.store.count("requests") == 0


def test_approver_group_members_may_approve(runtime_for, slack, aws, tmp_path):
    from tests.harness import HttpClient

    config = tmp_path / "iambot.toml"
    config.write_text('approver_groups = ["S0SECURITY"]\n')
    slack.groups["S0SECURITY"] = [STRANGER]
    runtime = runtime_for(IAMBOT_CONFIG=str(config), IAMBOT_APPROVERS="")
    http = HttpClient(runtime)
    try:
        iam = aws.client("iam")
        event, _key = access_key_event(iam)
        runtime.service.ingest([event])
        http.click("request:deactivate-access-key", event.key, REQUESTER)
        rid = slack.wait_for(lambda s: runtime.store.row("SELECT id FROM requests"))["id"]
        http.click("approve", rid, APPROVER)  # not in the group
        assert (
            "not an approver"
            in slack.wait_for(lambda s: [r for r in s.responses if "approver" in r["text"]])[0]["text"]
        )
        http.click("approve", rid, STRANGER)
        slack.wait_for(lambda s: runtime.store.row("SELECT status FROM requests")["status"] == "succeeded")
        assert slack.of("usergroups.users.list")[0].params["usergroup"] == "S0SECURITY"
    finally:
        http.close()


def test_an_account_without_a_role_is_refused_clearly(runtime, http, slack, aws):
    event = normalize(as_account(load("UpdateAccessKey__authored__1.json"), "210987654321"))
    runtime.service.ingest([event])
    http.click("request:deactivate-access-key", event.key, REQUESTER)
    answer = slack.wait_for(lambda s: s.responses)[0]["text"]
    assert "No role is configured for account 210987654321" in answer and "IAMBOT_REMEDIATION_ROLE" in answer


def test_manifest_is_valid_yaml_with_exactly_our_settings():
    socket = yaml.safe_load(CliRunner().invoke(cli, ["manifest"]).output)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert socket["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert socket["features"]["slash_commands"][0]["command"] == "/iam"
    assert "request_url" not in socket["settings"]["interactivity"]
    http = yaml.safe_load(CliRunner().invoke(cli, ["manifest", "--url", "https://iambot.example.com/"]).output)
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["settings"]["interactivity"]["request_url"] == "https://iambot.example.com/slack/events"
    assert http["features"]["slash_commands"][0]["url"] == "https://iambot.example.com/slack/events"
    bad = CliRunner().invoke(cli, ["manifest", "--url", "http://insecure.example.com"])
    assert bad.exit_code == 2 and "https://" in bad.output


def test_policy_command_prints_json():
    result = CliRunner().invoke(cli, ["policy"], env={"IAMBOT_REMEDIATIONS": "deactivate-access-key"})
    doc = json.loads(result.output)
    assert doc["Version"] == "2012-10-17"
    assert "iam:UpdateAccessKey" in json.dumps(doc) and "iam:DeleteAccessKey" not in json.dumps(doc)
    bad = CliRunner().invoke(cli, ["policy"], env={"IAMBOT_REMEDIATIONS": "make-it-safe"})
    assert bad.exit_code == 2 and "unknown remediation(s) make-it-safe" in bad.output


def test_run_names_what_is_missing(tmp_path):
    result = CliRunner().invoke(
        cli, ["run"], env={"SLACK_BOT_TOKEN": "xoxb-test-not-a-real-token", "IAMBOT_DB": str(tmp_path / "x.db")}
    )
    assert result.exit_code == 2
    assert "SLACK_SIGNING_SECRET" in result.output and "IAMBOT_ALERT_CHANNEL" in result.output
    assert "xoxb-test" not in result.output  # never echo secrets
    result = CliRunner().invoke(cli, ["run", "--socket-mode"], env={"SLACK_BOT_TOKEN": "xoxb-x"})
    assert "SLACK_APP_TOKEN" in result.output


def test_readme_config_example_loads(tmp_path, monkeypatch):
    import re
    from pathlib import Path

    from bot.config import load_settings

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    example = re.search(r"```toml\n(.*?)```", readme, re.S).group(1)
    (tmp_path / "iambot.toml").write_text(example)
    monkeypatch.setenv("IAMBOT_CONFIG", str(tmp_path / "iambot.toml"))
    settings = load_settings()
    assert settings.approver_groups == ["S0SECURITY"] and settings.routes[0].channel == "C0CRITICAL"
    assert settings.password_policy["minimum_password_length"] == 16


def test_configured_password_policy_is_the_default(runtime_for, tmp_path):
    config = tmp_path / "iambot.toml"
    config.write_text("[password_policy]\nminimum_password_length = 16\n")
    runtime = runtime_for(IAMBOT_CONFIG=str(config))
    request = runtime.service.request("apply-password-policy", {}, REQUESTER)
    assert request.params["minimum_password_length"] == 16
    assert "• minimum password length: unset → 16" in request.plan
