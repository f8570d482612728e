"""Sequences at intake, on both backends: the issue's twelve denied writes are one self-escalation
alert, posted once and updated as later members join; the members are stored and counted, not
posted one by one; an enumeration is one alert, and not again for a principal seen doing it; two
replicas reaching the threshold at once make one alert."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from bot.events import normalize
from bot.store import Store
from bot.workflow import messages as m
from bot.workflow.intake import Intake
from tests.conftest import ALERTS
from tests.support.sequences import ACCOUNT, START, enumeration, escalation_attempt, read


def events(records):
    return [normalize(r) for r in records]


def sequence_messages(slack):
    heads = ("Self-escalation attempt", "Privilege-escalation attempt", "Identity enumeration")
    return [p for p in slack.posted(ALERTS) if str(p.get("text", "")).startswith(heads)]


def test_twelve_denied_writes_are_one_self_escalation_alert_updated_as_it_grows(runtime, slack):
    records = escalation_attempt()
    first = runtime.workflow.intake.take(events(records[:6]))
    dispositions = [t.disposition for t in first.taken]
    # the first four are decided alone (the fourth, info, is below the posting threshold); the fifth
    # reaches the threshold: it and every later member are the sequence's
    assert dispositions == ["posted", "posted", "posted", "quiet", "sequence", "sequence"]
    [posted] = sequence_messages(slack)
    assert "Self-escalation attempt" in posted["text"] and "(medium)" in posted["text"]
    assert "denied 6 identity write(s)" in posted["text"] and "AttachUserPolicy" in posted["text"]
    second = runtime.workflow.intake.take(events(records[6:]))
    assert {t.disposition for t in second.taken} == {"sequence"}
    assert len(sequence_messages(slack)) == 1  # not posted again: the same message, updated
    updates = [c.params for c in slack.of("chat.update")]
    assert updates and "denied 12 identity write(s), 12 distinct" in updates[-1]["text"]
    assert "UpdateAssumeRolePolicy" in updates[-1]["text"]
    assert len(slack.posted(ALERTS)) == 3 + 1  # three singles before the threshold, one sequence
    assert runtime.store.events.count() == 12
    assert runtime.store.alerts.dispositions() == {"posted": 3, "quiet": 1, "sequence": 8}


def test_the_sequence_alert_carries_its_accounts_note(runtime_for, slack):
    runtime = runtime_for(account_notes={ACCOUNT: "PRODUCTION: payments"})
    runtime.workflow.intake.take(events(escalation_attempt()[:6]))
    [posted] = sequence_messages(slack)
    assert f"Account {ACCOUNT}: PRODUCTION: payments" in str(posted["blocks"])


def test_a_redelivered_member_is_not_counted_twice(runtime, slack):
    records = escalation_attempt()[:5]
    runtime.workflow.intake.take(events(records))
    again = runtime.workflow.intake.take(events(records))
    assert again.duplicates == 5
    sequence = runtime.store.sequences.get(runtime.store.sequences.of_event(normalize(records[0]).key))
    assert sequence is not None and sequence.events == 5
    assert len(sequence_messages(slack)) == 1


def test_four_denied_writes_are_no_sequence(runtime, slack):
    result = runtime.workflow.intake.take(events(escalation_attempt()[:4]))
    assert "sequence" not in {t.disposition for t in result.taken}
    assert sequence_messages(slack) == []


def test_an_enumeration_is_one_alert_and_not_again_for_a_principal_seen_doing_it(runtime, slack):
    result = runtime.workflow.intake.take(events(enumeration()))
    assert [t.disposition for t in result.taken][-2:] == ["sequence", "sequence"]
    [posted] = sequence_messages(slack)
    assert "Identity enumeration" in posted["text"] and "ListUsers" in posted["text"]
    runtime.workflow.intake.take(events(enumeration(start=START + timedelta(days=1))))
    assert len(sequence_messages(slack)) == 1


def test_get_account_authorization_details_is_an_enumeration_at_once(runtime, slack):
    runtime.workflow.intake.take(events([read("GetAccountAuthorizationDetails", START, 1)]))
    [posted] = sequence_messages(slack)
    assert "GetAccountAuthorizationDetails" in posted["text"]


def test_muted_members_are_no_part_of_a_sequence(runtime, slack):
    from bot.store import now

    at = now()
    runtime.store.suppressions.add(
        {"actor": "arn:aws:iam::111122223333:user/mallory-dev"}, "pen test", "U1", at, at + timedelta(hours=1)
    )
    result = runtime.workflow.intake.take(events(escalation_attempt()[:6]))
    assert {t.disposition for t in result.taken} == {"suppressed"}
    assert sequence_messages(slack) == []


def test_two_replicas_reaching_the_threshold_at_once_make_one_alert(settings_for, postgres_url, slack):
    settings = settings_for(IAMBOT_DB=postgres_url)
    one, two = Store(postgres_url), Store(postgres_url)
    first, second = Intake(one, settings), Intake(two, settings)
    records = escalation_attempt()
    first.take(events(records[:4]))
    fifth, sixth = events(records[4:6])
    blocked = threading.Event()
    result: list[object] = []

    def other() -> None:
        result.append(second.take([sixth]))

    with one.unit():
        first.take([fifth])  # holds its sequence, uncommitted
        thread = threading.Thread(target=other)
        thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _waits_on_a_lock(one):
            blocked.wait(0.02)
        assert _waits_on_a_lock(one), "the second replica should wait on the first's sequence"
    thread.join(10)
    assert result and [t.disposition for t in result[0].taken] == ["sequence"]  # type: ignore[attr-defined]
    ids = {one.sequences.of_event(e.key) for e in events(records[:6])}
    assert len(ids) == 1 and None not in ids
    [sequence_id] = ids
    assert one.sequences.get(sequence_id).events == 6
    assert one.outbox.get(m.sequence_id(sequence_id)) is not None
    one.close()
    two.close()


def _waits_on_a_lock(store: Store) -> bool:
    rows = store.db.probe(
        "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND datname = current_database() AND query LIKE 'INSERT INTO sequences %'"
    )
    return bool(rows and rows[0]["n"])


def test_a_sequence_read_late_is_counted_not_alerted(runtime_for, slack):
    import time_machine

    runtime = runtime_for(backfill_hours=24)
    with time_machine.travel(START + timedelta(days=2), tick=False):
        result = runtime.workflow.intake.take(events(escalation_attempt()))
    assert {t.disposition for t in result.taken} == {"backfill"}
    assert sequence_messages(slack) == []


def test_a_sequence_taken_in_as_it_happens_is_alerted(runtime_for, slack):
    import time_machine

    runtime = runtime_for(backfill_hours=24)
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        result = runtime.workflow.intake.take(events(escalation_attempt()))
    assert [t.disposition for t in result.taken].count("sequence") == 8
    [posted] = sequence_messages(slack)
    assert "denied 12 identity write(s)" in posted["text"]


def test_intake_with_sequences_is_total_over_mutated_real_records(tmp_path):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from bot.config.settings import given as given_settings
    from bot.events import RecordError
    from tests.support.mutations import EXAMPLES, mutated_records

    store = Store(tmp_path / "fuzz.db")
    intake = Intake(
        store,
        given_settings(IAMBOT_ALERT_CHANNEL=ALERTS, backfill_hours=24 * 365 * 20, sequence_denied_writes=2,
                       sequence_distinct_reads=2),
    )

    @settings(max_examples=max(EXAMPLES // 3, 20), suppress_health_check=list(HealthCheck), deadline=None)
    @given(st.lists(mutated_records(), min_size=1, max_size=6))
    def run(records):
        batch = []
        for record in records:
            try:
                batch.append(normalize(record))
            except RecordError:
                continue
        result = intake.take(batch)
        assert len(result.taken) + result.duplicates + len(result.rejected) == len(batch)

    run()
    store.close()


def test_a_sequence_taken_in_before_any_channel_is_posted_once_one_is(settings_for, aws, slack):
    from bot.runtime.wiring import build
    from remediations.aws import Aws

    bare = settings_for(SLACK_BOT_TOKEN=None, IAMBOT_ALERT_CHANNEL=None)
    runtime = build(bare, aws=Aws.from_settings(bare, aws))
    result = runtime.workflow.intake.take(events(escalation_attempt()))
    assert [t.disposition for t in result.taken].count("sequence") == 8
    assert runtime.workflow.intake.reroute() == 0
    runtime.store.close()
    configured = settings_for()
    later = build(configured, aws=Aws.from_settings(configured, aws))
    try:
        assert later.workflow.intake.reroute() == 4  # three singles, one sequence
        [posted] = sequence_messages(slack)
        assert "denied 12 identity write(s)" in posted["text"]
        assert later.workflow.intake.reroute() == 0
    finally:
        later.store.close()


def test_an_enumeration_behind_a_flood_of_one_call_is_still_found(runtime, slack):
    """1,500 ListAccessKeys calls in three minutes, then ten distinct reads: the store counts the
    window's steps whatever their number (a page of the oldest 1,000 held only the flood)."""
    flood = [read("ListAccessKeys", START + timedelta(milliseconds=120 * i), 10_000 + i) for i in range(1500)]
    runtime.workflow.intake.take(events(flood))
    assert sequence_messages(slack) == []
    result = runtime.workflow.intake.take(events(enumeration(user="mallory-dev", start=START + timedelta(minutes=3))))
    assert [t.disposition for t in result.taken][-1] == "sequence"
    [posted] = sequence_messages(slack)
    assert "Identity enumeration" in posted["text"] and "ListUsers" in posted["text"]
    sequence = runtime.store.sequences.get(runtime.store.sequences.of_event(events(flood[-1:])[0].key))
    assert sequence is not None and sequence.events >= 1500 + 10
