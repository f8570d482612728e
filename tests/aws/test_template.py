"""The CloudFormation templates: both pass cfn-lint; the role holds exactly `iambot policy` plus the
queue; the rules take every identity source whole (sign-in under both of its detail-types) and
STS by the event names iambot explains — checked against moto's EventBridge as well."""

from __future__ import annotations

import json

import pytest
from hypothesis import given as given_input
from hypothesis import strategies as st

from bot.aws.policy import policy
from bot.aws.template import DETAIL_TYPES, forwarder, irsa_trust, patterns, template
from bot.catalog import load as load_catalog
from bot.config.settings import given
from tests.support.cfn import lint
from tests.support.records import as_account, as_root, detonation, load

# what can blind iambot: one rule per service, by the names the catalog explains
FEED_RULES = {"CloudtrailRule", "EventsRule", "SqsRule", "KmsRule", "S3Rule"}

QUEUE_ARN = {"Fn::GetAtt": ["EventQueue", "Arn"]}


def test_template_passes_cfn_lint(tmp_path):
    doc = template(given())
    result = lint(doc, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = json.loads(json.dumps(doc))
    broken["Resources"]["EventQueue"]["Properties"]["VisibilityTimeout"] = "soon"
    assert lint(broken, tmp_path, "broken.json").returncode != 0  # cfn-lint does catch mistakes


def test_the_canary_may_tag_the_stacks_own_role_alone():
    doc = template(given(canary_role="something-else"))  # a configured name: the stack's own role wins
    assert doc["Resources"]["CanaryPolicy"] == {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "iambot-canary",
            "Roles": [{"Ref": "BotRole"}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "IambotCanary",
                        "Effect": "Allow",
                        "Action": "iam:TagRole",
                        "Resource": {"Fn::GetAtt": ["BotRole", "Arn"]},
                        "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["iambot:canary"]}},
                    }
                ],
            },
        },
    }
    assert all(s["Sid"] != "IambotCanary" for s in role_statements(doc))
    assert "CanaryPolicy" not in template(given(canary_minutes=0))["Resources"]


def test_forwarder_template_passes_cfn_lint(tmp_path):
    doc = forwarder()
    result = lint(doc, tmp_path, "forwarder.json")
    assert result.returncode == 0, result.stdout + result.stderr
    rules = {k: v for k, v in doc["Resources"].items() if v["Type"] == "AWS::Events::Rule"}
    assert set(rules) == {"IdentityRule", "StsRule", "RootRule", *FEED_RULES}
    for rule in rules.values():
        [target] = rule["Properties"]["Targets"]
        assert "us-east-1" in target["Arn"]["Fn::Sub"] and target["RoleArn"] == {"Fn::GetAtt": ["ForwardRole", "Arn"]}


