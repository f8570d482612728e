"""CloudTrail records for tests: the fixtures, and small builders on top of real ones."""

from __future__ import annotations

import contextlib
import json
import re
import time
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent.parent / "fixtures" / "cloudtrail"
RECORDS = FIXTURES / "records"
AUTHORED = FIXTURES / "authored"
DETONATIONS = FIXTURES / "detonation-logs"
MOTO_ACCOUNT = "123456789012"
# the five IAM events iambot was first asked for, and must handle best of all
FIRST_CLASS = frozenset(
    {
        "UpdateAccessKey",
        "UpdateLoginProfile",
        "UploadSigningCertificate",
        "UpdateServerCertificate",
        "UpdateOpenIDConnectProviderThumbprint",
    }
)


def load(name: str) -> dict[str, Any]:
    """A fixture record by file name (records/ first, then authored/)."""
    for folder in (RECORDS, AUTHORED):
        path = folder / name
        if path.exists():
            return json.loads(path.read_text())  # type: ignore[no-any-return]
    raise FileNotFoundError(name)


def all_record_files() -> list[Path]:
    return sorted(RECORDS.glob("*.json")) + sorted(AUTHORED.glob("*.json"))


def detonation(file: str, name: str) -> dict[str, Any]:
    """The first record named ``name`` in a Stratus Red Team detonation log (detonation-logs/)."""
    records = json.loads((DETONATIONS / file).read_text())
    return next(r for r in records if r.get("eventName") == name)  # type: ignore[no-any-return]


def as_root(record: dict[str, Any]) -> dict[str, Any]:
    """A published record as the account's root user would have made it: Panther's root identity
    (the compromised-root scenario's StopLogging) in the record's account, the call succeeding
    (no IAM policy denies root)."""
    account = record.get("recipientAccountId") or MOTO_ACCOUNT
    identity = {**load("StopLogging__panther__1.json")["userIdentity"], "accountId": account}
    identity.update(principalId=account, arn=f"arn:aws:iam::{account}:root")
    found = {k: v for k, v in record.items() if k not in ("errorCode", "errorMessage")}
    return {**found, "userIdentity": identity}


def as_account(record: dict[str, Any], account: str = MOTO_ACCOUNT) -> dict[str, Any]:
    """A fixture record moved into another account id (moto's, by default)."""
    text = json.dumps(record)
    for old in set(re.findall(r"\b\d{12}\b", text)):
        text = text.replace(old, account)
    return json.loads(text)  # type: ignore[no-any-return]


def key_record(user: str, key: str, status: str = "Active", **changes: Any) -> dict[str, Any]:
    """The first-class UpdateAccessKey record, in moto's account, on this user's key, happening now."""
    record = as_account(load("UpdateAccessKey__authored__1.json"))
    record["requestParameters"] = {"userName": user, "accessKeyId": key, "status": status}
    record["eventID"] = f"evt-{user}-{key}-{status}"
    record["eventTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    record.update(changes)
    return record


def access_key_event(iam: Any, status: str = "Active", user: str = "legacy-etl") -> tuple[Any, str]:
    """A user with an access key in moto, and the event of that key being set to ``status``."""
    from bot.events import normalize

    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    record = as_account(load("UpdateAccessKey__authored__1.json"))
    record["requestParameters"].update(userName=user, accessKeyId=key, status=status)
    return normalize(record), key


def by_iam_user(record: dict[str, Any], user: str, key: str) -> dict[str, Any]:
    """``record`` as made by IAM user ``user`` with their access key ``key`` (moto's account)."""
    changed = dict(record)
    changed["userIdentity"] = {"type": "IAMUser", "principalId": "AIDAEXAMPLEUSER00001",
                               "arn": f"arn:aws:iam::{MOTO_ACCOUNT}:user/{user}", "accountId": MOTO_ACCOUNT,
                               "accessKeyId": key, "userName": user}  # fmt: skip
    return changed


def own_key_event(iam: Any, user: str = "carol", event_id: str = "") -> tuple[Any, str]:
    """A medium alert by an IAM user with their own long-term key (in moto): ``user`` made a key
    for themself (CreateAccessKey), calling with the key returned (``event_id``: a later event)."""
    from bot.events import normalize

    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_user(UserName=user)
    keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    key = keys[0]["AccessKeyId"] if keys else iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    record = by_iam_user(as_account(load("CreateAccessKey__authored__1.json")), user, key)
    if event_id:
        record["eventID"] = event_id
    return normalize(record), key


def key_status(iam: Any, key: str, user: str = "legacy-etl") -> str:
    found = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    return next(str(k["Status"]) for k in found if k["AccessKeyId"] == key)


def envelope(record: dict[str, Any]) -> str:
    """An EventBridge delivery of a CloudTrail record, as it lands on the queue (moto leaves out
    `account`: the event's account comes from detail.recipientAccountId)."""
    return json.dumps(
        {
            "version": "0",
            "id": f"eb-{record.get('eventID', 'x')}",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws." + str(record.get("eventSource", "iam.amazonaws.com")).split(".")[0],
            "time": record.get("eventTime"),
            "region": "us-east-1",
            "resources": [],
            "detail": record,
        }
    )


def tag_role_record(
    session_arn: str, role: str, tags: list[dict[str, str]], when: str, event_id: str
) -> dict[str, Any]:
    """An iam:TagRole record as CloudTrail writes one for a call by an assumed-role session (the
    record layout of the CloudTrail User Guide's IAM examples: requestParameters with the API's
    parameters in camelCase — roleName, tags of key and value —, responseElements null)."""
    account = session_arn.split(":")[4]
    role_of_session, session = session_arn.split(":assumed-role/", 1)[1].split("/", 1)
    return {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLEROLEID1234:{session}",
            "arn": session_arn,
            "accountId": account,
            "accessKeyId": "ASIAIOSFODNN7EXAMPLE",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLEROLEID1234",
                    "arn": f"arn:aws:iam::{account}:role/{role_of_session}",
                    "accountId": account,
                    "userName": role_of_session,
                },
                "attributes": {"creationDate": when, "mfaAuthenticated": "false"},
            },
        },
        "eventTime": when,
        "eventSource": "iam.amazonaws.com",
        "eventName": "TagRole",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.10",
        "userAgent": "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux",
        "requestParameters": {"roleName": role, "tags": tags},
        "responseElements": None,
        "requestID": f"req-{event_id}",
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "clientProvidedHostHeader": "iam.amazonaws.com"},
    }
