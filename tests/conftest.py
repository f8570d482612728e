"""Fixtures shared by the whole suite: AWS through moto, the loopback Slack fake, and the
runtime built from settings the way `iambot run` builds it. Helpers live in tests/support."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

# moto must be imported before any boto3 Session is made, or its hooks miss that session.
from moto import mock_aws

from tests.support.slack_fake import SECRET, SlackFake, serve

REQUESTER, APPROVER, APPROVER2, STRANGER = "UREQUEST1", "UAPPROVE1", "UAPPROVE2", "USTRANGER"
ALERTS, APPROVALS, CRITICAL = "C0ALERTS", "C0APPROVE", "C0CRITICAL"


@pytest.fixture
def assessor() -> Any:
    from bot.assess import Assessor

    return Assessor()


@pytest.fixture(scope="session")
def aws_session() -> Any:
    import boto3

    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")


@pytest.fixture
def aws(aws_session: Any) -> Iterator[Any]:
    with mock_aws():
        yield aws_session


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    fake = SlackFake()
    server, _ = serve(fake)
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings_for(tmp_path: Any, slack: SlackFake) -> Callable[..., Any]:
    """Settings from given values only: the machine's environment and files never leak in."""
    from bot.runtime.settings import given

    def make(**extra: Any) -> Any:
        values: dict[str, Any] = {
            "SLACK_BOT_TOKEN": "xoxb-test-not-a-real-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.url + "/api/",
            "IAMBOT_DB": str(tmp_path / "iambot.db"),
            "IAMBOT_ALERT_CHANNEL": ALERTS,
            "IAMBOT_APPROVERS": f"{APPROVER},{APPROVER2}",
            # the fixtures' events happened days ago; tests of backfill set this themselves
            "backfill_hours": 24 * 365 * 20,
            "channel_interval_seconds": 0,
        }
        values.update(extra)
        return given(**values)

    return make


@pytest.fixture
def runtime_for(settings_for: Callable[..., Any], aws: Any) -> Iterator[Callable[..., Any]]:
    """The runtime `iambot run` builds (the Bolt app included), AWS in moto, sleeps recorded."""
    from bot.runtime.wiring import build
    from remediations.aws import Aws

    made: list[Any] = []

    def make(socket_mode: bool = False, **extra: Any) -> Any:
        sleeps: list[float] = []
        settings = settings_for(**extra)
        rt = build(settings, slack_app=True, socket_mode=socket_mode, aws=Aws.from_settings(settings, aws),
                   sleep=sleeps.append)
        rt.sleeps = sleeps
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.close()


@pytest.fixture
def runtime(runtime_for: Callable[..., Any]) -> Any:
    return runtime_for()


@pytest.fixture
def http(runtime: Any) -> Iterator[Any]:
    """The real Bolt app behind the production HTTP front, served over loopback."""
    from tests.support.harness import HttpClient

    client = HttpClient(runtime)
    yield client
    client.close()


@pytest.fixture
def http_for() -> Iterator[Callable[..., Any]]:
    from tests.support.harness import HttpClient

    made: list[Any] = []

    def make(runtime: Any) -> Any:
        made.append(HttpClient(runtime))
        return made[-1]

    yield make
    for client in made:
        client.close()
