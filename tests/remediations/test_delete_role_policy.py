from __future__ import annotations

import json

import pytest

from remediations import registry
from remediations._policies import document_hash
from remediations.base import RemediationError, Undo
from remediations.delete_role_policy import DeleteRolePolicy

DOC = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
    ],
}
PARAMS = {"role_name": "deploy", "policy_name": "backdoor"}
KEY = "role/deploy/backdoor"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)


def _role_with_inline_policy(iam):
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="deploy", PolicyName="backdoor", PolicyDocument=json.dumps(DOC))


def _names(iam):
    return iam.list_role_policies(RoleName="deploy")["PolicyNames"]


def test_registered():
    assert registry.get("delete-role-policy") is DeleteRolePolicy


def test_stores_the_document_then_deletes_the_policy(iam, run, snapshots):
    _role_with_inline_policy(iam)
    ran = run(DeleteRolePolicy, iam, PARAMS, snapshots)
    assert ran.plan.lines[0].startswith("Would delete inline policy backdoor of role deploy (2 statement(s)")
    assert ran.plan.expected == {"document_sha256": document_hash(DOC)}
    assert _names(iam) == []
    assert snapshots.latest("inline-policy", KEY) == {
        "document": DOC,
        "principal_type": "role",
        "principal_name": "deploy",
        "policy_name": "backdoor",
    }
    assert not ran.again.changed
    assert ran.after.lines == ["Role deploy has no inline policy backdoor"]


def test_refuses_without_a_snapshot_store(iam):
    _role_with_inline_policy(iam)
    with pytest.raises(RemediationError, match="nowhere to store the document"):
        DeleteRolePolicy(iam).apply(DeleteRolePolicy.parse(PARAMS))
    assert _names(iam) == ["backdoor"]


def test_missing_role_is_a_clear_refusal(iam, snapshots):
    rem, p = DeleteRolePolicy(iam, snapshots), DeleteRolePolicy.parse({**PARAMS, "role_name": "ghost"})
    with pytest.raises(RemediationError, match=r"^Role ghost does not exist$"):
        rem.plan(p)
    with pytest.raises(RemediationError, match=r"^Role ghost does not exist$"):
        rem.apply(p)


def test_a_changed_document_is_drift(iam):
    _role_with_inline_policy(iam)
    rem, p = DeleteRolePolicy(iam), DeleteRolePolicy.parse(PARAMS)
    approved = rem.plan(p).expected
    iam.put_role_policy(
        RoleName="deploy", PolicyName="backdoor", PolicyDocument=json.dumps({**DOC, "Statement": DOC["Statement"][:1]})
    )
    assert rem.plan(p).expected != approved


def test_with_the_real_store(iam):
    from bot.store import Store

    store = Store(":memory:")
    try:
        _role_with_inline_policy(iam)
        assert DeleteRolePolicy(iam, store.snapshots).apply(DeleteRolePolicy.parse(PARAMS)).changed
        assert store.snapshots.latest("inline-policy", KEY)["document"] == DOC
    finally:
        store.close()


def test_declared_permissions_are_exactly_enough(exactly_enough, snapshots):
    def setup(session, _store):
        _role_with_inline_policy(session.client("iam"))
        return PARAMS

    exactly_enough(DeleteRolePolicy, setup, store=type(snapshots))


def test_undo_is_restore_inline_policy():
    assert DeleteRolePolicy.undo(PARAMS, {"document_sha256": "ab" * 32}) == Undo(
        "restore-inline-policy", {"principal_type": "role", "principal_name": "deploy", "policy_name": "backdoor"}
    )
    assert DeleteRolePolicy.undo(PARAMS, {"document_sha256": None}) is None  # there was no such policy


def test_undo_round_trip_puts_the_policy_back(iam, round_trip, snapshots):
    _role_with_inline_policy(iam)
    done = round_trip(DeleteRolePolicy, iam, PARAMS, snapshots)
    assert done.undo.remediation_id == "restore-inline-policy"
    assert "backdoor" in _names(iam)
    assert iam.get_role_policy(RoleName="deploy", PolicyName="backdoor")["PolicyDocument"] == DOC
