"""`iambot policy`: the least-privilege IAM policy for what is configured.

First what the policy says for each setting; then the proof that it is least privilege: every
AWS call iambot makes, recorded through botocore's event hooks on iambot's own boto3 Session
while each configured feature runs against moto (LookupEvents through botocore's Stubber: moto
has none), is granted by the policy for that configuration, and the policy grants no action and
no resource that no feature used.

Calls made in another account through IAMBOT_REMEDIATION_ROLE use the assumed role's credentials
(a Session of their own), so they are that role's business, not this policy's: what iambot's own
principal needs for them is sts:AssumeRole, recorded on iambot's Session.
"""

from __future__ import annotations

import fnmatch
import gzip
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from bot.aws.policy import READS, policy
from bot.aws.reports import READ_PERMISSIONS
from bot.catalog import load as load_catalog
from bot.cli.demo import self_signed_certificate
from bot.config.settings import given
from bot.hunt.athena import Athena
from bot.hunt.lake import Lake
from bot.hunt.query import HuntError
from bot.hunt.query import filters as hunt_filters
from bot.hunt.query import window as hunt_window
from bot.hunt.sql import athena_sql
from bot.runtime.scheduler import build_scheduler
from bot.sources import Deps, FilesSource, LookupSource, SqsSource
from bot.workflow.remediate import AccountSnapshots
from handlers.iam import run as iam_command
from remediations import registry
from remediations._policies import SNAPSHOT as INLINE_SNAPSHOT
from remediations.aws import Aws
from tests.conftest import APPROVER, APPROVER2, REQUESTER
from tests.support.athena import glue_table, route_athena
from tests.support.aws import admin_in
from tests.support.calls import Call, Recorder, athena_reads, grants, missing, policy_actions, real_actions
from tests.support.records import as_account, envelope, load
from tests.support.sources import lookup_item, s3_notification

HOME, OTHER = "123456789012", "210987654321"
ROLE = "arn:aws:iam::{account_id}:role/iambot-remediator"
QUEUE_URL = f"https://sqs.us-east-1.amazonaws.com/{HOME}/iambot-events"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{HOME}:iambot-events"
BUCKET, WATCHED = "org-trail", "watched-trail"
KMS_KEY = f"arn:aws:kms:us-east-1:{HOME}:key/11111111-2222-3333-4444-555555555555"
CANARY_ROLE = "iambot-canary"
SERVICES = ("iam", "sts", "organizations", "cloudtrail", "sqs", "s3", "kms", "athena", "glue")
FIRST = "deactivate-access-key"  # the remediation enabled where a test is about something else


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _statement(doc: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in doc["Statement"] if s.get("Sid") == sid)


def _sids(doc: dict[str, Any]) -> set[str]:
    return {s["Sid"] for s in doc["Statement"]}


# ====================================================================== what the policy says


def test_the_bot_policy_names_only_real_actions():
    doc = policy(
        given(
            IAMBOT_REMEDIATION_ROLE=ROLE,
            IAMBOT_LOOKUP_EVENTS=True,
            IAMBOT_SQS_QUEUE_URL=QUEUE_URL,
            trail_buckets=[BUCKET],
            trail_kms_keys=[KMS_KEY],
            watch=f"s3://{WATCHED}/AWSLogs/",
            hunt_table="cloudtrail.org_trail",
            hunt_output="s3://hunt-results/iambot/",
            hunt_lake="EXAMPLE-f852-4e8f",
        )
    )
    assert doc["Version"] == "2012-10-17"
    for statement in doc["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Resource"]
        for perm in _listed(statement["Action"]):
            service, _, action = perm.partition(":")
            assert service in SERVICES and action in real_actions(service), perm
    assert {a.split(":")[0] for a in policy_actions(doc)} == set(SERVICES)
    assert doc["Statement"][-1] == {
        "Sid": "IambotOtherAccounts",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": "arn:aws:iam::*:role/iambot-remediator",
    }


def test_the_hunt_policy_is_the_hunts_alone():
    settings = given(hunt_table="CloudTrail.Org_Trail", hunt_workgroup="responders", trail_buckets=[BUCKET],
                     hunt_output="s3://hunt-results/iambot/", remediations=[FIRST])  # fmt: skip
    doc = policy(settings, hunt=True)
    assert _sids(doc) == {"IambotHuntQuery", "IambotHuntCatalog", "IambotTrailList", "IambotTrailRead",
                          "IambotHuntResultsBucket", "IambotHuntResults"}  # fmt: skip
    assert _statement(doc, "IambotHuntQuery")["Resource"] == "arn:aws:athena:*:*:workgroup/responders"
    assert "arn:aws:glue:*:*:table/cloudtrail/org_trail" in _statement(doc, "IambotHuntCatalog")["Resource"]
    assert _statement(doc, "IambotHuntResults")["Resource"] == "arn:aws:s3:::hunt-results/iambot/*"
    assert {"IambotHuntQuery", "IambotReads"} <= _sids(policy(settings))  # and iambot's role holds them too
    assert not {"IambotHuntQuery", "IambotHuntLake"} & _sids(policy(given(remediations=[FIRST])))


