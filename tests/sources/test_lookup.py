"""CloudTrail LookupEvents (botocore's Stubber: moto has no lookup_events): one lookup per source
and region, each with its own cursor, paged, paced, read with an overlap, and a cursor that moves
only after the events are committed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from bot.catalog import load as load_catalog
from bot.sources import Deps, LookupSource
from bot.sources.lookup import LEGACY_CURSOR, Lookup, plan
from tests.support.records import as_account, as_root, detonation
from tests.support.sources import Clock, lookup_item, record_at

IAM = Lookup("us-east-1", "EventSource", "iam.amazonaws.com")
STS_WEB = Lookup("us-east-1", "EventName", "AssumeRoleWithWebIdentity")
T = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


class Recording:
    """The runtime's intake, noting every event a source hands it; or failing like a full disk."""

    def __init__(self, intake, fail: bool = False):
        self.intake, self.fail, self.events = intake, fail, []

    def take(self, events, source=""):
        events = list(events)
        if self.fail:
            raise RuntimeError("disk full")
        self.events += events
        return self.intake.take(events, source)


@pytest.fixture
def cloudtrail(aws_session):
    return aws_session.client("cloudtrail", region_name="us-east-1")


def deps(runtime, sink):
    return Deps(runtime.aws, sink, runtime.store, load_catalog().selection())


def request(lookup, start, end, token=None):
    params = {
        "LookupAttributes": [{"AttributeKey": lookup.key, "AttributeValue": lookup.value}],
        "StartTime": start,
        "EndTime": end,
        "MaxResults": 50,
    }
    if token:
        params["NextToken"] = token
    return params


