"""The alert as the person on call reads it on a phone: header, summary, one context line, at
most three reasons, where it stands and the buttons — within Slack's limits whatever the record
holds, event text shown literally, and for the five first-class events at most 8 blocks and 700
characters outside the buttons."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bot.assess import Assessor, RiskContext
from bot.assess.base import Factor
from bot.catalog import load as load_catalog
from bot.events import ReadStats, normalize, read_file
from bot.events.readers import iter_files
from bot.slack.messages import alert_message
from bot.slack.messages.alert import REASON_TEXT
from bot.slack.text import clean
from bot.workflow import AlertView
from tests.conftest import APPROVER, APPROVER2, REQUESTER
from tests.support.blocks import (
    DESTRUCTIVE,
    HOSTILE,
    TITLES,
    alert_of,
    all_rich_text,
    assert_shown_literally,
    buttons,
    check_limits,
    request,
    rich_texts,
    users,
    view_of,
    walk,
)
from tests.support.records import FIXTURES, access_key_event, load

FIRST_CLASS = {
    "UpdateAccessKey": "UpdateAccessKey__authored__1.json",
    "UpdateLoginProfile": "UpdateLoginProfile__authored__1.json",
    "UploadSigningCertificate": "UploadSigningCertificate__authored__1.json",
    "UpdateServerCertificate": "UpdateServerCertificate__authored__1.json",
    "UpdateOpenIDConnectProviderThumbprint": "UpdateOpenIDConnectProviderThumbprint__authored__1.json",
}


def text_outside_buttons(message) -> str:
    """Every text a person reads in the message except the buttons' labels and confirmations."""
    shown = []
    for block in message.blocks:
        if block["type"] == "actions":
            continue
        shown += [e["text"] for e in walk(block) if isinstance(e.get("text"), str) and e.get("type") != "mrkdwn"]
        shown += [e["text"] for e in walk(block) if e.get("type") == "mrkdwn"]
    return "".join(shown)


@pytest.mark.parametrize("event", list(FIRST_CLASS))
def test_the_five_first_class_alerts_fit_a_phone_screen(assessor, event):
    alert = alert_of(FIRST_CLASS[event], assessor)
    assert alert.event.event_name == event
    for view in (view_of(alert), view_of(alert, "requested", [request(), request("RBBBBBB", "denied")])):
        msg = alert_message(view, DESTRUCTIVE)
        check_limits(msg)
        assert len(msg.blocks) <= 8, [b["type"] for b in msg.blocks]
        assert len(text_outside_buttons(msg)) <= 700, text_outside_buttons(msg)
    # what phones show names the severity, the actor and the target
    target = next(iter(alert.targets.values()))
    assert msg.text.startswith(f"[{alert.severity.upper()}") and alert.event.actor.name in msg.text
    assert clean(target)[:20] in msg.text or any(v in msg.text for v in alert.targets.values())


def test_every_fixture_renders_within_slack_limits(assessor):
    stats = ReadStats()
    count = 0
    for path in iter_files([FIXTURES]):
        for item in read_file(path, stats, load_catalog().selection()):
            alert = assessor(item)
            for view in (view_of(alert), view_of(alert, "dismissed", dismissed_by=APPROVER)):
                message = alert_message(view, DESTRUCTIVE)
                check_limits(message)
                assert message.text.startswith(f"[{alert.severity.upper()}")
            count += 1
    assert count == stats.kept > 150


