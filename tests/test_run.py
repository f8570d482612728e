"""`iambot run --http` as a real process: gunicorn serves /healthz and signed Slack requests,
and SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import SECRET
from tests.harness import slash_command
from tests.slack_fake import sign


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(port: int, proc: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)  # waiting for another process to bind, not for time to pass
    raise AssertionError("iambot did not start listening")


def test_run_http_serves_slack_and_stops_on_sigterm(slack, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test-not-a-real-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.url + "/api/",
        "IAMBOT_DB": str(tmp_path / "iambot.db"),
        "IAMBOT_ALERT_CHANNEL": "#iam-alerts",
        "IAMBOT_APPROVERS": "UAPPROVE1",
        "IAMBOT_REMEDIATIONS": "deactivate-access-key",
        "PORT": str(port),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # no AWS here, and none needed to start
    }
    iambot = Path(sys.executable).with_name("iambot")
    proc = subprocess.Popen([str(iambot), "run", "--http"], env=env, stderr=subprocess.PIPE)
    try:
        wait_until_serving(port, proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
            assert json.loads(resp.read()) == {"ok": True, "outbox_pending": 0}
        body = slash_command("help", "UREQUEST1", slack.url + "/response/")
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events",
            data=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)},
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert "/iam approve" in json.loads(resp.read())["text"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "xoxb-test-not-a-real-token" not in err.decode()