def test_lookup_pages_cursor_overlap_and_restart(runtime, cloudtrail):
    sink = Recording(runtime.workflow.intake)
    clock = Clock(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    sleeps: list[float] = []
    mono = iter(float(i) * 0.1 for i in range(1000))

    def make():
        return LookupSource(
            lambda region: cloudtrail,
            [IAM],
            deps(runtime, sink),
            overlap=timedelta(minutes=20),
            clock=clock,
            sleep=sleeps.append,
            monotonic=lambda: next(mono),
        )

    a = record_at("UpdateAccessKey__authored__1.json", T, "evt-a")
    b = record_at("UpdateLoginProfile__authored__1.json", T + timedelta(minutes=5), "evt-b")
    late = record_at("UploadSigningCertificate__authored__1.json", T + timedelta(minutes=20), "evt-late")
    c = record_at("UpdateAccessKey__authored__2.json", T + timedelta(minutes=40), "evt-c")
    with Stubber(cloudtrail) as stub:
        first = request(IAM, clock.t - timedelta(hours=1), clock.t)
        stub.add_response("lookup_events", {"Events": [lookup_item(b)], "NextToken": "p2"}, first)
        page2 = request(IAM, first["StartTime"], clock.t, "p2")
        stub.add_response("lookup_events", {"Events": [lookup_item(a)]}, page2)
        result = make().poll(threading.Event())
        assert (result.received, result.events) == (2, 2)
        assert runtime.store.cursors.get(IAM.cursor) == "2026-11-22T09:35:00Z"
        assert IAM.cursor == "lookup:us-east-1:EventSource:iam.amazonaws.com"
        assert sleeps and all(0 < s <= 0.5 for s in sleeps)  # no faster than 2 requests a second

        # restart: a new source resumes from the stored cursor minus the overlap; a late event
        # (delivered after the last poll, timed before the cursor) and a repeat both come back
        clock.t = datetime(2026, 11, 22, 10, 15, tzinfo=UTC)
        second = request(IAM, datetime(2026, 11, 22, 9, 15, tzinfo=UTC), clock.t)
        stub.add_response("lookup_events", {"Events": [lookup_item(c), lookup_item(late), lookup_item(b)]}, second)
        make().poll(threading.Event())
        stub.assert_no_pending_responses()
    assert runtime.store.cursors.get(IAM.cursor) == "2026-11-22T10:10:00Z"
    ids = [e.event_id for e in sink.events]
    assert sorted(set(ids)) == ["evt-a", "evt-b", "evt-c", "evt-late"] and len(ids) == 5  # nothing missed
    # the store keeps each once: repeats from the overlap window do not alert twice
    assert runtime.store.events.count() == 4
    assert sum(runtime.store.alerts.dispositions().values()) == 4


def test_lookup_crash_before_commit_does_not_move_the_cursor(runtime, cloudtrail):
    clock = Clock(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    r = record_at("UpdateAccessKey__authored__1.json", datetime(2026, 11, 22, 9, 50, tzinfo=UTC), "evt-a")
    src = LookupSource(lambda region: cloudtrail, [IAM], deps(runtime, Recording(None, fail=True)), clock=clock,
                       sleep=lambda s: None)
    with Stubber(cloudtrail) as stub:
        stub.add_response("lookup_events", {"Events": [lookup_item(r)]})
        with pytest.raises(RuntimeError, match="disk full"):
            src.poll(threading.Event())
    assert runtime.store.cursors.get(IAM.cursor) is None
    assert runtime.store.events.count() == 0


def test_each_lookup_has_its_own_cursor(runtime, aws_session):
    """A lookup that fails leaves the others' cursors where they got to; each region has its client."""
    clients = {r: aws_session.client("cloudtrail", region_name=r) for r in ("us-east-1", "eu-west-1")}
    web_eu = Lookup("eu-west-1", "EventName", "AssumeRoleWithWebIdentity")
    clock = Clock(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    asked: list[str] = []

    def client(region):
        asked.append(region)
        return clients[region]

    iam = record_at("UpdateAccessKey__authored__1.json", T, "evt-iam")
    web = record_at("AssumeRoleWithWebIdentity__authored__1.json", T + timedelta(minutes=10), "evt-web")
    sink = Recording(runtime.workflow.intake)
    src = LookupSource(client, [IAM, web_eu], deps(runtime, sink), clock=clock, sleep=lambda s: None)
    with Stubber(clients["us-east-1"]) as us, Stubber(clients["eu-west-1"]) as eu:
        first_hour = request(IAM, clock.t - timedelta(hours=1), clock.t)
        us.add_response("lookup_events", {"Events": [lookup_item(iam)]}, first_hour)
        eu.add_client_error("lookup_events", "AccessDeniedException", "not allowed in eu-west-1")
        with pytest.raises(ClientError, match="not allowed in eu-west-1"):
            src.poll(threading.Event())
        assert asked == ["us-east-1", "eu-west-1"]
        assert runtime.store.cursors.get(IAM.cursor) == "2026-11-22T09:30:00Z"
        assert runtime.store.cursors.get(web_eu.cursor) is None

        clock.t += timedelta(minutes=5)
        us.add_response("lookup_events", {"Events": []}, request(IAM, T - timedelta(minutes=20), clock.t))
        eu.add_response("lookup_events", {"Events": [lookup_item(web)]},
                        request(web_eu, clock.t - timedelta(hours=1), clock.t))
        src.poll(threading.Event())
        us.assert_no_pending_responses()
        eu.assert_no_pending_responses()
    assert runtime.store.cursors.get(IAM.cursor) == "2026-11-22T09:30:00Z"  # nothing newer: unchanged
    assert runtime.store.cursors.get(web_eu.cursor) == "2026-11-22T09:40:00Z"
    assert [e.event_id for e in sink.events] == ["evt-iam", "evt-web"]


def test_the_root_users_calls_are_looked_up_by_user_name_in_any_service(runtime, cloudtrail):
    """The measured gap of issue 21 through LookupEvents: the root user's RunInstances is taken in;
    another principal's call that the Username lookup could return is not."""
    root = Lookup("us-east-1", "Username", "root")
    clock = Clock(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    sink = Recording(runtime.workflow.intake)
    src = LookupSource(lambda region: cloudtrail, [root], deps(runtime, sink), clock=clock, sleep=lambda s: None)
    run = as_account(as_root(detonation("aws.execution.ec2-launch-unusual-instances.json", "RunInstances")))
    run.update(eventTime="2026-11-22T09:30:00Z", eventID="evt-root-run")
    role = {**as_account(detonation("aws.execution.ec2-launch-unusual-instances.json", "RunInstances")),
            "eventTime": "2026-11-22T09:31:00Z", "eventID": "evt-role-run"}  # fmt: skip
    with Stubber(cloudtrail) as stub:
        stub.add_response(
            "lookup_events",
            {"Events": [lookup_item(run), lookup_item(role)]},
            request(root, clock.t - timedelta(hours=1), clock.t),
        )
        src.poll(threading.Event())
        stub.assert_no_pending_responses()
    assert [(e.event_id, e.actor.type) for e in sink.events] == [("evt-root-run", "Root")]
    assert runtime.store.cursors.get(root.cursor) == "2026-11-22T09:30:00Z"


def test_the_cursor_of_an_older_iambot_is_where_the_iam_lookup_resumes(runtime, cloudtrail):
    with runtime.store.unit():
        runtime.store.cursors.set(LEGACY_CURSOR, "2026-11-22T09:00:00Z")
    clock = Clock(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    src = LookupSource(lambda region: cloudtrail, [IAM], deps(runtime, Recording(runtime.workflow.intake)),
                       clock=clock, sleep=lambda s: None)
    with Stubber(cloudtrail) as stub:
        from_legacy = request(IAM, datetime(2026, 11, 22, 8, 40, tzinfo=UTC), clock.t)  # 09:00 less the overlap
        stub.add_response("lookup_events", {"Events": []}, from_legacy)
        src.poll(threading.Event())
        stub.assert_no_pending_responses()


def test_an_item_that_is_not_a_record_is_rejected_and_the_rest_taken(runtime, cloudtrail):
    good = record_at("UpdateAccessKey__authored__1.json", T, "evt-good")
    broken = {**lookup_item(good), "EventId": "evt-broken", "CloudTrailEvent": "{not json"}
    src = LookupSource(lambda region: cloudtrail, [IAM], deps(runtime, Recording(runtime.workflow.intake)),
                       clock=Clock(T + timedelta(minutes=30)), sleep=lambda s: None)
    with Stubber(cloudtrail) as stub:
        stub.add_response("lookup_events", {"Events": [lookup_item(good), broken]})
        result = src.poll(threading.Event())
    assert (result.events, result.rejected) == (1, 1)
    [row] = runtime.store.rejected.recent()
    assert row["source"] == "lookup" and row["where_"] == "lookup:us-east-1:evt-broken"
    assert runtime.store.events.get("evt-good") is not None
    assert runtime.store.cursors.get(IAM.cursor) == "2026-11-22T09:30:00Z"


def test_the_lookup_plan_covers_every_source_where_its_events_are_recorded():
    catalog = load_catalog()
    lookups = plan(catalog, ["us-east-1", "eu-west-1"], "eu-central-1")
    assert len(set(lookups)) == len(lookups)
    by_source = {}
    for lk in lookups:
        if lk.key != "Username":
            by_source.setdefault(lk.value if lk.key == "EventSource" else "sts:" + lk.value, set()).add(lk.region)
    # IAM and Organizations are global: us-east-1 only, whatever lookup_regions says
    assert by_source["iam.amazonaws.com"] == {"us-east-1"}
    assert by_source["organizations.amazonaws.com"] == {"us-east-1"}
    # sign-in and Roles Anywhere are recorded where they happen: every region in lookup_regions
    assert by_source["signin.amazonaws.com"] == {"us-east-1", "eu-west-1"}
    assert by_source["rolesanywhere.amazonaws.com"] == {"us-east-1", "eu-west-1"}
    # IAM Identity Center: its home region only
    for source in ("sso.amazonaws.com", "sso-directory.amazonaws.com", "identitystore.amazonaws.com"):
        assert by_source[source] == {"eu-central-1"}, source
    # STS by event name only (AssumeRole alone runs to millions a day), in every lookup region
    assert not any(lk.key == "EventSource" and lk.value == "sts.amazonaws.com" for lk in lookups)
    named = {lk.value for lk in lookups if lk.key == "EventName"}
    sts = named & set(catalog.names("sts.amazonaws.com"))
    # what can blind iambot, by name too, where it is recorded (never all of S3 or KMS)
    feed = {n for s in ("cloudtrail", "events", "sqs", "kms", "s3") for n in catalog.names(f"{s}.amazonaws.com")}
    assert named == sts | feed and "PutObject" not in named and "LookupEvents" not in named
    assert {"StopLogging", "DisableRule", "PurgeQueue", "ScheduleKeyDeletion", "PutBucketPolicy"} <= feed
    assert all(by_source["sts:" + name] == {"us-east-1", "eu-west-1"} for name in feed)
    assert {"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "GetSessionToken", "AssumeRoot"} <= sts
    assert "AssumeRole" not in sts
    assert all(by_source["sts:" + name] == {"us-east-1", "eu-west-1"} for name in sts)
    # the root user's calls, in any service, by user name: in every region looked at
    root = {lk.region for lk in lookups if lk.key == "Username"}
    assert root == {"us-east-1", "eu-west-1", "eu-central-1"}
    assert {lk.value for lk in lookups if lk.key == "Username"} == {"root"}
    assert {lk.key for lk in lookups} == {"EventSource", "EventName", "Username"}


def test_without_identity_center_region_its_events_are_not_looked_up():
    lookups = plan(load_catalog(), ["eu-west-1"], None)
    assert not any(lk.region is None or "sso" in lk.value or "identitystore" in lk.value for lk in lookups)
    assert {lk.region for lk in lookups} == {"us-east-1", "eu-west-1"}
    assert Lookup("eu-west-1", "EventSource", "signin.amazonaws.com") in lookups
    assert Lookup("us-east-1", "EventSource", "signin.amazonaws.com") not in lookups


def test_the_source_is_built_from_the_settings(runtime_for):
    off = runtime_for()
    assert LookupSource.from_settings(off.settings, deps(off, off.workflow.intake)) is None
    assert LookupSource.permissions(off.settings) == []
    on = runtime_for(IAMBOT_LOOKUP_EVENTS="true", lookup_regions=["eu-west-1"], identity_center_region="eu-central-1",
                     lookup_interval_seconds=120)
    src = LookupSource.from_settings(on.settings, deps(on, on.workflow.intake))
    assert src.lookups == plan(load_catalog(), ["eu-west-1"], "eu-central-1")
    assert src.interval == 120
    assert LookupSource.permissions(on.settings)[0]["Action"] == ["cloudtrail:LookupEvents"]
