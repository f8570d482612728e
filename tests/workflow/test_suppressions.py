"""Suppressions: only approvers mute and unmute, a mute needs criteria and a reason, matching
events are stored and counted (hits) but not posted, until the mute is lifted or expires."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from bot.events import normalize
from bot.workflow import Refused
from tests.conftest import ALERTS, APPROVER, APPROVER2, STRANGER
from tests.support.records import access_key_event, as_account, load
from tests.support.state import audit_actions

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_suppression_needs_an_approver_and_counts_hits(runtime, http, slack, aws):
    text = 'mute event=UpdateAccessKey target=legacy-etl for=2h reason="planned rotation SEC-42"'
    assert http.slash(text, STRANGER)[0] == 200
    assert "Only approvers" in slack.wait_for(lambda s: s.responses)[0]["text"]
    http.slash(text, APPROVER)
    answer = slack.wait_for(lambda s: [r for r in s.responses if "Suppression" in r["text"]])[0]["text"]
    sid = answer.split("Suppression ", 1)[1].split()[0]
    assert sid.startswith("M") and [s.id for s in runtime.workflow.suppressions.active()] == [sid]
    event, _ = access_key_event(aws.client("iam"))
    result = runtime.workflow.intake.take([event])
    assert [t.disposition for t in result.taken] == ["suppressed"]
    assert runtime.store.alerts.dispositions() == {"suppressed": 1}
    assert runtime.store.events.count() == 1  # stored all the same
    [notice] = slack.posted()  # the mute's announcement, and no alert
    assert sid in notice["text"] and "planned rotation SEC-42" in json.dumps(notice["blocks"])
    assert runtime.store.db.one("SELECT hits FROM suppressions")["hits"] == 1
    status, body = http.slash("mutes", APPROVER)
    listed = json.dumps(json.loads(body)["blocks"])
    assert status == 200 and sid in listed and "1 hit(s)" in listed and "planned rotation SEC-42" in listed
    assert ("mute", STRANGER, "refused") in audit_actions(runtime)
    assert ("mute", APPROVER, "ok") in audit_actions(runtime)


def test_other_events_are_not_suppressed(runtime, slack):
    runtime.workflow.suppressions.mute(APPROVER, {"event": "UpdateAccessKey", "target": "legacy-etl"}, 2, "rotation")
    other_target = normalize(as_account(load("UpdateLoginProfile__authored__1.json")))
    assert runtime.workflow.intake.take([other_target]).taken[0].disposition == "posted"
    assert len(slack.posted(ALERTS)) == 2  # the mute's announcement, and the alert
    assert runtime.store.db.one("SELECT hits FROM suppressions")["hits"] == 0


def test_a_mute_needs_criteria_and_a_reason(runtime):
    mute = runtime.workflow.suppressions.mute
    with pytest.raises(Refused, match="Say what to mute"):
        mute(APPROVER, {}, 2, "no criteria")
    with pytest.raises(Refused, match="Give a reason"):
        mute(APPROVER, {"event": "UpdateAccessKey"}, 2, "")
    with pytest.raises(Refused, match="Only approvers"):
        mute(STRANGER, {"event": "UpdateAccessKey"}, 2, "not mine to mute")
    assert runtime.workflow.suppressions.active() == []


def test_unmute_needs_an_approver_and_then_events_post_again(runtime, slack, aws):
    sid = runtime.workflow.suppressions.mute(APPROVER, {"actor": "erin@example.com"}, 24, "erin rotates keys")
    with pytest.raises(Refused, match="Only approvers"):
        runtime.workflow.suppressions.unmute(STRANGER, sid)
    assert [s.id for s in runtime.workflow.suppressions.active()] == [sid]
    runtime.workflow.suppressions.unmute(APPROVER2, sid)
    assert runtime.workflow.suppressions.active() == []
    with pytest.raises(Refused, match="No active suppression"):
        runtime.workflow.suppressions.unmute(APPROVER2, sid)
    event, _ = access_key_event(aws.client("iam"))
    assert runtime.workflow.intake.take([event]).taken[0].disposition == "posted"
    assert [a for a in audit_actions(runtime) if a[0] == "unmute"] == [
        ("unmute", STRANGER, "refused"),
        ("unmute", APPROVER2, "ok"),
        ("unmute", APPROVER2, "refused"),
    ]


def test_a_suppression_expires(runtime, aws):
    with time_machine.travel(NOW, tick=False):
        runtime.workflow.suppressions.mute(APPROVER, {"account": "123456789012"}, 2, "migration window")
    first, _ = access_key_event(aws.client("iam"))
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert runtime.workflow.intake.take([first]).taken[0].disposition == "suppressed"
    later = normalize(as_account(load("UpdateLoginProfile__authored__1.json")))
    with time_machine.travel(NOW + timedelta(hours=2, minutes=1), tick=False):
        assert runtime.workflow.suppressions.active() == []
        assert runtime.workflow.intake.take([later]).taken[0].disposition == "posted"
