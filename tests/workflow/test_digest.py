"""The digest: numbers for a known set of events, the period since the last scheduled one, and
`/iam digest` (approvers) posting the digest so far without moving the scheduled window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from bot.events import normalize
from bot.slack.messages import digest_message
from bot.slack.render import Renderer
from bot.store import iso
from bot.workflow import Refused
from bot.workflow.digest import CURSOR, compute
from tests.conftest import ALERTS, APPROVER, REQUESTER
from tests.support.records import access_key_event, as_account, load, own_key_event
from tests.support.state import audit_actions

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
OTHERS = (
    "UpdateLoginProfile__authored__1.json",  # high
    "UploadSigningCertificate__authored__1.json",  # critical
    "UpdateAccessKey__authored__2.json",  # info: below min_severity, quiet
    "UpdateAccessKey__authored__3.json",  # low
)


def digests(slack):
    return [p for p in slack.posted() if p["text"].startswith("iambot digest")]


def test_digest_numbers_for_a_known_set_of_events(runtime, slack, aws):
    event, _ = access_key_event(aws.client("iam"))
    others = [normalize(as_account(load(n))) for n in OTHERS]
    runtime.workflow.intake.take([event, *others])
    request = runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    assert runtime.workflow.remediations.approve(request.id, APPROVER).status == "succeeded"
    rid = request.id
    now = datetime.now(UTC)
    d = compute(runtime.store, now - timedelta(hours=1), now + timedelta(minutes=1))
    assert d.total == 5
    # changed on purpose: UpdateAccessKey__authored__1 (an Identity Center session, whose
    # mfaAuthenticated is never "true") no longer counts as "no MFA", so it is high, not critical
    assert d.by_severity == {"critical": 1, "high": 2, "low": 1, "info": 1}
    assert list(d.by_severity) == ["critical", "high", "low", "info"]  # most severe first
    assert dict(d.by_event) == {"UpdateAccessKey": 3, "UpdateLoginProfile": 1, "UploadSigningCertificate": 1}
    assert d.dispositions == {"posted": 4, "quiet": 1}
    assert d.remediations == [
        {
            "id": rid,
            "remediation_id": "deactivate-access-key",
            "requested_by": REQUESTER,
            "approved_by": [APPROVER],
            "status": "succeeded",
            "break_glass": False,
        }
    ]
    assert d.waiting == []
    assert [n["severity"] for n in d.notable] == ["critical", "high", "high"]
    assert d.decision_minutes_median is not None and d.decision_minutes_median < 1
    msg = digest_message(d, Renderer(runtime.workflow.views).link)
    text = json.dumps(msg.blocks)
    assert "5 identity event(s)" in text and "https://slack.com/archives/C0ALERTS/p" in text and rid in text
    assert "1 quiet" in text  # alerts below min_severity are counted in the digest
    quiet = compute(runtime.store, now + timedelta(days=1), now + timedelta(days=2))
    assert quiet.quiet and quiet.total == 0
    assert "quiet" in digest_message(quiet, lambda key: None).text


def test_waiting_requests_are_in_the_digest(runtime, aws):
    event, _ = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    request = runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    now = datetime.now(UTC)
    d = compute(runtime.store, now - timedelta(hours=1), now + timedelta(minutes=1))
    assert [(w["id"], w["remediation_id"]) for w in d.waiting] == [(request.id, "deactivate-access-key")]
    assert d.remediations == [] and d.decision_minutes_median is None


def test_unanswered_questions_are_listed_and_answered_ones_are_not(runtime_for, slack, aws):
    slack.emails["erin@example.com"] = "UERIN0001"
    runtime = runtime_for(confirm_with_actor="medium", people={"arn:aws:iam::123456789012:user/carol": "UCAROL001"})
    iam = aws.client("iam")
    with time_machine.travel(NOW, tick=False):
        erin, _ = access_key_event(iam)
        carol, _ = own_key_event(iam)
        runtime.workflow.intake.take([erin, carol])
        runtime.workflow.questions.yes(runtime.store.questions.for_event(carol.key).id, "UCAROL001", "my new key")
        d = runtime.workflow.digests.scheduled(NOW + timedelta(minutes=1))
    assert [(q["person"], q["key"]) for q in d.unanswered] == [("UERIN0001", erin.key)]
    [posted] = digests(slack)
    shown = json.dumps(posted["blocks"])
    assert "Was this you? (not answered)" in shown and "UERIN0001" in shown and "UCAROL001" not in shown


def test_digest_is_computed_for_the_period_since_the_last_one(runtime, slack, aws):
    event, _ = access_key_event(aws.client("iam"))
    with time_machine.travel(NOW, tick=False):
        runtime.workflow.intake.take([event])
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        first = runtime.workflow.digests.scheduled()
    assert first.total == 1 and first.since == iso(NOW + timedelta(minutes=1) - timedelta(days=1))
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        second = runtime.workflow.digests.scheduled()
    assert second.quiet and second.since == iso(NOW + timedelta(minutes=1))
    assert second.until == iso(NOW + timedelta(days=1))
    texts = [p["text"] for p in digests(slack)]
    assert len(texts) == 2 and "1 identity event(s)" in texts[0] and "quiet" in texts[1]
    assert all(p["channel"] == ALERTS for p in digests(slack))


def test_the_digest_goes_to_its_own_channel_when_set(runtime_for, slack):
    runtime = runtime_for(digest_channel="C0DIGEST")
    runtime.workflow.digests.scheduled()
    assert [p["channel"] for p in digests(slack)] == ["C0DIGEST"]


def test_iam_digest_needs_an_approver(runtime, http, slack):
    http.slash("digest", REQUESTER)
    answer = slack.wait_for(lambda s: s.responses)[0]["text"]
    assert "Only approvers" in answer
    assert digests(slack) == []
    assert ("digest", REQUESTER, "refused") in audit_actions(runtime)
    with pytest.raises(Refused):
        runtime.workflow.digests.now(REQUESTER)


def test_iam_digest_by_an_approver_does_not_move_the_scheduled_window(runtime, http, slack, aws):
    event, _ = access_key_event(aws.client("iam"))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)  # /iam digest runs in real time
    with time_machine.travel(start, tick=False):
        runtime.workflow.digests.scheduled()  # the last scheduled digest
        runtime.workflow.intake.take([event])
    assert runtime.store.cursors.get(CURSOR) == iso(start)

    http.slash("digest", APPROVER)  # an approver asks for the digest so far
    answer = slack.wait_for(lambda s: [r for r in s.responses if "Posted the digest" in r["text"]])[0]["text"]
    assert "1 identity event(s)" in answer and f"since {iso(start)}" in answer
    asked = slack.wait_for(lambda s: digests(s)[1:])[0]
    assert "1 identity event(s)" in asked["text"]
    assert runtime.store.cursors.get(CURSOR) == iso(start)  # the scheduled window has not moved
    assert ("digest", APPROVER, "ok") in audit_actions(runtime)

    later = datetime.now(UTC) + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        scheduled = runtime.workflow.digests.scheduled()
    assert scheduled.since == iso(start) and scheduled.total == 1  # still covers the whole period
    assert runtime.store.cursors.get(CURSOR) == iso(later)
    assert len(digests(slack)) == 3


# ------------------------------------------------------------------ the table and the chart, through the fake


def test_counts_by_account_and_by_day(runtime_for, aws):
    runtime = runtime_for(account_names={"123456789012": "sandbox"})
    event, _ = access_key_event(aws.client("iam"))
    with time_machine.travel(NOW, tick=False):
        runtime.workflow.intake.take([event, normalize(as_account(load(OTHERS[0]), "444455556666"))])
    d = compute(runtime.store, NOW - timedelta(days=1), NOW + timedelta(minutes=1), {"123456789012": "sandbox"})
    assert d.by_account == [("123456789012 (sandbox)", 1), ("444455556666", 1)]
    assert d.by_day == {"2026-11-21": {}, "2026-11-22": {"high": 2}}
    assert d.decisions == 0


def scheduled_with_events(runtime, aws, before_the_digest=lambda: None):
    event, _ = access_key_event(aws.client("iam"))
    with time_machine.travel(NOW, tick=False):
        runtime.workflow.intake.take([event, *(normalize(as_account(load(n))) for n in OTHERS)])
    before_the_digest()
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        return runtime.workflow.digests.scheduled()


def test_the_scheduled_digest_posts_its_table_and_its_chart_in_its_thread(runtime, slack, aws):
    d = scheduled_with_events(runtime, aws)
    [posted] = digests(slack)
    [table] = [b for b in json.loads(json.dumps(posted["blocks"])) if b["type"] == "table"]
    assert ["severity", "critical", "1"] in [[c["text"] for c in row] for row in table["rows"]]
    [upload] = slack.uploaded()
    assert [c.method for c in slack.calls if c.method.startswith(("files.", "upload"))] == [
        "files.getUploadURLExternal", "upload", "files.completeUploadExternal"
    ]
    assert upload["channel_id"] == ALERTS and upload["filename"] == "iambot-digest-2026-11-22-1201.png"
    digest_ts = runtime.store.outbox.get(f"digest:{d.until}").ts
    assert upload["thread_ts"] == digest_ts  # a reply in the digest's thread
    assert upload["content"][:8] == b"\x89PNG\r\n\x1a\n" and upload["length"] == len(upload["content"])
    assert int.from_bytes(upload["content"][16:20], "big") == 1000  # the PNG's width
    assert "5 alert(s)" in upload["alt_txt"] and upload["initial_comment"].startswith("The digest's chart")
    chart_row = runtime.store.outbox.get(f"digest:{d.until}:chart")
    assert chart_row.ts == upload["id"]
    assert chart_row.data["by_day"] == {"2026-11-21": {}, "2026-11-22": d.by_day["2026-11-22"]}
    assert sum(chart_row.data["by_day"]["2026-11-22"].values()) == d.total == 5  # the period's counts
    assert runtime.poster.flush().posted == 0 and len(slack.uploaded()) == 1  # once


def digest_calls(slack):
    return [c for c in slack.of("chat.postMessage", ok_only=False) if c.params["text"].startswith("iambot digest")]


def test_a_workspace_that_refuses_tables_gets_the_rich_text_form_from_then_on(runtime, slack, aws):
    slack.tables = False  # this workspace refuses table blocks
    scheduled_with_events(runtime, aws)
    refused, posted = digest_calls(slack)
    assert "table" in json.dumps(refused.params["blocks"])
    assert "table" not in [b["type"] for b in posted.params["blocks"]]
    assert "By event: UpdateAccessKey ×3" in json.dumps(posted.params["blocks"], ensure_ascii=False)
    assert len(digests(slack)) == 2  # the refused one, then the one Slack took: the digest is not lost
    assert runtime.store.cursors.get("slack:refused:table") == "invalid_blocks"  # remembered in the store
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        runtime.workflow.intake.take([normalize(as_account(load("CreateUser__panther__1.json")))])
        runtime.workflow.digests.scheduled()
    *_, second = digest_calls(slack)
    assert second.status == 200 and "table" not in [b["type"] for b in second.params["blocks"]]  # straight away


def test_the_digest_does_not_wait_for_its_chart(runtime, slack, aws):
    slack.fail_next("files.getUploadURLExternal", status=500)
    d = scheduled_with_events(runtime, aws)
    assert len(digests(slack)) == 1 and slack.uploaded() == []  # the digest reads without the image
    kept = runtime.store.outbox.get(f"digest:{d.until}:chart")
    assert kept.ts is None and kept.last_error == "internal_error"
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=1)):
        assert runtime.poster.flush().posted == 1
    assert len(slack.uploaded()) == 1 and len(digests(slack)) == 1


def test_an_upload_interrupted_by_a_crash_is_found_not_repeated(runtime, slack, aws):
    d = scheduled_with_events(runtime, aws)
    [upload] = slack.uploaded()
    chart_id = f"digest:{d.until}:chart"
    # the process died after Slack took the file, before the row was marked sent
    runtime.store.db.execute("UPDATE messages SET ts = NULL, due = 1, attempts = 1 WHERE id = ?", (chart_id,))
    assert runtime.poster.flush().posted == 1
    assert len(slack.uploaded()) == 1 and runtime.store.outbox.get(chart_id).ts == upload["id"]
    assert slack.of("files.getUploadURLExternal") and len(slack.of("files.getUploadURLExternal")) == 1


def test_an_upload_slack_will_never_take_is_given_up(runtime, slack, aws):
    slack.fail_next("files.getUploadURLExternal", status=200, error="missing_scope")  # no files:write
    d = scheduled_with_events(runtime, aws)
    assert len(digests(slack)) == 1 and slack.uploaded() == []
    row = runtime.store.outbox.get(f"digest:{d.until}:chart")
    assert row.ts == "-"  # given up: not retried every few minutes forever
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1)):
        runtime.poster.flush()
    assert len(slack.of("files.getUploadURLExternal", ok_only=False)) == 1


def test_no_chart_without_digest_chart(runtime_for, slack, aws):
    runtime = runtime_for(digest_chart=False)
    d = scheduled_with_events(runtime, aws)
    assert len(digests(slack)) == 1 and slack.uploaded() == [] and slack.of("files.getUploadURLExternal") == []
    assert runtime.store.outbox.get(f"digest:{d.until}:chart") is None


def test_no_chart_for_a_period_without_events(runtime, slack, aws):
    event, _ = access_key_event(aws.client("iam"))
    with time_machine.travel(NOW, tick=False):
        runtime.workflow.intake.take([event])
        runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        runtime.workflow.digests.scheduled()  # the event's digest, with its chart
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        d = runtime.workflow.digests.scheduled()  # a request waits, nothing was taken in
    assert d.total == 0 and d.waiting and not d.quiet
    assert "Waiting for approval" in json.dumps(digests(slack)[-1]["blocks"])
    assert runtime.store.outbox.get(f"digest:{d.until}:chart") is None and len(slack.uploaded()) == 1


def test_a_refused_digest_whose_fallback_fails_too_is_kept_and_sent_later(runtime, slack, aws):
    def refuse_then_fail():
        slack.fail_next("chat.postMessage", status=200, error="invalid_blocks")  # the table is refused
        slack.fail_next("chat.postMessage", status=500)  # then Slack is down for the fallback

    d = scheduled_with_events(runtime, aws, refuse_then_fail)
    assert [c.status for c in digest_calls(slack)] == [200, 500]  # refused (ok: false), then down
    assert runtime.store.outbox.get(f"digest:{d.until}").ts is None  # kept
    assert runtime.store.cursors.get("slack:refused:table") == "invalid_blocks"
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=1)):
        runtime.poster.flush()
    *_, posted = digest_calls(slack)
    assert posted.status == 200 and "table" not in json.dumps(posted.params["blocks"])  # rich text at once
    assert len(digest_calls(slack)) == 3 and runtime.store.outbox.get(f"digest:{d.until}").ts
    assert len(slack.uploaded()) == 1  # its chart followed
