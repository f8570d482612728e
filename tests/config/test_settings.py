"""bot/config/settings.py: one Settings object from the documented environment variables and
iambot.toml. Unknown keys, misplaced keys and wrong types are errors naming the key; channel and
user settings must be Slack ids; nothing else from the environment is read."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given as examples
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot.cli import cli
from bot.config.settings import ENVIRONMENT, ConfigError, Settings, given, load_settings
from bot.runtime.wiring import build
from remediations.aws import Aws
from tests.conftest import REQUESTER
from tests.support.mutations import EXAMPLES

# README.md's iambot.toml example, with the six keys it listed after [[routes]] placed before
# the tables, where TOML keeps them top-level, and its "C0PROD" (too short for a channel id:
# the settings refuse it) made "C0PRODACCT".


@pytest.fixture(autouse=True)
def clean(monkeypatch, tmp_path):
    """No variable of this machine, and a working directory without an iambot.toml."""
    for var in ENVIRONMENT.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


def config(tmp_path, text, name="iambot.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


SHOWN = "iambot.toml"  # how errors name ./iambot.toml (the working directory's)


def refused(**overrides):
    with pytest.raises(ConfigError) as info:
        load_settings(**overrides)
    return str(info.value)


def readme_example() -> str:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    found = re.search(r"```toml\n(.*?)```", readme, re.S)
    assert found, "the README shows an iambot.toml example"
    return found.group(1)


def test_confirm_with_actor_is_a_severity_or_off():
    assert given().confirm_with_actor == "medium"
    assert given(confirm_with_actor="off").confirm_with_actor == "off"
    with pytest.raises(ConfigError, match="confirm_with_actor"):
        given(confirm_with_actor="sometimes")


def test_the_readme_example_loads_and_every_key_lands_where_meant(tmp_path):
    example = readme_example()
    config(tmp_path, example)
    s = load_settings()
    assert s.approvals_channel == "C0APPROVALS"
    assert s.approver_groups == ["S0SECURITY"]
    assert s.approvers_to_notify == ["S0SECURITY"]
    assert s.account_notes == {"111122223333": "PRODUCTION — management account"}
    assert s.requesters == []
    assert (s.approvals_required, s.destructive_approvals_required, s.request_ttl_minutes) == (1, 2, 60)
    assert s.min_severity == "low" and s.confirm_with_actor == "medium"
    assert s.automation_arns == ["arn:aws:iam::*:role/terraform-ci"]
    assert s.digest_channel == "C0DIGEST"
    assert (s.digest_cron, s.digest_timezone) == ("0 9 * * 1-5", "Europe/Paris")
    assert s.digest_chart is True
    assert (s.repeat_window_minutes, s.burst_per_minute, s.backfill_hours) == (60, 20, 24.0)
    assert s.lookup_regions == ["us-east-1", "eu-west-1"] and s.identity_center_region == "eu-west-1"
    assert s.trail_buckets == ["org-trail-logs"]
    assert (s.feed_trails, s.feed_rules, s.feed_queues) == (["org-trail"], ["iambot-*"], ["iambot-*"])
    assert (s.hunt_table, s.hunt_workgroup, s.hunt_output, s.hunt_lake) == (
        "cloudtrail.org_trail",
        "primary",
        "s3://athena-results-111122223333/iambot/",
        None,
    )
    assert [(r.channel, r.severities, r.accounts, r.events) for r in s.routes] == [
        ("C0CRITICAL", ["critical", "high"], [], []),
        ("C0PRODACCT", [], ["111122223333"], []),
    ]
    assert s.people == {"arn:aws:iam::111122223333:user/alice": "U0ALICE01", "bob@example.com": "U0BOB0001"}
    assert s.password_policy == {"minimum_password_length": 16, "max_password_age": 90}
    # every key the example sets is one of these (a key it adds must be checked here too)
    top = {line.split("=")[0].strip() for line in example.splitlines() if re.match(r"^[a-z_]+ *=", line)}
    assert top == {
        "feed_trails",
        "feed_rules",
        "feed_queues",
        "hunt_table",
        "hunt_workgroup",
        "hunt_output",
        "approvals_channel",
        "approver_groups",
        "approvers_to_notify",
        "requesters",
        "approvals_required",
        "destructive_approvals_required",
        "request_ttl_minutes",
        "min_severity",
        "confirm_with_actor",
        "automation_arns",
        "digest_channel",
        "digest_cron",
        "digest_timezone",
        "digest_chart",
        "repeat_window_minutes",
        "burst_per_minute",
        "backfill_hours",
        "lookup_regions",
        "identity_center_region",
        "trail_buckets",
        "channel",
        "severities",
        "accounts",
        "minimum_password_length",
        "max_password_age",
    }


def test_a_key_after_routes_is_an_error_naming_where_it_landed(tmp_path):
    config(tmp_path, '[[routes]]\nchannel = "C0CRITICAL"\ndigest_channel = "C0DIGEST"\nburst_per_minute = 5\n')
    message = refused()
    assert f"{SHOWN}: routes.0.digest_channel: unknown setting" in message
    assert f"{SHOWN}: routes.0.burst_per_minute: unknown setting" in message


def test_an_unknown_top_level_key_is_an_error_naming_it(tmp_path):
    config(tmp_path, 'alert_channel = "C0ALERTS"\ncolour = "blue"\n')
    assert refused() == f"{SHOWN}: colour: unknown setting"


def test_wrong_types_name_the_key(tmp_path, monkeypatch):
    config(tmp_path, 'approvals_required = "two"\nburst_per_minute = 0\nroutes = "C0ALERTS"\n')
    message = refused()
    assert f"{SHOWN}: approvals_required: Input should be a valid integer" in message
    assert f"{SHOWN}: burst_per_minute: Input should be greater than or equal to 1" in message
    assert f"{SHOWN}: routes: Input should be a valid list" in message
    (tmp_path / "iambot.toml").unlink()
    monkeypatch.setenv("PORT", "http")
    monkeypatch.setenv("IAMBOT_LOOKUP_EVENTS", "maybe")
    message = refused()
    assert "PORT: Input should be a valid integer" in message
    assert "IAMBOT_LOOKUP_EVENTS: Input should be a valid boolean" in message


def test_channel_and_user_names_are_refused_with_a_hint(monkeypatch):
    monkeypatch.setenv("IAMBOT_ALERT_CHANNEL", "#alerts")
    monkeypatch.setenv("IAMBOT_APPROVERS", "alice")
    message = refused()
    assert (
        "IAMBOT_ALERT_CHANNEL: '#alerts' is not a Slack channel id like C0123ABCD — that looks like a name; "
        "open the channel's details in Slack, the id is at the bottom"
    ) in message
    assert (
        "IAMBOT_APPROVERS: 'alice' is not a Slack user id like U0123ABCD — that looks like a name; "
        "in Slack, a person's profile → ⋮ → Copy member ID"
    ) in message
    monkeypatch.setenv("IAMBOT_ALERT_CHANNEL", "C0ALERTS")
    monkeypatch.setenv("IAMBOT_APPROVERS", "UAPPROVE1, UAPPROVE2")
    assert load_settings().approvers == ["UAPPROVE1", "UAPPROVE2"]


def test_ids_in_the_file_are_checked_too(tmp_path):
    config(tmp_path, 'approver_groups = ["security"]\n[[routes]]\nchannel = "#iam-critical"\n')
    message = refused()
    assert f"{SHOWN}: approver_groups: 'security' is not a Slack user group id like S0123ABCD" in message
    assert f"{SHOWN}: routes.0.channel: '#iam-critical' is not a Slack channel id" in message


def test_upper_case_variables_in_the_file_are_refused(tmp_path):
    config(tmp_path, 'SLACK_BOT_TOKEN = "xoxb-in-the-file"\nIAMBOT_DB = "x.db"\n')
    message = refused()
    assert message == f"{SHOWN}: IAMBOT_DB, SLACK_BOT_TOKEN belong in the environment, not in the file"
    assert "xoxb-in-the-file" not in message


def test_only_the_documented_variables_are_read(monkeypatch):
    monkeypatch.setenv("db", "/tmp/elsewhere.db")
    monkeypatch.setenv("alert_channel", "C0LOWERCASE")
    monkeypatch.setenv("IAMBOT_MIN_SEVERITY", "critical")  # not a documented variable
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    s = load_settings()
    assert s.db == "iambot.db" and s.alert_channel is None and s.min_severity == "low"
    assert s.slack_bot_token.get_secret_value() == "xoxb-from-the-environment"
    assert "xoxb-from-the-environment" not in repr(s) and "xoxb-from-the-environment" not in str(s)


def test_the_environment_wins_over_the_file_and_overrides_over_both(tmp_path, monkeypatch):
    config(tmp_path, 'alert_channel = "C0FROMFILE"\napprovals_channel = "C0APPROVALS"\n')
    assert load_settings().alert_channel == "C0FROMFILE"
    monkeypatch.setenv("IAMBOT_ALERT_CHANNEL", "C0FROMENV")
    s = load_settings()
    assert (s.alert_channel, s.approvals_channel) == ("C0FROMENV", "C0APPROVALS")
    assert load_settings(IAMBOT_ALERT_CHANNEL="C0OVERRIDE").alert_channel == "C0OVERRIDE"
    assert load_settings(alert_channel="C0BYFIELD").alert_channel == "C0BYFIELD"


def test_iambot_config_names_the_file(tmp_path, monkeypatch):
    named = config(tmp_path, 'digest_channel = "C0DIGEST"\n', "elsewhere.toml")
    config(tmp_path, 'digest_channel = "C0IGNORED"\n')
    monkeypatch.setenv("IAMBOT_CONFIG", str(named))
    assert load_settings().digest_channel == "C0DIGEST"
    monkeypatch.setenv("IAMBOT_CONFIG", str(tmp_path / "missing.toml"))
    assert refused() == f"IAMBOT_CONFIG names {tmp_path / 'missing.toml'}, which does not exist"
    monkeypatch.setenv("IAMBOT_CONFIG", str(config(tmp_path, "routes = [\n", "broken.toml")))
    assert "broken.toml: not valid TOML" in refused()
    monkeypatch.setenv("IAMBOT_CONFIG", str(tmp_path))
    assert refused().startswith(f"{tmp_path}: cannot be read (")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe")
    monkeypatch.setenv("IAMBOT_CONFIG", str(binary))
    assert refused().startswith(f"{binary}: cannot be read (")
    monkeypatch.setenv("IAMBOT_CONFIG", "/dev/zero")  # endless: refused after a megabyte, not read to the end
    assert refused() == "/dev/zero: over 1 MiB, which no iambot.toml is; check IAMBOT_CONFIG"


def test_given_ignores_the_environment_and_files(tmp_path, monkeypatch):
    config(tmp_path, 'alert_channel = "C0FROMFILE"\napprover_groups = ["S0SECURITY"]\n')
    monkeypatch.setenv("IAMBOT_ALERT_CHANNEL", "C0FROMENV")
    monkeypatch.setenv("IAMBOT_CONFIG", str(tmp_path / "iambot.toml"))
    s = given(IAMBOT_DB="given.db", digest_channel="C0DIGEST")
    assert (s.db, s.digest_channel) == ("given.db", "C0DIGEST")
    assert s.alert_channel is None and s.approver_groups == [] and s.config_path is None
    with pytest.raises(ConfigError, match="colour: unknown setting"):
        given(colour="blue")
    monkeypatch.delenv("IAMBOT_ALERT_CHANNEL")
    with pytest.raises(ConfigError, match=r"^alert_channel: '#alerts' is not a Slack channel id"):
        given(IAMBOT_ALERT_CHANNEL="#alerts")


def test_a_bad_digest_schedule_is_an_error():
    assert "digest_cron / digest_timezone" in refused(digest_cron="every morning")
    assert "digest_cron / digest_timezone" in refused(digest_timezone="Mars/Olympus")


def test_the_canary_settings_are_checked():
    s = given()
    assert (s.canary_minutes, s.canary_timeout_minutes, s.canary_role) == (30, 20, None)
    assert "canary_timeout_minutes: CloudTrail delivers within minutes" in refused(canary_timeout_minutes=3)
    assert "canary_minutes" in refused(canary_minutes=-1)
    assert "canary_role" in refused(canary_role="not a role!")
    assert given(canary_timeout_minutes=0, canary_role="ops/iambot").canary_role == "ops/iambot"
    assert given(canary_role="arn:aws:iam::111122223333:role/iambot").canary_role


def test_unknown_remediations_are_named(monkeypatch):
    monkeypatch.setenv("IAMBOT_REMEDIATIONS", "deactivate-access-key,make-it-safe")
    message = refused()
    assert message.startswith("IAMBOT_REMEDIATIONS: unknown remediation(s) make-it-safe; known: deactivate-access-key")
    monkeypatch.setenv("IAMBOT_REMEDIATIONS", "deactivate-access-key")
    assert load_settings().enabled_remediations() == ["deactivate-access-key"]


def test_what_slack_needs_is_named_and_secrets_never_shown(tmp_path):
    s = given(SLACK_BOT_TOKEN="xoxb-test-not-a-real-token", IAMBOT_DB=str(tmp_path / "x.db"))
    missing = s.missing_for_slack()
    assert missing == [
        "SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)",
        "IAMBOT_ALERT_CHANNEL (or routes in the config file)",
        "IAMBOT_APPROVERS (or approver_groups in the config file)",
        'IAMBOT_SECRET_KEY (step-up: `iambot secret-key` makes one; or step_up = "off")',
    ]
    off = given(IAMBOT_DB=str(tmp_path / "x.db"), step_up="off")
    assert "IAMBOT_SECRET_KEY" not in " ".join(off.missing_for_slack())
    assert "xoxb-test" not in repr(s)
    socket = given(
        SLACK_APP_TOKEN="xapp-x", routes=[{"channel": "C0ALERTS"}], approver_groups=["S0SECURITY"], step_up="off"
    )
    assert socket.missing_for_slack() == ["SLACK_BOT_TOKEN"] and not socket.http_mode


def test_iambot_run_names_what_is_missing_without_echoing_secrets(tmp_path):
    env = {"SLACK_BOT_TOKEN": "xoxb-test-not-a-real-token", "IAMBOT_DB": str(tmp_path / "x.db")}
    result = CliRunner().invoke(cli, ["run"], env=env)
    assert result.exit_code == 2
    assert "SLACK_SIGNING_SECRET" in result.output and "IAMBOT_ALERT_CHANNEL" in result.output
    assert "xoxb-test" not in result.output
    socket = CliRunner().invoke(cli, ["run", "--socket-mode"], env={"SLACK_BOT_TOKEN": "x"})
    assert socket.exit_code == 2 and "SLACK_APP_TOKEN" in socket.output


def test_the_password_policy_is_the_default_of_apply_password_policy(tmp_path, aws):
    config(tmp_path, "[password_policy]\nminimum_password_length = 16\n")
    settings = load_settings(IAMBOT_DB=str(tmp_path / "iambot.db"))
    assert settings.password_policy == {"minimum_password_length": 16}
    runtime = build(settings, aws=Aws.from_settings(settings, aws))
    try:
        request = runtime.workflow.remediations.ask("apply-password-policy", {}, REQUESTER)
        assert request.params["minimum_password_length"] == 16
        assert "• minimum password length: unset → 16" in request.plan
        asked = runtime.workflow.remediations.ask(
            "apply-password-policy", {"minimum_password_length": 20, "max_password_age": 30}, REQUESTER
        )
        assert asked.params["minimum_password_length"] == 20  # a request may still say otherwise
    finally:
        runtime.store.close()


def test_settings_is_the_one_settings_class():
    assert isinstance(given(), Settings)


def test_a_database_url_is_kept_whole_and_printed_without_its_password():
    s = given(IAMBOT_DB="postgresql://iambot:s3cret-EXAMPLE@db.example.com:5432/iambot?sslmode=require")
    assert s.db == "postgresql://iambot:s3cret-EXAMPLE@db.example.com:5432/iambot?sslmode=require"
    assert "s3cret-EXAMPLE" not in repr(s) and "s3cret-EXAMPLE" not in str(s)
    assert "postgresql://iambot:***@db.example.com:5432/iambot?sslmode=require" in repr(s)


def test_account_names_are_read_from_the_file_and_checked(tmp_path, monkeypatch):
    config(tmp_path, '[account_names]\n"111122223333" = " prod-payments "\n')
    monkeypatch.setenv("IAMBOT_CONFIG", str(tmp_path / "iambot.toml"))
    assert load_settings().account_names == {"111122223333": "prod-payments"}
    with pytest.raises(ConfigError, match=r"account_names: .*'prod' is not a 12-digit account id"):
        given(account_names={"prod": "prod"})
    with pytest.raises(ConfigError, match=r"account_names: .*must be 1 to 64 characters"):
        given(account_names={"111122223333": " "})


def test_approvers_to_notify_is_read_like_approvers_and_must_be_approvers(monkeypatch):
    monkeypatch.setenv("IAMBOT_APPROVERS", "U0ANA0001,U0BOB0001,U0CAT0001")
    monkeypatch.setenv("IAMBOT_APPROVERS_TO_NOTIFY", "U0ANA0001, S0SECURITY")
    s = load_settings(approver_groups=["S0SECURITY"])
    assert s.approvers_to_notify == ["U0ANA0001", "S0SECURITY"]
    # someone pinged who cannot approve: a user not in IAMBOT_APPROVERS, a group not in approver_groups
    assert re.search(r"approvers_to_notify: S0SECURITY not an approver.*approver_groups", refused())
    message = refused(IAMBOT_APPROVERS_TO_NOTIFY="U0DAN0001", approver_groups=["S0SECURITY"])
    assert "approvers_to_notify: U0DAN0001 not an approver" in message and "IAMBOT_APPROVERS" in message
    # ids, never names
    assert "looks like a name" in refused(IAMBOT_APPROVERS_TO_NOTIFY="@ana")
    assert "IAMBOT_APPROVERS_TO_NOTIFY" in refused(IAMBOT_APPROVERS_TO_NOTIFY="@ana")
    assert load_settings(IAMBOT_APPROVERS_TO_NOTIFY="").approvers_to_notify == []


def test_account_notes_are_read_from_the_file_checked_and_clipped(tmp_path, monkeypatch):
    config(tmp_path, '[account_notes]\n"111122223333" = "  PRODUCTION —\\n management account "\n')
    monkeypatch.setenv("IAMBOT_CONFIG", str(tmp_path / "iambot.toml"))
    assert load_settings().account_notes == {"111122223333": "PRODUCTION — management account"}
    with pytest.raises(ConfigError, match=r"account_notes: .*'11112222333' is not a 12-digit account id"):
        given(account_notes={"11112222333": "prod"})
    with pytest.raises(ConfigError, match=r"account_notes: .*the note of 111122223333 is empty"):
        given(account_notes={"111122223333": " \n "})
    long = given(account_notes={"111122223333": "x" * 500}).account_notes["111122223333"]
    assert len(long) == 150 and long.endswith("…")


ANY_TOML = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=14), inner, max_size=3),
    max_leaves=8,
)
PEOPLE = st.sampled_from(["U0APPROVE1", "U0APPROVE2", "S0SECURITY", "alice", "", "U0APPROVE1,U0APPROVE2"])

ACCOUNTS = st.from_regex(r"\A[0-9]{10,13}\Z") | st.text(max_size=13)
NOTES = st.one_of(ANY_TOML, st.dictionaries(ACCOUNTS, st.text(max_size=400) | ANY_TOML, max_size=3))


@hypothesis_settings(max_examples=EXAMPLES, deadline=None)
@examples(
    notes=NOTES,
    notify=st.one_of(ANY_TOML, st.lists(PEOPLE, max_size=3), PEOPLE),
)
def test_account_notes_and_approvers_to_notify_are_read_or_refused_with_a_reason(notes, notify):
    try:
        s = given(account_notes=notes, approvers_to_notify=notify, approvers=["U0APPROVE1", "U0APPROVE2"],
                  approver_groups=["S0SECURITY"])  # fmt: skip
    except ConfigError as exc:
        assert str(exc).strip()  # a reason, never a traceback
        return
    assert all(len(a) == 12 and a.isdigit() and n and "\n" not in n for a, n in s.account_notes.items())
    assert set(s.approvers_to_notify) <= {"U0APPROVE1", "U0APPROVE2", "S0SECURITY"}


def test_settings_that_name_no_remediation_import_none_of_them(tmp_path):
    """`iambot triage` loads the settings: checking remediation ids nobody set must not import
    every remediation module (a twentieth of triage's start)."""
    code = ("import sys; from bot.config.settings import load_settings; load_settings();"
            " print('remediations.registry' in sys.modules)")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("IAMBOT_")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True,
                          cwd=tmp_path, env=env)  # fmt: skip
    assert done.stdout.strip() == "False"


ARABIC_INDIC_ACCOUNT = "\u0661\u0662\u0663\u0664" * 3  # twelve digits to re's \d and str.isdigit


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('approvers = ["UAPPROVE1\\n"]', "approvers"),  # re's $ matches before a final newline
        ('approver_groups = ["SSECURITY\\n"]', "approver_groups"),
        ('lookup_regions = ["us-east-1\\n"]', "lookup_regions"),
        ('lookup_regions = ["us-east-\u0661"]', "lookup_regions"),  # \d takes an Arabic-Indic one
        (f'canary_role = "arn:aws:iam::{ARABIC_INDIC_ACCOUNT}:role/x"', "canary_role"),
        ('canary_role = "r\u00f4le"', "canary_role"),  # \w takes letters IAM does not
    ],
)
def test_ids_are_ascii_and_whole_a_newline_or_another_scripts_digit_is_refused(tmp_path, text, field):
    config(tmp_path, text + "\n")
    assert f"{SHOWN}: {field}: " in refused()