RESULTS_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_an_encrypted_hunt_gets_its_keys_and_nothing_unencrypted_does():
    keys = {"hunt_kms_keys": [RESULTS_KEY], "remediations": [FIRST]}
    athena = policy(given(hunt_table="cloudtrail.org_trail", **keys), hunt=True)
    assert _statement(athena, "IambotHuntKeys") == {"Sid": "IambotHuntKeys", "Effect": "Allow",
                                                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                                                    "Resource": [RESULTS_KEY]}  # fmt: skip
    assert "IambotHuntKeys" in _sids(policy(given(hunt_lake="EXAMPLE-f852-4e8f", **keys), hunt=True))
    assert "IambotHuntKeys" not in _sids(policy(given(**keys)))  # no hunt configured: no key to use
    assert "IambotHuntKeys" not in _sids(policy(given(hunt_table="cloudtrail.org_trail", remediations=[FIRST])))


def test_a_hunt_key_must_be_a_key_arn():
    for wrong in ("alias/hunt", "arn:aws:kms:us-east-1:111122223333:alias/hunt", "1234abcd-12ab", "*"):
        with pytest.raises(ValueError, match="hunt_kms_keys"):
            given(hunt_kms_keys=[wrong])


def test_the_reads_are_always_there():
    doc = policy(given())
    reads = _statement(doc, "IambotReads")
    assert set(READS) | set(READ_PERMISSIONS) <= set(reads["Action"]) and reads["Resource"] == "*"
    assert "sts:GetCallerIdentity" in reads["Action"]


# deactivate-access-key's: its own, then the reads of its blast radius (the key's use, its user's policies and groups)
KEY_ACTIONS = [
    "iam:GetAccessKeyLastUsed",
    "iam:ListAccessKeys",
    "iam:ListAttachedUserPolicies",
    "iam:ListGroupsForUser",
    "iam:ListUserPolicies",
    "iam:UpdateAccessKey",
]


def test_the_policy_follows_iambot_remediations():
    doc = policy(given(IAMBOT_REMEDIATIONS="deactivate-access-key"))
    assert _statement(doc, "IambotRemediations")["Action"] == KEY_ACTIONS
    two = policy(given(IAMBOT_REMEDIATIONS="deactivate-access-key,detach-scp"))
    assert _statement(two, "IambotRemediations")["Action"] == [
        *KEY_ACTIONS,
        "organizations:DetachPolicy",
        "organizations:ListTargetsForPolicy",
    ]


@pytest.mark.parametrize("rid", registry.ids())
def test_each_remediation_adds_exactly_its_permissions_and_its_jobs_reads(rid):
    cls = registry.get(rid)
    base = policy_actions(policy(given(IAMBOT_REMEDIATIONS=rid)))
    reads = set(READS) | set(READ_PERMISSIONS)
    jobs = {p for job in cls.jobs() for p in job.permissions}
    assert base == reads | set(cls.permissions) | jobs


def test_all_remediations_when_none_are_named():
    everything = set().union(*(registry.get(rid).permissions for rid in registry.ids()))
    assert everything <= policy_actions(policy(given()))


def test_lookup_events_adds_cloudtrail_lookup_events():
    assert "cloudtrail:LookupEvents" not in policy_actions(policy(given()))
    doc = policy(given(IAMBOT_LOOKUP_EVENTS=True))
    assert _statement(doc, "IambotLookupEvents") == {
        "Sid": "IambotLookupEvents",
        "Effect": "Allow",
        "Action": ["cloudtrail:LookupEvents"],
        "Resource": "*",
    }


def test_the_queue_adds_receive_and_delete_on_its_arn():
    assert not any(a.startswith("sqs:") for a in policy_actions(policy(given())))
    doc = policy(given(IAMBOT_SQS_QUEUE_URL=QUEUE_URL))
    assert _statement(doc, "IambotQueue") == {
        "Sid": "IambotQueue",
        "Effect": "Allow",
        "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
        "Resource": QUEUE_ARN,
    }
    assert not any(a.startswith(("s3:", "kms:")) for a in policy_actions(doc))