def test_alert_layout_and_buttons(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    view = AlertView(alert, "open", (), TITLES, account_name="prod-payments")
    msg = alert_message(view, frozenset({"delete-access-key"}))
    header = {"type": "plain_text", "text": "HIGH · Access key status changed", "emoji": False}
    assert msg.blocks[0] == {"type": "header", "text": header}
    summary = msg.blocks[1]["elements"][0]["elements"]
    assert summary[0] == {"type": "emoji", "name": "large_orange_circle"}
    assert summary[2] == {
        "type": "text",
        "text": "erin@example.com re-activated access key AKIA…Y001 of user legacy-etl",
        "style": {"bold": True},
    }
    [context] = msg.blocks[2]["elements"]
    assert msg.blocks[2]["type"] == "context" and context["type"] == "plain_text"
    e = alert.event
    assert context["text"] == (
        f"{e.account_id} (prod-payments) · erin@example.com (console) · 2026-11-20 10:02 UTC · us-east-1 {e.source_ip}"
    )
    reasons = msg.blocks[3]["elements"][0]
    assert reasons["type"] == "rich_text_list" and 1 <= len(reasons["elements"]) <= 3
    shown = [x["elements"][0]["text"] for x in reasons["elements"]]
    assert shown == [clean(r, REASON_TEXT) for r in alert.risk.reasons[:3]]
    actions = msg.blocks[-1]
    assert [x["action_id"] for x in actions["elements"]] == [
        "request:deactivate-access-key",
        "request:delete-access-key",
        "request:quarantine-user",
        "dismiss",
        "details",
    ]
    assert {x["value"] for x in actions["elements"]} == {e.key}
    delete = actions["elements"][1]
    assert delete["style"] == "danger" and delete["confirm"]["title"]["text"] == "Request this fix?"
    assert "confirm" not in actions["elements"][0]
    assert msg.text == "[HIGH] erin@example.com re-activated access key AKIA…Y001 of user legacy-etl"
    # the long explanation is behind Details, not in the channel
    text = all_rich_text(msg)
    assert "What happened" not in text and "Why it matters" not in text and e.user_agent not in json.dumps(msg.blocks)


def test_more_than_three_reasons_point_to_the_details(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    many = tuple(Factor(f"f{i}", 1, f"reason number {i}") for i in range(5))
    msg = alert_message(view_of(replace(alert, risk=replace(alert.risk, factors=many))))
    items = msg.blocks[3]["elements"][0]["elements"]
    assert [x["elements"][0]["text"] for x in items] == [
        "reason number 0",
        "reason number 1",
        "reason number 2",
        "and 2 more in Details",
    ]


def test_failed_call_is_an_attempt(assessor):
    alert = alert_of("UpdateAccessKey__authored__3.json", assessor)
    msg = alert_message(view_of(alert))
    assert msg.blocks[0]["text"]["text"] == "LOW (attempt) · Access key status changed"
    assert msg.text.startswith("[LOW attempt] mallory-dev tried to")
    assert [x["action_id"] for x in buttons(msg)] == ["dismiss", "details"]  # nothing to undo


def test_closed_alert_keeps_only_details_and_says_what_happened(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    succeeded = request(status="succeeded", approvals=(APPROVER,), outcome=("Set access key AKIA… to Inactive",))
    msg = alert_message(view_of(alert, "remediated", [succeeded]))
    assert [x["action_id"] for x in buttons(msg)] == ["details"]
    status = next(b for b in msg.blocks if b["type"] == "rich_text" and "RAAAAAA" in json.dumps(b))
    parts = status["elements"][0]["elements"]
    assert parts[0] == {"type": "emoji", "name": "white_check_mark"}
    assert parts[1]["text"] == " Done · "
    assert parts[2] == {"type": "text", "text": "Deactivate the access key", "style": {"bold": True}}
    # people are mention elements, built by iambot: Slack shows their names, and nothing else can ping
    assert users(msg) == [REQUESTER, APPROVER]
    assert parts[-1]["text"] == ": Set access key AKIA… to Inactive"


def test_dismissed_alert_names_who_dismissed_it(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    msg = alert_message(view_of(alert, "dismissed", dismissed_by=APPROVER))
    assert [x["action_id"] for x in buttons(msg)] == ["details"]
    assert " Dismissed as expected by " in rich_texts(msg)
    assert users(msg) == [APPROVER]


def test_requested_alert_keeps_its_buttons_and_lists_its_last_three_requests(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    denied = request("RBBBBBB", "denied", decided_by=APPROVER2)
    msg = alert_message(view_of(alert, "requested", [request(), denied]))
    assert [x["action_id"] for x in buttons(msg)][-2:] == ["dismiss", "details"]
    text = all_rich_text(msg)
    assert " Waiting for approval · " in text and " Denied · " in text and ", denied by " in text
    assert users(msg) == [REQUESTER, REQUESTER, APPROVER2]
    many = [request(f"R{i:06d}", "denied", decided_by=APPROVER, outcome=("x" * 3000,)) for i in range(60)]
    crowded = alert_message(view_of(alert, "requested", many))
    check_limits(crowded)
    assert sum(f"R{i:06d}" in json.dumps(crowded.blocks) for i in range(60)) == 3
    assert "57 earlier request(s) in Details" in all_rich_text(crowded)


def test_iambots_own_change_has_only_details():
    ctx = RiskContext(("arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*",))
    alert = alert_of("UpdateAccessKey__authored__1.json", Assessor(context=ctx))
    msg = alert_message(view_of(alert))
    assert msg.blocks[0]["text"]["text"].startswith("INFO · ")
    assert [x["action_id"] for x in buttons(msg)] == ["details"]


def hostile_record():
    record = load("UpdateLoginProfile__authored__1.json")
    record["requestParameters"]["userName"] = HOSTILE
    record["userIdentity"]["userName"] = HOSTILE
    record["userAgent"] = HOSTILE
    return record


def test_hostile_event_text_is_shown_literally_in_the_alert(assessor):
    alert = alert_of(hostile_record(), assessor)
    assert alert.event.actor.name == HOSTILE and alert.targets["user"] == HOSTILE
    msg = alert_message(view_of(alert))
    assert_shown_literally(msg, "alert")
    # the context line is plain text, which Slack never reads as markup
    [context] = [b for b in msg.blocks if b["type"] == "context"]
    assert context["elements"][0]["type"] == "plain_text" and clean(HOSTILE) in context["elements"][0]["text"]
    assert "&amp;amp;" in msg.text  # the notification text is escaped mrkdwn
    check_limits(msg)


@pytest.mark.parametrize("size", [10, 5_000, 200_000])
def test_huge_input_stays_within_limits(assessor, size):
    record = load("UpdateAccessKey__authored__1.json")
    record["requestParameters"]["userName"] = "<&>" * size
    record["userAgent"] = "a" * size
    record["errorCode"] = "AccessDenied"
    record["errorMessage"] = "&" * size
    record["eventID"] = "e" * size  # too long to be CloudTrail's: a hash is used instead
    check_limits(alert_message(view_of(assessor(normalize(record)))))
    record["eventName"] = "UpdateAccessKeyX" + "X" * min(size, 100)  # a generic entry
    check_limits(alert_message(view_of(assessor(normalize(record)))))


def test_alert_from_the_runtimes_own_view(runtime, aws):
    """The view the Slack layer renders from, made by the workflow from the store."""
    event, _key = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    msg = alert_message(runtime.workflow.views.alert_view(event.key))
    check_limits(msg)
    assert "request:deactivate-access-key" in [x["action_id"] for x in buttons(msg)]
    assert "legacy-etl" in all_rich_text(msg)


def test_the_accounts_note_is_a_context_line_under_the_first(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    note = "PRODUCTION — management account"
    msg = alert_message(replace(view_of(alert), account_note=note))
    check_limits(msg)
    assert [b["type"] for b in msg.blocks[:4]] == ["header", "rich_text", "context", "context"]
    assert msg.blocks[3]["elements"] == [
        {"type": "plain_text", "text": f"⚠ Account {alert.event.account_id}: {note}", "emoji": False}
    ]
    plain = alert_message(view_of(alert))
    assert len(plain.blocks) == len(msg.blocks) - 1 and "⚠ Account" not in json.dumps(plain.blocks)
