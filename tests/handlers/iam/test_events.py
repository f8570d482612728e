"""/iam help, explain, recent, show, rejected: reading what iambot knows and has seen."""

from __future__ import annotations

import handlers.iam as iam
from bot.events import Rejected, normalize
from handlers.iam.base import SUBCOMMANDS
from tests.conftest import REQUESTER
from tests.support.records import access_key_event, as_account, load
from tests.support.replies import rich_only, said


def ask(runtime, text, user=REQUESTER):
    answer = iam.run(runtime.workflow, user, text)
    assert rich_only(answer)
    return said(answer)


def test_help_lists_every_subcommand_with_its_usage(runtime):
    shown = ask(runtime, "help")
    assert shown == ask(runtime, "")  # no subcommand is help
    assert "/iam approve <request-id>" in shown and "/iam recent [n]" in shown
    for sub in SUBCOMMANDS.values():
        assert f"/iam {sub.usage} — {sub.help}" in shown


def test_explain_an_event_name_in_any_case(runtime):
    shown = ask(runtime, "explain updateaccesskey")
    assert "UpdateAccessKey (iam.amazonaws.com): Access key status changed" in shown
    assert "deactivate-access-key" in shown  # its remediations are named
    assert shown.startswith("1 entry")


def test_explain_with_a_service_prefix(runtime):
    shown = ask(runtime, "explain sso:CreatePermissionSet")
    assert "CreatePermissionSet (sso.amazonaws.com)" in shown
    assert "no catalog entry for 'iam:CreatePermissionSet'" in ask(runtime, "explain iam:CreatePermissionSet")


def test_explain_what_is_not_in_the_catalog(runtime):
    assert "no catalog entry for 'NotAnEvent'; other events of the covered services get a generic alert" in ask(
        runtime, "explain NotAnEvent"
    )
    assert "give one event name, e.g. /iam explain UpdateAccessKey" in ask(runtime, "explain")


def test_recent_lists_the_latest_events_newest_first(runtime, aws):
    event, _ = access_key_event(aws.client("iam"))
    password = normalize(as_account(load("UpdateLoginProfile__authored__1.json")))
    password.raw["eventID"] = "evt-password"  # an id of its own (the authored fixtures share one)
    runtime.workflow.intake.take([event, normalize(password.raw)])
    shown = ask(runtime, "recent 5")
    assert shown.startswith("The latest 2 identity event(s)")
    first, second = shown.index("mallory-dev changed the console password"), shown.index("erin@example.com re-act")
    assert first < second  # 10:05:37 before 10:02:11
    assert "2026-11-20T10:02:11Z high erin@example.com re-activated access key" in shown
    assert f"· {event.event_id}" in shown
    only = ask(runtime, "recent 1")
    assert "The latest 1 identity event(s)" in only and "erin@" not in only


def test_recent_with_nothing_stored_and_bad_counts(runtime):
    assert ask(runtime, "recent").startswith("No identity events stored yet.")
    assert "n must be a number from 1 to 50" in ask(runtime, "recent 500")
    assert "n must be a number from 1 to 50" in ask(runtime, "recent lots")


def test_show_one_event_with_its_risk_reasons(runtime, aws):
    event, _ = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    shown = ask(runtime, f"show {event.event_id}")
    assert shown.startswith("HIGH · Access key status changed")
    assert "erin@example.com re-activated access key" in shown and "Account 123456789012" in shown
    assert "When 2026-11-20 10:02:11 UTC · from 198.51.100.23" in shown
    assert "acted on IAM user legacy-etl, not on their own user" in shown
    assert "A credential was set back to Active" in shown
    assert "Remediations: deactivate-access-key, delete-access-key, quarantine-user" in shown
    # changed on purpose: an Identity Center session's mfaAuthenticated "false" is not "no MFA"
    assert "MFA" not in shown


def test_show_what_is_not_stored(runtime):
    assert "no stored event 'nope'" in ask(runtime, "show nope")
    assert "give the event id" in ask(runtime, "show")


def test_every_event_recent_lists_can_be_shown_by_the_id_it_lists(runtime, aws):
    event, _ = access_key_event(aws.client("iam"))
    password = normalize(as_account(load("UpdateLoginProfile__authored__1.json")))
    assert password.event_id == event.event_id and password.key != event.key
    runtime.workflow.intake.take([event, password])
    for row in runtime.store.events.recent(5):
        assert f"· {row.id}" in ask(runtime, "recent")
        assert row.summary in ask(runtime, f"show {row.id}")


def test_rejected_shows_what_could_not_be_read_literally(runtime):
    assert ask(runtime, "rejected").startswith("Nothing has been rejected.")
    runtime.store.rejected.add([Rejected("s3://trail/k.json.gz:7", "not JSON: <!here> *x*", "{")], source="files")
    shown = ask(runtime, "rejected 5")
    assert shown.startswith("The latest 1 rejection(s)")
    assert "files s3://trail/k.json.gz:7: not JSON: <!here> *x*" in shown
    assert "n must be a number from 1 to 50" in ask(runtime, "rejected 51")
