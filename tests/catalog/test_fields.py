"""Reading an event through its entry: targets (from the request, the response, or a denial's
error message, and the caller only where IAM's own rule says so), look-ups, conditions, templates."""

from __future__ import annotations

import json

import pytest

from bot.catalog import generic_entry, load, parse_entry
from bot.catalog.fields import (
    UNKNOWN,
    Subject,
    document,
    holds,
    lookup,
    matches,
    path_value,
    render,
    resolve_targets,
    resolves,
    scalar_text,
    short_key,
    show,
    statements,
    trusted_principals,
)
from bot.events import normalize
from tests.support.records import load as load_record

IAM = "iam.amazonaws.com"


def subject_of(name_or_record, entry=None):
    record = load_record(name_or_record) if isinstance(name_or_record, str) else name_or_record
    event = normalize(record)
    entry = entry or load().get(event.event_source, event.event_name, event.read_only)
    return Subject(event, resolve_targets(entry, event))


def targets_of(name_or_record, entry=None):
    return dict(subject_of(name_or_record, entry).targets)


# ------------------------------------------------------------------------------ targets


def test_sso_session_targets_come_from_the_request():
    assert targets_of("UpdateAccessKey__authored__1.json") == {
        "user": "legacy-etl",
        "access_key_id": "AKIAEXAMPLELEGACY001",
    }


def test_root_target_from_the_response():
    targets = targets_of("CreateAccessKey__panther__6.json")
    assert targets["user"] == "root"  # responseElements says "Root"
    assert targets["access_key_id"] == "AKIA5ZZZK44445XXFFVB"
    record = load_record("CreateAccessKey__panther__6.json")
    record["responseElements"]["accessKey"]["userName"] = "AWS ROOT USER"
    assert targets_of(record)["user"] == "root"


def test_no_user_name_acts_on_the_calling_iam_user():
    s = subject_of("UpdateAccessKey__authored__2.json")
    assert s.event.request.get("userName") is None
    assert s.targets["user"] == "ops-alice"
    assert s.on_self is True


def test_caller_default_for_root_is_root():
    record = load_record("UpdateAccessKey__authored__2.json")
    record["userIdentity"] = {"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"}
    s = subject_of(record)
    assert s.targets["user"] == "root" and s.on_self is True


def test_caller_default_never_makes_a_role_session_the_target():
    """Changed on purpose: a role session has no user of its own, so the target stays unknown."""
    record = load_record("UpdateAccessKey__authored__2.json")
    record["userIdentity"] = load_record("UpdateAccessKey__authored__1.json")["userIdentity"]
    s = subject_of(record)
    assert "user" not in s.targets and s.on_self is None


def test_caller_default_only_where_the_entry_says_so():
    record = load_record("CreateUser__panther__1.json")
    record["requestParameters"] = {}
    record["responseElements"] = None
    record["userIdentity"] = load_record("UpdateAccessKey__authored__2.json")["userIdentity"]
    assert load().get(IAM, "CreateUser").caller_default is None
    assert "user" not in targets_of(record)


def test_denied_call_with_null_request_never_defaults_to_the_caller():
    record = load_record("UpdateAccessKey__authored__3.json")
    assert record["requestParameters"] is None
    assert targets_of(record) == {"user": "break-glass"}  # "on resource: user break-glass"
    record["errorMessage"] = "User: arn:aws:iam::111122223333:user/mallory-dev is not authorized"
    assert targets_of(record) == {}  # unknown: never the caller


def test_null_request_on_success_means_no_user_was_named():
    record = load_record("UpdateAccessKey__authored__2.json")
    record["requestParameters"] = None
    assert targets_of(record) == {"user": "ops-alice"}


def test_denied_call_target_from_error_message():
    """The old event-level target of GetRole: with an entry that names a role, the denial's message
    supplies it (GetRole's row in reads/iam.toml names one; a generic entry has no targets)."""
    entry = parse_entry(
        """
source = "iam.amazonaws.com"
name = "GetRole"
title = "Role read"
base_severity = "info"
docs = ["https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html"]
meaning = "Someone read a role's details."
why = "Reads map out who can do what."
targets = { role = "request.roleName" }
summary = [{ text = "{actor} read role {role}", attempt = "{actor} tried to read role {role}" }]
""",
        "GetRole.toml",
    )
    e = normalize(load_record("GetRole__panther__1.json"))
    assert e.error_code == "AccessDenied"
    targets = resolve_targets(entry, e)
    assert targets["role"] == "FooBar"
    assert targets["resource_arn"] == "arn:aws:iam::123456789012:role/FooBar"
    # the catalog's own GetRole row reads it the same way
    arn = "arn:aws:iam::123456789012:role/FooBar"
    assert targets_of("GetRole__panther__1.json") == {"role": "FooBar", "resource_arn": arn}
    generic = generic_entry(load().sources["iam.amazonaws.com"], "GetRole", read_only=True)
    assert resolve_targets(generic, e) == {"resource_arn": arn}


