"""/iam requests, approve, deny, remediate, remediations: the buttons, as commands."""

from __future__ import annotations

import json

import pytest

import handlers.iam as iam
from tests.conftest import ALERTS, APPROVER, APPROVER2, REQUESTER, STRANGER
from tests.support.records import access_key_event, key_status
from tests.support.replies import rich_only, said
from tests.support.state import audit_actions, pending, request_row, request_status, shown


def ask(runtime, text, user=REQUESTER):
    answer = iam.run(runtime.workflow, user, text)
    assert rich_only(answer)
    return said(answer)


def requested(runtime, aws, remediation="deactivate-access-key"):
    """A key in moto and a request to change it, asked by command; returns (request id, key, iam)."""
    iam_client = aws.client("iam")
    _, key = access_key_event(iam_client)
    answer = ask(runtime, f"remediate {remediation} user_name=legacy-etl access_key_id={key}")
    assert answer.startswith(":white_check_mark: Requested R"), answer
    return request_row(runtime)["id"], key, iam_client


def test_remediate_asks_and_shows_the_plan(runtime, slack, aws):
    iam_client = aws.client("iam")
    _, key = access_key_event(iam_client)
    answer = ask(runtime, f"remediate deactivate-access-key user_name=legacy-etl access_key_id={key}")
    rid = request_row(runtime)["id"]
    assert f"Requested {rid}: Would set access key {key} of user legacy-etl to Inactive." in answer
    assert "The approval message is posted." in answer
    assert key_status(iam_client, key) == "Active"  # nothing happens before approval
    assert pending(runtime) == 0
    approval = shown(slack, runtime, f"approval:{rid}")
    assert f"Would set access key {key} of user legacy-etl to Inactive" in json.dumps(approval["blocks"])
    assert runtime.store.outbox.get(f"approval:{rid}").channel == ALERTS  # no alert: the alert channel
    assert audit_actions(runtime) == [("request", REQUESTER, "ok")]


def test_requests_lists_what_waits(runtime, aws):
    assert ask(runtime, "requests").startswith("No remediation requests are waiting.")
    rid, _key, _iam = requested(runtime, aws)
    listing = ask(runtime, "requests")
    assert listing.startswith("1 request(s) waiting")
    assert f"{rid} " in listing and "Deactivate the access key" in listing
    assert f"0/1 approvals · asked by <@{REQUESTER}> · expires " in listing


def test_approve_by_command_runs_it_and_ids_are_case_insensitive(runtime, aws):
    rid, key, iam_client = requested(runtime, aws)
    answer = ask(runtime, f"approve {rid.lower()}", user=APPROVER)
    assert f"Request {rid}: succeeded. Set access key {key} of user legacy-etl to Inactive" in answer
    assert key_status(iam_client, key) == "Inactive"
    assert audit_actions(runtime) == [
        ("request", REQUESTER, "ok"),
        ("approve", APPROVER, "ok"),
        ("execute", "iambot", "succeeded"),
    ]
    again = ask(runtime, f"approve {rid}", user=APPROVER2)
    assert f"Request {rid} is succeeded" in again and "It can no longer be decided." in again


def test_a_destructive_request_says_how_many_approvals_remain(runtime, aws):
    rid, _key, iam_client = requested(runtime, aws, "delete-access-key")
    assert f"Approved {rid}; it needs 1 more approval(s)." in ask(runtime, f"approve {rid}", user=APPROVER)
    assert iam_client.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"]  # still there
    assert f"Request {rid}: succeeded." in ask(runtime, f"approve {rid}", user=APPROVER2)
    assert iam_client.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"] == []


def test_refusals_are_answered_and_audited(runtime, aws):
    rid, key, iam_client = requested(runtime, aws)
    assert "You are not an approver for iambot remediations." in ask(runtime, f"approve {rid}", user=STRANGER)
    assert "someone else must approve it" in ask(runtime, f"approve {rid}", user=REQUESTER)
    assert [a for a in audit_actions(runtime) if a[0] == "approve"] == [
        ("approve", STRANGER, "refused"),
        ("approve", REQUESTER, "refused"),
    ]
    assert key_status(iam_client, key) == "Active"


BAD = {
    "remediate": "/iam remediate <remediation-id> key=value …; /iam remediations lists them",
    "remediate nope": "There is no remediation 'nope'. Known: deactivate-access-key,",
    "remediate deactivate-access-key user_name=legacy-etl": "access_key_id: Field required",
    "remediate deactivate-access-key user_name=x access_key_id=AKIAIOSFODNN7EXAMPLE color=red": (
        "color: unknown parameter"
    ),
    "remediate deactivate-access-key oops": "'oops' is not key=value",
    "remediate deactivate-access-key user_name=ghost access_key_id=AKIAIOSFODNN7EXAMPLE": "User ghost does not exist",
    'remediate "unclosed': "could not read the arguments",
    "remediate deactivate-access-key user_name=x access_key_id=AKIAIOSFODNN7EXAMPLE account=abc": (
        "account= takes a 12-digit AWS account id"
    ),
}


@pytest.mark.parametrize("text", sorted(BAD))
def test_remediate_bad_input_is_explained(runtime, aws, text):
    answer = ask(runtime, text)
    assert BAD[text] in answer, answer
    assert runtime.store.db.one("SELECT COUNT(*) AS n FROM requests")["n"] == 0


