"""`iambot run --http` as a real process, against moto's server and the Slack fake: /healthz,
signed Slack requests, SIGTERM stopping it cleanly (exit 0, the token never in its output), and
an event on the queue becoming an alert, a request, an approval and changed IAM state."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from tests.conftest import ALERTS, APPROVER, REQUESTER, TEST_SECRET_KEY
from tests.support.cli import clean_environment, invoke, one_line_error
from tests.support.harness import block_actions, slash_command
from tests.support.process import TOKEN, free_port, moto_server, run_env, start, wait_until_serving
from tests.support.records import as_account, envelope, load


def button_value(message: dict, action_id: str) -> str:
    for block in message.get("blocks") or []:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {json.dumps(message)[:500]}")


def test_run_http_serves_slack_and_stops_on_sigterm(slack, tmp_path):
    port = free_port()
    # no AWS here (nothing listens on port 9), and none is needed to serve Slack
    env = run_env(
        slack.url, tmp_path, port, "http://127.0.0.1:9", IAMBOT_REMEDIATIONS="deactivate-access-key",
        IAMBOT_REPLICA="iambot-0",
    )  # fmt: skip
    running = start(env, tmp_path, "--http")
    try:
        wait_until_serving(running, timeout=60)
        assert running.get("/healthz")[0] == 200  # alive
        status, body = running.get("/readyz")
        health = json.loads(body)
        assert status == 200 and health["ok"] is True, body
        assert health["store"]["ok"] is True and health["sources"] == {}
        assert health["outbox"]["ok"] is True and health["outbox"]["pending"] == 0
        assert health["scheduler"] == {"ok": True}

        status, body = running.post_signed(slash_command("help", REQUESTER, slack.url + "/response/"))
        assert status == 200
        assert "/iam approve" in json.dumps(json.loads(body)["blocks"])
        assert running.get("/nope")[0] == 404
    finally:
        code = running.stop()
    assert code == 0, running.output()[-3000:]
    assert TOKEN not in running.output()
    # every line written, waitress's and Bolt's included, is JSON naming the replica
    lines = [json.loads(line) for line in running.err.read_text().splitlines() if line]
    assert {line["replica"] for line in lines} == {"iambot-0"}
    assert "iambot stopped" in [line["msg"] for line in lines]


def test_a_request_not_signed_with_the_secret_is_refused(slack, tmp_path):
    import urllib.error
    import urllib.request

    from tests.support.slack_fake import sign

    port = free_port()
    running = start(run_env(slack.url, tmp_path, port, "http://127.0.0.1:9"), tmp_path, "--http")
    try:
        wait_until_serving(running, timeout=60)
        body = slash_command("help", REQUESTER, slack.url + "/response/")
        req = urllib.request.Request(
            running.base + "/slack/events",
            data=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", **sign("not-the-secret", body)},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=10)
        assert refused.value.code == 401
    finally:
        assert running.stop() == 0


def test_run_against_moto_server_from_queue_to_changed_iam_state(slack, tmp_path):
    """An EventBridge message on the queue becomes a posted alert; a signed click and an approval
    change IAM state in the event's account."""
    import boto3

    server = moto_server()
    try:
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        iam = session.client("iam", endpoint_url=server.url)
        sqs = session.client("sqs", endpoint_url=server.url)
        iam.create_user(UserName="legacy-etl")
        key = iam.create_access_key(UserName="legacy-etl")["AccessKey"]["AccessKeyId"]
        url = sqs.create_queue(QueueName="iambot-events")["QueueUrl"]
        record = as_account(load("UpdateAccessKey__authored__1.json"))
        record["requestParameters"]["accessKeyId"] = key
        record["eventTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

        config = tmp_path / "iambot.toml"
        config.write_text("sqs_wait_seconds = 1\nchannel_interval_seconds = 0\n")
        port = free_port()
        env = run_env(slack.url, tmp_path, port, server.url, IAMBOT_SQS_QUEUE_URL=url, IAMBOT_CONFIG=str(config))
        running = start(env, tmp_path, "--http")
        try:
            wait_until_serving(running, timeout=60)
            sqs.send_message(QueueUrl=url, MessageBody=envelope(record))
            posted = slack.wait_for(lambda s: s.posted(ALERTS), timeout=30)[0]
            assert "legacy-etl" in posted["text"]
            counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            slack.wait_for(  # deleted once its event was committed
                lambda s: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=counts)["Attributes"]
                == dict.fromkeys(counts, "0"),
                timeout=30,
            )
            health = json.loads(running.get("/readyz")[1])
            assert health["ok"] is True and health["sources"]["sqs"]["ok"] is True

            event_key = button_value(posted, "request:deactivate-access-key")
            status, _ = running.post_signed(
                block_actions("request:deactivate-access-key", event_key, REQUESTER, slack.url + "/response/")
            )
            assert status == 200
            approval = slack.wait_for(lambda s: [p for p in s.posted() if p.get("thread_ts")], timeout=30)[0]
            request_id = button_value(approval, "approve")
            assert request_id in approval["text"]
            status, _ = running.post_signed(block_actions("approve", request_id, APPROVER, slack.url + "/response/"))
            assert status == 200
            slack.wait_for(
                lambda s: iam.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"][0]["Status"] == "Inactive",
                timeout=30,
            )
            def settled(s):  # the request done and its messages (the alert's update, the reply) sent
                found = scraped(running)
                done = found.get(("iambot_requests", (("state", "succeeded"),))) == 1
                return done and found[("iambot_outbox_pending", ())] == 0 and found

            metrics = slack.wait_for(settled, timeout=30)
        finally:
            code = running.stop(timeout=60)
        assert code == 0, running.output()[-3000:]
        assert TOKEN not in running.output()
    finally:
        server.stop()
    # what Prometheus would scrape from it, read with prometheus_client's own parser
    assert metrics[("iambot_events_total", (("outcome", "taken"), ("source", "sqs")))] == 1
    assert metrics[("iambot_alerts_total", (("disposition", "posted"), ("severity", "high")))] == 1
    remediated = (("outcome", "succeeded"), ("remediation", "deactivate-access-key"))
    assert metrics[("iambot_remediations_total", remediated)] == 1
    assert metrics[("iambot_requests", (("state", "succeeded"),))] == 1
    assert metrics[("iambot_outbox_pending", ())] == 0
    assert 0 <= metrics[("iambot_source_last_success_seconds", (("source", "sqs"),))] < 30
    assert 0 <= metrics[("iambot_source_lag_seconds", (("source", "sqs"),))] < 120
    assert metrics[("iambot_store_unit_seconds_count", ())] > 0
    assert metrics[("iambot_slack_rate_limited_total", ())] == 0
    assert any(name == "iambot_build_info" for name, _ in metrics)
    assert not any("legacy-etl" in str(labels) or key in str(labels) for _, labels in metrics)  # no ids as labels


