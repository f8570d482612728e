"""What a message shows is what was judged when its event was taken in: a later render, with
other settings or more history, changes the status around the alert, never its judgement."""

from __future__ import annotations

from datetime import timedelta

from bot.events import normalize
from bot.store import now
from tests.conftest import APPROVER, APPROVER2, REQUESTER
from tests.support.records import as_account, load
from tests.support.store import add_alert, alert_of


def test_a_later_render_keeps_the_judgement_made_at_intake(runtime_for):
    first = runtime_for()
    event = normalize(as_account(load("UpdateAccessKey__authored__1.json")))
    [taken] = first.workflow.intake.take([event]).taken
    # the same database, read by a replica configured since to treat this actor as automation
    later = runtime_for(automation_arns=[event.actor.arn or "*"])
    fresh = later.workflow.views.assess(later.store.events.get(event.key))
    assert fresh is not None and fresh.severity != taken.alert.severity  # judged now, it would differ
    view = later.workflow.views.alert_view(event.key)
    assert view is not None
    assert (view.alert.severity, view.alert.risk.reasons) == (taken.alert.severity, taken.alert.risk.reasons)
    assert view.alert.summary == taken.alert.summary


PROD, OTHER = "111122223333", "444455556666"
NOTE = "PRODUCTION — management account"


def _alert_in(store, account, n):
    record = as_account(load("UpdateAccessKey__authored__1.json"), account)
    alert = alert_of({**record, "eventID": f"evt-note-{n}"})
    add_alert(store, alert)
    return alert.event.key


def _ask(store, rid, account, by):
    store.requests.add(
        rid, remediation_id="deactivate-access-key", params={"user_name": "u", "access_key_id": f"AKIA{rid}"},
        event_key=None, account_id=account, actor=None, requested_by=by, requested_at=now(),
        expires_at=now() + timedelta(hours=1), approvals_needed=1, plan=["Would …"], expected={},
    )  # fmt: skip


def test_an_accounts_note_is_on_its_alerts_and_requests_and_only_theirs(runtime_for):
    rt = runtime_for(account_notes={PROD: NOTE})
    views = rt.workflow.views
    prod, other = _alert_in(rt.store, PROD, 1), _alert_in(rt.store, OTHER, 2)
    assert views.alert_view(prod).account_note == NOTE
    assert views.alert_view(other).account_note is None
    _ask(rt.store, "RPROD01", PROD, REQUESTER)
    _ask(rt.store, "ROTHER1", OTHER, REQUESTER)
    assert views.request_view("RPROD01").account_note == NOTE
    assert views.request_view("ROTHER1").account_note is None
    assert rt.workflow.homes.for_user(APPROVER).notes == {PROD: NOTE}


def test_a_request_pings_the_approvers_to_notify_while_it_waits_never_its_requester(runtime_for):
    rt = runtime_for(IAMBOT_APPROVERS=f"{APPROVER},{APPROVER2},{REQUESTER}", approver_groups=["S0SECURITY"],
                     IAMBOT_APPROVERS_TO_NOTIFY=f"{REQUESTER},{APPROVER},S0SECURITY")  # fmt: skip
    _ask(rt.store, "RPING01", PROD, REQUESTER)
    assert rt.workflow.views.request_view("RPING01").ping == (APPROVER, "S0SECURITY")
    assert rt.store.requests.move("RPING01", "requested", "denied", at=now(), decided_by=APPROVER2)
    assert rt.workflow.views.request_view("RPING01").ping == ()  # decided: nobody is asked any more


def test_without_approvers_to_notify_a_request_pings_nobody(runtime):
    _ask(runtime.store, "RQUIET1", PROD, REQUESTER)
    assert runtime.workflow.views.request_view("RQUIET1").ping == ()
