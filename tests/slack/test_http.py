"""bot/slack/http.py (SlackHttp): the WSGI front of the Bolt app and /healthz, served over loopback.
A forged, stale or malformed request gets 400, 401 or 413 — never a 500, and never a parse of an
unsigned body."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.slack.http import MAX_BODY, SlackHttp
from tests.conftest import REQUESTER
from tests.support.harness import HttpClient, slash_command
from tests.support.slack_fake import SECRET, sign

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def raw(http, method, path, body=b"", headers=None):
    """A request as anyone could send it: no signature unless given."""
    req = urllib.request.Request(http.base + path, data=body or None, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_a_signed_request_reaches_the_app(http):
    status, body = http.slash("help", REQUESTER)
    assert status == 200 and "/iam approve <request-id>" in body


def test_bad_and_stale_signatures_are_rejected(http, slack):
    body = "payload=%7B%7D"
    assert http.post(body, secret="not-the-secret")[0] == 401
    assert http.post(body, timestamp=1_500_000_000)[0] == 401  # replayed from 2017
    command = slash_command("help", REQUESTER, http.responses)
    assert http.post(command, secret="not-the-secret")[0] == 401
    assert http.post(command, headers={"X-Slack-Signature": "v0=" + "0" * 64})[0] == 401
    assert slack.responses == []


def test_a_non_numeric_timestamp_is_401_not_500(http):
    body = slash_command("help", REQUESTER, http.responses)
    assert http.post(body, headers={"X-Slack-Request-Timestamp": "soon"}) == (401, "Unauthorized")
    assert http.post(body, headers={"X-Slack-Request-Timestamp": "-1"})[0] == 401
    assert http.post(body, headers={"X-Slack-Request-Timestamp": "1e9"})[0] == 401
    assert http.post(body, headers={"X-Slack-Request-Timestamp": "¹²³"})[0] == 401  # digits to isdigit only


def test_an_unsigned_request_is_401(http):
    body = slash_command("help", REQUESTER, http.responses).encode()
    assert raw(http, "POST", "/slack/events", body, FORM)[0] == 401
    assert raw(http, "POST", "/slack/events", b"payload=not-json", FORM) == (401, "Unauthorized")
    ts_only = {**FORM, "X-Slack-Request-Timestamp": sign(SECRET, "payload=not-json")["X-Slack-Request-Timestamp"]}
    assert raw(http, "POST", "/slack/events", b"payload=not-json", ts_only)[0] == 401


def test_a_signed_body_that_is_not_json_is_400_not_500(http):
    assert http.post("payload=not-json") == (400, "Bad Request")
    assert http.post("payload=%7Bnot-json") == (400, "Bad Request")


def test_a_body_over_1_mb_is_413_before_it_is_read(http):
    with socket.create_connection(("127.0.0.1", int(http.base.rsplit(":", 1)[1])), timeout=5) as conn:
        conn.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {MAX_BODY + 1}\r\n\r\n".encode()
            + b"payload="  # and nothing more: the answer must not wait for the rest
        )
        answer = conn.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413")


class _Unreadable(io.RawIOBase):
    def read(self, *args):
        raise AssertionError("the body was read")


@pytest.fixture
def front():
    """SlackHttp over a Bolt app that must never see these requests."""
    from slack_bolt import App

    bolt = App(token="xoxb-x", signing_secret=SECRET, token_verification_enabled=False)

    @bolt.middleware
    def never(req, resp, next):  # pragma: no cover - reached only if the front lets it through
        raise AssertionError("the request reached the app")

    return SlackHttp(bolt, SECRET, lambda: (True, {}))


def call(app, method, path, body=b"", headers=None, length=None):
    """One WSGI call; with ``length``, a body that fails the test if it is read."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body) if length is None else length),
        "wsgi.input": io.BytesIO(body) if length is None else _Unreadable(),
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()},
    }
    seen = {}

    def start(status, response_headers):
        seen["status"] = status

    out = b"".join(app(environ, start))
    return seen["status"], out.decode()


