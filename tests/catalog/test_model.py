"""The shape of a catalog entry: what the model accepts and what it refuses, with reasons."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from bot.catalog import SEVERITIES, Entry, RemediationOffer, Summary
from bot.catalog.model import CONTEXT_FIELDS, check_condition, is_path


def minimal(**changes):
    data = {
        "source": "iam.amazonaws.com",
        "name": "UpdateAccessKey",
        "title": "Access key status changed",
        "base_severity": "low",
        "docs": ["https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html"],
        "meaning": "Someone switched an access key on or off.",
        "why": "A key switched back on works again for whoever holds it.",
        "targets": {"user": "request.userName", "access_key_id": ["request.accessKeyId", "response.accessKeyId"]},
        "summary": [
            {"when": {"request.status": "Active"}, "text": "{actor} re-activated {key} of {user}",
             "attempt": "{actor} tried"},
            {"text": "{actor} changed a key", "attempt": "{actor} tried to change a key"},
        ],
        "remediations": [
            {"id": "deactivate-access-key", "params": {"user_name": "user", "access_key_id": "access_key_id"}}
        ],
    }
    data.update(copy.deepcopy(changes))
    return data


def refused(data, match):
    with pytest.raises(ValidationError, match=match):
        Entry.model_validate(data)


def test_a_minimal_entry_is_valid_with_defaults():
    entry = Entry.model_validate(minimal())
    assert entry.key == ("iam.amazonaws.com", "UpdateAccessKey")
    assert entry.first_class is False and entry.generic is False
    assert entry.attack == [] and entry.factors == [] and entry.caller_default is None
    assert entry.remediations == [RemediationOffer(id="deactivate-access-key",
                                                   params={"user_name": "user", "access_key_id": "access_key_id"})]
    assert entry.summary[1] == Summary(text="{actor} changed a key", attempt="{actor} tried to change a key")


def test_entries_are_frozen():
    entry = Entry.model_validate(minimal())
    with pytest.raises(ValidationError):
        entry.title = "Other"


def test_severities_are_the_five():
    assert SEVERITIES == ("info", "low", "medium", "high", "critical")
    refused(minimal(base_severity="severe"), "base_severity")
    refused(minimal(summary=[{"text": "abc", "attempt": "abc", "severity": "urgent"}]), r"summary\.0\.severity")


def test_attack_ids_are_techniques_with_urls():
    entry = Entry.model_validate(minimal(attack=["T1098.001", "T1078"]))
    assert entry.attack_urls == [
        "https://attack.mitre.org/techniques/T1098/001/",
        "https://attack.mitre.org/techniques/T1078/",
    ]
    refused(minimal(attack=["TA0003"]), "'TA0003' is not an ATT&CK technique id like T1098.001")
    refused(minimal(attack=["T1098.1"]), "ATT&CK")


def test_docs_must_be_aws_documentation():
    refused(minimal(docs=["http://docs.aws.amazon.com/IAM/"]), "is not an AWS documentation link")
    refused(minimal(docs=["https://example.com/"]), "is not an AWS documentation link")
    refused(minimal(docs=[]), "docs")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("source", "IAM"),
        ("source", "iam.example.com"),
        ("name", "Update Access Key"),
        ("name", "9Update"),
        ("title", "ab"),
        ("title", "x" * 81),
        ("meaning", "too short"),
        ("why", "too short"),
        ("summary", []),
    ],
)
def test_field_shapes(field, value):
    refused(minimal(**{field: value}), field)


def test_unknown_keys_are_refused_everywhere():
    refused(minimal(colour="red"), "Extra inputs")
    refused(minimal(summary=[{"text": "abc", "attempt": "abc", "colour": "red"}]), "Extra inputs")
    refused(minimal(remediations=[{"id": "x", "colour": "red"}]), "Extra inputs")


def test_target_names_and_paths():
    refused(minimal(targets={"User": "request.userName"}), "target name 'User'")
    refused(minimal(targets={"actor": "request.userName"}), "not a context field")
    refused(minimal(targets={"user": "requestParameters.userName"}), "is not a record path")
    refused(minimal(targets={"user": ["request.userName", "userName"]}), "'userName' is not a record path")
    refused(minimal(targets={"user": "request."}), "is not a record path")


def test_placeholders_must_be_known():
    bad = minimal(summary=[{"text": "{actor} touched {usr}", "attempt": "abc"}])
    refused(bad, r"summary\[0\]: unknown field 'usr'; use a target of this entry \(access_key_id, user\)")
    cases = [{"when": {"colour": "red"}, "text": "abc", "attempt": "abc"}, {"text": "abc", "attempt": "abc"}]
    refused(minimal(summary=cases), r"summary\[0\]\.when: unknown field 'colour'")
    refused(minimal(remediations=[{"id": "deactivate-access-key", "params": {"user_name": "usr"}}]),
            "remediation deactivate-access-key: unknown field 'usr'")
    refused(minimal(remediations=[{"id": "deactivate-access-key", "when": {"colour": 1}}]),
            "remediation deactivate-access-key: unknown field 'colour'")
    # context fields and record paths are always known
    known = "{actor_arn} {region} {request.x.y} {identity.arn}"
    Entry.model_validate(minimal(summary=[{"text": known, "attempt": "abc"}]))


def test_the_last_summary_is_the_default():
    refused(minimal(summary=[{"when": {"on_self": True}, "text": "abc", "attempt": "abc"}]),
            "the last summary must have no 'when'")


def test_caller_default_must_be_a_target():
    assert Entry.model_validate(minimal(caller_default="user")).caller_default == "user"
    refused(minimal(caller_default="role"), "caller_default 'role' is not one of this entry's targets")


def test_remediation_ids_are_kebab_case():
    refused(minimal(remediations=[{"id": "Deactivate_Key"}]), r"remediations\.0\.id")
    assert RemediationOffer(id="detach-scp").params == {}


@pytest.mark.parametrize(
    "condition",
    [
        "Active",
        ["Active", "Inactive"],
        True,
        3,
        {"present": True},
        {"prefix": "AWS"},
        {"suffix": ["a", "b"]},
        {"contains": "x", "not": "xy"},
        {"below": 5, "above": 1.5},
    ],
)
def test_conditions_accepted(condition):
    check_condition("f", condition)
    Summary(when={"request.status": condition}, text="abc", attempt="abc")


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({}, "operators are"),
        ({"equals": 1}, r"operators are .*; got \['equals'\]"),
        ({"present": "yes"}, "present takes true or false"),
        ({"prefix": 3}, "prefix takes a string or a list of strings"),
        ({"contains": {"a": 1}}, "contains takes a string"),
        ({"below": "5"}, "below takes a number"),
        ({"above": True}, "above takes a number"),
    ],
)
def test_conditions_refused(condition, message):
    with pytest.raises(ValueError, match=message):
        check_condition("f", condition)
    with pytest.raises(ValidationError, match=message):
        RemediationOffer(id="x", when={"request.status": condition})


def test_record_paths():
    for root in ("request", "response", "additional", "service", "resources", "identity", "record"):
        assert is_path(f"{root}.x")
        assert not is_path(f"{root}.")
    assert not is_path("requestParameters.userName") and not is_path("user")


def test_context_fields_documented_in_the_authoring_guide():
    from importlib import resources

    guide = resources.files("bot.catalog").joinpath("README.md").read_text()
    undocumented = {f for f in CONTEXT_FIELDS if f"`{f}`" not in guide}
    # actor_key_short, actor_issuer, allows and trusted are usable but the guide does not list them yet
    assert undocumented <= {"actor_key_short", "actor_issuer", "allows", "trusted"}


def test_the_user_target_is_never_a_name_the_caller_chose():
    """`user` means an IAM user the call acted on. Where an entry reads it from the caller's own
    identity, the call acts on the calling IAM user itself (ChangePassword, a sign-in, the key's
    own user); a federated user's name (GetFederationToken's requestParameters.name) or a role
    session's name is never one."""
    from bot.catalog import load

    from_identity = sorted(
        e.name for e in load() if any(str(p).startswith("identity.") for p in _paths(e.targets.get("user")))
    )
    assert from_identity == ["ChangePassword", "ConsoleLogin", "GetCallerIdentity"]
    federation = load().get("sts.amazonaws.com", "GetFederationToken")
    assert "user" not in federation.targets and federation.targets["federated_user"] == "request.name"
    assert [o.params for o in federation.remediations] == [{"user_name": "identity.userName"}]