def test_trail_buckets_add_list_and_get_and_their_keys_decrypt():
    assert not any(a.startswith(("s3:", "kms:")) for a in policy_actions(policy(given(trail_kms_keys=[KMS_KEY]))))
    doc = policy(given(trail_buckets=[BUCKET, "second-trail"]))
    assert _statement(doc, "IambotTrailList")["Action"] == ["s3:ListBucket"]
    assert _statement(doc, "IambotTrailList")["Resource"] == [f"arn:aws:s3:::{BUCKET}", "arn:aws:s3:::second-trail"]
    assert _statement(doc, "IambotTrailRead")["Action"] == ["s3:GetObject"]
    assert _statement(doc, "IambotTrailRead")["Resource"] == [f"arn:aws:s3:::{BUCKET}/*", "arn:aws:s3:::second-trail/*"]
    assert "IambotTrailDecrypt" not in _sids(doc)
    doc = policy(given(trail_buckets=[BUCKET], trail_kms_keys=[KMS_KEY]))
    assert _statement(doc, "IambotTrailDecrypt") == {
        "Sid": "IambotTrailDecrypt",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": [KMS_KEY],
    }


def test_a_watched_s3_prefix_is_readable():
    doc = policy(given(watch=f"s3://{WATCHED}/AWSLogs/"))
    assert _statement(doc, "IambotTrailList")["Resource"] == [f"arn:aws:s3:::{WATCHED}"]
    assert _statement(doc, "IambotTrailRead")["Resource"] == [f"arn:aws:s3:::{WATCHED}/*"]
    assert not any(a.startswith("s3:") for a in policy_actions(policy(given(watch="/var/log/cloudtrail"))))


def test_the_oidc_snapshot_reads_come_with_restore_oidc_thumbprints():
    snapshot_reads = {"iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider"}
    assert snapshot_reads <= set(
        _statement(policy(given(IAMBOT_REMEDIATIONS="restore-oidc-thumbprints")), "IambotReads")["Action"]
    )
    assert not snapshot_reads & policy_actions(policy(given(IAMBOT_REMEDIATIONS="deactivate-access-key")))


def test_assume_role_only_on_the_role_template():
    assert "sts:AssumeRole" not in policy_actions(policy(given()))
    doc = policy(given(IAMBOT_REMEDIATION_ROLE="arn:aws:iam::{account_id}:role/ops/iambot-{account_id}"))
    assert _statement(doc, "IambotOtherAccounts")["Resource"] == "arn:aws:iam::*:role/ops/iambot-*"


def test_the_canary_may_tag_the_configured_role_alone_with_its_key_alone():
    assert "iam:TagRole" not in policy_actions(policy(given()))  # the templates grant it on their own role
    doc = policy(given(canary_role="ops/iambot"))
    assert _statement(doc, "IambotCanary") == {
        "Sid": "IambotCanary",
        "Effect": "Allow",
        "Action": "iam:TagRole",
        "Resource": "arn:aws:iam::*:role/ops/iambot",
        "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["iambot:canary"]}},
    }
    arn = f"arn:aws:iam::{HOME}:role/iambot"
    assert _statement(policy(given(canary_role=arn)), "IambotCanary")["Resource"] == arn
    assert "IambotCanary" not in _sids(policy(given(canary_role="iambot", canary_minutes=0)))


# ====================================================================== the proof: record every call


def _answer_moto_lacks(model: Any, **_: Any) -> Any:
    """IAM's answer to UpdateServerCertificate, which moto 5.2.5 does not implement (registered like
    botocore's Stubber, before the call is sent; after the recorder, so the call is recorded)."""
    if model.name == "UpdateServerCertificate":
        return AWSResponse("https://iam.amazonaws.com/", 200, {}, None), {"ResponseMetadata": {"HTTPStatusCode": 200}}
    return None


class World:
    """One moto account: the operator's session sets things up; iambot runs on a Session of its own
    whose every call is recorded."""

    def __init__(self, admin: boto3.Session, settings_for: Callable[..., Any]):
        from bot.runtime.wiring import build

        self._build = build
        self.admin = admin
        self.settings_for = settings_for
        self.bot = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        self.recorder = Recorder().attach(self.bot.events)
        self.bot.events.register("before-call.*.*", _answer_moto_lacks)
        self.iam = admin.client("iam")
        self.runtime: Any = None
        self.stubs: list[Stubber] = []
        self.kms_key = admin.client("kms").create_key(Description="trail logs")["KeyMetadata"]["Arn"]
        s3 = admin.client("s3")
        for bucket in (BUCKET, WATCHED):
            s3.create_bucket(Bucket=bucket)
        assert admin.client("sqs").create_queue(QueueName="iambot-events")["QueueUrl"] == QUEUE_URL

    def start(self, **overrides: Any) -> Any:
        settings = self.settings_for(**overrides)
        self.runtime = self._build(settings, aws=Aws.from_settings(settings, self.bot))
        return self.runtime

    def close(self) -> None:
        if self.runtime is not None:
            self.runtime.store.close()

    @property
    def deps(self) -> Deps:
        rt = self.runtime
        return Deps(rt.aws, rt.workflow.intake, rt.store, load_catalog().selection())

    def put_log(self, bucket: str, key: str, event_id: str) -> None:
        """A CloudTrail log file, encrypted with the trail's KMS key as CloudTrail can deliver it."""
        record = as_account(load("UpdateAccessKey__authored__1.json"))
        record["eventID"] = event_id
        body = gzip.compress(json.dumps({"Records": [record]}).encode())
        self.admin.client("s3").put_object(
            Bucket=bucket, Key=key, Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=self.kms_key
        )


