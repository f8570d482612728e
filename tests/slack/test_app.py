"""bot/slack/app.py: the Bolt app (refusing settings that cannot work, with Slack's own error) and
the Socket Mode connection: apps.connections.open on the Slack fake, then envelopes over a
loopback WebSocket to the real Bolt app, acknowledged back."""

from __future__ import annotations

import json
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.config.settings import ConfigError
from bot.slack.app import SlackConfigError, SocketMode, create_app
from bot.slack.client import web_client
from tests.conftest import ALERTS, REQUESTER
from tests.support.harness import block_actions
from tests.support.records import access_key_event
from tests.support.replies import said
from tests.support.slack_fake import SECRET
from tests.support.state import pending, request_row
from tests.support.ws_fake import SocketModeFake

APP_TOKEN = "xapp-test-not-a-real-token"


def slash(envelope_id, text, response_url):
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "command": "/iam",
            "text": text,
            "user_id": REQUESTER,
            "channel_id": ALERTS,
            "team_id": "T0TEAM",
            "response_url": response_url,
            "trigger_id": "1",
        },
    }


def test_socket_mode_round_trip(runtime_for, slack, aws):
    ws = SocketModeFake()
    slack.url_override = ws.url
    runtime = runtime_for(socket_mode=True, SLACK_APP_TOKEN=APP_TOKEN)
    socket = SocketMode(runtime.app, APP_TOKEN, runtime.client)
    try:
        socket.connect()
        assert ws.connected.wait(10)
        opened = slack.of("apps.connections.open")
        assert opened and opened[0].headers["authorization"] == f"Bearer {APP_TOKEN}"

        ws.send(slash("env-1", "help", slack.url + "/response/sm-1"))
        ack = ws.wait_ack("env-1")
        assert "/iam approve <request-id>" in said(ack["payload"])  # a fast answer rides on the ack

        ws.send(slash("env-2", "mfa 1", slack.url + "/response/sm-2"))
        assert said(ws.wait_ack("env-2")["payload"]).startswith("Working on /iam mfa 1")
        assert "/iam mfa [account-id]" in said(slack.wait_for(lambda s: s.responses)[0])  # a slow one, after

        event, _ = access_key_event(aws.client("iam"))
        runtime.workflow.intake.take([event])
        form = block_actions("request:deactivate-access-key", event.key, REQUESTER, slack.url + "/response/")
        payload = json.loads(urllib.parse.unquote(form.split("=", 1)[1]))
        ws.send({"envelope_id": "env-3", "type": "interactive", "accepts_response_payload": False, "payload": payload})
        ws.wait_ack("env-3")
        slack.wait_for(lambda s: request_row(runtime) and pending(runtime) == 0 and len(s.posted()) == 2)
        _alert, approval = slack.posted()  # the alert, and the approval message in its thread
        assert approval["thread_ts"] == runtime.store.outbox.get(f"alert:{event.key}").ts
    finally:
        socket.close()
        socket.close()  # closing twice is harmless
        ws.close()


@pytest.fixture
def executor():
    pool = ThreadPoolExecutor(max_workers=1)
    yield pool
    pool.shutdown()


def test_http_mode_needs_a_signing_secret(slack, executor):
    client = web_client("xoxb-test-not-a-real-token", slack.url + "/api/")
    with pytest.raises(SlackConfigError, match="SLACK_SIGNING_SECRET is needed"):
        create_app(client, None, socket_mode=False, executor=executor)
    with pytest.raises(SlackConfigError, match="SLACK_SIGNING_SECRET is needed"):
        create_app(client, "", socket_mode=False, executor=executor)
    assert slack.calls == []  # refused before asking Slack anything
    # Socket Mode requests are not signed
    assert create_app(client, None, socket_mode=True, executor=executor) is not None


def test_the_runtime_refuses_a_missing_signing_secret(runtime_for):
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is needed"):
        runtime_for(SLACK_SIGNING_SECRET=None)


def test_a_token_slack_refuses_names_slacks_error(slack, executor):
    client = web_client("xoxb-revoked-token", slack.url + "/api/")
    with pytest.raises(SlackConfigError) as info:
        create_app(client, SECRET, socket_mode=False, executor=executor)
    assert str(info.value) == "Slack refused SLACK_BOT_TOKEN (invalid_auth)"
    assert "xoxb-revoked-token" not in str(info.value)  # never the secret itself
    [check] = slack.of("auth.test")
    assert check.headers["authorization"] == "Bearer xoxb-revoked-token"


def test_the_runtime_refuses_a_revoked_token(runtime_for, slack):
    with pytest.raises(ConfigError, match=r"Slack refused SLACK_BOT_TOKEN \(invalid_auth\)"):
        runtime_for(SLACK_BOT_TOKEN="xoxb-revoked-token")


def test_token_check_can_be_skipped(slack, executor):
    client = web_client("xoxb-revoked-token", slack.url + "/api/")
    assert create_app(client, SECRET, socket_mode=False, executor=executor, verify_token=False) is not None
    assert slack.of("auth.test") == []


def test_slack_out_of_reach_is_named(slack, executor):
    sleeps: list[float] = []
    client = web_client("xoxb-test-not-a-real-token", "http://127.0.0.1:9/api/", sleep=sleeps.append)
    with pytest.raises(SlackConfigError, match=r"cannot reach Slack at http://127\.0\.0\.1:9/api/ to check"):
        create_app(client, SECRET, socket_mode=False, executor=executor)
    assert len(sleeps) == 2  # the connection retries, through the injected sleep
