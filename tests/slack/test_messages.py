"""The messages iambot sends besides the alert (tests/slack/messages/ has it and its details):
the approval request, the digest, the thread notices and the replies. Event text sits in
rich-text elements, shown literally by Slack; every message stays within Slack's limits."""

from __future__ import annotations

import json

import pytest

from bot.slack.messages import (
    burst_message,
    confirmation_message,
    digest_message,
    done,
    failed,
    listing,
    preformatted,
    refused,
    repeats_message,
    reply,
    request_message,
    status_text,
    t,
    usage,
)
from bot.slack.messages.base import (
    RICH_TEXT,
)
from bot.slack.text import clean
from bot.workflow import Digest, RequestView
from bot.workflow.views import BurstView, ConfirmationView, RepeatsView
from tests.conftest import APPROVER, APPROVER2, REQUESTER
from tests.support.blocks import (
    HIDDEN,
    HOSTILE,
    all_rich_text,
    assert_shown_literally,
    buttons,
    check_limits,
    element_types,
    request,
    rich_texts,
    users,
    walk,
)

# ------------------------------------------------------------------------------- hostile text


def test_hostile_text_in_a_request_is_shown_literally():
    bad = request(reason=HOSTILE, status="denied", decided_by=APPROVER, params={"user_name": HOSTILE},
                  plan=[f"Would quarantine {HOSTILE}"])
    msg = request_message(RequestView(bad, "Quarantine the user (deny all)", True, context=HOSTILE))
    assert_shown_literally(msg, "request")
    assert users(msg) == [REQUESTER, APPROVER]


def test_hostile_text_in_the_digest_is_shown_literally():
    digest = Digest("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z", total=1, by_severity={"high": 1},
                    by_event=[("UpdateLoginProfile", 1)], top_actors=[(HOSTILE, 1)],
                    notable=[{"key": "k1", "severity": "high", "summary": HOSTILE[:150], "event_time": "x"}],
                    dispositions={"posted": 1})
    msg = digest_message(digest, lambda key: None)
    assert any(clean(HOSTILE[:150]) in text for text in rich_texts(msg))
    assert not [c for c in HIDDEN if c in json.dumps(msg.blocks, ensure_ascii=False)]
    assert_shown_literally(msg, "digest")


def test_hostile_text_in_notices_and_replies_is_shown_literally():
    confirmation = confirmation_message(ConfirmationView("RAAAAAA", "UpdateLoginProfile", HOSTILE, "t", None))
    burst = burst_message(BurstView(3, (("CreateUser", HOSTILE, 3),), 10))
    for msg in (confirmation, burst):
        assert_shown_literally(msg, "notice")
    answer = reply(t("Events by "), t(HOSTILE))
    assert any(clean(HOSTILE) in text for text in rich_texts(answer))
    assert users(answer) == [] and "link" not in element_types(answer)
    # a reply's notification text is its parts as mrkdwn; it keeps exact user mentions (reply() is
    # for text iambot or the person wrote), and escapes everything else
    assert "<!channel>" not in answer.text and "&lt;!channel&gt;" in answer.text
    assert "<https://evil" not in answer.text and "&amp;amp;" in answer.text


# ------------------------------------------------------------------------------ requests


def test_request_message_while_waiting():
    msg = request_message(RequestView(request(), "Deactivate the access key", False, "erin re-activated a key"))
    check_limits(msg)
    assert msg.blocks[0]["text"]["text"] == "Remediation request RAAAAAA · Deactivate the access key"
    assert msg.text == "Remediation request RAAAAAA: Deactivate the access key (requested)"
    text = all_rich_text(msg)
    assert " asks to run " in text and " for: " in text and "erin re-activated a key" in text
    assert " in account 111122223333" in text
    assert "Would set access key AKIAEXAMPLELEGACY001 of user legacy-etl to Inactive" in text
    assert "0 of 1: " in text and "none yet" in text
    assert "user_name = legacy-etl\naccess_key_id = AKIAEXAMPLELEGACY001" in text
    assert [(e["action_id"], e["value"], e.get("style")) for e in buttons(msg)] == [
        ("approve", "RAAAAAA", "primary"),
        ("deny", "RAAAAAA", "danger"),
    ]
    assert "confirm" not in buttons(msg)[0]
    assert msg.blocks[-1]["elements"][0]["text"] == "/iam approve RAAAAAA · /iam deny RAAAAAA reason · audited"