@pytest.fixture
def world(aws: boto3.Session, settings_for: Callable[..., Any]) -> Iterator[World]:
    w = World(aws, settings_for)
    yield w
    w.close()


# ---------------------------------------------------------------- features that are always there


def own_principal(w: World) -> None:
    assert w.runtime.learn_own_principal() == f"arn:aws:sts::{HOME}:user/moto"


def mfa_report(w: World, account: str | None = None) -> None:
    iam = w.iam if account is None else admin_in(account)
    iam.create_user(UserName="no-mfa")
    iam.create_login_profile(UserName="no-mfa", Password="Example-Passw0rd!")
    iam.generate_credential_report()  # moto starts it on the first call; iambot's call finds it complete
    message = iam_command(w.runtime.workflow, APPROVER, "mfa" + (f" {account}" if account else ""))
    assert "no-mfa" in json.dumps(message.blocks), message.text


# ---------------------------------------------------------------- remediations: plan and apply, as requested


def request(w: World, rid: str, params: dict[str, Any], account: str = HOME) -> None:
    """Ask (the dry run), approve until it runs (plan again, apply), as people do in Slack."""
    remediations = w.runtime.workflow.remediations
    undoes = "RFORWARD" if registry.REMEDIATIONS[rid].undo_only else None  # an inverse comes only as an Undo
    done = remediations.ask(rid, params, REQUESTER, account_id=account, undoes=undoes)
    for approver in (APPROVER, APPROVER2):
        if not done.pending:
            break
        done = remediations.approve(done.id, approver)
    assert done.status == "succeeded", (rid, done.status, done.outcome)


def run_jobs(w: World, rid: str) -> None:
    scheduler = build_scheduler(w.runtime.workflow, w.runtime.aws, lambda: None)
    for job in registry.get(rid).jobs():
        scheduler.get_job(job.name).func()


def _user(w: World, name: str) -> str:
    w.iam.create_user(UserName=name)
    return name


def _key(w: World, user: str, status: str = "Active") -> str:
    _user(w, user)
    key = w.iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    if status != "Active":
        w.iam.update_access_key(UserName=user, AccessKeyId=key, Status=status)
    return key


def _console(w: World, user: str) -> dict[str, Any]:
    _user(w, user)
    w.iam.create_login_profile(UserName=user, Password="Example-Passw0rd!")
    return {"user_name": user}


def _cert(w: World, user: str, status: str = "Active") -> dict[str, Any]:
    _user(w, user)
    cert = w.iam.upload_signing_certificate(UserName=user, CertificateBody=self_signed_certificate()[0])
    cert_id = cert["Certificate"]["CertificateId"]
    if status != "Active":
        w.iam.update_signing_certificate(UserName=user, CertificateId=cert_id, Status=status)
    return {"user_name": user, "certificate_id": cert_id}


def _server_cert(w: World) -> dict[str, Any]:
    pem, key = self_signed_certificate()
    w.iam.upload_server_certificate(ServerCertificateName="www-2026-old", CertificateBody=pem, PrivateKey=key)
    return {"current_name": "www-2026-old", "original_name": "www-2026"}


def _provider(w: World, host: str) -> str:
    return w.iam.create_open_id_connect_provider(
        Url=f"https://{host}", ThumbprintList=["b" * 40], ClientIDList=["sts.amazonaws.com"]
    )["OpenIDConnectProviderArn"]


def _trust(principal: dict[str, Any], action: str = "sts:AssumeRole") -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action}]}
    )


EC2 = {"Service": "ec2.amazonaws.com"}
DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
OTHER_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _principal(w: World, kind: str, name: str) -> str:
    if kind == "user":
        w.iam.create_user(UserName=name)
    elif kind == "group":
        w.iam.create_group(GroupName=name)
    else:
        w.iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(EC2))
    return name


