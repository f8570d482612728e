"""What a person's Home shows (bot/workflow/home.py), on both backends: what waits for their
approval (never their own request, never for someone who may not approve), their open requests,
open high and critical alerts of the last 7 days with their message, decisions and mutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from bot.store import dumps
from tests.conftest import APPROVER, APPROVER2, REQUESTER, STRANGER
from tests.support.records import load
from tests.support.store import add_alert, alert_of

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def ask(store, rid, n=0, by=REQUESTER, actor=None):
    store.requests.add(
        rid, remediation_id="deactivate-access-key",
        params={"user_name": "legacy-etl", "access_key_id": f"AKIAEXAMPLELEGACY{n:03d}"}, event_key=None,
        account_id="111122223333", actor=actor, requested_by=by,
        requested_at=NOW - timedelta(hours=1) + timedelta(minutes=n),
        expires_at=NOW + timedelta(hours=23), approvals_needed=2, plan=["Would set access key … to Inactive"],
        expected={},
    )  # fmt: skip
    return rid


def severe(days_ago, n):
    record = load("AttachUserPolicy__panther__1.json")
    when = (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return alert_of({**record, "eventID": f"evt-home-{n}", "eventTime": when})


def test_what_waits_for_whom(runtime):
    store, homes = runtime.store, runtime.workflow.homes
    ask(store, "RWAIT01")
    ask(store, "RMADEBY", 1, actor=dumps({"arn": None, "name": None, "email": "approver2@example.com"}))
    runtime.workflow.authz.people["approver2@example.com"] = APPROVER2
    store.requests.add_approval("RWAIT01", APPROVER2, NOW)
    with time_machine.travel(NOW, tick=False):
        approver, approver2 = homes.for_user(APPROVER), homes.for_user(APPROVER2)
        requester, stranger = homes.for_user(REQUESTER), homes.for_user(STRANGER)
    assert [w.request.id for w in approver.waiting] == ["RWAIT01", "RMADEBY"]
    assert approver.waiting[0].title == "Deactivate the access key"
    assert approver2.waiting == ()  # approved one already; made the change the other one undoes
    assert requester.waiting == () and [m.request.id for m in requester.mine] == ["RWAIT01", "RMADEBY"]
    assert not stranger.approver and stranger.waiting == () and stranger.mine == ()


def test_alerts_of_the_last_seven_days_with_their_message(runtime):
    store = runtime.store
    recent, old = severe(3, 1), severe(8, 2)
    for a in (recent, old):
        add_alert(store, a, at=NOW)
        store.outbox.put(f"alert:{a.event.key}", "alert", a.event.key, "C0ALERTS", at=NOW)
        store.outbox.sent(f"alert:{a.event.key}", "1700000000.000100", "C0ALERTS", 1, NOW)
    with time_machine.travel(NOW, tick=False):
        view = runtime.workflow.homes.for_user(APPROVER)
    assert recent.severity in ("high", "critical")
    assert [(a.key, a.channel, a.ts) for a in view.alerts] == [(recent.event.key, "C0ALERTS", "1700000000.000100")]
    assert view.alerts[0].account_id == recent.event.account_id is not None  # the row's account_notes note


def test_decisions_and_mutes(runtime):
    store = runtime.store
    ask(store, "RDENIED")
    store.requests.move("RDENIED", "requested", "denied", at=NOW, decided_by=APPROVER, reason="not now")
    with time_machine.travel(NOW, tick=False):
        sid = store.suppressions.add({"event": "CreateUser"}, "migration", APPROVER, NOW, NOW + timedelta(hours=4))
        store.suppressions.add({"event": "CreateRole"}, "over", APPROVER, NOW - timedelta(days=2), NOW - timedelta(1))
        view = runtime.workflow.homes.for_user(REQUESTER)
    assert [d.request.id for d in view.decided] == ["RDENIED"] and view.mine == ()
    assert [m.id for m in view.mutes] == [sid]


def test_an_opened_home_is_an_outbox_row_that_every_change_it_shows_touches(runtime):
    store, wf = runtime.store, runtime.workflow
    wf.homes.opened(APPROVER)
    row = store.outbox.get(f"home:{APPROVER}")
    assert (row.kind, row.ref, row.channel, row.version) == ("home", APPROVER, APPROVER, 1)
    store.outbox.sent(row.id, "-", APPROVER, 1, NOW)
    wf.homes.opened(APPROVER)  # opened again: published again
    assert store.outbox.get(row.id).version == 2
    wf.suppressions.mute(APPROVER, {"event": "CreateUser"}, 4, "migration")
    wf.suppressions.unmute(APPROVER, wf.suppressions.active()[0].id)
    assert store.outbox.get(row.id).version == 4
