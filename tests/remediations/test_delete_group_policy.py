from __future__ import annotations

import json

import pytest

from remediations import registry
from remediations._policies import document_hash
from remediations.base import RemediationError, Undo
from remediations.delete_group_policy import DeleteGroupPolicy

DOC = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
    ],
}
PARAMS = {"group_name": "contractors", "policy_name": "backdoor"}
KEY = "group/contractors/backdoor"


def _group_with_inline_policy(iam):
    iam.create_group(GroupName="contractors")
    iam.put_group_policy(GroupName="contractors", PolicyName="backdoor", PolicyDocument=json.dumps(DOC))


def _names(iam):
    return iam.list_group_policies(GroupName="contractors")["PolicyNames"]


def test_registered():
    assert registry.get("delete-group-policy") is DeleteGroupPolicy


def test_stores_the_document_then_deletes_the_policy(iam, run, snapshots):
    _group_with_inline_policy(iam)
    ran = run(DeleteGroupPolicy, iam, PARAMS, snapshots)
    assert ran.plan.lines[0].startswith("Would delete inline policy backdoor of group contractors (2 statement(s)")
    assert ran.plan.expected == {"document_sha256": document_hash(DOC)}
    assert _names(iam) == []
    assert snapshots.latest("inline-policy", KEY) == {
        "document": DOC,
        "principal_type": "group",
        "principal_name": "contractors",
        "policy_name": "backdoor",
    }
    assert not ran.again.changed
    assert ran.after.lines == ["Group contractors has no inline policy backdoor"]


def test_refuses_without_a_snapshot_store(iam):
    _group_with_inline_policy(iam)
    with pytest.raises(RemediationError, match="nowhere to store the document"):
        DeleteGroupPolicy(iam).apply(DeleteGroupPolicy.parse(PARAMS))
    assert _names(iam) == ["backdoor"]


def test_missing_group_is_a_clear_refusal(iam, snapshots):
    rem, p = DeleteGroupPolicy(iam, snapshots), DeleteGroupPolicy.parse({**PARAMS, "group_name": "ghost"})
    with pytest.raises(RemediationError, match=r"^Group ghost does not exist$"):
        rem.plan(p)
    with pytest.raises(RemediationError, match=r"^Group ghost does not exist$"):
        rem.apply(p)


def test_a_changed_document_is_drift(iam):
    _group_with_inline_policy(iam)
    rem, p = DeleteGroupPolicy(iam), DeleteGroupPolicy.parse(PARAMS)
    approved = rem.plan(p).expected
    iam.put_group_policy(
        GroupName="contractors",
        PolicyName="backdoor",
        PolicyDocument=json.dumps({**DOC, "Statement": DOC["Statement"][:1]}),
    )
    assert rem.plan(p).expected != approved


def test_with_the_real_store(iam):
    from bot.store import Store

    store = Store(":memory:")
    try:
        _group_with_inline_policy(iam)
        assert DeleteGroupPolicy(iam, store.snapshots).apply(DeleteGroupPolicy.parse(PARAMS)).changed
        assert store.snapshots.latest("inline-policy", KEY)["document"] == DOC
    finally:
        store.close()


def test_declared_permissions_are_exactly_enough(exactly_enough, snapshots):
    def setup(session, _store):
        _group_with_inline_policy(session.client("iam"))
        return PARAMS

    exactly_enough(DeleteGroupPolicy, setup, store=type(snapshots))


def test_undo_is_restore_inline_policy():
    assert DeleteGroupPolicy.undo(PARAMS, {"document_sha256": "ab" * 32}) == Undo(
        "restore-inline-policy", {"principal_type": "group", "principal_name": "contractors", "policy_name": "backdoor"}
    )
    assert DeleteGroupPolicy.undo(PARAMS, {"document_sha256": None}) is None  # there was no such policy


def test_undo_round_trip_puts_the_policy_back(iam, round_trip, snapshots):
    _group_with_inline_policy(iam)
    done = round_trip(DeleteGroupPolicy, iam, PARAMS, snapshots)
    assert done.undo.remediation_id == "restore-inline-policy"
    assert "backdoor" in _names(iam)
    assert iam.get_group_policy(GroupName="contractors", PolicyName="backdoor")["PolicyDocument"] == DOC
