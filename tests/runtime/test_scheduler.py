"""The scheduled jobs, by name: the digest follows digest_cron in digest_timezone, request expiry
and the outbox retry run on intervals, the jobs enabled remediations need are added, and a job
that fails is logged and runs again at its next time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import time_machine

from bot.runtime.scheduler import build_scheduler, guard
from tests.conftest import ALERTS, REQUESTER
from tests.support.records import access_key_event

FRIDAY_EVENING = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def scheduled(runtime, wake=lambda: None):
    return build_scheduler(runtime.workflow, runtime.aws, wake)


def test_scheduler_has_its_named_jobs(runtime):
    jobs = {j.id: j for j in scheduled(runtime).get_jobs()}
    # changed on purpose: LookupEvents is a source now (a loop of its own), not a scheduled job
    assert set(jobs) == {"outbox-retry", "request-expiry", "question-settle", "digest", "oidc-snapshot", "runs-prune"}
    assert jobs["outbox-retry"].trigger.interval == timedelta(seconds=15)
    assert jobs["request-expiry"].trigger.interval == timedelta(seconds=60)
    assert jobs["oidc-snapshot"].trigger.interval == timedelta(minutes=60)


def test_jobs_follow_the_enabled_remediations(runtime_for):
    runtime = runtime_for(IAMBOT_REMEDIATIONS="deactivate-access-key")
    jobs = {j.id for j in scheduled(runtime).get_jobs()}
    assert jobs == {"outbox-retry", "request-expiry", "question-settle", "digest", "runs-prune"}


def test_the_digest_follows_crontab_and_time_zone_under_frozen_time(runtime_for, slack):
    runtime = runtime_for(digest_cron="30 8 * * 1-5", digest_timezone="Europe/Paris")
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        scheduler = scheduled(runtime)
        scheduler.start(paused=True)
        try:
            digest = scheduler.get_job("digest")
            assert digest.next_run_time.isoformat() == "2026-11-23T08:30:00+01:00"  # Monday, 08:30 Paris time
            following = digest.trigger.get_next_fire_time(digest.next_run_time, digest.next_run_time)
            assert following.isoformat() == "2026-11-24T08:30:00+01:00"
        finally:
            scheduler.shutdown(wait=False)
    with time_machine.travel(datetime(2026, 11, 23, 7, 30, tzinfo=UTC), tick=False):
        digest.func()  # what the scheduler runs at that time
    [posted] = [p for p in slack.posted(ALERTS) if p["text"].startswith("iambot digest")]
    assert "2026-11-22 07:30 – 2026-11-23 07:30 UTC" in posted["text"]
    assert runtime.store.cursors.get("digest") == "2026-11-23T07:30:00Z"


def test_the_scheduled_digest_posts_its_table_and_uploads_its_chart(runtime, slack, aws):
    event, _ = access_key_event(aws.client("iam"))
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        runtime.workflow.intake.take([event])
    job = scheduled(runtime).get_job("digest")
    with time_machine.travel(FRIDAY_EVENING + timedelta(hours=15), tick=False):
        job.func()  # the job as the scheduler runs it: claims its minute, computes, posts
    [posted] = [p for p in slack.posted(ALERTS) if p["text"].startswith("iambot digest")]
    assert "table" in [b["type"] for b in posted["blocks"]]
    [upload] = slack.uploaded()
    digest_ts = next(ts for (channel, ts), m in slack.messages.items() if m["text"] == posted["text"])
    assert upload["channel_id"] == ALERTS and upload["thread_ts"] == digest_ts
    assert upload["content"].startswith(b"\x89PNG") and upload["filename"] == "iambot-digest-2026-11-21-0900.png"


def test_the_expiry_job_expires_requests(runtime, aws):
    event, _ = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    request = runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    expiry = scheduled(runtime).get_job("request-expiry")
    expiry.func()
    assert runtime.store.requests.get(request.id).status == "requested"
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=61), tick=False):
        expiry.func()
    assert runtime.store.requests.get(request.id).status == "expired"


def test_the_outbox_job_wakes_the_poster(runtime):
    woken: list[int] = []
    job = scheduled(runtime, wake=lambda: woken.append(1)).get_job("outbox-retry")
    job.func()
    assert woken == [1]


def test_the_snapshot_job_records_oidc_thumbprints(runtime, aws):
    iam = aws.client("iam")
    arn = iam.create_open_id_connect_provider(
        Url="https://token.actions.example.com", ThumbprintList=["a" * 40], ClientIDList=["sts.amazonaws.com"]
    )["OpenIDConnectProviderArn"]
    scheduled(runtime).get_job("oidc-snapshot").func()
    assert runtime.store.snapshots.latest("oidc-thumbprints", arn) == ["a" * 40]


def test_a_failing_job_is_logged_and_does_not_raise(caplog):
    def broken():
        raise RuntimeError("disk full")

    job = guard(broken, "digest")
    job()  # the scheduler keeps it for its next time
    assert job.__name__ == "digest"
    [record] = [r for r in caplog.records if "digest failed" in r.getMessage()]
    assert record.exc_info and "disk full" in str(record.exc_info[1])


def test_a_digest_every_minute_with_two_replicas_is_one_digest_a_minute(runtime_for, slack, postgres_url):
    one, two = (runtime_for(IAMBOT_DB=postgres_url, digest_cron="* * * * *") for _ in range(2))
    jobs = [build_scheduler(rt.workflow, rt.aws, lambda: None, name).get_job("digest") for rt, name in
            ((one, "replica-a"), (two, "replica-b"))]  # fmt: skip
    ran = []
    for rt in (one, two):
        real = rt.workflow.digests.scheduled
        rt.workflow.digests.scheduled = lambda until, real=real: ran.append(until) or real(until=until)
    start = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    for minute in range(3):
        with time_machine.travel(start + timedelta(minutes=minute, seconds=0.2), tick=False):
            barrier = threading.Barrier(2)

            def fire(job, barrier=barrier):
                barrier.wait()
                job.func()  # both replicas' schedulers fire the same minute at once

            threads = [threading.Thread(target=fire, args=(job,)) for job in jobs]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        for rt in (one, two):
            rt.poster.flush()
    digests = [p["text"] for p in slack.posted(ALERTS) if p["text"].startswith("iambot digest")]
    assert len(ran) == 3, ran  # the job's body ran in one replica a minute
    assert len(digests) == 3, digests  # and one digest was posted a minute
    assert [d.split(" – ")[1][:16] for d in digests] == ["2026-11-23 07:30", "2026-11-23 07:31", "2026-11-23 07:32"]