def test_a_configured_template_passes_cfn_lint_too(tmp_path):
    settings = given(
        IAMBOT_REMEDIATIONS="deactivate-access-key,require-password-reset",
        IAMBOT_REMEDIATION_ROLE="arn:aws:iam::{account_id}:role/iambot-remediator",
        IAMBOT_SQS_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/iambot-events",
        sqs_max_receive_count=8,
    )
    doc = template(settings)
    result = lint(doc, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert doc["Resources"]["EventQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 8


def test_a_template_with_trail_buckets_passes_cfn_lint(tmp_path):
    settings = given(
        IAMBOT_SQS_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/iambot-events",
        trail_buckets=["org-trail"],
    )
    sids = [s["Sid"] for s in policy(settings)["Statement"]]
    assert len(sids) == len(set(sids)), sids
    result = lint(template(settings), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_template_for_hunting_gives_the_role_the_hunts_statements_and_passes_cfn_lint(tmp_path):
    settings = given(
        trail_buckets=["org-trail"],
        hunt_table="cloudtrail.org_trail",
        hunt_output="s3://hunt-results/iambot/",
        hunt_kms_keys=["arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
    )
    doc = template(settings)
    sids = {s["Sid"] for s in role_statements(doc)}
    assert {"IambotHuntQuery", "IambotHuntCatalog", "IambotHuntResults", "IambotHuntKeys"} <= sids
    result = lint(doc, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def role_statements(doc: dict) -> list[dict]:
    [inline] = doc["Resources"]["BotRole"]["Properties"]["Policies"]
    return inline["PolicyDocument"]["Statement"]


def test_the_role_holds_the_bot_policy_plus_the_queue():
    settings = given(IAMBOT_REMEDIATIONS="deactivate-access-key,require-password-reset")
    doc = template(settings)
    statements = role_statements(doc)
    queue = {
        "Sid": "IambotQueue",
        "Effect": "Allow",
        "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
        "Resource": QUEUE_ARN,
    }
    assert statements == [*policy(settings)["Statement"], queue]
    redrive = doc["Resources"]["EventQueue"]["Properties"]["RedrivePolicy"]
    assert redrive == {"deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}, "maxReceiveCount": 5}


def test_with_a_queue_configured_the_role_names_the_stacks_queue():
    settings = given(IAMBOT_SQS_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/elsewhere")
    statements = role_statements(template(settings))
    [queue] = [s for s in statements if s.get("Sid") == "IambotQueue"]
    assert queue["Resource"] == QUEUE_ARN  # the queue this stack makes, not the one in the settings
    assert [s for s in statements if s.get("Sid") != "IambotQueue"] == [
        s for s in policy(settings)["Statement"] if s.get("Sid") != "IambotQueue"
    ]


def test_the_rules_take_identity_sources_whole_and_sts_by_name():
    catalog = load_catalog()
    doc = template(given())
    found = patterns(catalog)
    rules = {k: v["Properties"] for k, v in doc["Resources"].items() if v["Type"] == "AWS::Events::Rule"}
    assert {k: v["EventPattern"] for k, v in rules.items()} == {f"{k}Rule": v for k, v in found.items()}
    identity = rules["IdentityRule"]["EventPattern"]
    assert {"aws.iam", "aws.signin", "aws.organizations", "aws.sso", "aws.rolesanywhere"} <= set(identity["source"])
    # sign-in events arrive under either spelling
    assert {"AWS Console Signin via CloudTrail", "AWS Console Sign In via CloudTrail"} <= set(identity["detail-type"])
    assert identity["detail-type"] == DETAIL_TYPES
    # STS: the names iambot explains, never all of STS (AssumeRole alone is millions a day)
    assert "aws.sts" not in identity["source"]
    sts = rules["StsRule"]["EventPattern"]
    assert sts["source"] == ["aws.sts"]
    assert sts["detail"]["eventName"] == catalog.names("sts.amazonaws.com")
    assert "AssumeRole" not in sts["detail"]["eventName"] and "AssumeRoleWithWebIdentity" in sts["detail"]["eventName"]
    # read-only STS calls reach EventBridge only through a rule in this state
    assert rules["StsRule"]["State"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
    assert rules["IdentityRule"]["State"] == "ENABLED"
    # the root user's calls in any service, reads included (CIS's root-usage alarm)
    assert rules["RootRule"]["EventPattern"] == {
        "detail-type": DETAIL_TYPES,
        "detail": {"userIdentity": {"type": ["Root"]}},
    }
    assert rules["RootRule"]["State"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
    queue_policy = doc["Resources"]["EventQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert queue_policy["Condition"]["ArnEquals"]["aws:SourceArn"] == [
        {"Fn::GetAtt": [name, "Arn"]} for name in sorted(rules)
    ]


@pytest.fixture
def delivered(aws):
    """The template's rules put in moto's EventBridge, feeding a queue: what reaches it."""
    sqs, events = aws.client("sqs"), aws.client("events")
    url = sqs.create_queue(QueueName="iambot-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for name, pattern in patterns(load_catalog()).items():
        events.put_rule(Name=name, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])

    def send(record: dict, detail_type: str = "AWS API Call via CloudTrail") -> list[str]:
        source = "aws." + record["eventSource"].split(".")[0]
        events.put_events(Entries=[{"Source": source, "DetailType": detail_type, "Detail": json.dumps(record)}])
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return [json.loads(m["Body"])["detail"]["eventName"] for m in got]

    return send


def test_the_rules_deliver_what_iambot_explains_in_moto(delivered):
    assert delivered(as_account(load("UpdateAccessKey__authored__1.json"))) == ["UpdateAccessKey"]
    login = as_account(load("ConsoleLogin__awsdocs__1.json"))
    assert login["eventSource"] == "signin.amazonaws.com"
    for detail_type in ("AWS Console Signin via CloudTrail", "AWS Console Sign In via CloudTrail"):
        assert delivered(login, detail_type) == ["ConsoleLogin"], detail_type
    web = as_account(load("AssumeRoleWithWebIdentity__authored__1.json"))
    assert delivered(web) == ["AssumeRoleWithWebIdentity"]
    assume_role = {**web, "eventName": "AssumeRole", "eventID": "evt-assume-role"}
    assert delivered(assume_role) == []  # routine STS traffic never reaches the queue
    ec2 = {**web, "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances"}
    assert delivered(ec2) == []


def test_the_feeds_integrity_rules_take_the_calls_iambot_explains_by_name():
    catalog = load_catalog()
    found = patterns(catalog)
    for service, source in [("Cloudtrail", "cloudtrail"), ("Events", "events"), ("Sqs", "sqs"), ("Kms", "kms"),
                            ("S3", "s3")]:  # fmt: skip
        pattern = found[service]
        assert pattern["source"] == [f"aws.{source}"]
        assert pattern["detail"]["eventName"] == catalog.names(f"{source}.amazonaws.com")
    assert found["S3"]["detail"]["eventName"] == ["PutBucketPolicy"]  # never every S3 call
    assert {"StopLogging", "DeleteTrail", "PutEventSelectors"} <= set(found["Cloudtrail"]["detail"]["eventName"])
    assert "LookupEvents" not in found["Cloudtrail"]["detail"]["eventName"]  # iambot's own polls


def test_what_could_blind_iambot_reaches_the_queue_in_moto(delivered):
    """The measured gap of issue 21: Stratus Red Team's StopLogging, DeleteTrail and PutEventSelectors
    detonations, and a DisableRule on iambot's rule, reach the queue; S3's other calls do not."""
    for file, name in [("aws.defense-evasion.cloudtrail-stop.json", "StopLogging"),
                       ("aws.defense-evasion.cloudtrail-delete.json", "DeleteTrail"),
                       ("aws.defense-evasion.cloudtrail-event-selectors.json", "PutEventSelectors")]:  # fmt: skip
        assert delivered(as_account(detonation(file, name))) == [name]
    assert delivered(as_account(load("DisableRule__authored__1.json"))) == ["DisableRule"]
    put = as_account({**load("PutBucketPolicy__authored__2.json"), "eventName": "PutObject"})
    assert delivered(put) == []


def test_the_root_users_calls_in_any_service_reach_the_queue_in_moto(delivered):
    run = as_account(as_root(detonation("aws.execution.ec2-launch-unusual-instances.json", "RunInstances")))
    assert delivered(run) == ["RunInstances"]
    policy = as_account(load("PutBucketPolicy__authored__1.json"))
    assert delivered(policy) == ["PutBucketPolicy"] * 2  # the S3 rule's and the root rule's: stored once
    # another principal's RunInstances is not iambot's business
    assert delivered(as_account(detonation("aws.execution.ec2-launch-unusual-instances.json", "RunInstances"))) == []


ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


def test_with_irsa_the_role_trusts_one_service_account_of_the_cluster_and_passes_cfn_lint(tmp_path):
    doc = template(given(), irsa_trust("https://" + ISSUER + "/", "security/iambot"))
    assert lint(doc, tmp_path).returncode == 0
    assert "TrustedService" not in doc["Parameters"]
    [trust] = doc["Resources"]["BotRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Principal"]["Federated"]["Fn::Sub"].endswith(f":oidc-provider/{ISSUER}")
    assert trust["Condition"] == {
        "StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:security:iambot", f"{ISSUER}:aud": "sts.amazonaws.com"}
    }


@pytest.mark.parametrize("account", ["security/iambot\n", "security\n/iambot", "\nsecurity/iambot"])
def test_a_service_account_with_a_newline_is_refused(account):
    with pytest.raises(ValueError, match="not a Kubernetes namespace/name"):
        irsa_trust(ISSUER, account)


@given_input(st.text(max_size=80), st.text(max_size=40))
def test_irsa_trust_takes_any_text_and_either_refuses_it_or_builds_a_well_formed_statement(issuer, account):
    try:
        trust = irsa_trust(issuer, account)
    except ValueError as exc:
        assert str(exc).startswith("not a")
        return
    [sub] = [k for k in trust["Condition"]["StringEquals"] if k.endswith(":sub")]
    assert '"' not in sub and "*" not in sub and " " not in sub
    assert sub.isprintable() and trust["Condition"]["StringEquals"][sub].isprintable()  # no "name\n"
    assert trust["Condition"]["StringEquals"][sub].count(":") == 3  # system:serviceaccount:NS:NAME