def signed(body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def test_the_front_refuses_a_large_or_bad_length_without_reading(front):
    assert call(front, "POST", "/slack/events", length=MAX_BODY + 1) == ("413 Payload Too Large", "Payload Too Large")
    assert call(front, "POST", "/slack/events", length="lots")[0] == "400 Bad Request"
    assert call(front, "POST", "/slack/events", length=-5)[0] == "400 Bad Request"


def test_a_body_that_is_not_utf8_is_401_unsigned_and_400_signed(http):
    body = b"payload=\xff\xfe"
    assert raw(http, "POST", "/slack/events", body, {**FORM, **signed(body), "X-Slack-Signature": "v0=00"})[0] == 401
    assert raw(http, "POST", "/slack/events", body, {**FORM, **signed(body)}) == (400, "Bad Request")


def test_readyz_reports_store_sources_outbox_slack_and_scheduler(runtime, http):
    runtime.start_background()
    status, body = http.get("/readyz")
    assert status == 200
    report = json.loads(body)
    assert report["ok"] is True
    assert report["store"] == {"ok": True, "detail": "ok"}
    assert report["sources"] == {}  # none configured
    assert report["outbox"]["ok"] is True and report["outbox"]["pending"] == 0
    assert report["slack"] == {"ok": True, "detail": "ok"}
    assert report["scheduler"] == {"ok": True}


def test_healthz_says_the_loops_are_alive(runtime, http):
    assert json.loads(http.get("/healthz")[1]) == {"ok": True, "loops": {}}  # nothing started yet
    runtime.start_background()
    status, body = http.get("/healthz")
    assert status == 200
    assert json.loads(body) == {"ok": True, "loops": {"poster": True, "scheduler": True, "watchdog": True}}


def test_a_gone_database_is_not_ready_but_alive(runtime, http):
    db = Path(runtime.settings.db)
    for path in db.parent.glob(db.name + "*"):
        path.unlink()  # the volume went away under iambot
    status, body = http.get("/readyz")
    report = json.loads(body)
    assert status == 503 and report["ok"] is False
    assert report["store"] == {"ok": False, "detail": "cannot open it (check the path and its folder's permissions)"}
    assert http.get("/healthz")[0] == 200  # a restart would not bring the volume back: liveness holds


def test_readyz_is_503_when_the_store_is_closed(runtime_for, http_for):
    runtime = runtime_for()
    runtime.store.close()
    status, body = http_for(runtime).get("/readyz")
    report = json.loads(body)
    assert status == 503 and report["ok"] is False and report["store"]["ok"] is False


def test_a_revoked_token_is_not_ready(runtime, http, slack, aws):
    from tests.support.records import access_key_event

    slack.fail_next("chat.postMessage", status=200, error="token_revoked")
    event, _ = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    report = json.loads(http.get("/readyz")[1])
    assert report["slack"] == {"ok": False, "detail": "Slack refused the bot token (token_revoked)"}
    assert report["ok"] is False


class Probes:
    def __init__(self, live, ready):
        self.answers = {"live": live, "ready": ready}

    def live(self):
        return self.answers["live"]

    def ready(self):
        return self.answers["ready"]

    def metrics(self):
        return None


def test_the_probes_answer_what_they_are_given(runtime):
    unhealthy = {"store": {"ok": True}, "sources": {"sqs": {"ok": False, "last_error": "AccessDenied"}}}
    http = HttpClient(runtime, probes=Probes((True, {"loops": {}}), (False, unhealthy)))
    try:
        status, body = http.get("/readyz")
        assert http.get("/healthz")[0] == 200
        assert http.get("/metrics")[0] == 404  # metrics = false
    finally:
        http.close()
    assert status == 503 and json.loads(body) == {"ok": False, **unhealthy}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 404),
        ("GET", "/slack/events/x", 404),
        ("POST", "/nope", 404),
        ("GET", "/slack/events", 405),
        ("PUT", "/slack/events", 405),
        ("POST", "/healthz", 405),
        ("DELETE", "/healthz", 405),
        ("HEAD", "/healthz", 200),
        ("POST", "/readyz", 405),
        ("POST", "/metrics", 405),
        ("GET", "/metrics/x", 404),
    ],
)
def test_other_paths_and_methods(http, method, path, status):
    assert raw(http, method, path, b"x=1" if method in ("POST", "PUT") else b"")[0] == status
