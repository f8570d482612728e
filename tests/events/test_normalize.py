"""One CloudTrail record to one IamEvent: the actor, the facts, and clear refusals.

What a call acted on (its targets) is no longer part of the event: it comes from the catalog
entry (tests/catalog/test_fields.py); the target assertions of the old suite live there.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.assess import Assessor
from bot.catalog import load as load_catalog
from bot.events import Actor, RecordError, normalize, parse_time, record_id
from bot.events.normalize import PORTAL_PATHS, portal_name
from tests.support.records import all_record_files, load


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-08-28T09:54:40Z", datetime(2024, 8, 28, 9, 54, 40, tzinfo=UTC)),
        ("2022-09-15 13:45:24", datetime(2022, 9, 15, 13, 45, 24, tzinfo=UTC)),
        ("2023-01-03 01:52:07.000000000", datetime(2023, 1, 3, 1, 52, 7, tzinfo=UTC)),
        ("2024-01-01T02:00:00+02:00", datetime(2024, 1, 1, 0, 0, tzinfo=UTC)),
        ("2024-08-28T09:54:40.123456789z", datetime(2024, 8, 28, 9, 54, 40, 123456, tzinfo=UTC)),
    ],
)
def test_parse_time_accepts_iso_and_fixture_forms(value, expected):
    assert parse_time(value) == expected
    assert parse_time(value).tzinfo is UTC


@pytest.mark.parametrize("value", ["yesterday", "", "   ", None, 12, "2024-13-01T00:00:00Z", "9" * 65, ["2024"]])
def test_parse_time_rejects_clearly(value):
    with pytest.raises(RecordError, match="eventTime"):
        parse_time(value)


@given(
    st.builds(lambda d, sep: d.isoformat(sep=sep, timespec="seconds"), st.datetimes(), st.sampled_from("T "))
    | st.text(alphabet="0123456789-:TWZ+ ", max_size=24)
)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_aws_time_form_is_read_as_the_general_path_reads_it(stamp):
    # "…Z" is read directly; with a trailing space it takes the general path ("Z" -> "+00:00")
    def read(value):
        try:
            return parse_time(value)
        except RecordError:
            return "refused"

    assert read(stamp + "Z") == read(stamp + "Z ")
    if read(stamp + "Z") != "refused":
        assert read(stamp + "Z").tzinfo is UTC


def test_parse_time_names_the_value_and_clips_it():
    with pytest.raises(RecordError) as err:
        parse_time("last tuesday")
    assert str(err.value) == "eventTime 'last tuesday' is not a time"
    with pytest.raises(RecordError) as err:
        parse_time("x" * 64)
    assert len(str(err.value)) < 100 and "…" in str(err.value)


def test_parse_time_out_of_range_is_refused():
    with pytest.raises(RecordError, match="out of range"):
        parse_time("0001-01-01T00:00:00+01:00")


def test_fixture_helper_reads_records_and_authored_records():
    assert load("UpdateAccessKey__authored__1.json")["eventName"] == "UpdateAccessKey"
    assert load("CreateUser__panther__1.json")["eventName"] == "CreateUser"
    with pytest.raises(FileNotFoundError):
        load("NoSuchRecord__x__1.json")


def test_sso_session_actor_is_the_email():
    e = normalize(load("UpdateAccessKey__authored__1.json"))
    assert e.actor.type == "AssumedRole"
    assert e.actor.name == "erin@example.com"
    assert e.actor.email == "erin@example.com"
    assert e.actor.role_name == "AWSReservedSSO_AdministratorAccess_0123456789abcdef"
    assert e.actor.session_name == "erin@example.com"
    assert e.actor.issuer_arn.endswith("/AWSReservedSSO_AdministratorAccess_0123456789abcdef")
    assert e.actor.console is True
    # changed on purpose: a role session's mfaAuthenticated "false" says nothing of the IdP's MFA
    assert e.raw["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    assert e.actor.mfa is None


def test_iam_user_mfa_false_is_kept():
    record = load("UpdateAccessKey__authored__2.json")
    record["userIdentity"]["sessionContext"] = {"attributes": {"mfaAuthenticated": "false"}}
    assert normalize(record).actor.mfa is False
    record["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"] = "true"
    assert normalize(record).actor.mfa is True


def test_role_session_without_sso_is_role_slash_session():
    e = normalize(load("ConsoleLogin__awscli__1.json"))
    assert e.actor.type == "AssumedRole"
    assert e.actor.name == "my-role/my-session-name"
    assert e.actor.mfa is None  # federated sign-in: the IdP decides, MFAUsed says nothing


def test_root_actor():
    e = normalize(load("CreateAccessKey__panther__6.json"))
    assert e.actor.name == "root" and e.actor.is_root
    assert e.actor.type == "Root"
    assert e.actor.account_id == "493859302102"


def test_sign_in_mfa_comes_from_mfa_used():
    assert normalize(load("ConsoleLogin__awsdocs__1.json")).actor.mfa is False
    assert normalize(load("ConsoleLogin__awsdocs__2.json")).actor.mfa is True
    assert normalize(load("ConsoleLogin__awsdocs__5.json")).actor.mfa is True  # "YES"
    login = normalize(load("ConsoleLogin__awsdocs__1.json"))
    assert login.actor.console is True  # every sign-in is a console event
    assert login.additional["LoginTo"] == "https://console.aws.amazon.com/sns"


def test_failed_sign_in_is_a_failure_without_an_error_code():
    failed = normalize(load("ConsoleLogin__awsdocs__3.json"))
    assert failed.raw.get("errorCode") is None
    assert failed.error_code == "Failure" and failed.failed
    assert normalize(load("CredentialVerification__awsdocs__3.json")).error_code == "Failure"
    assert normalize(load("ConsoleLogin__awsdocs__2.json")).failed is False


def test_denied_call_keeps_code_and_message():
    e = normalize(load("GetRole__panther__1.json"))
    assert e.error_code == "AccessDenied" and e.failed
    assert "on resource: arn:aws:iam::123456789012:role/FooBar" in e.error_message
    assert e.request_recorded is False  # requestParameters null


def test_read_only_flag_and_derived():
    assert normalize(load("GetRole__panther__1.json")).read_only is True
    assert normalize(load("CreateUser__panther__1.json")).read_only is False
    record = load("CreateUser__panther__1.json")
    record.pop("readOnly", None)
    assert normalize(record).read_only is False
    assert normalize(dict(record, eventName="ListUsers")).read_only is True
    assert normalize(dict(record, eventName="ListUsers", readOnly=False)).read_only is False


def test_facts_are_copied_from_the_record():
    e = normalize(load("UpdateAccessKey__authored__1.json"), origin="somewhere.json[0]")
    assert e.event_name == "UpdateAccessKey"
    assert e.event_source == "iam.amazonaws.com" and e.service == "iam"
    assert e.event_time == datetime(2026, 11, 20, 10, 2, 11, tzinfo=UTC)
    assert e.account_id == "111122223333"
    assert e.request == {"userName": "legacy-etl", "accessKeyId": "AKIAEXAMPLELEGACY001", "status": "Active"}
    assert e.origin == "somewhere.json[0]"
    assert e.key == f"{e.event_id}|UpdateAccessKey|{int(e.event_time.timestamp())}"
    assert e.raw == load("UpdateAccessKey__authored__1.json")


def test_account_falls_back_to_the_actor_account():
    record = load("UpdateAccessKey__authored__1.json")
    del record["recipientAccountId"]
    assert normalize(record).account_id == "111122223333"
    record["recipientAccountId"] = 444455556666  # numbers arrive too
    assert normalize(record).account_id == "444455556666"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"eventName": None}, "record has no eventName"),
        ({"eventName": "Create User"}, "is not an API call name"),
        ({"eventName": "x" * 200}, "is not an API call name"),
        ({"eventSource": None}, "record has no eventSource"),
        ({"eventSource": "IAM amazonaws"}, "is not a service endpoint"),
        ({"eventTime": "last tuesday"}, "eventTime 'last tuesday' is not a time"),
    ],
)
def test_unusable_records_are_refused_with_a_reason(change, reason):
    record = {**load("CreateUser__stratus__1.json"), **change}
    with pytest.raises(RecordError, match=reason):
        normalize(record)


@pytest.mark.parametrize("value", [[1], "text", 3, None])
def test_non_objects_are_refused(value):
    with pytest.raises(RecordError, match="expected a JSON object"):
        normalize(value)


def test_deep_nesting_is_refused():
    record = load("CreateUser__stratus__1.json")
    deep: dict = {}
    node = deep
    for _ in range(80):
        node["x"] = {}
        node = node["x"]
    record["requestParameters"] = deep
    with pytest.raises(RecordError, match="nests deeper than 64 levels"):
        normalize(record)


def test_wrong_types_are_treated_as_absent():
    record = load("CreateUser__stratus__1.json")
    record.update(userIdentity="me", requestParameters=[1], responseElements="x", userAgent=12, sourceIPAddress=True)
    e = normalize(record)
    assert e.actor == Actor(type="Unknown", arn=None, name="unknown")
    assert e.request == {} and e.response == {} and e.request_recorded is False
    assert e.user_agent == "12" and e.source_ip is None


def test_record_without_event_id_gets_a_stable_hash():
    record = load("CreateUser__panther__1.json")
    del record["eventID"]
    assert record_id(record) == record_id(json.loads(json.dumps(record)))
    assert record_id(record).startswith("sha256:")
    other = dict(record, eventTime="2019-01-02T00:00:00Z")
    assert record_id(other) != record_id(record)
    assert normalize(record).event_id == record_id(record)


def test_unusable_event_ids_are_replaced_by_the_hash():
    record = load("CreateUser__panther__1.json")
    assert record_id(record) == record["eventID"]
    for bad in ("e" * 129, "", "line\nbreak", 7):
        assert record_id(dict(record, eventID=bad)).startswith("sha256:")


@pytest.mark.parametrize(
    ("identity", "name"),
    [
        ({"type": "FederatedUser", "arn": "arn:aws:sts::111122223333:federated-user/helpdesk"}, "helpdesk"),
        ({"type": "AWSService", "invokedBy": "cloudformation.amazonaws.com"}, "cloudformation.amazonaws.com"),
        ({"type": "AWSService"}, "an AWS service"),
        ({"type": "AWSAccount", "accountId": "444455556666"}, "account 444455556666"),
        ({"type": "IdentityCenterUser", "onBehalfOf": {"userId": "u-123"}}, "Identity Center user u-123"),
        ({"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/path/bob"}, "bob"),
        ({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Deploy/ci-run"}, "Deploy/ci-run"),
        ({"type": "SAMLUser", "userName": "sam@example.com"}, "sam@example.com"),
    ],
)
def test_every_actor_kind_gets_a_readable_name(identity, name):
    record = dict(load("CreateUser__stratus__1.json"), userIdentity=identity)
    assert normalize(record).actor.name == name


def test_actor_email_needs_a_domain():
    assert Actor("IAMUser", None, "x", user_name="Bob@Example.COM").email == "bob@example.com"
    assert Actor("IAMUser", None, "x", user_name="bob@localhost").email is None
    assert Actor("Root", None, "root").email is None


SELECTION = load_catalog().selection()
SEED_RECORDS = [
    r for r in (load(f.name) for f in all_record_files()) if SELECTION.wants(r["eventSource"], r["eventName"])
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
FIELDS = [
    "eventTime",
    "userIdentity",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "serviceEventDetails",
    "errorMessage",
    "errorCode",
    "eventID",
    "recipientAccountId",
    "readOnly",
    "sessionCredentialFromConsole",
    "userAgent",
]
ASSESS = Assessor()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEED_RECORDS), st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4))
def test_mangled_fields_never_crash(record, changes):
    mangled = json.loads(json.dumps({**record, **changes}))
    try:
        event = normalize(mangled)
    except RecordError as exc:
        assert str(exc)
        return
    assert event.event_time.tzinfo is not None
    alert = ASSESS(event)  # and what the catalog reads from it holds together
    assert isinstance(alert.targets, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in alert.targets.items())
    assert alert.summary and alert.severity


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://portal.sso.us-east-1.amazonaws.com/instance/appinstances", "ListApplications"),
        ("https://portal.sso.eu-west-1.amazonaws.com/federation/credentials?account_id=1", "GetRoleCredentials"),
        ("https://portal.sso.us-east-1.amazonaws.com/assignment/accounts", "ListAccounts"),
        ("https://portal.sso.us-east-1.amazonaws.com/assignment/roles/", "ListAccountRoles"),
        ("https://portal.sso.us-east-1.amazonaws.com/logout", "Logout"),
    ],
)
def test_access_portal_events_named_by_url_get_the_api_name(url, name):
    """Older portal records name the event by the URL called (the IAM Identity Center user guide's
    example): read by its path, the event is the portal API's operation, not a refused record."""
    record = {**load("ListApplications__awsdocs__1.json"), "eventName": url}
    event = normalize(record)
    assert event.event_name == name
    assert event.raw["eventName"] == url  # the record itself is kept as it came
    assert event.read_only is (name != "Logout")  # no readOnly in the record: by the API name


