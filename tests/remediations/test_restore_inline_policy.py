from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from remediations import registry
from remediations._policies import document_hash
from remediations.base import RemediationError, Undo
from remediations.delete_group_policy import DeleteGroupPolicy
from remediations.delete_role_policy import DeleteRolePolicy
from remediations.delete_user_policy import DeleteUserPolicy
from remediations.restore_inline_policy import RestoreInlinePolicy

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "arn:aws:sqs:us-east-1:1:q"}],
}
OTHER = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
NAMES = {"user": "ci-bot", "group": "deployers", "role": "deploy"}
DELETE = {"user": DeleteUserPolicy, "group": DeleteGroupPolicy, "role": DeleteRolePolicy}
ARG = {"user": "UserName", "group": "GroupName", "role": "RoleName"}


def _create(iam, kind):
    name = NAMES[kind]
    if kind == "user":
        iam.create_user(UserName=name)
    elif kind == "group":
        iam.create_group(GroupName=name)
    else:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)


def _put(iam, kind, doc):
    getattr(iam, f"put_{kind}_policy")(
        **{ARG[kind]: NAMES[kind], "PolicyName": "app", "PolicyDocument": json.dumps(doc)}
    )


def _current(iam, kind):
    return getattr(iam, f"get_{kind}_policy")(**{ARG[kind]: NAMES[kind], "PolicyName": "app"})["PolicyDocument"]


def _params(kind):
    return {"principal_type": kind, "principal_name": NAMES[kind], "policy_name": "app"}


def _stored(snapshots, kind, doc=DOC):
    key = f"{kind}/{NAMES[kind]}/app"
    value = {"document": doc, "principal_type": kind, "principal_name": NAMES[kind], "policy_name": "app"}
    snapshots.record("inline-policy", key, value)


def test_registered():
    assert registry.get("restore-inline-policy") is RestoreInlinePolicy


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_puts_back_what_delete_stored(iam, run, snapshots, kind):
    _create(iam, kind)
    _put(iam, kind, DOC)
    delete = DELETE[kind]
    assert delete(iam, snapshots).apply(delete.parse({f"{kind}_name": NAMES[kind], "policy_name": "app"})).changed
    ran = run(RestoreInlinePolicy, iam, _params(kind), snapshots)
    digest = document_hash(DOC)
    assert ran.plan.lines == [
        f"Would put back inline policy app on {kind} {NAMES[kind]} with the stored document (sha256 {digest[:12]})"
    ]
    assert ran.plan.expected == {"current_sha256": None, "restore_sha256": digest}
    assert _current(iam, kind) == DOC
    assert not ran.again.changed
    assert ran.after.lines == [f"Inline policy app of {kind} {NAMES[kind]} already has the stored document"]


def test_replaces_a_different_current_document(iam, run, snapshots):
    _create(iam, "role")
    _put(iam, "role", OTHER)
    _stored(snapshots, "role")
    ran = run(RestoreInlinePolicy, iam, _params("role"), snapshots)
    assert ran.plan.lines[0].startswith("Would replace the document of inline policy app of role deploy (sha256 ")
    assert ran.plan.expected["current_sha256"] == document_hash(OTHER)
    assert _current(iam, "role") == DOC


def test_restores_the_latest_stored_document(iam, snapshots):
    _create(iam, "user")
    _stored(snapshots, "user", OTHER)
    _stored(snapshots, "user", DOC)
    RestoreInlinePolicy(iam, snapshots).apply(RestoreInlinePolicy.parse(_params("user")))
    assert _current(iam, "user") == DOC


@pytest.mark.parametrize("store", ["empty", "none"])
def test_refuses_when_iambot_stored_nothing(iam, snapshots, store):
    _create(iam, "user")
    rem = RestoreInlinePolicy(iam, snapshots if store == "empty" else None)
    p = RestoreInlinePolicy.parse(_params("user"))
    for step in (rem.plan, rem.apply):
        with pytest.raises(
            RemediationError, match="iambot has no stored document for inline policy app of user ci-bot"
        ):
            step(p)


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_missing_principal_is_a_clear_refusal(iam, snapshots, kind):
    _stored(snapshots, kind)
    rem, p = RestoreInlinePolicy(iam, snapshots), RestoreInlinePolicy.parse(_params(kind))
    for step in (rem.plan, rem.apply):
        with pytest.raises(RemediationError, match=rf"^{kind.capitalize()} {NAMES[kind]} does not exist$"):
            step(p)


