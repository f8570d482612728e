"""Every message iambot sends, built from views: the alert, the approval request, the digest, the
thread notices and the replies. Event text sits in rich-text elements, shown literally by Slack;
every message stays within Slack's limits whatever the record holds."""

from __future__ import annotations

import json

import pytest
from slack_sdk.models.blocks import Block

from bot.assess import Assessor
from bot.catalog import load as load_catalog
from bot.events import ReadStats, normalize, read_file
from bot.events.readers import iter_files
from bot.slack.messages import (
    alert_message,
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
    ACTION_ELEMENTS,
    BUTTON_TEXT,
    BUTTON_VALUE,
    CONTEXT_ELEMENTS,
    HEADER_TEXT,
    MAX_BLOCKS,
    MESSAGE_TEXT,
    RICH_TEXT,
    SECTION_TEXT,
)
from bot.slack.text import clean
from bot.store import Request
from bot.workflow import AlertView, Digest, RequestView
from bot.workflow.views import BurstView, ConfirmationView, RepeatsView
from remediations import registry
from tests.conftest import APPROVER, APPROVER2, REQUESTER
from tests.support.records import FIXTURES, access_key_event, load

TITLES = registry.titles()
DESTRUCTIVE = frozenset(rid for rid, cls in registry.REMEDIATIONS.items() if cls.destructive)
HOSTILE = (
    "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \x1b[31mred\x1b[0m \u202eevil\u202c "
    "zero\u200bwidth\u200d\ufeff *bold* _x_ ~y~ `code` <!channel> <@U0EVIL1> &amp; <https://evil.example|x>"
)
HIDDEN = ("\x1b", "\x07", "\u202e", "\u202c", "\u200b", "\u200d", "\ufeff")
LITERAL = ("*bold* _x_ ~y~ `code` <!channel> <@U0EVIL1> &amp; <https://evil.example|x>",)


# ------------------------------------------------------------------------------- helpers


