from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from botocore.stub import Stubber
from pydantic import ValidationError

from remediations import registry
from remediations._policies import decode, document_hash
from remediations.base import RemediationError, Undo
from remediations.delete_user_policy import DeleteUserPolicy

DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Exfil", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/a b+c"}],
}
PARAMS = {"user_name": "mallory-dev", "policy_name": "backdoor"}
KEY = "user/mallory-dev/backdoor"


def _user_with_inline_policy(iam, doc=DOC):
    iam.create_user(UserName="mallory-dev")
    iam.put_user_policy(UserName="mallory-dev", PolicyName="backdoor", PolicyDocument=json.dumps(doc))
    iam.put_user_policy(UserName="mallory-dev", PolicyName="keep-me", PolicyDocument=json.dumps(doc))


def _names(iam):
    return iam.list_user_policies(UserName="mallory-dev")["PolicyNames"]


def test_registered():
    assert registry.get("delete-user-policy") is DeleteUserPolicy


def test_stores_the_document_then_deletes_the_policy(iam, run, snapshots):
    _user_with_inline_policy(iam)
    ran = run(DeleteUserPolicy, iam, PARAMS, snapshots)
    digest = document_hash(DOC)
    assert ran.plan.lines[0] == (
        f"Would delete inline policy backdoor of user mallory-dev (1 statement(s), document sha256 {digest[:12]})"
    )
    assert ran.plan.expected == {"document_sha256": digest}
    assert _names(iam) == ["keep-me"]
    assert snapshots.latest("inline-policy", KEY) == {
        "document": DOC,
        "principal_type": "user",
        "principal_name": "mallory-dev",
        "policy_name": "backdoor",
    }
    assert (
        "restore-inline-policy principal_type=user principal_name=mallory-dev policy_name=backdoor"
        in (ran.outcome.lines[1])
    )
    assert not ran.again.changed and ran.again.lines == [
        "User mallory-dev had no inline policy backdoor (already deleted)"
    ]
    assert ran.after.lines == ["User mallory-dev has no inline policy backdoor"]
    assert ran.after.expected == {"document_sha256": None}


def test_the_document_is_stored_before_the_delete(iam, snapshots):
    _user_with_inline_policy(iam)
    seen = []

    class Watching(type(snapshots)):
        def record(self, kind, key, value, account_id=None, at=None):
            seen.append(_names(iam))  # what exists at the moment of recording
            return super().record(kind, key, value, account_id, at)

    DeleteUserPolicy(iam, Watching()).apply(DeleteUserPolicy.parse(PARAMS))
    assert seen == [["backdoor", "keep-me"]]


def test_a_failing_store_means_no_delete(iam):
    _user_with_inline_policy(iam)

    class Broken:
        def record(self, *args, **kwargs):
            raise OSError("disk full")

    with pytest.raises(OSError):
        DeleteUserPolicy(iam, Broken()).apply(DeleteUserPolicy.parse(PARAMS))  # type: ignore[arg-type]
    assert "backdoor" in _names(iam)


def test_refuses_without_a_snapshot_store(iam):
    _user_with_inline_policy(iam)
    with pytest.raises(RemediationError, match="nowhere to store the document"):
        DeleteUserPolicy(iam).apply(DeleteUserPolicy.parse(PARAMS))
    assert "backdoor" in _names(iam)


def test_missing_user_is_a_clear_refusal(iam, snapshots):
    rem, p = DeleteUserPolicy(iam, snapshots), DeleteUserPolicy.parse({**PARAMS, "user_name": "ghost"})
    with pytest.raises(RemediationError, match=r"^User ghost does not exist$"):
        rem.plan(p)
    with pytest.raises(RemediationError, match=r"^User ghost does not exist$"):
        rem.apply(p)
    assert snapshots.rows == []