def _attached(kind: str) -> Callable[[World], dict[str, Any]]:
    def setup(w: World) -> dict[str, Any]:
        name = _principal(w, kind, f"detach-{kind}")
        arn = w.iam.create_policy(PolicyName=f"managed-{kind}", PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
        getattr(w.iam, f"attach_{kind}_policy")(**{f"{kind.capitalize()}Name": name, "PolicyArn": arn})
        return {f"{kind}_name": name, "policy_arn": arn}

    return setup


def _detached(kind: str) -> Callable[[World], dict[str, Any]]:
    # a managed policy the principal does not have (detached by detach-<kind>-policy, say)
    def setup(w: World) -> dict[str, Any]:
        name = _principal(w, kind, f"attach-{kind}")
        arn = w.iam.create_policy(PolicyName=f"reattach-{kind}", PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
        return {f"{kind}_name": name, "policy_arn": arn}

    return setup


def _inline(kind: str) -> Callable[[World], dict[str, Any]]:
    def setup(w: World) -> dict[str, Any]:
        name = _principal(w, kind, f"inline-{kind}")
        getattr(w.iam, f"put_{kind}_policy")(
            **{f"{kind.capitalize()}Name": name, "PolicyName": "app", "PolicyDocument": json.dumps(DOC)}
        )
        return {f"{kind}_name": name, "policy_name": "app"}

    return setup


def _restore(kind: str) -> Callable[[World], dict[str, Any]]:
    # a document stored by delete-<kind>-policy, and another document under that name now
    def setup(w: World) -> dict[str, Any]:
        name = _principal(w, kind, f"restore-{kind}")
        getattr(w.iam, f"put_{kind}_policy")(
            **{f"{kind.capitalize()}Name": name, "PolicyName": "app", "PolicyDocument": json.dumps(OTHER_DOC)}
        )
        stored = {"document": DOC, "principal_type": kind, "principal_name": name, "policy_name": "app"}
        # as delete-<kind>-policy stores it through the workflow: kept apart per account
        AccountSnapshots(w.runtime.store.snapshots, HOME).record(INLINE_SNAPSHOT, f"{kind}/{name}/app", stored)
        return {"principal_type": kind, "principal_name": name, "policy_name": "app"}

    return setup


def _oidc_restore(w: World) -> dict[str, Any]:
    return {"provider_arn": _provider(w, "token.actions.example.com"), "thumbprints": ["a" * 40]}


def _oidc_delete(w: World) -> dict[str, Any]:
    arn = _provider(w, "accounts.example.org")
    w.iam.create_role(
        RoleName="deploy", AssumeRolePolicyDocument=_trust({"Federated": arn}, "sts:AssumeRoleWithWebIdentity")
    )
    return {"provider_arn": arn}


def _stale(w: World) -> dict[str, Any]:
    with time_machine.travel(datetime.now(UTC) - timedelta(days=400), tick=False):
        _key(w, "stale-svc")
    return {"unused_days": 90}


def _inactive(w: World) -> dict[str, Any]:
    _key(w, "inactive-svc", "Inactive")
    return {}


def _group_member(w: World) -> dict[str, Any]:
    _user(w, "member")
    w.iam.create_group(GroupName="admins")
    w.iam.add_user_to_group(UserName="member", GroupName="admins")
    return {"user_name": "member", "group_name": "admins"}


def _scp(w: World) -> dict[str, Any]:
    org = w.admin.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ou = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
    deny = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})
    policy_id = org.create_policy(Content=deny, Description="no s3", Name="deny-s3", Type="SERVICE_CONTROL_POLICY")[
        "Policy"
    ]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=policy_id, TargetId=ou)
    return {"policy_id": policy_id, "target_id": ou}


# Each remediation's scenarios: together they take every path that needs a permission.
SCENARIOS: dict[str, list[Callable[[World], dict[str, Any]]]] = {
    "deactivate-access-key": [lambda w: {"user_name": "dak", "access_key_id": _key(w, "dak")}],
    "reactivate-access-key": [lambda w: {"user_name": "rak", "access_key_id": _key(w, "rak", "Inactive")}],
    "delete-access-key": [lambda w: {"user_name": "delk", "access_key_id": _key(w, "delk")}],
    "quarantine-user": [lambda w: {"user_name": _user(w, "quarantined")}],
    "require-password-reset": [lambda w: _console(w, "reset-me")],
    "disable-console-access": [lambda w: _console(w, "no-console")],
    "deactivate-signing-certificate": [lambda w: _cert(w, "cert-off")],
    "reactivate-signing-certificate": [lambda w: _cert(w, "cert-on", "Inactive")],
    "delete-signing-certificate": [lambda w: _cert(w, "cert-gone")],
    "revert-server-certificate-rename": [_server_cert],
    "restore-oidc-thumbprints": [_oidc_restore],
    "delete-oidc-provider": [_oidc_delete],
    "apply-password-policy": [lambda w: {}],
    "deactivate-stale-access-keys": [_stale],
    "delete-inactive-access-keys": [_inactive],
    "detach-user-policy": [_attached("user")],
    "detach-group-policy": [_attached("group")],
    "detach-role-policy": [_attached("role")],
    "attach-user-policy": [_detached("user")],
    "attach-group-policy": [_detached("group")],
    "attach-role-policy": [_detached("role")],
    "delete-user-policy": [_inline("user")],
    "delete-group-policy": [_inline("group")],
    "delete-role-policy": [_inline("role")],
    "restore-inline-policy": [_restore("user"), _restore("group"), _restore("role")],
    "remove-user-from-group": [_group_member],
    "revoke-role-sessions": [lambda w: {"role_name": _principal(w, "role", "revoke-me")}],
    "detach-scp": [_scp],
}


