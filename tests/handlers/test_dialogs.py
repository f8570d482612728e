"""Deny and Dismiss ask why, through a dialog, driven through the real Bolt app: the reason is
required to dismiss a high or critical alert, is audited and shown on the message; a dismissal
can mute alerts like it, and every mute is announced in the channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.events import normalize
from tests.conftest import ALERTS, APPROVER, APPROVER2, REQUESTER, STRANGER
from tests.support.harness import ticked, typed
from tests.support.records import access_key_event, as_account, key_status, load
from tests.support.state import audit_actions, buttons, pending, request_row, request_status, shown


def dialog(http, slack, action, value, user):
    """Click ``action`` and return the dialog iambot opened with the click's trigger."""
    before = len(slack.views)
    assert http.click(action, value, user)[0] == 200
    method, view = slack.wait_for(lambda s: len(s.views) > before and s.views[-1])
    assert method == "views.open" and view["type"] == "modal"
    return view


def told_after(slack, before):
    """The next private answer in the channel (a dialog has no response_url)."""
    return slack.wait_for(lambda s: s.of("chat.postEphemeral")[before:])[0].params


def alert(runtime, aws, slack):
    event, key = access_key_event(aws.client("iam"))  # a high alert
    runtime.workflow.intake.take([event])
    slack.wait_for(lambda s: s.posted(ALERTS))
    return event, key


def test_a_high_alert_is_dismissed_only_with_a_reason_shown_on_it_and_audited(runtime, http, slack, aws):
    event, _ = alert(runtime, aws, slack)
    view = dialog(http, slack, "dismiss", event.key, APPROVER)
    assert view["callback_id"] == "dismiss-reason"
    status, body = http.submit(view, APPROVER, typed("   "))
    assert status == 200 and json.loads(body) == {
        "response_action": "errors",
        "errors": {"reason": "Say why: high and critical alerts need a reason."},
    }
    assert runtime.store.alerts.get(event.key).status == "open"
    assert http.submit(view, APPROVER, typed("planned rotation, SEC-42"))[0] == 200
    slack.wait_for(lambda s: runtime.store.alerts.get(event.key).status == "dismissed" and pending(runtime) == 0)
    message = json.dumps(shown(slack, runtime, f"alert:{event.key}")["blocks"])
    assert "Dismissed as expected by " in message and "planned rotation, SEC-42" in message
    assert buttons(shown(slack, runtime, f"alert:{event.key}")) == ["details"]
    row = runtime.store.db.one("SELECT user_id, detail FROM audit WHERE action = 'dismiss' AND result = 'ok'")
    assert row == {"user_id": APPROVER, "detail": "planned rotation, SEC-42"}


def test_a_low_alert_may_be_dismissed_without_a_reason(runtime, http, slack):
    low = normalize(as_account(load("UpdateAccessKey__authored__3.json")))
    runtime.workflow.intake.take([low])
    view = dialog(http, slack, "dismiss", low.key, APPROVER)
    _status, body = http.submit(view, APPROVER, ticked())  # but a mute always needs one
    assert json.loads(body)["errors"] == {"mute": "A mute needs a reason: say why above."}
    assert http.submit(view, APPROVER)[0] == 200
    slack.wait_for(lambda s: runtime.store.alerts.get(low.key).status == "dismissed")


def test_who_may_not_dismiss_is_told_privately_and_audited(runtime_for, http_for, slack, aws):
    slack.emails["erin@example.com"] = APPROVER2  # erin made the change
    runtime = runtime_for()
    http = http_for(runtime)
    event, _ = alert(runtime, aws, slack)
    for user, refusal in ((STRANGER, "Only approvers"), (APPROVER2, "You made this change")):
        view = dialog(http, slack, "dismiss", event.key, user)
        before = len(slack.of("chat.postEphemeral"))
        http.submit(view, user, typed("looks fine"))
        told = told_after(slack, before)
        assert refusal in told["text"] and (told["channel"], told["user"]) == (ALERTS, user)
    assert runtime.store.alerts.get(event.key).status == "open"
    view = dialog(http, slack, "dismiss", event.key, APPROVER)
    http.submit(view, APPROVER, typed("expected"))
    slack.wait_for(lambda s: runtime.store.alerts.get(event.key).status == "dismissed")
    before = len(slack.of("chat.postEphemeral"))
    http.submit(view, APPROVER, typed("again"))  # the same dialog submitted twice: closed stays closed
    assert f"dismissed as expected by <@{APPROVER}>" in told_after(slack, before)["text"]
    assert [a for a in audit_actions(runtime) if a[0] == "dismiss"] == [
        ("dismiss", STRANGER, "refused"),
        ("dismiss", APPROVER2, "refused"),
        ("dismiss", APPROVER, "ok"),
        ("dismiss", APPROVER, "refused"),
    ]


