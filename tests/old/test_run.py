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


def run_env(slack, tmp_path, port: int, aws_endpoint: str, **extra: str) -> dict[str, str]:
    """The environment of an `iambot run` process pointed at the Slack fake and an AWS endpoint."""
    return {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test-not-a-real-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.url + "/api/",
        "IAMBOT_DB": str(tmp_path / "iambot.db"),
        "IAMBOT_ALERT_CHANNEL": "#iam-alerts",
        "IAMBOT_APPROVERS": "UAPPROVE1",
        "PORT": str(port),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": aws_endpoint,
        **extra,
    }


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
    # no AWS here (nothing listens on port 9), and none is needed to start
    env = run_env(slack, tmp_path, port, "http://127.0.0.1:9", IAMBOT_REMEDIATIONS="deactivate-access-key")
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


def test_run_against_moto_server_from_queue_to_changed_iam_state(slack, tmp_path):
    """`iambot run` with moto server and the Slack fake: an EventBridge message on the queue becomes
    a posted alert, and a signed request + approval change IAM state in the event's account."""
    import boto3
    from moto.server import ThreadedMotoServer

    from tests.conftest import as_account, load
    from tests.harness import block_actions
    from tests.test_sources import envelope

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    iam = session.client("iam", endpoint_url=endpoint)
    sqs = session.client("sqs", endpoint_url=endpoint)
    iam.create_user(UserName="legacy-etl")
    key = iam.create_access_key(UserName="legacy-etl")["AccessKey"]["AccessKeyId"]
    url = sqs.create_queue(QueueName="iambot-events")["QueueUrl"]
    record = as_account(load("UpdateAccessKey__authored__1.json"))
    record["requestParameters"]["accessKeyId"] = key
    record["eventTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    port = free_port()
    env = run_env(slack, tmp_path, port, endpoint, IAMBOT_SQS_QUEUE_URL=url, sqs_wait_seconds="1")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("iambot")), "run", "--http"], env=env, stderr=subprocess.PIPE
    )
    try:
        wait_until_serving(port, proc)
        sqs.send_message(QueueUrl=url, MessageBody=envelope(record))
        posted = slack.wait_for(lambda s: s.posted("#iam-alerts"), timeout=30)[0]
        assert "legacy-etl" in posted["text"]
        assert (
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
                "ApproximateNumberOfMessages"
            ]
            == "0"
        )

        def click(action_id: str, value: str, user: str) -> None:
            body = block_actions(action_id, value, user, slack.url + "/response/")
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/slack/events",
                data=body.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)},
            )
            with urllib.request.urlopen(req, timeout=5) as resp:
                assert resp.status == 200

        event_key = json.loads(json.dumps(posted["blocks"]))[-1]["elements"][0]["value"]
        click("request:deactivate-access-key", event_key, "UREQUEST1")
        approval = slack.wait_for(lambda s: [p for p in s.posted() if p.get("thread_ts")], timeout=30)[0]
        request_id = approval["text"].split()[2].rstrip(":")
        click("approve", request_id, "UAPPROVE1")
        slack.wait_for(
            lambda s: iam.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"][0]["Status"] == "Inactive",
            timeout=30,
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        server.stop()
    assert proc.returncode == 0, err.decode()[-3000:]