def remediate(rid: str) -> Callable[[World], None]:
    def act(w: World) -> None:
        for setup in SCENARIOS[rid]:
            request(w, rid, setup(w))
        if registry.get(rid).jobs():
            run_jobs(w, rid)
            assert w.runtime.store.snapshots.latest("oidc-thumbprints", _oidc_arn("token.actions.example.com"))

    act.__name__ = f"remediate_{rid}"
    return act


def _oidc_arn(host: str) -> str:
    return f"arn:aws:iam::{HOME}:oidc-provider/{host}"


def test_every_remediation_has_scenarios():
    assert set(SCENARIOS) == set(registry.ids())


# ---------------------------------------------------------------- sources


class PlayedCloudTrail:
    """iambot's Aws, except that each CloudTrail client it makes answers one LookupEvents with
    botocore's Stubber (moto has no LookupEvents)."""

    def __init__(self, aws: Aws, page: dict[str, Any], stubs: list[Stubber]):
        self.aws = aws
        self.page = page
        self.stubs = stubs

    def client(self, service: str, **kwargs: Any) -> Any:
        client = self.aws.client(service, **kwargs)
        if service == "cloudtrail":
            stub = Stubber(client)
            stub.add_response("lookup_events", self.page)
            stub.activate()
            self.stubs.append(stub)
        return client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.aws, name)


def lookup_poll(w: World) -> None:
    record = as_account(load("UpdateAccessKey__authored__1.json"))
    record["eventTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    deps = w.deps
    played = replace(deps, aws=PlayedCloudTrail(deps.aws, {"Events": [lookup_item(record)]}, w.stubs))
    source = LookupSource.from_settings(w.runtime.settings, played)
    assert source is not None
    source._pacer.sleep = lambda seconds: None  # type: ignore[attr-defined]  # CloudTrail's pace, without waiting
    result = source.poll(threading.Event())
    assert result.events >= 1 and len(w.stubs) == len(source.lookups) > 1  # type: ignore[attr-defined]
    for stub in w.stubs:
        stub.assert_no_pending_responses()


def sqs_poll(w: World) -> None:
    key = f"AWSLogs/{HOME}/CloudTrail/us-east-1/2026/11/22/{HOME}_CloudTrail_us-east-1_20261122T1000Z_a.json.gz"
    w.put_log(BUCKET, key, "evt-from-s3")
    sqs = w.admin.client("sqs")
    sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=s3_notification(BUCKET, key))
    record = as_account(load("UpdateAccessKey__authored__1.json"))
    record["eventID"] = "evt-from-eventbridge"
    sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=envelope(record))
    source = SqsSource.from_settings(w.runtime.settings, w.deps)
    assert source is not None
    result = source.poll(threading.Event())
    assert (result.received, result.events, result.rejected) == (2, 2, 0)
    assert sqs.receive_message(QueueUrl=QUEUE_URL, VisibilityTimeout=0).get("Messages", []) == []  # deleted


def ingest_s3(w: World) -> None:
    """`iambot ingest s3://bucket/prefix`: FilesSource(target, deps).ingest(), as the command runs it."""
    w.put_log(BUCKET, f"ingest/AWSLogs/{HOME}/CloudTrail/us-east-1/2026/11/22/b.json.gz", "evt-ingested")
    stats = FilesSource(f"s3://{BUCKET}/ingest/", w.deps).ingest()
    assert (stats.objects, stats.new, stats.rejected) == (1, 1, [])


def watch_s3(w: World) -> None:
    w.put_log(WATCHED, f"AWSLogs/{HOME}/CloudTrail/us-east-1/2026/11/22/c.json.gz", "evt-watched")
    source = FilesSource.from_settings(w.runtime.settings, w.deps)
    assert source is not None
    result = source.poll(threading.Event())
    assert (result.received, result.events) == (1, 1)


HUNT_OUTPUT = "s3://hunt-results/iambot/"
LAKE = f"arn:aws:cloudtrail:us-east-1:{HOME}:eventdatastore/EXAMPLE-f852-4e8f"