def test_irreversible_request_asks_twice():
    msg = request_message(RequestView(request(approvals_needed=2, approvals=(APPROVER,)), "Delete the access key",
                                      True, None))
    text = all_rich_text(msg)
    assert " Irreversible." in text and " Needs 2 approvals." in text and "1 of 2: " in text
    assert buttons(msg)[0]["confirm"]["title"]["text"] == "Approve an irreversible change?"
    assert users(msg) == [REQUESTER, APPROVER]


def test_irreversible_confirmation_shows_the_plan_literally():
    plan = ["Would delete access key AKIAEXAMPLE of user _svc_admin_ (*all* of it)"]
    msg = request_message(RequestView(request(remediation_id="delete-access-key", plan=plan), "Delete the access key",
                                      True, None))
    confirm = buttons(msg)[0]["confirm"]["text"]
    assert confirm["type"] == "plain_text" and confirm["text"] == plan[0]


@pytest.mark.parametrize("status", ["approved", "running", "succeeded", "failed", "drifted", "denied", "cancelled",
                                    "expired"])
def test_decided_requests_have_no_buttons(status):
    decided = request(status=status, decided_by=APPROVER, reason="not needed", outcome=("line one", "line two"))
    msg = request_message(RequestView(decided, "Deactivate the access key", False, None))
    check_limits(msg)
    assert not buttons(msg)
    text = all_rich_text(msg)
    assert status_text(status) in text
    assert "line one\nline two" in text
    if status in ("denied", "cancelled"):
        assert f"{status_text(status)} by " in text and ": not needed" in text


def test_status_text():
    assert status_text("requested") == "Waiting for approval"
    assert status_text("drifted") == "Stopped: live state changed since approval"
    assert status_text("mystery") == "mystery"


# -------------------------------------------------------------------------------- digest


def test_quiet_digest():
    msg = digest_message(Digest("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"), lambda key: None)
    assert msg.text == ("iambot digest, 2026-11-20 00:00 – 2026-11-21 00:00 UTC: quiet. No identity events, "
                        "no requests, no remediations.")
    check_limits(msg)


def test_full_digest():
    notable = [{"key": f"k{i}", "severity": "high", "summary": f"event {i}", "event_time": "t"} for i in range(20)]
    digest = Digest(
        "2026-11-20T00:00:00Z",
        "2026-11-21T00:00:00Z",
        total=25,
        by_severity={"high": 20, "low": 5},
        by_event=[("CreateUser", 20), ("TagUser", 5)],
        top_actors=[("christophe", 25)],
        notable=notable,
        dispositions={"posted": 20, "quiet": 5},
        waiting=[{"id": "RAAAAAA", "remediation_id": "deactivate-access-key", "age_minutes": 42}],
        remediations=[{"id": "RBBBBBB", "remediation_id": "quarantine-user", "requested_by": REQUESTER,
                       "approved_by": [APPROVER, APPROVER2], "status": "succeeded"}],
        suppressions_hit=[{"id": "MABCDEF", "reason": "onboarding", "hits": 3}],
        decision_minutes_median=7.5,
    )
    link_of = lambda key: f"https://slack.example/archives/C0ALERTS/p{key}" if key == "k0" else None  # noqa: E731
    msg = digest_message(digest, link_of, table=False)  # the rich-text form (the table's fallback)
    assert msg.fallback is None and digest_message(digest, link_of).fallback == msg
    check_limits(msg)
    assert msg.text == "iambot digest 2026-11-20 00:00 – 2026-11-21 00:00 UTC: 25 identity event(s) (20 high, 5 low)"
    text = all_rich_text(msg)
    for expected in ("25 identity event(s)", "Handled: 20 posted, 5 quiet", "By event: CreateUser ×20, TagUser ×5",
                     "Top actors: christophe ×25", "High and critical", "…and 5 more", "Waiting for approval",
                     "RAAAAAA deactivate-access-key, 42 min", "RBBBBBB quarantine-user: succeeded, asked by ",
                     "MABCDEF onboarding: 3 event(s)", "Median time from alert to decision: 7.5 min"):
        assert expected in text
    links = [e for e in walk(msg.blocks) if e.get("type") == "link"]
    assert links == [{"type": "link", "url": "https://slack.example/archives/C0ALERTS/pk0", "text": "event 0"}]
    assert users(msg) == [REQUESTER, APPROVER, APPROVER2]
    assert sum(1 for text in rich_texts(msg) if text.startswith("event ")) == 14  # 15 shown, one as a link


