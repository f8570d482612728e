"""The feed canary, on both backends: iambot tags its own role (moto), the CloudTrail record of that
call comes back through intake and is taken as ``canary`` (stored, counted, never posted); a canary
that does not come back in time makes health say the feed is broken and the alert channel hear it
once (the Slack fake), and the next canary to come back clears it with one "restored" message."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine

from bot import metrics
from bot.events import normalize
from bot.runtime.scheduler import build_scheduler
from bot.workflow import messages as m
from bot.workflow.canary import BROKEN, KEY, SEEN, SENT, canary_value, role_of
from bot.workflow.messages import Kind
from remediations.aws import Aws
from tests.conftest import ALERTS
from tests.support.aws import assumed
from tests.support.records import MOTO_ACCOUNT, tag_role_record

ROLE = "iambot-bot"
ROLE_ARN = f"arn:aws:iam::{MOTO_ACCOUNT}:role/{ROLE}"
SESSION_ARN = f"arn:aws:sts::{MOTO_ACCOUNT}:assumed-role/{ROLE}/setup"  # tests/support/aws.py assumes as "setup"
BOTH = ["feed:broken:2026-12-07T09:00:00Z", "feed:restored:2026-12-07T09:00:00Z"]  # the notices, once each
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a period start: canary_minutes = 30 divides the hour


class Bot:
    """One replica of iambot running as the role ROLE (moto), its scheduled canary jobs by name."""

    def __init__(self, runtime: Any, replica: str):
        self.rt = runtime
        self.scheduler = build_scheduler(runtime.workflow, runtime.aws, lambda: None, replica)

    def job(self, name: str) -> Any:
        return self.scheduler.get_job(name).func()

    @property
    def canary(self) -> Any:
        return self.rt.workflow.canary

    def take(self, value: str, actor: str = SESSION_ARN, role: str = ROLE) -> Any:
        record = tag_role_record(actor, role, [{"key": KEY, "value": value}], value, f"evt-{uuid.uuid4()}")
        return self.rt.workflow.intake.take([normalize(record)], source="sqs")

    def ready(self) -> dict[str, Any]:
        return self.rt.health.ready()[1]


@pytest.fixture
def role(aws: boto3.Session) -> boto3.Session:
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
        }
    )
    aws.client("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument=trust)
    return assumed(ROLE_ARN)


@pytest.fixture
def bot_for(settings_for: Callable[..., Any], role: boto3.Session) -> Iterator[Callable[..., Bot]]:
    from bot.runtime.wiring import build

    made: list[Any] = []

    def make(replica: str = "replica-a", session: boto3.Session | None = None, **extra: Any) -> Bot:
        settings = settings_for(**extra)
        rt = build(settings, aws=Aws.from_settings(settings, session or role))
        made.append(rt)
        rt.learn_own_principal()
        return Bot(rt, replica)

    yield make
    for rt in made:
        rt.close()


def _tags(aws: boto3.Session) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in aws.client("iam").list_role_tags(RoleName=ROLE)["Tags"]}


def _feed_rows(bot: Bot, *sent: str) -> list[str]:
    """The feed notices in the outbox for canaries written at ``sent``."""
    ids = [m.feed_id(state, at) for at in sent for state in ("broken", "restored")]
    return [i for i in ids if (row := bot.rt.store.outbox.get(i)) is not None and row.kind == Kind.FEED]


def test_the_canary_goes_round_the_whole_path(bot_for, aws):
    with time_machine.travel(T0, tick=False):
        bot = bot_for()
        assert bot.canary.active and bot.canary.role == ROLE
        assert bot.job("canary") == "2026-12-07T09:00:00Z"
        assert _tags(aws) == {KEY: "2026-12-07T09:00:00Z"}  # the one write, on iambot's own role
        assert bot.ready()["canary"]["detail"] == "waiting for the canary to come back"
        returned = metrics.CANARIES.labels("returned")._value.get()
        taken = bot.take(_tags(aws)[KEY])  # CloudTrail's record of that call, through the feed
        assert [t.disposition for t in taken.taken] == ["canary"]
        assert metrics.CANARIES.labels("returned")._value.get() == returned + 1
        key = taken.taken[0].alert.event.key
        assert bot.rt.store.events.get(key) is not None  # stored
        assert bot.rt.store.outbox.get(f"alert:{key}") is None  # never posted
        assert bot.rt.store.cursors.get(SEEN) == "2026-12-07T09:00:00Z"
    with time_machine.travel(T0 + timedelta(minutes=25), tick=False):
        assert bot.job("canary-check") is False
        state = bot.ready()["canary"]
        assert (state["ok"], state["detail"]) == (True, "the canary came back")
    assert _feed_rows(bot, "2026-12-07T09:00:00Z") == []


def test_a_canary_not_back_in_time_says_once_that_the_feed_is_broken_and_once_that_it_is_restored(bot_for, aws, slack):
    with time_machine.travel(T0, tick=False):
        bot = bot_for()
        bot.job("canary")
    with time_machine.travel(T0 + timedelta(minutes=19), tick=False):
        assert bot.job("canary-check") is False  # not yet: the timeout is 20 minutes
    with time_machine.travel(T0 + timedelta(minutes=21), tick=False):
        assert bot.job("canary-check") is True
        ok, body = bot.rt.health.ready()
        assert ok  # readiness holds: the feed is shared, every replica would go unready at once
        assert body["canary"]["ok"] is False and "the feed is broken" in body["canary"]["detail"]
        assert b"iambot_canary_ok 0.0" in bot.rt.health.metrics()
        bot.rt.poster.flush()
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        bot.job("canary")  # the next one is written, and does not come back either
    with time_machine.travel(T0 + timedelta(minutes=51), tick=False):
        assert bot.job("canary-check") is False  # already said
        bot.rt.poster.flush()
    posted = slack.posted(ALERTS)
    assert len(posted) == 1 and "Feed broken" in str(posted[0]) and "2026-12-07T09:00:00Z" in str(posted[0])
    with time_machine.travel(T0 + timedelta(minutes=52), tick=False):
        assert [t.disposition for t in bot.take("2026-12-07T09:30:00Z").taken] == ["canary"]
        assert bot.rt.store.cursors.get(BROKEN) == ""
        assert bot.ready()["canary"]["ok"] is True
        bot.take("2026-12-07T09:30:00Z")  # CloudTrail may deliver twice, under another event id
        bot.rt.poster.flush()
    posted = slack.posted(ALERTS)
    assert len(posted) == 2 and "Feed restored" in str(posted[1])
    assert _feed_rows(bot, "2026-12-07T09:00:00Z", "2026-12-07T09:30:00Z") == BOTH


def test_replicas_write_one_canary_a_period_and_any_of_them_clears_the_break(bot_for, aws):
    with time_machine.travel(T0, tick=False):
        a, b = bot_for("replica-a"), bot_for("replica-b")
        sent = [a.job("canary"), b.job("canary")]
        assert sent.count(None) == 1 and [r["replica"] for r in a.rt.store.runs.of("canary")] == ["replica-a"]
    with time_machine.travel(T0 + timedelta(minutes=21), tick=False):
        assert [a.job("canary-check"), b.job("canary-check")] == [True, None]  # one claim of the minute
        assert b.ready()["canary"]["ok"] is False  # the state is in the store: every replica says so
    with time_machine.travel(T0 + timedelta(minutes=22), tick=False):
        b.take("2026-12-07T09:00:00Z")
        assert a.ready()["canary"]["ok"] is True
    assert _feed_rows(a, "2026-12-07T09:00:00Z") == BOTH


def test_someone_else_setting_the_canary_tag_is_alerted_like_any_tag(bot_for):
    with time_machine.travel(T0, tick=False):
        bot = bot_for()
        other = f"arn:aws:sts::{MOTO_ACCOUNT}:assumed-role/intruder/x"
        assert [t.disposition for t in bot.take("2026-12-07T09:00:00Z", actor=other).taken] == ["posted"]
        # iambot's principal tagging another role with the key is not the canary either
        assert [t.disposition for t in bot.take("2026-12-07T09:00:00Z", role="other").taken] != ["canary"]
        assert bot.rt.store.cursors.get(SEEN) is None


def test_a_canary_that_cannot_be_written_is_logged_counted_and_shown(bot_for, aws, caplog):
    with time_machine.travel(T0, tick=False):
        bot = bot_for()
        aws.client("iam").delete_role(RoleName=ROLE)
        errors = metrics.CANARY_ERRORS._value.get()
        assert bot.job("canary") is None  # the job survives
        assert metrics.CANARY_ERRORS._value.get() == errors + 1
        assert "the feed canary could not be written" in caplog.text
        state = bot.ready()["canary"]
        assert state["ok"] is False and "NoSuchEntity" in state["last_error"]
        assert bot.rt.store.cursors.get(SENT) is None


def test_iambot_running_as_a_user_has_no_canary_and_says_why(bot_for, aws):
    user = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    bot = bot_for(session=user)
    assert not bot.canary.active
    detail = bot.ready()["canary"]["detail"]
    assert detail.startswith("the feed canary is off: iambot runs as arn:aws:") and "user/moto" in detail
    assert detail.endswith("not an assumed role; set canary_role to tag a role")
    assert bot.scheduler.get_job("canary") is None
    configured = bot_for(session=user, canary_role=ROLE)  # a role named: the canary tags it
    assert configured.canary.active and configured.canary.role == ROLE


def test_the_canary_is_off_at_zero(bot_for):
    bot = bot_for(canary_timeout_minutes=0)
    assert not bot.canary.active and bot.scheduler.get_job("canary") is None
    assert bot.ready()["canary"] == {
        "ok": True, "on": False, "detail": "canary_minutes or canary_timeout_minutes is 0", "sent": None,
        "seen": None, "broken_since": None, "last_error": None,
    }  # fmt: skip


def test_the_role_and_the_value_are_read_totally():
    assert role_of(SESSION_ARN) == ROLE
    assert role_of(f"arn:aws:iam::{MOTO_ACCOUNT}:user/moto") is None
    assert role_of("arn:aws:sts::1:assumed-role/") is None
    record = tag_role_record(SESSION_ARN, ROLE, [{"key": KEY, "value": "v"}], "2026-12-07T09:00:00Z", "e1")
    assert canary_value(normalize(record)) == "v"
    for tags in (None, "x", [None], [{"key": KEY}], [{"key": "other", "value": "v"}], [{"key": KEY, "value": 1}]):
        record["requestParameters"]["tags"] = tags
        assert canary_value(normalize(record)) is None
