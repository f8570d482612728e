"""The /iam reports' use cases (bot/workflow/reports.py): the audit log newest first, and who can sign
in to the console without MFA — asked only by requesters and approvers, every run and refusal
audited — the latest events, one event as judged when taken in, rejections and waiting requests."""

from __future__ import annotations

import pytest

from bot.events import Rejected, normalize
from bot.workflow import Refused
from tests.conftest import APPROVER, REQUESTER, STRANGER
from tests.support.records import access_key_event, as_account, load
from tests.support.state import audit_actions


def test_the_audit_log_newest_first_and_bounded(runtime):
    for n in range(3):
        runtime.store.audit.add("report", f"U0PERSON{n}", detail=f"entry {n}")
    entries = runtime.workflow.reports.audit(2)
    assert [(e.user, e.action, e.result, e.detail) for e in entries] == [
        ("U0PERSON2", "report", "ok", "entry 2"),
        ("U0PERSON1", "report", "ok", "entry 1"),
    ]
    assert len(runtime.workflow.reports.audit(10_000)) == 3 and len(runtime.workflow.reports.audit(-5)) == 1


def test_the_mfa_report_names_console_users_without_mfa_and_is_audited(runtime, aws):
    iam = aws.client("iam")
    for name in ("zed", "amy", "nopass"):
        iam.create_user(UserName=name)
    for name in ("zed", "amy"):
        iam.create_login_profile(UserName=name, Password="Correct-Horse-9-Battery")
    report = runtime.workflow.reports.mfa(REQUESTER)
    assert [u.user for u in report.users] == ["amy", "zed"]  # by name; nopass has no console password
    assert report.root_without_mfa is True and report.account_id is None  # moto's root has no MFA
    assert ("report", REQUESTER, "ok") in audit_actions(runtime)
    assert runtime.store.audit.recent(1)[0]["detail"] == "mfa: 2 console user(s) without MFA"


def test_only_requesters_and_approvers_may_run_it_and_a_refusal_is_audited(runtime_for, aws):
    runtime = runtime_for(requesters=[REQUESTER])
    with pytest.raises(Refused, match="Only requesters and approvers"):
        runtime.workflow.reports.mfa(STRANGER)
    assert audit_actions(runtime) == [("report", STRANGER, "refused")]
    assert runtime.workflow.reports.mfa(APPROVER).users == ()


@pytest.mark.parametrize("account", ["12345", "12345678901x", "１２３４５６７８９０１２", ""])
def test_an_account_that_is_not_twelve_digits_is_refused_before_anything_is_read(runtime, account):
    with pytest.raises(Refused, match="12-digit"):
        runtime.workflow.reports.mfa(REQUESTER, account)
    assert audit_actions(runtime) == []


def test_an_event_is_shown_as_it_was_judged_when_taken_in(runtime_for):
    first = runtime_for()
    event = normalize(as_account(load("UpdateAccessKey__authored__1.json")))
    [taken] = first.workflow.intake.take([event]).taken
    later = runtime_for(automation_arns=[event.actor.arn or "*"])  # would judge it lower today
    [shown] = later.workflow.reports.event(event.event_id)
    assert (shown.severity, shown.risk.reasons) == (taken.alert.severity, taken.alert.risk.reasons)
    assert later.workflow.reports.event(event.key)[0].event.key == event.key  # by its key too
    assert later.workflow.reports.event("no-such-id") == ()
    assert [e.key for e in later.workflow.reports.events(10)] == [event.key]


def test_rejections_and_waiting_requests(runtime, aws):
    runtime.store.rejected.add([Rejected("s3://trail/k.json.gz:7", "not JSON", "{")], source="files")
    assert [(r.source, r.where, r.reason) for r in runtime.workflow.reports.rejected(5)] == [
        ("files", "s3://trail/k.json.gz:7", "not JSON")
    ]
    assert runtime.workflow.reports.waiting() == []
    event, _key = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    request = runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    assert [r.id for r in runtime.workflow.reports.waiting()] == [request.id]