def test_dismissing_can_mute_alerts_like_it_and_the_mute_is_announced(runtime, http, slack, aws):
    event, _ = alert(runtime, aws, slack)
    view = dialog(http, slack, "dismiss", event.key, APPROVER)
    _status, body = http.submit(view, APPROVER, ticked())  # no reason: refused in the dialog at once
    assert json.loads(body)["errors"] == {"reason": "Say why: high and critical alerts need a reason."}
    before = len(slack.of("chat.postEphemeral"))
    http.submit(view, APPROVER, {**typed("ETL key rotation this week"), **ticked()})
    assert "muted for 24 h" in told_after(slack, before)["text"]
    [muted] = runtime.workflow.suppressions.active()
    assert (muted.event_name, muted.actor, muted.account_id) == (
        "UpdateAccessKey",
        event.actor.arn,
        event.account_id,
    )
    assert muted.reason == "ETL key rotation this week" and muted.created_by == APPROVER
    notice = slack.wait_for(lambda s: [p for p in s.posted(ALERTS) if muted.id in (p.get("text") or "")])[0]
    assert "ETL key rotation this week" in json.dumps(notice["blocks"]) and f"/iam unmute {muted.id}" in json.dumps(
        notice["blocks"]
    )
    # the next event like it (another target, the same event, actor and account) is stored, not posted
    raw = {**event.raw, "eventID": "0e1a7c52-0000-4000-8000-00000000beef"}
    raw["requestParameters"] = {**raw["requestParameters"], "userName": "another-user"}
    [taken] = runtime.workflow.intake.take([normalize(raw)]).taken
    assert taken.disposition == "suppressed"


def test_a_mute_from_the_command_is_announced_too(runtime, http, slack):
    http.slash('mute event=CreateUser for=2h reason="onboarding week"', APPROVER)
    notice = slack.wait_for(lambda s: [p for p in s.posted(ALERTS) if "onboarding week" in (p.get("text") or "")])
    assert "event=CreateUser" in json.dumps(notice[0]["blocks"])


def test_deny_asks_why_and_the_reason_is_on_the_request(runtime, http, slack, aws):
    iam = aws.client("iam")
    event, key = access_key_event(iam)
    runtime.workflow.intake.take([event])
    http.click("request:deactivate-access-key", event.key, REQUESTER)
    rid = slack.wait_for(lambda s: request_row(runtime))["id"]
    view = dialog(http, slack, "deny", rid, APPROVER)
    assert view["callback_id"] == "deny-reason" and rid in json.dumps(view["blocks"])
    http.submit(view, APPROVER, typed("the key is needed for the nightly ETL"))
    slack.wait_for(lambda s: request_status(runtime) == "denied" and pending(runtime) == 0)
    assert "the key is needed for the nightly ETL" in json.dumps(shown(slack, runtime, f"approval:{rid}")["blocks"])
    assert key_status(iam, key) == "Active"
    before = len(slack.of("chat.postEphemeral"))
    http.submit(view, APPROVER2, typed("me too"))  # a finished request stays as it is
    assert "denied" in told_after(slack, before)["text"]


def test_approving_a_destructive_request_asks_for_the_code_in_a_dialog(runtime_for, http_for, slack, aws):
    import pyotp
    import time_machine

    from tests.conftest import TEST_SECRET_KEY

    at = datetime(2026, 12, 7, 9, 0, 15, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        runtime = runtime_for(step_up="destructive", secret_key=TEST_SECRET_KEY, destructive_approvals_required=1)
        http = http_for(runtime)
        iam = aws.client("iam")
        event, key = access_key_event(iam)
        runtime.workflow.intake.take([event])
        rid = runtime.workflow.remediations.ask_from_alert("delete-access-key", event.key, REQUESTER).id
        http.click("approve", rid, APPROVER)  # not enrolled yet: told how, and no dialog
        slack.wait_for(lambda s: [r for r in s.responses if "/iam mfa-enroll" in r["text"]])
        assert not slack.views
        secret = runtime.workflow.remediations.stepup.enrol(APPROVER).secret
        view = dialog(http, slack, "approve", rid, APPROVER)
        assert view["callback_id"] == "approve-code" and rid in json.dumps(view["blocks"])
        _status, body = http.submit(view, APPROVER, {"code": {"code-input": {"value": "12ab"}}})
        assert json.loads(body)["errors"] == {"code": "The 6 digits your authenticator app shows now."}
        assert request_status(runtime) == "requested"
        http.submit(view, APPROVER, {"code": {"code-input": {"value": pyotp.TOTP(secret).at(at)}}})
        slack.wait_for(lambda s: request_status(runtime) == "succeeded")
        assert key not in [k["AccessKeyId"] for k in iam.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"]]
        before = len(slack.of("chat.postEphemeral"))
        http.submit(view, APPROVER, {"code": {"code-input": {"value": pyotp.TOTP(secret).at(at)}}})  # submitted again
        assert "It can no longer be decided" in told_after(slack, before)["text"]


def test_break_glass_opens_a_dialog_that_needs_a_reason(runtime_for, http_for, slack, aws):
    runtime = runtime_for(break_glass=True)
    http = http_for(runtime)
    iam = aws.client("iam")
    event, key = access_key_event(iam)
    runtime.workflow.intake.take([event])
    rid = runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, APPROVER).id
    view = dialog(http, slack, "approve", rid, APPROVER)  # the approver asked for it themselves
    assert view["callback_id"] == "break-glass" and "code" not in {b.get("block_id") for b in view["blocks"]}
    _status, body = http.submit(view, APPROVER)
    assert json.loads(body)["errors"] == {"reason": "Say why: a break-glass approval needs a reason."}
    assert request_status(runtime) == "requested"
    _status, body = http.submit(view, APPROVER, typed("my code is 123456"))  # typed in the wrong field
    assert json.loads(body)["errors"] == {"reason": "That looks like a code from your authenticator: say why in words."}
    assert request_status(runtime) == "requested"
    http.submit(view, APPROVER, typed("the key is leaking, INC-7"))
    slack.wait_for(lambda s: request_status(runtime) == "succeeded")
    assert key_status(iam, key) == "Inactive"
    assert ("break-glass", APPROVER, "ok") in audit_actions(runtime)
