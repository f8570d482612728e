from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from botocore.stub import Stubber
from pydantic import ValidationError

from remediations import registry
from remediations.deactivate_stale_access_keys import DeactivateStaleAccessKeys
from tests.support.records import key_status

THEN = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _key(iam, user):
    iam.create_user(UserName=user)
    return iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]


def test_registered():
    assert registry.get("deactivate-stale-access-keys") is DeactivateStaleAccessKeys
    assert DeactivateStaleAccessKeys.destructive is False


def test_deactivates_keys_unused_for_too_long(iam, run):
    with time_machine.travel(THEN, tick=False):
        old = _key(iam, "old-svc")
        retired = _key(iam, "retired-svc")
        iam.update_access_key(UserName="retired-svc", AccessKeyId=retired, Status="Inactive")
    with time_machine.travel(NOW, tick=False):
        new = _key(iam, "new-svc")
        ran = run(DeactivateStaleAccessKeys, iam, {"unused_days": 90})
    assert ran.plan.expected == {"keys": [f"old-svc/{old}"]}
    assert ran.plan.lines == ["Would deactivate 1 access key(s):", f"• {old} of user old-svc (never used in 323 days)"]
    assert re.search(r"never used in \d+ days", ran.plan.lines[1])
    assert ran.outcome.lines == ["Deactivated 1 stale access key(s)", f"• {old} of user old-svc"]
    assert key_status(iam, old, "old-svc") == "Inactive"
    assert key_status(iam, new, "new-svc") == "Active"
    assert key_status(iam, retired, "retired-svc") == "Inactive"
    assert not ran.again.changed and ran.again.lines == ["Deactivated 0 stale access key(s)"]
    assert ran.after.lines == ["No active access key is stale"] and ran.after.expected == {"keys": []}


def _answers(stub, users_keys, last_used):
    stub.add_response("list_users", {"Users": [_user(u) for u in users_keys], "IsTruncated": False}, {})
    for user, keys in users_keys.items():
        stub.add_response(
            "list_access_keys",
            {"AccessKeyMetadata": [_meta(user, k, created) for k, created in keys], "IsTruncated": False},
            {"UserName": user},
        )
        for key, _ in keys:
            used = (
                {"Region": "us-east-1", "ServiceName": "s3", "LastUsedDate": last_used[key]}
                if key in last_used
                else {
                    "Region": "N/A",
                    "ServiceName": "N/A",
                }
            )
            stub.add_response(
                "get_access_key_last_used", {"UserName": user, "AccessKeyLastUsed": used}, {"AccessKeyId": key}
            )


def _user(name):
    return {
        "Path": "/",
        "UserName": name,
        "UserId": "AIDAEXAMPLEEXAMPLE01",
        "Arn": f"arn:aws:iam::123456789012:user/{name}",
        "CreateDate": NOW - timedelta(days=1000),
    }


def _meta(user, key, created):
    return {"UserName": user, "AccessKeyId": key, "Status": "Active", "CreateDate": created}


def test_age_and_last_use_with_stubber(aws_session):
    # moto never records a key's use; Stubber plays IAM's GetAccessKeyLastUsed
    iam = aws_session.client("iam")
    keys = {
        "ci": [
            ("AKIAOLDBUTBUSY000001", NOW - timedelta(days=400)),
            ("AKIAIDLE000000000002", NOW - timedelta(days=200)),
        ],
        "app": [("AKIAFRESH00000000003", NOW - timedelta(days=10))],
    }
    used = {"AKIAOLDBUTBUSY000001": NOW - timedelta(days=1), "AKIAIDLE000000000002": NOW - timedelta(days=100)}
    with time_machine.travel(NOW, tick=False), Stubber(iam) as stub:
        _answers(stub, keys, used)
        by_use = DeactivateStaleAccessKeys(iam).plan(DeactivateStaleAccessKeys.parse({"unused_days": 90}))
        _answers(stub, keys, used)
        by_age = DeactivateStaleAccessKeys(iam).plan(
            DeactivateStaleAccessKeys.parse({"max_age_days": 365, "unused_days": None})
        )
        _answers(stub, keys, used)
        both = DeactivateStaleAccessKeys(iam).plan(DeactivateStaleAccessKeys.parse({"max_age_days": 365}))
        stub.assert_no_pending_responses()
    assert by_use.lines[1:] == ["• AKIAIDLE000000000002 of user ci (last used 100 days ago)"]
    assert by_age.lines[1:] == ["• AKIAOLDBUTBUSY000001 of user ci (created 400 days ago)"]
    assert both.expected == {"keys": ["ci/AKIAIDLE000000000002", "ci/AKIAOLDBUTBUSY000001"]}


def test_parameters():
    assert DeactivateStaleAccessKeys.parse({}).unused_days == 90
    with pytest.raises(ValidationError, match="give max_age_days, unused_days or both"):
        DeactivateStaleAccessKeys.parse({"unused_days": None})


@pytest.mark.parametrize("params", [{"unused_days": 0}, {"max_age_days": 3651}, {"user_name": "old-svc"}])
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        DeactivateStaleAccessKeys.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        with time_machine.travel(datetime(2025, 1, 1, tzinfo=UTC), tick=False):
            _key(session.client("iam"), "old-svc")
        return {"unused_days": 90}

    exactly_enough(DeactivateStaleAccessKeys, setup)
