"""bot/slack/manifest.py: the Slack app manifest, built as data and printed by a YAML (or JSON)
library, so any app name stays valid YAML; exactly the scopes iambot uses."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import cli
from bot.slack.manifest import BOT_SCOPES, CHART_SCOPES, dump, manifest
from tests.support.cli import clean_environment

SCOPES = [
    "chat:write",
    "chat:write.public",
    "commands",
    "channels:history",
    "groups:history",
    "usergroups:read",
    "users:read",
    "users:read.email",
    "im:write",  # conversations.open: "Was this you?" and a request's outcome, in a DM
    "im:history",  # conversations.history in that DM: an interrupted DM is found, not sent twice
    "channels:read",  # conversations.members: was the requester where it was decided
    "groups:read",
]
WITH_CHARTS = [*SCOPES, "files:write"]  # digest_chart (the default): the chart is uploaded


def test_socket_mode_manifest_has_exactly_our_settings():
    data = yaml.safe_load(dump(manifest()))
    assert data == manifest()
    assert data["settings"]["socket_mode_enabled"] is True
    assert data["oauth_config"]["scopes"]["bot"] == WITH_CHARTS == list(BOT_SCOPES + CHART_SCOPES)
    [command] = data["features"]["slash_commands"]
    assert command["command"] == "/iam" and "url" not in command
    assert data["settings"]["interactivity"] == {"is_enabled": True}
    assert data["settings"]["event_subscriptions"] == {"bot_events": ["app_home_opened"]}  # the Home tab only
    assert data["features"]["app_home"] == {
        "home_tab_enabled": True, "messages_tab_enabled": True, "messages_tab_read_only_enabled": True
    }
    assert data["display_information"]["name"] == data["features"]["bot_user"]["display_name"] == "iambot"


def test_http_manifest_points_slack_at_the_events_path():
    data = yaml.safe_load(dump(manifest("https://iambot.example.com/")))
    assert data["settings"]["socket_mode_enabled"] is False
    assert data["settings"]["interactivity"]["request_url"] == "https://iambot.example.com/slack/events"
    assert data["features"]["slash_commands"][0]["url"] == "https://iambot.example.com/slack/events"
    assert data["settings"]["event_subscriptions"] == {
        "request_url": "https://iambot.example.com/slack/events", "bot_events": ["app_home_opened"]
    }
    assert manifest("https://example.com/iambot")["settings"]["interactivity"]["request_url"] == (
        "https://example.com/iambot/slack/events"
    )


@pytest.mark.parametrize(
    "name",
    ["iam: bot #prod", "yes", "null", "1.0", "@bot", "*alias", "&anchor", "- dash", "{x: 1}", "[a, b]", "'quoted'",
     '"dq"', "%percent", "`tick`", "a: b # c", "ünïcode ✓", "x" * 35],
)
def test_any_name_stays_valid_yaml(name):
    data = yaml.safe_load(dump(manifest(name=name)))
    assert data["display_information"]["name"] == name
    assert data["features"]["bot_user"]["display_name"] == name
    assert data["oauth_config"]["scopes"]["bot"] == WITH_CHARTS


@pytest.mark.parametrize("name", ["", "x" * 36, "two\nlines", "iambot\n", "tab\there", "nul\x00"])
def test_names_slack_would_refuse_are_refused(name):
    with pytest.raises(ValueError, match="1 to 35 characters, without control characters"):
        manifest(name=name)


@pytest.mark.parametrize(
    "url", ["http://insecure.example.com", "https://", "https:// spaced.example.com", "ftp://x.example.com",
            "iambot.example.com", "https://a.example.com/x y", "https://iambot.example.com/\n"],
)
def test_the_request_url_must_be_https(url):
    with pytest.raises(ValueError, match="must start with https://"):
        manifest(url)


def test_json_is_the_same_data():
    assert json.loads(dump(manifest("https://iambot.example.com"), "json")) == manifest("https://iambot.example.com")


def test_the_manifest_command():
    runner = CliRunner()
    printed = runner.invoke(cli, ["manifest", "--name", "iam: bot #prod"])
    assert printed.exit_code == 0
    assert yaml.safe_load(printed.output) == manifest(name="iam: bot #prod")
    as_json = runner.invoke(cli, ["manifest", "--url", "https://iambot.example.com/", "--format", "json"])
    assert json.loads(as_json.output) == manifest("https://iambot.example.com/")
    bad = runner.invoke(cli, ["manifest", "--url", "http://insecure.example.com"])
    assert bad.exit_code == 2 and "https://" in bad.output and "Traceback" not in bad.output


def test_files_write_only_when_charts_are_on(monkeypatch, tmp_path):
    assert manifest(charts=False)["oauth_config"]["scopes"]["bot"] == SCOPES
    assert "files:write" in manifest(charts=True)["oauth_config"]["scopes"]["bot"]
    clean_environment(monkeypatch, tmp_path)
    (tmp_path / "iambot.toml").write_text("digest_chart = false\n")
    monkeypatch.setenv("IAMBOT_CONFIG", str(tmp_path / "iambot.toml"))
    printed = CliRunner().invoke(cli, ["manifest"])
    assert printed.exit_code == 0, printed.output
    assert yaml.safe_load(printed.output)["oauth_config"]["scopes"]["bot"] == SCOPES