def test_the_user_guides_url_named_record_is_read():
    event = normalize(load("ListApplications__awsdocs__1.json"))
    assert (event.event_source, event.event_name, event.actor.name) == (
        "sso.amazonaws.com",
        "ListApplications",
        "bobsmith@example.com",
    )


def test_portal_paths_are_the_portal_apis_own():
    """Each path is the one the portal API's service model (the locked botocore) calls it by, but
    the legacy portal's application list, which only the user guide's example shows."""
    model = botocore.session.get_session().get_service_model("sso")
    by_path = {model.operation_model(op).http["requestUri"]: op for op in model.operation_names}
    assert {p: n for p, n in PORTAL_PATHS.items() if p != "/instance/appinstances"} == by_path


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ("sso.amazonaws.com", "https://portal.sso.us-east-1.amazonaws.com/instance/somethingelse"),
        ("sso.amazonaws.com", "https://evil.example.com/instance/appinstances"),
        ("sso.amazonaws.com", "https://portal.sso.us-east-1.amazonaws.com.evil.example/logout"),
        ("iam.amazonaws.com", "https://portal.sso.us-east-1.amazonaws.com/logout"),
        ("sso.amazonaws.com", "https://[::1"),
        ("sso.amazonaws.com", "https://portal.sso.us-east-1.amazonaws.com/" + "a" * 3000),
    ],
)
def test_other_urls_are_still_refused_as_not_an_api_call_name(source, url):
    record = {**load("ListApplications__awsdocs__1.json"), "eventSource": source, "eventName": url}
    with pytest.raises(RecordError, match="is not an API call name"):
        normalize(record)
    assert portal_name(url, source) is None