def test_an_account_without_a_role_is_refused_clearly(runtime, aws):
    _, key = access_key_event(aws.client("iam"))
    answer = ask(
        runtime, f"remediate deactivate-access-key user_name=legacy-etl access_key_id={key} account=210987654321"
    )
    assert "No role is configured for account 210987654321" in answer and "IAMBOT_REMEDIATION_ROLE" in answer
    assert runtime.store.db.one("SELECT COUNT(*) AS n FROM requests")["n"] == 0


def test_the_same_request_twice_points_to_the_first(runtime, aws):
    rid, key, _iam = requested(runtime, aws)
    again = ask(runtime, f"remediate deactivate-access-key user_name=legacy-etl access_key_id={key}", user=STRANGER)
    assert f"That remediation is already requested as {rid}; approve or deny that one." in again


def test_deny_by_command_with_a_reason(runtime, aws):
    rid, key, iam_client = requested(runtime, aws)
    assert f"Request {rid} denied." in ask(runtime, f"deny {rid} planned rotation, ticket SEC-42", user=APPROVER)
    row = request_row(runtime)
    assert (row["status"], row["reason"]) == ("denied", "planned rotation, ticket SEC-42")
    assert "There is no request R999999." in ask(runtime, "deny R999999", user=APPROVER)
    assert "is denied" in ask(runtime, f"approve {rid}", user=APPROVER2)
    assert key_status(iam_client, key) == "Active"


def test_deny_by_the_requester_cancels(runtime, aws):
    rid, _key, _iam = requested(runtime, aws)
    assert f"Request {rid} cancelled." in ask(runtime, f"deny {rid}", user=REQUESTER)
    assert request_status(runtime) == "cancelled"


def test_approver_group_members_may_approve(runtime_for, slack, aws):
    slack.groups["S0SECURITY"] = [STRANGER]
    runtime = runtime_for(approver_groups=["S0SECURITY"], IAMBOT_APPROVERS="")
    rid, key, iam_client = requested(runtime, aws)
    assert "You are not an approver" in ask(runtime, f"approve {rid}", user=APPROVER)  # not in the group
    assert f"Request {rid}: succeeded." in ask(runtime, f"approve {rid}", user=STRANGER)
    assert key_status(iam_client, key) == "Inactive"
    assert slack.of("usergroups.users.list")[0].params["usergroup"] == "S0SECURITY"


def test_remediations_lists_the_enabled_ones_with_their_parameters(runtime_for):
    runtime = runtime_for(IAMBOT_REMEDIATIONS="deactivate-access-key,delete-access-key")
    listing = ask(runtime, "remediations")
    assert "deactivate-access-key user_name=… access_key_id=… — Deactivate the access key\n" in listing
    assert "delete-access-key user_name=… access_key_id=… — Delete the access key (irreversible)" in listing
    assert "quarantine-user" not in listing
    assert "Add account=<12 digits> to act in another account" in listing
    optional = ask(runtime_for(), "remediations")
    assert "revert-server-certificate-rename current_name=… original_name=… [original_path=…]" in optional
    assert "is not enabled here (IAMBOT_REMEDIATIONS)" in ask(runtime, "remediate quarantine-user user_name=x")


def test_break_glass_by_command_approves_alone_with_the_reason(runtime_for, http_for, slack, aws):
    runtime = runtime_for(break_glass=True, IAMBOT_APPROVERS=f"{REQUESTER},{APPROVER}")
    http = http_for(runtime)
    rid, key, iam_client = requested(runtime, aws)  # asked by REQUESTER, an approver here
    status, ack = http.slash(f"approve {rid} --break-glass the key is leaking, INC-7", REQUESTER)
    assert status == 200 and said(json.loads(ack)) == f"Working on /iam approve {rid} •••…\n"  # reason not echoed
    slack.wait_for(lambda s: request_status(runtime) == "succeeded")
    assert key_status(iam_client, key) == "Inactive"
    row = runtime.store.db.one("SELECT user_id, detail FROM audit WHERE action = 'break-glass'")
    assert row == {"user_id": REQUESTER, "detail": "break-glass: the key is leaking, INC-7"}


def test_a_break_glass_reason_holding_a_code_or_none_is_refused(runtime_for, http_for, slack, aws):
    runtime = runtime_for(break_glass=True, IAMBOT_APPROVERS=f"{REQUESTER},{APPROVER}")
    http = http_for(runtime)
    rid, key, iam_client = requested(runtime, aws)
    before = len(slack.responses)
    http.slash(f"approve {rid} --break-glass urgent 482913", REQUESTER)
    answer = said(slack.wait_for(lambda s: s.responses[before:])[0])
    assert "six-digit number, like a code from your authenticator: nothing was approved or kept" in answer
    assert "482913" not in json.dumps(slack.responses) + json.dumps(runtime.store.db.query("SELECT * FROM audit"))
    assert request_status(runtime) == "requested" and key_status(iam_client, key) == "Active"
    assert "--break-glass needs a reason" in ask(runtime, f"approve {rid} --break-glass", user=REQUESTER)
    assert "/iam approve <request-id>" in ask(runtime, f"approve {rid} 12345 --break-glass why", user=REQUESTER)
