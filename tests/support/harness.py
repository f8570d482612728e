"""Drive the real Bolt app over HTTP (the production front and server) with requests signed the
way Slack signs them."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from bot.runtime.server import serve
from bot.slack.http import SlackHttp
from tests.support.slack_fake import SECRET, sign


class HttpClient:
    def __init__(self, runtime: Any, probes: Any = None):
        self.runtime = runtime
        app = SlackHttp(runtime.app, SECRET, probes or runtime.health)
        self.server = serve(app, "127.0.0.1", 0, threads=8)
        self.base = f"http://127.0.0.1:{self.server.port}"
        self.responses = runtime.client.base_url.replace("/api/", "/response/")

    def close(self) -> None:
        self.server.close()

    def post(
        self, body: str, headers: dict[str, str] | None = None, secret: str = SECRET, timestamp: int | None = None
    ) -> tuple[int, str]:
        h = {"Content-Type": "application/x-www-form-urlencoded", **sign(secret, body, timestamp), **(headers or {})}
        req = urllib.request.Request(self.base + "/slack/events", data=body.encode(), headers=h, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def click(self, action_id: str, value: str, user: str, **kw: Any) -> tuple[int, str]:
        return self.post(block_actions(action_id, value, user, self.responses), **kw)

    def dm_click(self, action_id: str, value: str, user: str, channel: str) -> tuple[int, str]:
        """A button in a direct message iambot sent (its channel a D… id)."""
        return self.post(block_actions(action_id, value, user, self.responses, channel))

    def slash(self, text: str, user: str, **kw: Any) -> tuple[int, str]:
        return self.post(slash_command(text, user, self.responses), **kw)

    def home_opened(self, user: str, tab: str = "home") -> tuple[int, str]:
        """Slack's app_home_opened event for ``user`` (JSON, as the Events API sends it)."""
        return self.post(event_callback(app_home_opened(user, tab)), headers={"Content-Type": "application/json"})

    def home_click(self, action_id: str, value: str, user: str) -> tuple[int, str]:
        """A button clicked on the person's Home tab (no channel, no response_url)."""
        return self.post(block_actions_on_home(action_id, value, user))

    def submit(self, view: dict[str, Any], user: str, values: dict[str, Any] | None = None) -> tuple[int, str]:
        """Submit a modal iambot opened (as views.open received it), with what the person entered."""
        return self.post(view_submission(view, user, values or {}))


def view_submission(view: dict[str, Any], user: str, values: dict[str, Any]) -> str:
    """A view_submission payload: ``values`` is Slack's state.values (block id → action id → value)."""
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEAM", "domain": "example"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEAM"},
        "api_app_id": "A0IAMBOT",
        "token": "legacy-verification-token-unused",
        "trigger_id": "4.5.6",
        "view": {
            **view,
            "id": "V0MODAL01",
            "team_id": "T0TEAM",
            "state": {"values": values},
            "hash": "1700000000.abcdef",
            "app_id": "A0IAMBOT",
            "bot_id": "B0IAMBOT",
        },
        "response_urls": [],
    }
    return "payload=" + urllib.parse.quote(json.dumps(payload))


def typed(text: str) -> dict[str, Any]:
    """A dialog's reason field, as Slack reports what was typed."""
    return {"reason": {"reason-input": {"type": "plain_text_input", "value": text}}}


def ticked() -> dict[str, Any]:
    """The dismiss dialog's "mute alerts like this" box, ticked."""
    return {"mute": {"mute-input": {"type": "checkboxes", "selected_options": [{"value": "mute-like-this"}]}}}


def event_callback(event: dict[str, Any]) -> str:
    """An Events API envelope around ``event``."""
    return json.dumps(
        {
            "token": "legacy-verification-token-unused",
            "team_id": "T0TEAM",
            "api_app_id": "A0IAMBOT",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}",
            "event_time": 1700000000,
            "authorizations": [{"team_id": "T0TEAM", "user_id": "U0IAMBOT", "is_bot": True}],
        }
    )


def app_home_opened(user: str, tab: str = "home") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": tab, "event_ts": "1700000000.000100"}


def block_actions_on_home(action_id: str, value: str, user: str) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEAM"},
        "api_app_id": "A0IAMBOT",
        "token": "legacy-verification-token-unused",
        "container": {"type": "view", "view_id": "V0HOME"},
        "trigger_id": "1.2.3",
        "team": {"id": "T0TEAM", "domain": "example"},
        "view": {"id": "V0HOME", "type": "home", "callback_id": "iambot-home", "blocks": [], "state": {"values": {}}},
        "actions": [
            {
                "action_id": action_id,
                "block_id": f"home-request-{value}",
                "value": value,
                "type": "button",
                "action_ts": "1700000001.000000",
                "text": {"type": "plain_text", "text": "x"},
            }
        ],
    }
    return "payload=" + urllib.parse.quote(json.dumps(payload))


def block_actions(action_id: str, value: str, user: str, response_base: str, channel: str = "C0ALERTS") -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEAM"},
        "api_app_id": "A0IAMBOT",
        "token": "legacy-verification-token-unused",
        "container": {"type": "message", "channel_id": channel, "message_ts": "1700000000.000001"},
        "trigger_id": "1.2.3",
        "team": {"id": "T0TEAM", "domain": "example"},
        "channel": {"id": channel, "name": "iam-alerts" if channel == "C0ALERTS" else "directmessage"},
        "response_url": f"{response_base}{user}-{time.monotonic_ns()}",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "alert-actions",
                "value": value,
                "type": "button",
                "action_ts": "1700000001.000000",
                "text": {"type": "plain_text", "text": "x"},
            }
        ],
    }
    return "payload=" + urllib.parse.quote(json.dumps(payload))


def slash_command(text: str, user: str, response_base: str) -> str:
    return urllib.parse.urlencode(
        {
            "token": "legacy-verification-token-unused",
            "team_id": "T0TEAM",
            "team_domain": "example",
            "channel_id": "C0ALERTS",
            "channel_name": "iam-alerts",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/iam",
            "text": text,
            "api_app_id": "A0IAMBOT",
            "response_url": f"{response_base}{user}-{time.monotonic_ns()}",
            "trigger_id": "1.2.3",
        }
    )