def test_drift_in_the_live_or_the_stored_document(iam, snapshots):
    _create(iam, "group")
    _stored(snapshots, "group")
    rem, p = RestoreInlinePolicy(iam, snapshots), RestoreInlinePolicy.parse(_params("group"))
    approved = rem.plan(p).expected
    _put(iam, "group", OTHER)  # someone wrote a policy of that name meanwhile
    assert rem.plan(p).expected != approved
    live = rem.plan(p).expected
    _stored(snapshots, "group", {**DOC, "Statement": DOC["Statement"] * 2})  # iambot stored a newer one
    assert rem.plan(p).expected != live


def test_with_the_real_store(iam):
    from bot.store import Store

    store = Store(":memory:")
    try:
        _create(iam, "user")
        _put(iam, "user", DOC)
        DeleteUserPolicy(iam, store.snapshots).apply(
            DeleteUserPolicy.parse({"user_name": "ci-bot", "policy_name": "app"})
        )
        rem, p = RestoreInlinePolicy(iam, store.snapshots), RestoreInlinePolicy.parse(_params("user"))
        assert not rem.plan(p).noop
        assert rem.apply(p).changed
        assert _current(iam, "user") == DOC
        assert rem.plan(p).noop
    finally:
        store.close()


@pytest.mark.parametrize(
    "params",
    [
        {"principal_type": "account", "principal_name": "x", "policy_name": "app"},
        {"principal_type": "user", "principal_name": "x" * 65, "policy_name": "app"},
        {"principal_type": "role", "principal_name": "x" * 65, "policy_name": "app"},
        {"principal_type": "group", "principal_name": "x" * 129, "policy_name": "app"},
        {"principal_type": "user", "principal_name": "a:b", "policy_name": "app"},
        {"principal_type": "user", "principal_name": "ci-bot", "policy_name": "app", "document": "{}"},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        RestoreInlinePolicy.parse(params)


def test_group_names_may_be_longer():
    assert RestoreInlinePolicy.parse({"principal_type": "group", "principal_name": "g" * 128, "policy_name": "app"})


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_declared_permissions_are_exactly_enough(exactly_enough, snapshots, kind):
    store = type(snapshots)

    def setup(session, snaps):
        iam = session.client("iam")
        _create(iam, kind)
        _put(iam, kind, OTHER)  # a current document, so that the plan reads it too
        _stored(snaps, kind)
        return _params(kind)

    capitalized = kind.capitalize()
    needed = {f"iam:List{capitalized}Policies", f"iam:Get{capitalized}Policy", f"iam:Put{capitalized}Policy"}
    exactly_enough(RestoreInlinePolicy, setup, store=store, needed=needed)


def test_declares_only_the_puts_and_the_reads_it_uses():
    expected = {
        f"iam:{verb}{kind}Polic{end}"
        for kind in ("User", "Group", "Role")
        for verb, end in (("List", "ies"), ("Get", "y"), ("Put", "y"))
    }
    assert set(RestoreInlinePolicy.permissions) == expected


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_undo_deletes_a_policy_it_put_back(kind):
    put_back = {"current_sha256": None, "restore_sha256": "ab" * 32}
    assert RestoreInlinePolicy.undo(_params(kind), put_back) == Undo(
        f"delete-{kind}-policy", {f"{kind}_name": NAMES[kind], "policy_name": "app"}
    )
    # a document it replaced was not kept: no undo
    assert RestoreInlinePolicy.undo(_params(kind), {"current_sha256": "cd" * 32, "restore_sha256": "ab" * 32}) is None
    assert RestoreInlinePolicy.undo(_params(kind), {"restore_sha256": "ab" * 32}) is None


def test_undo_round_trip_deletes_it_again(iam, round_trip, snapshots):
    _create(iam, "role")
    _stored(snapshots, "role")
    done = round_trip(RestoreInlinePolicy, iam, _params("role"), snapshots)
    assert done.undo.remediation_id == "delete-role-policy"
    assert iam.list_role_policies(RoleName="deploy")["PolicyNames"] == []