def walk(node):
    """Every dict inside a message's blocks, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def rich_texts(message):
    """The text of every rich-text "text" element, in order."""
    return [
        e["text"]
        for b in message.blocks
        if b["type"] == "rich_text"
        for e in walk(b)
        if e.get("type") == "text" and "text" in e
    ]


def all_rich_text(message):
    return "".join(rich_texts(message))


def mrkdwn_objects(message):
    return [e["text"] for e in walk(message.blocks) if e.get("type") == "mrkdwn"]


def element_types(message):
    return [e["type"] for b in message.blocks if b["type"] == "rich_text" for e in walk(b) if "type" in e]


def users(message):
    return [e["user_id"] for e in walk(message.blocks) if e.get("type") == "user"]


def buttons(message):
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def check_limits(message):
    blocks = message.blocks
    assert 0 < len(blocks) <= MAX_BLOCKS
    assert message.text and len(message.text) <= MESSAGE_TEXT
    for b in blocks:
        assert Block.parse(b).to_dict() == b  # well formed, as Slack's own models read it
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= HEADER_TEXT
        if b["type"] == "section":
            if "text" in b:
                assert len(b["text"]["text"]) <= SECTION_TEXT
            assert len(b.get("fields", [])) <= 10
        if b["type"] == "context":
            assert len(b["elements"]) <= CONTEXT_ELEMENTS
            assert all(len(e["text"]) <= 2000 for e in b["elements"])
        if b["type"] == "actions":
            assert len(b["elements"]) <= ACTION_ELEMENTS
            ids = [e["action_id"] for e in b["elements"]]
            assert len(set(ids)) == len(ids)
            for e in b["elements"]:
                assert len(e["text"]["text"]) <= BUTTON_TEXT and len(e["value"]) <= BUTTON_VALUE
    assert all(len(text) <= RICH_TEXT for text in rich_texts(message))
    assert len(json.dumps(blocks)) < 40_000


def view_of(alert, status="open", requests=(), dismissed_by=None):
    return AlertView(alert, status, tuple(requests), TITLES, dismissed_by)


def alert_of(name_or_record, assessor=None):
    record = load(name_or_record) if isinstance(name_or_record, str) else name_or_record
    return (assessor or Assessor())(normalize(record))


def request(rid="RAAAAAA", status="requested", **changes):
    values = dict(
        id=rid,
        remediation_id="deactivate-access-key",
        params={"user_name": "legacy-etl", "access_key_id": "AKIAEXAMPLELEGACY001"},
        event_key="k1",
        account_id="111122223333",
        status=status,
        requested_by=REQUESTER,
        requested_at="2026-11-20T12:00:00Z",
        expires_at="2026-11-21T12:00:00Z",
        approvals_needed=1,
        plan=["Would set access key AKIAEXAMPLELEGACY001 of user legacy-etl to Inactive"],
        expected={},
        approvals=(),
    )
    values.update(changes)
    return Request(**values)


# ------------------------------------------------------------------------------- alerts


def test_every_fixture_renders_within_slack_limits(assessor):
    stats = ReadStats()
    selection = load_catalog().selection()
    count = 0
    for path in iter_files([FIXTURES]):
        for item in read_file(path, stats, selection):
            alert = assessor(item)
            for view in (view_of(alert), view_of(alert, "dismissed", dismissed_by=APPROVER)):
                message = alert_message(view, DESTRUCTIVE)
                check_limits(message)
                assert message.text.startswith(f"[{alert.severity.upper()}")
            count += 1
    assert count == stats.kept > 150


def test_alert_layout_and_buttons(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    msg = alert_message(view_of(alert), frozenset({"delete-access-key"}))
    # changed on purpose: high, not critical (an SSO session's mfaAuthenticated false is not "no MFA")
    header = {"type": "plain_text", "text": "HIGH · Access key status changed", "emoji": False}
    assert msg.blocks[0] == {"type": "header", "text": header}
    summary = msg.blocks[1]["elements"][0]["elements"]
    assert summary[0] == {"type": "emoji", "name": "large_orange_circle"}
    assert summary[2] == {"type": "text", "text": "erin@example.com re-activated access key AKIA…Y001 of user "
                                                  "legacy-etl", "style": {"bold": True}}
    facts = msg.blocks[2]["elements"][0]["elements"]
    labels = [e["text"] for e in facts if e.get("style") == {"bold": True}]
    assert labels == ["Account", "Actor", "Target", "When", "Where", "User agent"]  # "Source IP" is now "Where"
    text = all_rich_text(msg)
    assert "user: legacy-etl\naccess key id: AKIAEXAMPLELEGACY001" in text
    assert "2026-11-20 10:02:11 UTC" in text
    assert "What happened" in text and "Why it matters" in text and "Risk: low → high" in text
    actions = msg.blocks[-1]
    assert [e["action_id"] for e in actions["elements"]] == [
        "request:deactivate-access-key",
        "request:delete-access-key",
        "request:quarantine-user",
        "dismiss",
    ]
    assert {e["value"] for e in actions["elements"]} == {alert.event.key}
    delete = actions["elements"][1]
    assert delete["style"] == "danger" and delete["confirm"]["title"]["text"] == "Request this fix?"
    assert "confirm" not in actions["elements"][0]
    assert msg.text == "[HIGH] erin@example.com re-activated access key AKIA…Y001 of user legacy-etl"
    context = msg.blocks[-2]
    assert context["type"] == "context"
    assert [e["text"] for e in context["elements"][:2]] == ["iam:UpdateAccessKey", f"event {alert.event.event_id}"]
    docs = "<https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html|AWS docs>"
    assert context["elements"][-1] == {"type": "mrkdwn", "text": docs}
    assert "<https://attack.mitre.org/techniques/T1098/001/|T1098.001>" in context["elements"][-2]["text"]


def test_failed_call_is_an_attempt_with_its_error(assessor):
    alert = alert_of("UpdateAccessKey__authored__3.json", assessor)
    msg = alert_message(view_of(alert))
    assert msg.blocks[0]["text"]["text"] == "LOW (attempt) · Access key status changed"
    assert msg.text.startswith("[LOW (attempt)] mallory-dev tried to")
    assert "Error" in rich_texts(msg) and alert.event.error_message in rich_texts(msg)
    assert [e["action_id"] for e in buttons(msg)] == ["dismiss"]  # nothing to undo


def test_layout_line_breaks_are_line_breaks(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    assert alert.event.user_agent and "\n" not in alert.event.user_agent
    assert "⏎" not in all_rich_text(alert_message(view_of(alert)))
    assert "⏎" not in all_rich_text(request_message(RequestView(request(), "Deactivate", False, None)))


def test_closed_alert_has_no_buttons_and_says_what_happened(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    succeeded = request(status="succeeded", approvals=(APPROVER,), outcome=("Set access key AKIA… to Inactive",))
    msg = alert_message(view_of(alert, "remediated", [succeeded]))
    assert all(b["type"] != "actions" for b in msg.blocks)
    line = next(b for b in msg.blocks if b["type"] == "rich_text" and "RAAAAAA" in json.dumps(b))
    parts = line["elements"][0]["elements"]
    assert parts[0] == {"type": "emoji", "name": "white_check_mark"}
    assert parts[1]["text"] == " Done · " and parts[2] == {"type": "text", "text": "Deactivate the access key",
                                                           "style": {"bold": True}}
    # people are mention elements, built by iambot: Slack shows their names, and nothing else can ping
    assert users(msg) == [REQUESTER, APPROVER]
    assert parts[-1]["text"] == ": Set access key AKIA… to Inactive"


def test_dismissed_alert_names_who_dismissed_it(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    msg = alert_message(view_of(alert, "dismissed", dismissed_by=APPROVER))
    assert not buttons(msg)
    assert " Dismissed as expected by " in rich_texts(msg)
    assert users(msg) == [APPROVER]


def test_requested_alert_keeps_its_buttons_and_lists_requests(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    denied = request("RBBBBBB", "denied", decided_by=APPROVER2)
    msg = alert_message(view_of(alert, "requested", [request(), denied]))
    assert [e["action_id"] for e in buttons(msg)][-1] == "dismiss"
    text = all_rich_text(msg)
    assert " Waiting for approval · " in text and " Denied · " in text and ", denied by " in text
    assert users(msg) == [REQUESTER, REQUESTER, APPROVER2]


def test_iambots_own_change_has_no_buttons():
    from bot.assess import RiskContext

    ctx = RiskContext(("arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*",))
    alert = alert_of("UpdateAccessKey__authored__1.json", Assessor(context=ctx))
    msg = alert_message(view_of(alert))
    assert msg.blocks[0]["text"]["text"].startswith("INFO · ")
    assert not buttons(msg)


def hostile_record():
    record = load("UpdateLoginProfile__authored__1.json")
    record["requestParameters"]["userName"] = HOSTILE
    record["userIdentity"]["userName"] = HOSTILE
    record["userAgent"] = HOSTILE
    return record


def assert_shown_literally(msg, where):
    texts = rich_texts(msg)
    cleaned = clean(HOSTILE)
    assert any(cleaned in text for text in texts), where  # every character kept, hidden ones made visible
    assert "␛]8;;https://evil.example␇click␛]8;;␇" in cleaned and "⟨U+202E⟩evil⟨U+202C⟩" in cleaned
    assert "zero⟨U+200B⟩width⟨U+200D⟩⟨U+FEFF⟩" in cleaned
    dumped = json.dumps(msg.blocks, ensure_ascii=False) + msg.text
    assert not [c for c in HIDDEN if c in dumped], where
    for literal in LITERAL:
        assert any(literal in text for text in texts), where
        assert all(literal not in m for m in mrkdwn_objects(msg)), where  # never where Slack reads markup
    assert "U0EVIL1" not in users(msg), where  # no mention, no link, no broadcast made of it
    assert not {"link", "broadcast", "channel", "usergroup"} & set(element_types(msg)) - ({"link"} if where == "digest"
                                                                                        else set()), where
    assert "<!channel>" not in msg.text and "<@U0EVIL1>" not in msg.text and "<https://evil" not in msg.text
    assert "&lt;!channel&gt;" in msg.text or where in ("request", "digest")


def test_hostile_event_text_is_shown_literally_in_the_alert(assessor):
    alert = alert_of(hostile_record(), assessor)
    assert alert.event.actor.name == HOSTILE and alert.targets["user"] == HOSTILE
    msg = alert_message(view_of(alert))
    assert_shown_literally(msg, "alert")
    assert "&amp;amp;" in msg.text  # the notification text is escaped mrkdwn
    check_limits(msg)


def test_hostile_error_message_is_shown_literally(assessor):
    record = dict(hostile_record(), errorCode="AccessDenied", errorMessage=HOSTILE)
    msg = alert_message(view_of(alert_of(record, assessor)))
    assert clean(HOSTILE, multiline=True) in rich_texts(msg)
    assert_shown_literally(msg, "alert")


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


def test_many_requests_stay_within_limits(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    many = [request(f"R{i:06d}", "denied", decided_by=APPROVER, outcome=("x" * 3000,)) for i in range(60)]
    msg = alert_message(view_of(alert, "requested", many))
    check_limits(msg)
    assert sum("R0000" in json.dumps(b) for b in msg.blocks) <= 10  # the last ten are shown


def test_alert_from_the_runtimes_own_view(runtime, aws):
    """The view the Slack layer renders from, made by the workflow from the store."""
    event, key = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    view = runtime.workflow.views.alert_view(event.key)
    msg = alert_message(view)
    check_limits(msg)
    assert "request:deactivate-access-key" in [e["action_id"] for e in buttons(msg)]
    assert f"access key id: {key}" in all_rich_text(msg)


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
    msg = digest_message(digest, lambda key: f"https://slack.example/archives/C0ALERTS/p{key}" if key == "k0" else None)
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
