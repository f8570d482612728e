"""A Socket Mode round trip: apps.connections.open on the Slack fake, then envelopes over a
loopback WebSocket to the real Bolt app, acknowledged back."""

from __future__ import annotations

import json
import urllib.parse

from slack_bolt.adapter.socket_mode import SocketModeHandler

from tests.conftest import REQUESTER
from tests.harness import block_actions
from tests.test_slack_app import access_key_event
from tests.ws_fake import SocketModeFake


def test_socket_mode_round_trip(runtime_for, slack, aws):
    ws = SocketModeFake()
    slack.url_override = ws.url
    runtime = runtime_for(socket_mode=True, SLACK_APP_TOKEN="xapp-test-not-a-real-token")
    handler = SocketModeHandler(runtime.app, "xapp-test-not-a-real-token", web_client=runtime.client)
    try:
        handler.connect()
        assert ws.connected.wait(10)
        opened = slack.of("apps.connections.open")
        assert opened and opened[0].headers["authorization"] == "Bearer xapp-test-not-a-real-token"

        ws.send(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "command": "/iam",
                    "text": "help",
                    "user_id": REQUESTER,
                    "channel_id": "C0ALERTS",
                    "team_id": "T0TEAM",
                    "response_url": slack.url + "/response/sm-1",
                    "trigger_id": "1",
                },
            }
        )
        ack = ws.wait_ack("env-1")
        assert "/iam approve <request-id>" in ack["payload"]["text"]

        event, _ = access_key_event(aws.client("iam"))
        runtime.service.ingest([event])
        form = block_actions("request:deactivate-access-key", event.key, REQUESTER, slack.url + "/response/")
        payload = json.loads(urllib.parse.unquote(form.split("=", 1)[1]))
        ws.send({"envelope_id": "env-2", "type": "interactive", "accepts_response_payload": False, "payload": payload})
        ws.wait_ack("env-2")
        slack.wait_for(lambda s: runtime.store.row("SELECT id FROM requests") and runtime.outbox.pending() == 0)
        assert len(slack.posted()) == 2  # the alert, and the approval message in its thread
    finally:
        handler.close()
        ws.close()