@pytest.mark.parametrize(
    ("message", "found"),
    [
        ("on resource: user bob because", {"user": "bob"}),
        ("on resource: group admins", {"group": "admins"}),
        ("on resource: policy arn:aws:iam::111122223333:policy/x",
         {"policy_arn": "arn:aws:iam::111122223333:policy/x"}),
        ("on resource: arn:aws:iam::111122223333:user/path/bob", {"user": "bob"}),
        ("on resource: arn:aws:iam::111122223333:oidc-provider/token.example.com",
         {"oidc_provider": "arn:aws:iam::111122223333:oidc-provider/token.example.com"}),
        ("on resource: something-else", {}),
        ("no resource named here", {}),
    ],
)
def test_error_message_resources(message, found):
    entry = parse_entry(
        """
source = "iam.amazonaws.com"
name = "Anything"
title = "Anything"
base_severity = "low"
docs = ["https://docs.aws.amazon.com/IAM/latest/APIReference/API_Anything.html"]
meaning = "A call that acts on something."
why = "Changes to identity matter."
summary = [{ text = "{actor} did it", attempt = "{actor} tried" }]
[targets]
user = "request.userName"
group = "request.groupName"
policy_arn = "request.policyArn"
oidc_provider = "request.openIDConnectProviderArn"
""",
        "Anything.toml",
    )
    record = dict(load_record("UpdateAccessKey__authored__3.json"), errorMessage=f"User: x is not authorized {message}")
    targets = resolve_targets(entry, normalize(record))
    targets.pop("resource_arn", None)
    assert targets == found


def test_created_credentials_come_from_response_elements():
    assert targets_of("UploadSigningCertificate__authored__1.json") == {
        "user": "ci-admin",
        "certificate_id": "TA7SMP42TDN5Z26OBPJE7EXAMPLE",
    }


def test_first_present_path_wins_and_wrong_types_are_absent():
    record = load_record("CreateAccessKey__panther__1.json")
    record["requestParameters"] = {"userName": ["a", "b"]}
    assert targets_of(record)["user"] == "a, b"
    record["requestParameters"] = {"userName": {"nested": 1}}
    record["responseElements"]["accessKey"]["userName"] = "from-response"
    assert targets_of(record)["user"] == "from-response"


# ------------------------------------------------------------------------------ on_self


def test_on_self():
    assert subject_of("UpdateAccessKey__authored__2.json").on_self is True
    assert subject_of("UpdateAccessKey__authored__1.json").on_self is False
    assert subject_of("CreateAccessKey__panther__6.json").on_self is True  # root on root
    assert subject_of("CreateAccessKey__panther__5.json").on_self is False  # root on a user
    assert subject_of("CreateUser__panther__1.json").on_self is False


def test_role_session_named_like_the_user_is_another_principal():
    """Changed on purpose: whoever assumes a role chooses its session name."""
    s = subject_of("UpdateLoginProfile__panther__1.json")
    assert s.event.actor.session_name == "alice" and s.targets["user"] == "alice"
    assert s.on_self is False


def test_on_self_is_unknown_without_a_user():
    s = subject_of("UpdateServerCertificate__authored__1.json")
    assert "user" not in s.targets and s.on_self is None


# ------------------------------------------------------------------------------ look-ups


def test_path_value():
    e = normalize(load_record("CreateAccessKey__panther__6.json"))
    assert path_value(e, "response.accessKey.status") == "Active"
    assert path_value(e, "response.accessKey.status.deeper") is None
    assert path_value(e, "identity.type") == "Root"
    assert path_value(e, "record.eventName") == "CreateAccessKey"
    assert path_value(e, "request.userName") is None
    record = dict(load_record("UpdateProfile__awsdocs__1.json"), resources=[{"ARN": "a"}, {"ARN": "b"}])
    e = normalize(record)
    assert path_value(e, "resources.1.ARN") == "b"
    assert path_value(e, "resources.2.ARN") is None
    assert path_value(e, "resources.x.ARN") is None


def test_lookup_context_fields():
    s = subject_of("UpdateAccessKey__authored__1.json")
    e = s.event
    assert lookup(s, "actor") == "erin@example.com"
    assert lookup(s, "actor_arn") == e.actor.arn
    assert lookup(s, "actor_type") == "AssumedRole"
    assert lookup(s, "actor_key") == "ASIAEXAMPLESESSION01"
    assert lookup(s, "actor_key_short") == "ASIA…ON01"
    assert lookup(s, "actor_issuer") == e.actor.issuer_arn
    assert lookup(s, "actor_account") == "111122223333"
    assert lookup(s, "account") == "111122223333"
    assert lookup(s, "region") == e.region
    assert lookup(s, "source_ip") == e.source_ip
    assert lookup(s, "user_agent") == e.user_agent
    assert lookup(s, "event_name") == "UpdateAccessKey"
    assert lookup(s, "event_source") == IAM
    assert lookup(s, "error_code") is None and lookup(s, "error_message") is None
    assert lookup(s, "on_self") is False
    assert lookup(s, "key") == "AKIA…Y001"
    assert lookup(s, "user") == "legacy-etl"
    assert lookup(s, "request.status") == "Active"
    assert lookup(s, "nothing_like_it") is None
    assert lookup(s, "allows") is False and lookup(s, "trusted") is None