def hunt_athena(w: World) -> None:
    """`iambot hunt --athena-table`: Glue's table, the query, its pages, and stopping it (Ctrl-C)."""
    with pytest.MonkeyPatch.context() as patch:
        route_athena(patch)
        w.admin.client("s3").create_bucket(Bucket="hunt-results")
        glue_table(w.admin.client("glue"))  # its location: s3://org-trail/AWSLogs/o-example/
        aws = w.runtime.aws
        engine = Athena(aws.client("athena"), aws.client("glue"), "primary", HUNT_OUTPUT, sleep=lambda s: None)
        span = hunt_window("1d", None, None, datetime.now(UTC))
        layout = engine.layout("cloudtrail", "org_trail")
        sql = athena_sql(("cloudtrail", "org_trail"), layout, load_catalog().selection(), hunt_filters(), span)
        assert list(engine.records(sql)) == []  # moto runs no query: no rows
        engine.stop(engine.scan.query_id)
    # what Athena reads and writes with iambot's permissions while it runs the query
    w.recorder.calls += athena_reads("cloudtrail.org_trail", "s3://org-trail/AWSLogs/o-example/", HUNT_OUTPUT,
                                     "us-east-1", HOME, w.kms_key)  # fmt: skip


def hunt_lake(w: World) -> None:
    """`iambot hunt --lake`: StartQuery, DescribeQuery, GetQueryResults; CancelQuery when it runs too long
    (botocore's Stubber: moto has no CloudTrail Lake queries)."""
    client = w.runtime.aws.client("cloudtrail")
    stub = Stubber(client)
    stub.add_response("start_query", {"QueryId": "11111111-2222-3333-4444-555555555551"})
    stub.add_response("describe_query", {"QueryStatus": "FINISHED", "QueryStatistics": {"BytesScanned": 10}})
    stub.add_response("get_query_results", {"QueryStatus": "FINISHED", "QueryResultRows": []})
    stub.add_response("start_query", {"QueryId": "11111111-2222-3333-4444-555555555552"})
    stub.add_response("describe_query", {"QueryStatus": "RUNNING"})
    stub.add_response("cancel_query", {"QueryId": "11111111-2222-3333-4444-555555555552", "QueryStatus": "CANCELLED"})
    stub.activate()
    sql = f"SELECT eventID FROM {LAKE.rsplit('/', 1)[1]}"
    assert list(Lake(client, LAKE, sleep=lambda s: None).records(sql)) == []
    with pytest.raises(HuntError, match="still running"):
        list(Lake(client, LAKE, sleep=lambda s: None, timeout=-1).records(sql))
    stub.assert_no_pending_responses()


def other_account(w: World) -> None:
    there = admin_in(OTHER)
    there.create_user(UserName="far-away")
    key = there.create_access_key(UserName="far-away")["AccessKey"]["AccessKeyId"]
    request(w, FIRST, {"user_name": "far-away", "access_key_id": key}, account=OTHER)
    assert there.list_access_keys(UserName="far-away")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    mfa_report(w, OTHER)


def canary(w: World) -> None:
    """The feed canary's one write: a tag on the configured role (iambot runs as a user here)."""
    trust = _trust({"Service": "ecs-tasks.amazonaws.com"})
    w.iam.create_role(RoleName=CANARY_ROLE, AssumeRolePolicyDocument=trust)
    scheduler = build_scheduler(w.runtime.workflow, w.runtime.aws, lambda: None)
    assert scheduler.get_job("canary").func() is not None
    assert [t["Key"] for t in w.iam.list_role_tags(RoleName=CANARY_ROLE)["Tags"]] == ["iambot:canary"]


# ---------------------------------------------------------------- configurations


