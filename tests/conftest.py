from __future__ import annotations

import json
from pathlib import Path

import pytest

# moto must be imported before any boto3 Session is made, or its hooks miss that session.
from moto import mock_aws

FIXTURES = Path(__file__).parent / "fixtures" / "cloudtrail"
RECORDS = FIXTURES / "records"
AUTHORED = FIXTURES / "authored"
DETONATIONS = FIXTURES / "detonation-logs"


def load(name: str) -> dict:
    for folder in (RECORDS, AUTHORED):
        path = folder / name
        if path.exists():
            return json.loads(path.read_text())
    raise FileNotFoundError(name)


def all_record_files() -> list[Path]:
    return sorted(RECORDS.glob("*.json")) + sorted(AUTHORED.glob("*.json"))


@pytest.fixture
def assessor():
    from bot.triage import Assessor

    return Assessor()


# ---------------------------------------------------------------- Slack app harness

MOTO_ACCOUNT = "123456789012"
REQUESTER, APPROVER, APPROVER2, STRANGER = "UREQUEST1", "UAPPROVE1", "UAPPROVE2", "USTRANGER"
SECRET = "test-signing-secret-not-real"


def as_account(record: dict, account: str = MOTO_ACCOUNT) -> dict:
    """A fixture record moved into another account id (moto's, by default)."""
    import re

    text = json.dumps(record)
    for old in set(re.findall(r"\b\d{12}\b", text)):
        text = text.replace(old, account)
    return json.loads(text)


@pytest.fixture(scope="session")
def aws_session():
    import boto3

    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")


@pytest.fixture
def aws(aws_session):
    with mock_aws():
        yield aws_session


@pytest.fixture
def slack():
    from tests.slack_fake import SlackFake, serve

    fake = SlackFake()
    server, _ = serve(fake)
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings_for(tmp_path, slack):
    from bot.config import load_settings

    def make(**extra):
        values = {
            "SLACK_BOT_TOKEN": "xoxb-test-not-a-real-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.url + "/api/",
            "IAMBOT_DB": str(tmp_path / "iambot.db"),
            "IAMBOT_ALERT_CHANNEL": "#iam-alerts",
            "IAMBOT_APPROVERS": f"{APPROVER},{APPROVER2}",
            # the fixtures' events happened days ago; tests of backfill set this themselves
            "backfill_hours": 24 * 365 * 20,
        }
        values.update(extra)
        return load_settings(**values)

    return make


@pytest.fixture
def runtime_for(settings_for, aws):
    from bot.app import build
    from remediations.aws import Aws

    made = []

    def make(socket_mode=False, **extra):
        sleeps: list[float] = []
        settings = settings_for(**extra)
        rt = build(settings, socket_mode=socket_mode, aws=Aws.from_settings(settings, aws), sleep=sleeps.append)
        rt.sleeps = sleeps
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.store.close()


@pytest.fixture
def runtime(runtime_for):
    return runtime_for()


@pytest.fixture
def http(runtime):
    """The real Bolt app behind the WSGI app, served over loopback HTTP."""
    from tests.harness import HttpClient

    client = HttpClient(runtime)
    yield client
    client.close()


@pytest.fixture
def http_for():
    from tests.harness import HttpClient

    made = []

    def make(runtime):
        made.append(HttpClient(runtime))
        return made[-1]

    yield make
    for client in made:
        client.close()