# ------------------------------------------------------------------------------- notices


def test_repeats_message():
    msg = repeats_message(RepeatsView(("2026-11-20T10:00:00Z", "2026-11-20T10:05:00Z")))
    check_limits(msg)
    assert "Repeated 2 more time(s) by the same actor with the same effect: first 2026-11-20T10:00:00Z, " \
           "latest 2026-11-20T10:05:00Z." in msg.text
    assert element_types(msg)[:4] == ["rich_text", "rich_text_section", "emoji", "text"]
    assert "Repeated 0 more time(s)" in repeats_message(RepeatsView(())).text


def test_burst_message():
    msg = burst_message(BurstView(42, (("CreateUser", "christophe", 40), ("TagUser", "ci", 2)), 10))
    check_limits(msg)
    assert "Burst: 42 more identity event(s) in the last minute" in msg.text
    assert "(over 10 a minute in this channel). Most: CreateUser by christophe ×40; TagUser by ci ×2." in msg.text
    assert "Most: —." in burst_message(BurstView(0, (), 10)).text


def test_confirmation_message():
    ok = confirmation_message(ConfirmationView("RAAAAAA", "UpdateAccessKey", "iambot", "2026-11-20T10:00:00Z", None))
    assert ok.text == " CloudTrail confirms RAAAAAA: UpdateAccessKey by iambot at 2026-11-20T10:00:00Z"
    bad = confirmation_message(ConfirmationView("RAAAAAA", "UpdateAccessKey", "iambot", "t", "AccessDenied"))
    assert bad.text.endswith(", which failed (AccessDenied)")
    check_limits(ok)


# ------------------------------------------------------------------------------- replies


def test_reply_and_its_text():
    msg = reply(t("Hello "), t("world", bold=True))
    assert msg.text == "Hello world"
    assert reply(t("shown"), text="the notification").text == "the notification"
    check_limits(msg)


def test_refusals_and_confirmations_mention_only_exact_user_ids():
    for builder, icon in ((refused, "no_entry"), (done, "white_check_mark")):
        msg = builder(f"<@{APPROVER}> may not approve <@{REQUESTER}>'s change, not <!here> or <@bad id>")
        check_limits(msg)
        assert msg.blocks[0]["elements"][0]["elements"][0] == {"type": "emoji", "name": icon}
        assert users(msg) == [APPROVER, REQUESTER]
        assert any("<!here> or <@bad id>" in text for text in rich_texts(msg))
        assert msg.text.startswith(f"<@{APPROVER}> may not approve <@{REQUESTER}>")  # kept as mentions
        assert "&lt;!here&gt;" in msg.text


def test_failures_are_plain():
    """A failure quotes AWS or an exception: nothing in it becomes a mention."""
    msg = failed(f"AWS said: <@{APPROVER}> cannot <!here>")
    check_limits(msg)
    assert users(msg) == []
    assert f"AWS said: <@{APPROVER}> cannot <!here>" in all_rich_text(msg)
    assert "&lt;@" in msg.text and "&lt;!here&gt;" in msg.text


def test_usage_is_plain():
    msg = usage("Usage: /iam mute <event> for <hours>\n  <@U1> is not a mention here")
    assert users(msg) == []
    assert "Usage: /iam mute <event> for <hours>\n  <@U1> is not a mention here" in all_rich_text(msg)
    assert msg.blocks[0]["elements"][0]["elements"][0] == {"type": "emoji", "name": "warning"}


def test_listing_shows_forty_items_then_a_count():
    items = [[t(f"item {i}")] for i in range(45)]
    msg = listing("Recent events", items, footer="Use /iam show <id>")
    check_limits(msg)
    texts = rich_texts(msg)
    assert texts[0] == "Recent events" and texts[-1] == "Use /iam show <id>"
    assert "item 39" in texts and "item 40" not in texts and "…and 5 more" in texts
    assert msg.text == "Recent events"
    empty = listing("Nothing", [])
    assert "—" in rich_texts(empty)


def test_preformatted_keeps_lines_and_clips():
    msg = preformatted("Catalog entry", "line one\nline two\x1b[0m\n" + "x" * 10_000)
    check_limits(msg)
    pre = next(e for e in walk(msg.blocks) if e.get("type") == "rich_text_preformatted")
    body = pre["elements"][0]["text"]
    assert body.startswith("line one\nline two␛[0m\n") and len(body) == RICH_TEXT and body.endswith("…")
