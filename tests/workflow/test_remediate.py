"""Asking for a remediation from an alert, through the workflow: parameters from the event and
from iambot's own records, never from a button; refusals that say what to do instead."""

import json
from datetime import timedelta

import boto3
import pytest
import time_machine

from bot.events import normalize
from bot.workflow import Refused
from remediations.base import JobContext
from remediations.restore_oidc_thumbprints import snapshot
from tests.conftest import APPROVER, REQUESTER
from tests.support.records import as_account, load


def oidc_event(iam, new):
    arn = iam.create_open_id_connect_provider(
        Url="https://token.actions.example.com", ThumbprintList=["a" * 40], ClientIDList=["sts.amazonaws.com"]
    )["OpenIDConnectProviderArn"]
    record = as_account(load("UpdateOpenIDConnectProviderThumbprint__authored__1.json"))
    record["requestParameters"] = {"openIDConnectProviderArn": arn, "thumbprintList": [new]}
    return arn, record


def test_restore_thumbprints_from_the_snapshot_before_the_change(runtime, aws):
    iam = aws.client("iam")
    arn, record = oidc_event(iam, "b" * 40)
    event = normalize(record)
    before = event.event_time - timedelta(hours=1)
    with time_machine.travel(before):
        assert snapshot(JobContext(iam, "123456789012", runtime.store.snapshots, before)) == 1  # ["a" * 40]
    assert snapshot(JobContext(iam, "123456789012", runtime.store.snapshots, before + timedelta(minutes=1))) == 0
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["b" * 40])
    runtime.workflow.intake.take([event])
    request = runtime.workflow.remediations.ask_from_alert("restore-oidc-thumbprints", event.key, REQUESTER)
    assert f"{'b' * 40} → {'a' * 40}" in " ".join(request.plan)
    done = runtime.workflow.remediations.approve(request.id, APPROVER)
    assert done.status == "succeeded", done.outcome
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == ["a" * 40]


def test_restore_without_a_snapshot_says_so_and_offers_the_command(runtime, aws):
    arn, record = oidc_event(aws.client("iam"), "b" * 40)
    event = normalize(record)
    runtime.workflow.intake.take([event])
    with pytest.raises(Refused) as info:
        runtime.workflow.remediations.ask_from_alert("restore-oidc-thumbprints", event.key, REQUESTER)
    assert "no record of this provider's thumbprints" in str(info.value)
    assert f"/iam remediate restore-oidc-thumbprints provider_arn={arn}" in str(info.value)
    assert runtime.store.db.one("SELECT COUNT(*) AS n FROM requests")["n"] == 0


def test_an_alert_from_an_account_without_a_role_is_refused_clearly(runtime):
    event = normalize(as_account(load("UpdateAccessKey__authored__1.json"), "210987654321"))
    runtime.workflow.intake.take([event])
    with pytest.raises(Refused) as info:
        runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    assert "No role is configured for account 210987654321" in str(info.value)
    assert "IAMBOT_REMEDIATION_ROLE" in str(info.value)
    assert runtime.store.db.one("SELECT COUNT(*) AS n FROM requests")["n"] == 0


def test_the_alerts_details_show_the_thumbprints_iambot_recorded_before_the_change(runtime, aws, slack):
    import json

    from bot.slack.messages.details import details_view

    iam = aws.client("iam")
    _, record = oidc_event(iam, "b" * 40)
    event = normalize(record)
    before = event.event_time - timedelta(hours=1)
    snapshot(JobContext(iam, "123456789012", runtime.store.snapshots, before))
    runtime.workflow.intake.take([event])
    view = runtime.workflow.views.alert_view(event.key)
    assert view.recorded == (f"Restore the previous thumbprints would put back thumbprints: {'a' * 40}",)
    details = json.dumps(details_view(view)["blocks"])
    assert "Before the change" in details and "a" * 40 in details and "b" * 40 in details  # old and new


def test_a_request_keeps_the_blast_radius_of_its_plan_and_shows_it(runtime, aws, slack):
    iam = aws.client("iam")
    iam.create_user(UserName="legacy-etl")
    key = iam.create_access_key(UserName="legacy-etl")["AccessKey"]
    iam.create_group(GroupName="data")
    iam.add_user_to_group(UserName="legacy-etl", GroupName="data")
    params = {"user_name": "legacy-etl", "access_key_id": key["AccessKeyId"]}
    request = runtime.workflow.remediations.ask("deactivate-access-key", params, REQUESTER)
    impact = ("Key last used: never", "Attached policies: none", "Inline policies: none", "Groups (1): data")
    assert request.impact == impact and runtime.store.requests.get(request.id).impact == impact
    posted = json.dumps(slack.posted()[-1]["blocks"])
    assert posted.index("Plan (dry run") < posted.index("Blast radius") < posted.index("Groups (1): data")
    # the key is used while the request waits: the blast radius changes, the expected state does not
    used = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    used.client("sts", region_name="eu-west-1").get_caller_identity()
    done = runtime.workflow.remediations.approve(request.id, APPROVER)
    assert done.status == "succeeded", done.outcome
    assert done.impact == impact  # what the approver saw, kept
