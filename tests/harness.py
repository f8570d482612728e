"""Drive the real Bolt app over HTTP with requests signed the way Slack signs them."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.app import wsgi
from tests.conftest import SECRET
from tests.slack_fake import sign


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class HttpClient:
    def __init__(self, runtime: Any):
        self.runtime = runtime
        self.server = make_server("127.0.0.1", 0, wsgi(runtime.app), server_class=_Threading, handler_class=_Quiet)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.responses = runtime.client.base_url.replace("/api/", "/response/")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

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

    def slash(self, text: str, user: str, **kw: Any) -> tuple[int, str]:
        return self.post(slash_command(text, user, self.responses), **kw)


def block_actions(action_id: str, value: str, user: str, response_base: str) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEAM"},
        "api_app_id": "A0IAMBOT",
        "token": "legacy-verification-token-unused",
        "container": {"type": "message", "channel_id": "C0ALERTS", "message_ts": "1700000000.000001"},
        "trigger_id": "1.2.3",
        "team": {"id": "T0TEAM", "domain": "example"},
        "channel": {"id": "C0ALERTS", "name": "iam-alerts"},
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
