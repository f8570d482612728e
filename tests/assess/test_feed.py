"""The feed's integrity (issue 21 item 2): which resources are iambot's own, what acting on them
weighs, and whether new event selectors or trail settings leave iambot blind. The records are
Stratus Red Team's detonations and records authored from the API references."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from bot.assess import Assessor, RiskContext
from bot.assess import feed as f
from bot.assess.base import Feed
from bot.config.settings import given as settings_given
from bot.events import normalize
from bot.workflow.intake import Intake, make_assessor
from tests.support.mutations import EXAMPLES, json_values
from tests.support.records import detonation, load
from tests.support.subjects import subject

ACCOUNT = "111122223333"
KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
QUEUE = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/iambot-EventQueue-9XYZ8WVU7TSR"
CONFIGURED = Feed(
    trails=("org-trail", f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:eventdatastore/EXAMPLE-f852"),
    queues=("other-*",),
    queue_urls=(QUEUE,),
    buckets=("org-trail-logs",),
    keys=(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY}",),
)


def assess(record, feed=CONFIGURED):
    return Assessor(context=RiskContext(feed=feed))(normalize(record))


def stop(trail, **changes):
    record = detonation("aws.defense-evasion.cloudtrail-stop.json", "StopLogging")
    return {**record, "requestParameters": {"name": trail}, **changes}


# ------------------------------------------------------------------------------ own resources


def test_the_feed_comes_from_the_settings_and_survives_a_learnt_self_arn():
    s = settings_given(
        feed_trails=["org-trail"],
        hunt_lake="EXAMPLE-f852",
        sqs_queue_url=QUEUE,
        trail_buckets=["org-trail-logs"],
        trail_kms_keys=[KEY],
    )
    feed = Feed.from_settings(s)
    assert feed == Feed(("org-trail", "EXAMPLE-f852"), ("iambot-*",), ("iambot-*",), (QUEUE,), ("org-trail-logs",),
                        (KEY,))  # fmt: skip
    assert Feed.from_settings(settings_given(hunt_lake="EXAMPLE-f852")).trails == ()  # empty stays "any trail"
    assessor = make_assessor(s, None)
    assert assessor.context.feed == feed
    intake = Intake.__new__(Intake)
    intake.assessor = assessor
    intake.add_self_arn("arn:aws:sts::*:assumed-role/iambot/*")
    assert intake.assessor.context.feed == feed and intake.assessor.context.self_arns[-1].endswith("iambot/*")


def test_stopping_iambots_trail_is_critical_and_another_trail_high():
    assert assess(stop("org-trail")).severity == "critical"
    assert assess(stop(f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org-trail")).severity == "critical"
    other = assess(stop("sandbox-trail"))
    assert other.severity == "high" and [x.name for x in other.risk.factors] == []
    # with no feed_trails, any trail may be the one iambot reads
    default = assess(stop("sandbox-trail"), Feed())
    assert default.severity == "critical"
    assert "no feed_trails configured" in default.risk.reasons[0]


def test_a_denied_attempt_on_iambots_trail_is_high_not_critical():
    denied = assess(stop("org-trail", errorCode="AccessDenied", errorMessage="not authorized"))
    assert denied.severity == "high"
    assert {x.name for x in denied.risk.factors} == {"failed-call", "own-feed"}


def test_event_data_stores_by_arn_or_id():
    record = {**stop("x"), "eventName": "StopEventDataStoreIngestion"}
    record["requestParameters"] = {"eventDataStore": "EXAMPLE-f852"}
    assert assess(record).severity == "critical"
    record["requestParameters"] = {"eventDataStore": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:eventdatastore/OTHER"}
    assert assess(record).severity == "high"


def test_the_trail_bucket_and_the_trail_key_once_configured():
    policy = assess(load("PutBucketPolicy__authored__2.json"))
    assert policy.severity == "high"
    assert "trail bucket org-trail-logs" in policy.risk.reasons[0]
    deletion = assess(load("ScheduleKeyDeletion__authored__1.json"))  # the key by id, configured by ARN
    assert deletion.severity == "high" and "KMS key" in deletion.risk.reasons[0]
    by_alias = {**load("ScheduleKeyDeletion__authored__1.json"), "requestParameters": {"keyId": "alias/trail-logs"}}
    assert assess(by_alias).severity == "high"  # the record's resources name the key's ARN
    by_alias["resources"] = []
    assert assess(by_alias).severity == "medium"
    assert assess(by_alias, Feed(keys=("alias/trail-logs",))).severity == "high"


def test_iambots_queue_by_its_url_or_a_name_glob():
    purge = load("PurgeQueue__authored__1.json")
    assert assess(purge).severity == "high"  # sqs_queue_url's queue, whatever the globs say
    assert assess(purge, Feed()).severity == "high"  # the template's iambot-* name
    other = {**purge, "requestParameters": {"queueUrl": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/orders"}}
    assert assess(other).severity == "info"
    slash = {**other, "requestParameters": {"queueUrl": other["requestParameters"]["queueUrl"] + "/"}}
    assert assess(slash).severity == "info"


def test_iambots_rules_by_name_glob():
    disable = load("DisableRule__authored__1.json")
    assert assess(disable, Feed()).severity == "high"
    assert assess(disable, Feed(rules=("security-*",))).severity == "info"
    remove = {**disable, "eventName": "RemoveTargets", "requestParameters": {"rule": "iambot-RootRule-X", "ids": ["q"]}}
    assert assess(remove, Feed()).severity == "high"


def test_trails_by_name_arn_or_glob():
    globbed = Feed(trails=("org-*",))
    assert f.own_target(subject(stop("org-trail")), globbed) == "trail org-trail"
    arn = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org-main"
    assert f.own_target(subject(stop(arn)), globbed) == f"trail {arn}"
    assert f.own_target(subject(stop("sandbox-trail")), globbed) is None
    by_arn = Feed(trails=(f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org-trail",))
    assert f.own_target(subject(stop("org-trail")), by_arn) == "trail org-trail"
    assert f.own_target(subject(stop("org-trail-2")), by_arn) is None


# ------------------------------------------------------------------------------ selectors


@pytest.mark.parametrize(
    ("request_", "gaps"),
    [
        ({"eventSelectors": [{"includeManagementEvents": True, "readWriteType": "All"}]}, []),
        ({"eventSelectors": [{"includeManagementEvents": True}]}, []),  # All is the default
        ({"eventSelectors": [{"includeManagementEvents": False, "readWriteType": "All"}]}, ["no management events"]),
        ({"eventSelectors": []}, ["no management events"]),
        ({"eventSelectors": [{"includeManagementEvents": True, "readWriteType": "ReadOnly"}]},
         ["no management write events (only reads)"]),
        ({"eventSelectors": [{"includeManagementEvents": True, "readWriteType": "WriteOnly"}]},
         ["no read-only management events"]),
        ({"eventSelectors": [{"includeManagementEvents": True, "readWriteType": "ReadOnly"},
                             {"includeManagementEvents": True, "readWriteType": "WriteOnly"}]}, []),
        ({"eventSelectors": [{"includeManagementEvents": True,
                              "excludeManagementEventSources": ["kms.amazonaws.com"]}]},
         ["no management events of kms.amazonaws.com"]),
        ({"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]}]}, []),
        ({"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}]}]},
         ["no management events"]),
        ({"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]},
                                                         {"field": "readOnly", "equals": ["true"]}]}]},
         ["no management write events (only reads)"]),
        ({"advancedEventSelectors": [{"FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Management"]},
            {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]}]}]},
         ["no management events of kms.amazonaws.com"]),
        ({"trailName": "t"}, None),  # nothing to read: no finding
        ({"eventSelectors": "All"}, None),
    ],
)  # fmt: skip
def test_selector_gaps_read_basic_and_advanced_selectors(request_, gaps):
    assert f.selector_gaps(request_) == gaps


def test_stratus_put_event_selectors_drops_management_events():
    record = detonation("aws.defense-evasion.cloudtrail-event-selectors.json", "PutEventSelectors")
    alert = assess(record)
    assert alert.severity == "high"
    assert alert.risk.reasons == [
        "The new event selectors of stratus-red-team-ctes-trail-khlvciwdor record no management events: "
        "iambot stops seeing those calls"
    ]
    s3_data = [{"type": "AWS::S3::Object"}]
    everything = {"includeManagementEvents": True, "readWriteType": "All", "dataResources": s3_data}
    data_too = {**record, "requestParameters": {"trailName": "org-trail", "eventSelectors": [everything]}}
    assert assess(data_too).severity == "low"  # adding data events is routine


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(request_=json_values)
def test_the_feed_readers_are_total(request_):
    gaps = f.selector_gaps(request_)
    assert gaps is None or all(isinstance(g, str) for g in gaps)
    request = request_ if isinstance(request_, dict) else {}
    record = {**load("UpdateTrail__authored__1.json"), "requestParameters": request}
    f.trail_weakened(subject(record), RiskContext())


# ------------------------------------------------------------------------------ trail settings


def test_update_trail_is_high_only_when_it_weakens_the_trail():
    record = load("UpdateTrail__authored__1.json")
    assert assess(record).severity == "high"
    moved = {**record, "requestParameters": {"name": "org-trail", "s3BucketName": "elsewhere"}}
    assert assess(moved).risk.reasons == ["The trail now delivers to bucket elsewhere: iambot may miss what follows"]
    kept = {"name": "org-trail", "isMultiRegionTrail": True, "enableLogFileValidation": True}
    routine = {**record, "requestParameters": kept}
    assert assess(routine).severity == "low"