def test_missing_policy_is_a_noop(iam, snapshots):
    iam.create_user(UserName="mallory-dev")
    plan = DeleteUserPolicy(iam, snapshots).plan(DeleteUserPolicy.parse(PARAMS))
    assert plan.noop and plan.lines == ["User mallory-dev has no inline policy backdoor"]


def test_a_changed_document_is_drift(iam):
    _user_with_inline_policy(iam)
    rem, p = DeleteUserPolicy(iam), DeleteUserPolicy.parse(PARAMS)
    approved = rem.plan(p).expected
    # the same document written differently is no change
    iam.put_user_policy(UserName="mallory-dev", PolicyName="backdoor", PolicyDocument=json.dumps(DOC, indent=4))
    assert rem.plan(p).expected == approved
    changed = {**DOC, "Statement": [{**DOC["Statement"][0], "Action": ["s3:*"]}]}
    iam.put_user_policy(UserName="mallory-dev", PolicyName="backdoor", PolicyDocument=json.dumps(changed))
    assert rem.plan(p).expected != approved


def test_url_encoded_documents_are_decoded(aws_session):
    # Real IAM sends documents URL-encoded; moto never does. botocore's json_decode_policies handler
    # decodes them, stubbed responses included, so Stubber gives the plan IAM's wire form end to end;
    # decode() also takes the encoded string itself, for a client without that handler.
    encoded = quote(json.dumps(DOC))
    assert decode(encoded) == DOC and decode(json.dumps(DOC)) == DOC and decode(DOC) == DOC
    iam = aws_session.client("iam")
    with Stubber(iam) as stub:
        stub.add_response(
            "list_user_policies", {"PolicyNames": ["backdoor"], "IsTruncated": False}, {"UserName": "mallory-dev"}
        )
        stub.add_response(
            "get_user_policy",
            {"UserName": "mallory-dev", "PolicyName": "backdoor", "PolicyDocument": encoded},
            {"UserName": "mallory-dev", "PolicyName": "backdoor"},
        )
        plan = DeleteUserPolicy(iam).plan(DeleteUserPolicy.parse(PARAMS))
        stub.assert_no_pending_responses()
    assert plan.expected == {"document_sha256": document_hash(DOC)}


def test_with_the_real_store(iam):
    from bot.store import Store

    store = Store(":memory:")
    try:
        _user_with_inline_policy(iam)
        outcome = DeleteUserPolicy(iam, store.snapshots).apply(DeleteUserPolicy.parse(PARAMS))
        assert outcome.changed
        assert store.snapshots.latest("inline-policy", KEY)["document"] == DOC
    finally:
        store.close()


@pytest.mark.parametrize(
    "params",
    [
        {"user_name": "mallory-dev", "policy_name": "has space"},
        {"user_name": "mallory-dev", "policy_name": "x" * 129},
        {"user_name": "", "policy_name": "backdoor"},
        {**PARAMS, "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        DeleteUserPolicy.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough, snapshots):
    def setup(session, _store):
        _user_with_inline_policy(session.client("iam"))
        return PARAMS

    exactly_enough(DeleteUserPolicy, setup, store=type(snapshots))


def test_undo_is_restore_inline_policy():
    assert DeleteUserPolicy.undo(PARAMS, {"document_sha256": "ab" * 32}) == Undo(
        "restore-inline-policy", {"principal_type": "user", "principal_name": "mallory-dev", "policy_name": "backdoor"}
    )
    assert DeleteUserPolicy.undo(PARAMS, {"document_sha256": None}) is None  # there was no such policy


def test_undo_round_trip_puts_the_policy_back(iam, round_trip, snapshots):
    _user_with_inline_policy(iam)
    done = round_trip(DeleteUserPolicy, iam, PARAMS, snapshots)
    assert done.undo.remediation_id == "restore-inline-policy"
    assert "backdoor" in _names(iam)
    assert iam.get_user_policy(UserName="mallory-dev", PolicyName="backdoor")["PolicyDocument"] == DOC