def _paths(value):
    return [] if value is None else [value] if isinstance(value, str) else value


# Operations that AWS documents as asynchronous, or whose response is a status or a task id to
# poll: their summaries say the work was started or requested, never that it was done.
ASYNCHRONOUS = {
    ("sso.amazonaws.com", "CreateAccountAssignment"),
    ("sso.amazonaws.com", "DeleteAccountAssignment"),
    ("sso.amazonaws.com", "ProvisionPermissionSet"),
    ("sso.amazonaws.com", "AddRegion"),
    ("sso.amazonaws.com", "RemoveRegion"),
    ("organizations.amazonaws.com", "CloseAccount"),
    ("organizations.amazonaws.com", "CreateAccount"),
    ("organizations.amazonaws.com", "CreateGovCloudAccount"),
    ("organizations.amazonaws.com", "EnablePolicyType"),
    ("organizations.amazonaws.com", "DisablePolicyType"),
    ("iam.amazonaws.com", "DeleteServiceLinkedRole"),
    ("iam.amazonaws.com", "DeleteWorkloadIdentityProvider"),
    ("iam.amazonaws.com", "GenerateCredentialReport"),
    ("iam.amazonaws.com", "GenerateServiceLastAccessedDetails"),
    ("iam.amazonaws.com", "GenerateOrganizationsAccessReport"),
}


@pytest.mark.parametrize(("source", "name"), sorted(ASYNCHRONOUS))
def test_asynchronous_calls_are_reported_as_started_not_done(source, name):
    from bot.catalog import load

    entry = load().get(source, name)
    assert not entry.generic
    for case in entry.summary:
        assert any(word in case.text for word in ("started", "requested", "asked")), case.text
