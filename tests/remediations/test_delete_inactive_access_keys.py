from __future__ import annotations

import pytest
from botocore.stub import Stubber
from pydantic import ValidationError

from remediations import registry
from remediations.delete_inactive_access_keys import DeleteInactiveAccessKeys


def _key(iam, user, status="Active"):
    if user not in [u["UserName"] for u in iam.list_users()["Users"]]:
        iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    if status != "Active":
        iam.update_access_key(UserName=user, AccessKeyId=key, Status=status)
    return key


def _keys(iam, user):
    return sorted(k["AccessKeyId"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"])


def test_registered():
    assert registry.get("delete-inactive-access-keys") is DeleteInactiveAccessKeys
    assert DeleteInactiveAccessKeys.destructive is True


def test_deletes_every_inactive_key_and_no_active_one(iam, run):
    a = _key(iam, "old-svc", "Inactive")
    keep = _key(iam, "old-svc")
    b = _key(iam, "ci", "Inactive")
    live = _key(iam, "new-svc")
    ran = run(DeleteInactiveAccessKeys, iam, {})
    expected = sorted([("ci", b), ("old-svc", a)])
    assert ran.plan.expected == {"keys": [f"{u}/{k}" for u, k in expected]}
    assert ran.plan.lines == [
        "Would permanently delete 2 inactive access key(s):",
        *[f"• {k} of user {u}" for u, k in expected],
    ]
    assert ran.outcome.lines == ["Deleted 2 inactive access key(s)", *[f"• {k} of user {u}" for u, k in expected]]
    assert _keys(iam, "old-svc") == [keep] and _keys(iam, "ci") == [] and _keys(iam, "new-svc") == [live]
    assert not ran.again.changed and ran.again.lines == ["Deleted 0 inactive access key(s)"]
    assert ran.after.lines == ["No inactive access key to delete"] and ran.after.expected == {"keys": []}


def test_a_key_deleted_meanwhile_is_skipped_with_stubber(aws_session):
    iam = aws_session.client("iam")
    user = {
        "Path": "/",
        "UserName": "old-svc",
        "UserId": "AIDAEXAMPLEEXAMPLE01",
        "Arn": "arn:aws:iam::123456789012:user/old-svc",
        "CreateDate": "2026-01-01T00:00:00Z",
    }
    key = {
        "UserName": "old-svc",
        "AccessKeyId": "AKIAEXAMPLE000000001",
        "Status": "Inactive",
        "CreateDate": "2026-01-01T00:00:00Z",
    }
    with Stubber(iam) as stub:
        stub.add_response("list_users", {"Users": [user], "IsTruncated": False}, {})
        stub.add_response(
            "list_access_keys", {"AccessKeyMetadata": [key], "IsTruncated": False}, {"UserName": "old-svc"}
        )
        stub.add_client_error(
            "delete_access_key",
            "NoSuchEntity",
            404,
            expected_params={"UserName": "old-svc", "AccessKeyId": "AKIAEXAMPLE000000001"},
        )
        outcome = DeleteInactiveAccessKeys(iam).apply(DeleteInactiveAccessKeys.parse({}))
        stub.assert_no_pending_responses()
    assert not outcome.changed and outcome.lines == ["Deleted 0 inactive access key(s)"]


def test_takes_no_parameters():
    with pytest.raises(ValidationError):
        DeleteInactiveAccessKeys.parse({"user_name": "old-svc"})


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        _key(session.client("iam"), "old-svc", "Inactive")
        return {}

    exactly_enough(DeleteInactiveAccessKeys, setup)
