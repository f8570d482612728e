"""The small commands: `iambot explain`, `manifest`, `policy` and `template` print exactly what
the library builds, follow the settings, and refuse mistakes with exit 2 and one line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import yaml

from bot.aws.ecs import ecs
from bot.aws.org import central, member
from bot.aws.policy import policy
from bot.aws.template import forwarder, template
from bot.config.settings import given
from bot.slack.manifest import manifest
from tests.support.cli import clean_environment, invoke, one_line_error


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    clean_environment(monkeypatch, tmp_path)


def test_explain():
    result = invoke("explain", "updateaccesskey")
    assert result.exit_code == 0
    assert result.stdout.startswith("UpdateAccessKey (iam.amazonaws.com): Access key status changed  [first-class]")
    assert "deactivate-access-key" in result.stdout
    missing = invoke("explain", "NoSuchCall")
    assert "generic alert" in one_line_error(missing)


def test_explain_by_service_prefix():
    result = invoke("explain", "sso:CreatePermissionSet")
    assert result.exit_code == 0 and result.stdout.startswith("CreatePermissionSet (sso.amazonaws.com):")
    sts = invoke("explain", "GetSessionToken")
    assert sts.stdout.startswith("GetSessionToken (sts.amazonaws.com):")
    assert "no catalog entry for 'iam:GetSessionToken'" in one_line_error(invoke("explain", "iam:GetSessionToken"))


def test_explain_covers_every_operation_of_the_services_iambot_reads():
    """Reads included: each operation of the locked botocore's models (but the two STS calls left
    out on purpose) is explained by its own entry, by name within its source."""
    import botocore.session

    from bot.catalog.coverage import SERVICES, expected

    session = botocore.session.get_session()
    missing = []
    for service, spec in SERVICES.items():
        prefix = spec.source.split(".")[0]
        for name in expected(service, session.get_service_model(service).operation_names):
            result = invoke("explain", f"{prefix}:{name}")
            if result.exit_code != 0 or not result.stdout.startswith(f"{name} ({spec.source}): "):
                missing.append(f"{prefix}:{name}")
    assert missing == []


def test_explain_a_read_says_what_it_reveals():
    result = invoke("explain", "ListAttachedUserPolicies")
    assert result.exit_code == 0
    assert result.stdout.startswith("ListAttachedUserPolicies (iam.amazonaws.com): List Attached User Policies (read)")
    assert "Base severity: info" in result.stdout
    assert "returns the managed policies attached to an IAM user to the caller" in result.stdout
    # two sources have a ListAccounts: Organizations' and the access portal's
    both = invoke("explain", "ListAccounts").stdout
    assert "ListAccounts (organizations.amazonaws.com)" in both and "ListAccounts (sso.amazonaws.com)" in both
    portal = invoke("explain", "sso:ListAccounts").stdout
    assert "organizations" not in portal.split("\n", 1)[0] and "PortalAPIReference" in portal


def test_manifest_prints_the_manifest_as_yaml_or_json():
    url = "https://iambot.example.com"
    as_yaml = invoke("manifest", "--url", url)
    assert as_yaml.exit_code == 0
    assert yaml.safe_load(as_yaml.stdout) == manifest(url, "iambot")
    assert yaml.safe_load(as_yaml.stdout)["settings"]["interactivity"]["request_url"] == url + "/slack/events"
    as_json = invoke("manifest", "--format", "json", "--name", "sec-bot")
    assert json.loads(as_json.stdout) == manifest(None, "sec-bot")
    assert json.loads(as_json.stdout)["settings"]["socket_mode_enabled"] is True


def test_manifest_refuses_a_url_slack_cannot_call():
    assert "https://" in one_line_error(invoke("manifest", "--url", "http://iambot.example.com"))
    assert "1 to 35 characters" in one_line_error(invoke("manifest", "--name", "x" * 36))


def test_policy_prints_the_policy_of_the_settings(monkeypatch):
    monkeypatch.setenv("IAMBOT_REMEDIATIONS", "deactivate-access-key")
    monkeypatch.setenv("IAMBOT_SQS_QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/123456789012/iambot-events")
    result = invoke("policy")
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    expected = policy(given(IAMBOT_REMEDIATIONS="deactivate-access-key",
                            IAMBOT_SQS_QUEUE_URL="https://sqs.eu-west-1.amazonaws.com/123456789012/iambot-events"))
    assert printed == expected
    [queue] = [s for s in printed["Statement"] if s.get("Sid") == "IambotQueue"]
    assert queue["Resource"] == "arn:aws:sqs:eu-west-1:123456789012:iambot-events"
    actions = {a for s in printed["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str)
                                                         else s["Action"])}
    assert "iam:UpdateAccessKey" in actions and "iam:DeleteAccessKey" not in actions


def test_policy_refuses_an_unknown_remediation(monkeypatch):
    monkeypatch.setenv("IAMBOT_REMEDIATIONS", "deactivate-access-key,launch-missiles")
    line = one_line_error(invoke("policy"))
    assert line.startswith("iambot: IAMBOT_REMEDIATIONS: unknown remediation(s) launch-missiles")


def test_template_prints_the_stack_and_the_forwarder():
    main = invoke("template")
    assert main.exit_code == 0 and json.loads(main.stdout) == template(given())
    other = invoke("template", "--forwarder")
    assert other.exit_code == 0 and json.loads(other.stdout) == forwarder()


def test_template_prints_the_organization_and_ecs_stacks_one_at_a_time():
    for flag, build in (("--org", central), ("--org-member", member), ("--ecs", ecs)):
        printed = invoke("template", flag)
        assert printed.exit_code == 0 and json.loads(printed.stdout) == build(given()), flag
    irsa = invoke("template", "--eks-oidc-issuer", "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE0123")
    assert irsa.exit_code == 0
    [trust] = json.loads(irsa.stdout)["Resources"]["BotRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"]["StringEquals"]["oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE0123:sub"] == (
        "system:serviceaccount:iambot:iambot"
    )
    for args in (["--eks-oidc-issuer", 'x"}'], ["--eks-oidc-issuer", "oidc.example.com", "--service-account", "a"]):
        refused = invoke("template", *args)
        assert refused.exit_code == 2 and "Invalid value for --eks-oidc-issuer" in refused.output, args
    both = invoke("template", "--org", "--org-member")
    assert both.exit_code == 2 and "choose one of --org, --org-member" in both.output


def test_a_config_file_is_read(tmp_path, monkeypatch):
    (tmp_path / "iambot.toml").write_text('remediations = ["require-password-reset"]\n')
    printed = json.loads(invoke("policy").stdout)
    assert printed == policy(given(remediations=["require-password-reset"]))
    (tmp_path / "iambot.toml").write_text('no_such_setting = 1\n')
    assert "no_such_setting: unknown setting" in one_line_error(invoke("policy"))


def test_version_and_help():
    assert invoke("--version").exit_code == 0
    result = invoke("--help")
    for command in ("triage", "ingest", "run", "demo", "explain", "manifest", "policy", "template"):
        assert command in result.stdout


def test_secret_key_prints_a_key_iambot_accepts_and_a_bad_one_is_named(monkeypatch):
    key = invoke("secret-key").stdout.strip()
    assert given(IAMBOT_SECRET_KEY=key).secret_key.get_secret_value() == key
    assert invoke("secret-key").stdout.strip() != key  # a new one each time
    monkeypatch.setenv("IAMBOT_SECRET_KEY", "hunter2")
    line = one_line_error(invoke("policy"))
    assert "IAMBOT_SECRET_KEY" in line and "iambot secret-key" in line and "hunter2" not in line


def test_mfa_reset_removes_a_device_and_audits_it(tmp_path, monkeypatch):
    from bot.store import Store

    monkeypatch.setenv("IAMBOT_DB", str(tmp_path / "iambot.db"))
    store = Store(tmp_path / "iambot.db")
    with store.unit():
        store.mfa.enrol("U0APPROVE1", "encrypted", datetime(2026, 12, 7, tzinfo=UTC))
    store.close()
    assert "device removed" in invoke("mfa-reset", "U0APPROVE1").stdout
    assert "no device enrolled" in invoke("mfa-reset", "U0APPROVE1").stdout
    store = Store(tmp_path / "iambot.db")
    assert store.mfa.get("U0APPROVE1") is None
    assert [(r["action"], r["user_id"]) for r in store.audit.recent(5)][:2] == [("mfa-reset", "cli")] * 2
    store.close()
    assert "not a Slack user id" in one_line_error(invoke("mfa-reset", "'; DROP TABLE"))