def test_lookup_policy_facts():
    s = subject_of("UpdateAssumeRolePolicy__stratus__1.json")
    assert lookup(s, "allows") is True
    assert lookup(s, "trusted")  # the principals the trust policy names
    assert all(isinstance(p, str) for p in lookup(s, "trusted"))


def test_policy_documents():
    doc = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root", "2"],
                                                                     "Service": "ec2.amazonaws.com"}},
                                    {"Effect": "Deny", "Principal": "*"},
                                    {"Effect": "Allow", "Principal": "*"}, "junk"]})
    assert len(statements(doc)) == 3
    assert statements("not json") == [] and statements(["list"]) == []
    assert statements({"Statement": {"Effect": "Allow"}}) == [{"Effect": "Allow"}]
    assert trusted_principals(doc) == ["arn:aws:iam::1:root", "2", "ec2.amazonaws.com", "*"]
    assert document({"content": doc}) == doc
    assert document({"policyDocument": "", "inlinePolicy": {"a": 1}}) == {"a": 1}
    assert document({"other": doc}) is None


def test_short_key():
    assert short_key("AKIAIOSFODNN7EXAMPLE") == "AKIA…MPLE"
    assert short_key("AKIA1234") == "AKIA1234"
    assert short_key(None) is None and short_key("") is None


def test_scalar_text():
    assert scalar_text("x") == "x" and scalar_text(5) == "5" and scalar_text(1.5) == "1.5"
    assert scalar_text("") is None and scalar_text(None) is None and scalar_text(True) is None
    assert scalar_text(["a", 1]) == "a, 1"
    assert scalar_text([]) is None and scalar_text(["a", {"b": 1}]) is None and scalar_text([True]) is None
    assert scalar_text([str(i) for i in range(30)]).count(",") == 19  # at most 20 shown


# ------------------------------------------------------------------------------ conditions


@pytest.mark.parametrize(
    ("condition", "actual", "expected"),
    [
        ("Active", "active", True),
        ("Active", "Inactive", False),
        (["Active", "Inactive"], "inactive", True),
        (True, True, True),
        (True, "true", True),
        (False, None, False),
        ("5", 5, True),
        ({"present": True}, "x", True),
        ({"present": True}, "", False),
        ({"present": True}, [], False),
        ({"present": False}, None, True),
        ({"prefix": "AWSCompromised"}, "awscompromisedkeyquarantinev2", True),
        ({"prefix": ["x", "y"]}, "yes", True),
        ({"suffix": "Access"}, "arn:aws:iam::aws:policy/AdministratorAccess", True),
        ({"contains": ["terraform", "pulumi"]}, "APN/1.0 HashiCorp/1.0 Terraform/1.5", True),
        ({"contains": "x"}, None, False),
        ({"contains": "x"}, {"x": 1}, False),
        ({"not": True}, False, True),
        ({"not": True}, True, False),
        ({"present": True, "not": "HIDDEN"}, "hidden", False),
        ({"below": 5}, 4, True),
        ({"below": 5}, "4.5", True),
        ({"above": 5}, 5, False),
        ({"above": 1}, "many", False),
    ],
)
def test_holds(condition, actual, expected):
    assert holds(condition, actual) is expected


def test_matches_needs_every_condition():
    s = subject_of("UpdateAccessKey__authored__1.json")
    assert matches({}, s)
    assert matches({"request.status": "Active", "on_self": False}, s)
    assert not matches({"request.status": "Active", "on_self": True}, s)


# ------------------------------------------------------------------------------ templates


def test_render_and_resolves():
    s = subject_of("UpdateAccessKey__authored__1.json")
    assert render("{actor} re-activated {key} of {user}", s) == "erin@example.com re-activated AKIA…Y001 of legacy-etl"
    assert resolves("{actor} {user}", s)
    assert not resolves("{actor} {role}", s)
    assert render("{role} and {request}", s) == f"{UNKNOWN} and {UNKNOWN}"  # a dict shows as nothing


def test_show():
    assert show(None) is None and show("") is None and show({"a": 1}) is None
    assert show(True) == "true" and show(False) == "false"
    assert show(["a", "b"]) == "a, b"
    assert show(12) == "12"
    long = show("x" * 1000)
    assert len(long) == 300 and long.endswith("…")