def scraped(running):
    """GET /metrics, parsed: (sample name, sorted labels) → value."""
    from prometheus_client.parser import text_string_to_metric_families

    status, text = running.get("/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def long_polling(slack, tmp_path):
    """`iambot run --http` reading a queue with 20-second long polls (the default), serving."""
    import boto3

    server = moto_server()
    sqs = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                        region_name="us-east-1").client("sqs", endpoint_url=server.url)
    url = sqs.create_queue(QueueName="iambot-events")["QueueUrl"]
    running = start(run_env(slack.url, tmp_path, free_port(), server.url, IAMBOT_SQS_QUEUE_URL=url), tmp_path, "--http")
    try:
        wait_until_serving(running, timeout=60)
        assert "sqs" in json.loads(running.get("/readyz")[1])["sources"]
        yield running
    finally:
        if running.proc.poll() is None:
            running.proc.kill()
            running.proc.wait(timeout=10)
        server.stop()


def exited_within(running, seconds: float) -> int | None:
    """The exit status if the process exits within ``seconds`` (waiting for it, nothing else)."""
    try:
        return running.proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return None


def test_sigint_stops_it_within_five_seconds_even_in_a_long_poll(long_polling):
    began = time.monotonic()
    long_polling.proc.send_signal(signal.SIGINT)
    code = exited_within(long_polling, 30)
    took = time.monotonic() - began
    assert code == 0, long_polling.output()[-3000:]
    assert took < 5, took
    assert "iambot stopped" in long_polling.err.read_text()


def test_signals_in_quick_succession_still_stop_it(long_polling):
    for _ in range(20):
        long_polling.proc.send_signal(signal.SIGINT)
        long_polling.proc.send_signal(signal.SIGTERM)
    assert exited_within(long_polling, 10) == 0, long_polling.output()[-3000:]


def test_run_without_slack_settings_is_exit_2_naming_them(monkeypatch, tmp_path):
    clean_environment(monkeypatch, tmp_path)
    line = " ".join(invoke("run", "--http").stderr.split())
    assert "cannot start, missing configuration" in line
    names = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "IAMBOT_ALERT_CHANNEL", "IAMBOT_APPROVERS", "IAMBOT_SECRET_KEY")
    for name in names:
        assert name in line


def test_run_with_an_unusable_database_is_exit_2(monkeypatch, tmp_path):
    clean_environment(monkeypatch, tmp_path)
    for var, value in {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "test-signing-secret-not-real",
        "IAMBOT_ALERT_CHANNEL": ALERTS,
        "IAMBOT_APPROVERS": APPROVER,
        "IAMBOT_SECRET_KEY": TEST_SECRET_KEY,
        "IAMBOT_DB": str(tmp_path),  # a directory
    }.items():
        monkeypatch.setenv(var, value)
    line = one_line_error(invoke("run", "--http"))
    assert str(tmp_path) in line and TOKEN not in line


@pytest.fixture
def own_signals():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_a_sigterm_while_it_builds_is_kept_and_stops_it_before_anything_starts(monkeypatch, own_signals, tmp_path):
    # as PID 1 of a container a signal without a handler is dropped: the handler comes first
    from bot.config.settings import given
    from bot.runtime import run as run_module

    closed = []

    class Built:
        class store:
            close = staticmethod(lambda: closed.append(True))

        def start_background(self):
            raise AssertionError("nothing may start once stopped")

    def build(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # the platform stops it mid-build
        return Built()

    monkeypatch.setattr(run_module, "build", build)
    run_module.run(given(IAMBOT_DB=str(tmp_path / "x.db")), socket_mode=False)
    assert closed == [True]
