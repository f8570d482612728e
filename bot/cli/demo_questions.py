"""The demo's "Was this you?": two people get the question in a direct message; Dana answers
"Yes, it was me" with a reason, Erin answers "No, this wasn't me" — her alert is raised, the
approvers are told, and a quarantine of the key she (or someone with it) used waits for approval."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.markup import escape

ACCOUNT = "123456789012"
DANA, ERIN = "U0DEMODANA", "U0DEMOERIN"
PEOPLE = {f"arn:aws:iam::{ACCOUNT}:user/dana": DANA, f"arn:aws:iam::{ACCOUNT}:user/erin-ops": ERIN}

Record = Callable[[dict[str, Any], datetime, int, dict[str, Any]], dict[str, Any]]


def _as_user(record: dict[str, Any], user: str, key: str) -> dict[str, Any]:
    record["userIdentity"] = {"type": "IAMUser", "principalId": f"AIDADEMO{user.upper().replace('-', '')}",
                              "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}", "accountId": ACCOUNT,
                              "accessKeyId": key, "userName": user}  # fmt: skip
    return record


def was_this_you(console: Any, wf: Any, iam: Any, template: dict[str, Any], record: Record) -> dict[str, Any]:
    """Play both answers through the workflow (the buttons call the same use cases); return facts."""
    from bot.events import normalize

    when = datetime.now(UTC) - timedelta(minutes=2)
    iam.create_user(UserName="dana")
    dana_key = iam.create_access_key(UserName="dana")["AccessKey"]["AccessKeyId"]
    spare = iam.create_access_key(UserName="dana")["AccessKey"]["AccessKeyId"]
    iam.create_user(UserName="erin-ops")
    erin_key = iam.create_access_key(UserName="erin-ops")["AccessKey"]["AccessKeyId"]
    new_key = iam.create_access_key(UserName="erin-ops")["AccessKey"]["AccessKeyId"]
    spare_on = {"userName": "dana", "accessKeyId": spare, "status": "Active"}
    reactivated = _as_user(record(template, when, 21, spare_on), "dana", dana_key)
    created = _as_user(record(template, when + timedelta(seconds=30), 22, {"userName": "erin-ops"}), "erin-ops",
                       erin_key)  # fmt: skip
    created["eventName"] = "CreateAccessKey"
    created["responseElements"] = {"accessKey": {"accessKeyId": new_key, "status": "Active", "userName": "erin-ops"}}
    console.print(
        "Dana re-activates a spare key of hers; Erin's key creates a new key for Erin. Both are medium,\n"
        "and both actors are people iambot knows (`people` in iambot.toml): each is asked in a DM.\n"
    )
    alerts = wf.intake.take([normalize(reactivated, origin="demo"), normalize(created, origin="demo")]).alerts
    keys = [a.event.key for a in alerts]
    asked = [wf.store.questions.for_event(k) for k in keys]
    if len(asked) != 2 or any(q is None for q in asked):
        return {"asked": 0}
    dana_q, erin_q = asked
    console.print(f"<@{DANA}> clicks “Yes, it was me” and types why; <@{ERIN}> clicks “No, this wasn't me”.\n")
    wf.questions.yes(dana_q.id, DANA, "rotating the ETL key")
    answered = wf.questions.no(erin_q.id, ERIN)
    facts: dict[str, Any] = {"asked": 2, "yes": wf.store.questions.get(dana_q.id).status}
    row = wf.store.alerts.get(keys[1])
    facts["no"], facts["raised_to"] = answered.status, row.severity if row else None
    request = wf.store.requests.get(answered.request_id) if answered.request_id else None
    facts["quarantine"] = (request.remediation_id, request.status) if request else None
    if request is not None:
        console.print(f"Quarantine {escape(request.id)} ({request.remediation_id} of {escape(erin_key)}): "
                      f"[bold]{request.status}[/], waiting for an approver.\n")  # fmt: skip
    return facts