Config = tuple[Callable[[World], dict[str, Any]], list[Callable[[World], None]]]
CONFIGS: dict[str, Config] = {
    **{
        f"remediation {rid}": ((lambda w, rid=rid: {"remediations": [rid]}), [remediate(rid)]) for rid in registry.ids()
    },
    "lookup events": (
        lambda w: {
            "remediations": [FIRST],
            "lookup_events": True,
            "lookup_regions": ["us-east-1", "eu-west-1"],
            "identity_center_region": "eu-central-1",
        },
        [remediate(FIRST), lookup_poll],
    ),
    "sqs queue with s3 notifications": (
        lambda w: {
            "remediations": [FIRST],
            "sqs_queue_url": QUEUE_URL,
            "sqs_wait_seconds": 0,
            "trail_buckets": [BUCKET],
            "trail_kms_keys": [w.kms_key],
        },
        # trail_buckets are the buckets iambot may read: `iambot ingest s3://…` too (s3:ListBucket)
        [remediate(FIRST), sqs_poll, ingest_s3],
    ),
    "ingest s3": (
        lambda w: {"remediations": [FIRST], "trail_buckets": [BUCKET], "trail_kms_keys": [w.kms_key]},
        [remediate(FIRST), ingest_s3],
    ),
    "watch s3": (
        lambda w: {"remediations": [FIRST], "watch": f"s3://{WATCHED}/AWSLogs/", "trail_kms_keys": [w.kms_key]},
        [remediate(FIRST), watch_s3],
    ),
    "other accounts": (
        lambda w: {"remediations": [FIRST], "remediation_role": ROLE, "external_id": "iambot-ext-1"},
        [remediate(FIRST), other_account],
    ),
    "feed canary": (lambda w: {"remediations": [FIRST], "canary_role": CANARY_ROLE}, [remediate(FIRST), canary]),
    "hunt on athena": (
        lambda w: {
            "remediations": [FIRST],
            "hunt_table": "cloudtrail.org_trail",
            "hunt_output": HUNT_OUTPUT,
            "trail_buckets": [BUCKET],
            "trail_kms_keys": [w.kms_key],
        },
        [remediate(FIRST), hunt_athena],
    ),
    "hunt on cloudtrail lake": (
        lambda w: {"remediations": [FIRST], "hunt_lake": LAKE},
        [remediate(FIRST), hunt_lake],
    ),
    "everything": (
        lambda w: {
            "lookup_events": True,
            "sqs_queue_url": QUEUE_URL,
            "sqs_wait_seconds": 0,
            "trail_buckets": [BUCKET],
            "trail_kms_keys": [w.kms_key],
            "watch": f"s3://{WATCHED}/AWSLogs/",
            "remediation_role": ROLE,
            "canary_role": CANARY_ROLE,
        },
        [
            *(remediate(rid) for rid in registry.ids()),
            *(lookup_poll, sqs_poll, ingest_s3, watch_s3, other_account, canary),
        ],
    ),
}


def _run(world: World, config: str) -> tuple[dict[str, Any], list[Call]]:
    overrides, features = CONFIGS[config]
    rt = world.start(**overrides(world))
    for feature in (own_principal, mfa_report, *features):
        feature(world)
    return policy(rt.settings), world.recorder.calls


def _unused_resources(doc: dict[str, Any], calls: list[Call]) -> list[tuple[str, str]]:
    """(action, resource pattern) pairs of the policy that no recorded call needed."""
    unused = []
    for st in doc["Statement"]:
        for pattern in _listed(st["Resource"]):
            if pattern == "*":
                continue
            for action in _listed(st["Action"]):
                used = [c for c in calls if c.action == action and c.resource is not None]
                if not any(fnmatch.fnmatchcase(c.resource, pattern) for c in used):  # type: ignore[arg-type]
                    unused.append((action, pattern))
    return unused


@pytest.mark.parametrize("config", list(CONFIGS))
def test_the_policy_grants_exactly_what_iambot_uses(world, config):
    doc, calls = _run(world, config)
    assert calls  # the recorder saw iambot work
    assert missing(doc, calls) == []  # every call iambot made is allowed (its action, on its resource)
    assert policy_actions(doc) - {c.action for c in calls} == set()  # no action that nothing used
    assert _unused_resources(doc, calls) == []  # no resource that nothing used


def test_the_recorder_sees_what_the_policy_must_allow(world):
    # the recording itself: names as IAM actions (sqs DeleteMessageBatch is sqs:DeleteMessage, S3's
    # ListObjectsV2 is s3:ListBucket), resources as ARNs, and kms:Decrypt for an SSE-KMS object
    _doc, calls = _run(world, "sqs queue with s3 notifications")
    assert Call("sqs:ReceiveMessage", QUEUE_ARN) in calls and Call("sqs:DeleteMessage", QUEUE_ARN) in calls
    key = f"AWSLogs/{HOME}/CloudTrail/us-east-1/2026/11/22/{HOME}_CloudTrail_us-east-1_20261122T1000Z_a.json.gz"
    assert Call("s3:GetObject", f"arn:aws:s3:::{BUCKET}/{key}") in calls
    assert Call("kms:Decrypt", world.kms_key) in calls
    assert Call("sts:GetCallerIdentity") in calls
    assert {"iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:GetAccountSummary"} <= {
        c.action for c in calls
    }
    # and a policy without one of them is caught
    narrowed = policy(given(remediations=[FIRST], sqs_queue_url=QUEUE_URL, trail_buckets=[BUCKET]))
    assert Call("kms:Decrypt", world.kms_key) in missing(narrowed, calls)
    assert not grants(policy(given(remediations=[FIRST])), Call("sqs:ReceiveMessage", QUEUE_ARN))
