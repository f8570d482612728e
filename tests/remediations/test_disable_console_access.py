from __future__ import annotations

import pytest
from pydantic import ValidationError

from remediations import registry
from remediations.disable_console_access import DisableConsoleAccess


def _console_user(iam):
    iam.create_user(UserName="ci-admin")
    iam.create_login_profile(UserName="ci-admin", Password="Example-Passw0rd!")


def test_registered():
    assert registry.get("disable-console-access") is DisableConsoleAccess
    assert DisableConsoleAccess.destructive is True


def test_deletes_the_login_profile_and_keeps_the_keys(iam, run):
    _console_user(iam)
    key = iam.create_access_key(UserName="ci-admin")["AccessKey"]["AccessKeyId"]
    ran = run(DisableConsoleAccess, iam, {"user_name": "ci-admin"})
    assert ran.plan.lines == [
        "Would delete the console password (login profile) of user ci-admin; access keys are not touched"
    ]
    assert ran.plan.expected == {"console": True}
    assert ran.plan.impact == ["Console access: yes", "MFA devices: none", "Access keys: 1 active, 0 inactive"]
    assert ran.after.impact == []  # nothing to do, nothing to weigh
    assert ran.outcome.lines == ["Deleted the console password of user ci-admin"]
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName="ci-admin")
    keys = iam.list_access_keys(UserName="ci-admin")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(key, "Active")]
    assert not ran.again.changed and ran.again.lines == ["User ci-admin already had no console password"]
    assert ran.after.lines == ["User ci-admin already has no console password"]
    assert ran.after.expected == {"console": False}


@pytest.mark.parametrize("params", [{}, {"user_name": "ci*admin"}, {"user_name": "ci-admin", "keys": True}])
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        DisableConsoleAccess.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        _console_user(session.client("iam"))
        return {"user_name": "ci-admin"}

    exactly_enough(DisableConsoleAccess, setup, impact={"iam:ListMFADevices", "iam:ListAccessKeys"})
