"""Which AWS actions iambot's code really uses: every API call recorded through botocore's event
hooks, named as the IAM action (and resource) that authorizes it.

Register a :class:`Recorder` on a boto3 Session's events before the clients are made (a client
copies the session's handlers when it is created) or on one client's ``meta.events``. It sees
every call that is about to be sent, stubbed ones included, and calls that then fail: a call
made is a call that needs permission.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session

# API operations whose IAM action has another name (AWS Service Authorization Reference: Amazon SQS
# "DeleteMessageBatch ... permission sqs:DeleteMessage"; Amazon S3 "ListObjectsV2 ... s3:ListBucket",
# "HeadObject ... s3:GetObject"). Every other operation is authorized by <signing name>:<operation>.
ACTION_OF = {
    ("sqs", "DeleteMessageBatch"): "sqs:DeleteMessage",
    ("sqs", "SendMessageBatch"): "sqs:SendMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "sqs:ChangeMessageVisibility",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
}
# Not an API call of iambot's, but a permission its call needs: S3 decrypts an SSE-KMS object with the
# caller's kms:Decrypt on the object's key.
KMS_DECRYPT = "kms:Decrypt"


@cache
def _operations(service: str) -> frozenset[str]:
    return frozenset(botocore.session.get_session().get_service_model(service).operation_names)


def real_actions(service: str) -> frozenset[str]:
    """The IAM actions of ``service`` (its signing name): its operations per botocore's service
    model, plus the differently named actions of ``ACTION_OF``."""
    renamed = {a.split(":")[1] for (s, _), a in ACTION_OF.items() if s == service}
    return _operations(service) | renamed


def action_of(model: Any) -> str:
    """The IAM action that authorizes this botocore OperationModel."""
    prefix = model.service_model.signing_name
    return ACTION_OF.get((prefix, model.name), f"{prefix}:{model.name}")


def _queue_arn(url: str) -> str | None:
    # https://sqs.us-east-1.amazonaws.com/123456789012/name -> arn:aws:sqs:us-east-1:123456789012:name
    parts = url.split("/")
    if len(parts) != 5 or not parts[2].startswith("sqs."):
        return None
    return f"arn:aws:sqs:{parts[2].split('.')[1]}:{parts[3]}:{parts[4]}"


def resource_of(action: str, params: dict[str, Any]) -> str | None:
    """The resource ARN the call acts on, where the test can tell (None: not checked)."""
    if action.startswith("sqs:") and "QueueUrl" in params:
        return _queue_arn(str(params["QueueUrl"]))
    if action == "s3:ListBucket" and "Bucket" in params:
        return f"arn:aws:s3:::{params['Bucket']}"
    if action == "s3:GetObject" and "Bucket" in params:
        return f"arn:aws:s3:::{params['Bucket']}/{params.get('Key', '')}"
    if action == "sts:AssumeRole":
        return str(params.get("RoleArn"))
    if action == "iam:TagRole" and "RoleName" in params:  # the account is not among TagRole's parameters
        return f"arn:aws:iam::*:role/{params['RoleName']}"
    return None


LAKE_QUERIES = frozenset(
    {"cloudtrail:StartQuery", "cloudtrail:DescribeQuery", "cloudtrail:GetQueryResults", "cloudtrail:CancelQuery"}
)


def _lake_store(sql: str) -> str:
    found = re.search(r"\bFROM\s+(\S+)", sql)
    return found.group(1) if found else ""


@dataclass(frozen=True)
class Call:
    action: str  # service:Action
    resource: str | None = None


def athena_reads(
    table: str, location: str, output: str | None, region: str, account: str, kms_key: str | None = None
) -> list[Call]:
    """What Athena does with the caller's permissions when it runs a query on a Glue table (Athena
    user guide, "Identity and access management in Athena": the S3 locations of the data, the Glue
    Data Catalog's databases and tables; the GetQueryResults reference: reading results needs
    s3:GetObject on the results location): not calls of iambot's, but permissions its calls need."""
    database, name = table.split(".", 1)
    glue = f"arn:aws:glue:{region}:{account}"
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    catalog = (f"{glue}:catalog", f"{glue}:database/{database}", f"{glue}:table/{database}/{name}")
    reads = [Call(a, r) for a in ("glue:GetDatabase", "glue:GetPartitions") for r in catalog]
    reads += [
        Call("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
        Call("s3:GetObject", f"arn:aws:s3:::{bucket}/{prefix}x.json.gz"),
    ]
    if kms_key:  # the trail's SSE-KMS logs, decrypted for the caller
        reads.append(Call(KMS_DECRYPT, kms_key))
    if output:
        out_bucket, _, out_prefix = output.removeprefix("s3://").partition("/")
        where = f"arn:aws:s3:::{out_bucket}"
        reads += [
            Call("s3:GetBucketLocation", where),
            Call("s3:ListBucket", where),
            Call("s3:PutObject", f"{where}/{out_prefix}q.csv"),
            Call("s3:GetObject", f"{where}/{out_prefix}q.csv"),
        ]
    return reads


class Recorder:
    """``account``: the account the recorded ARNs are in where a call does not say (moto's)."""

    def __init__(self, account: str = "123456789012") -> None:
        self.calls: list[Call] = []
        self.account = account
        self.workgroups: dict[str, str] = {}  # Athena query id -> its workgroup

    @property
    def actions(self) -> set[str]:
        return {c.action for c in self.calls}

    def attach(self, events: Any) -> Recorder:
        events.register("before-parameter-build", self._params, unique_id=f"calls-params-{id(self)}")
        # first among the handlers of the most specific name, so that a Stubber's answer (also on
        # before-call.*.*) comes after it
        events.register_first("before-call.*.*", self._before, unique_id=f"calls-before-{id(self)}")
        events.register("after-call", self._after, unique_id=f"calls-after-{id(self)}")
        return self

    def detach(self, events: Any) -> None:
        events.unregister("before-parameter-build", unique_id=f"calls-params-{id(self)}")
        events.unregister("before-call.*.*", unique_id=f"calls-before-{id(self)}")
        events.unregister("after-call", unique_id=f"calls-after-{id(self)}")

    def _params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["recorded_params"] = dict(params)

    def _before(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        action = action_of(model)
        params = context.get("recorded_params", {})
        region = str(context.get("client_region") or "us-east-1")
        if action.startswith("athena:"):
            group = params.get("WorkGroup") or self.workgroups.get(str(params.get("QueryExecutionId")), "primary")
            self.calls.append(Call(action, f"arn:aws:athena:{region}:{self.account}:workgroup/{group}"))
        elif action == "glue:GetTable":  # Glue authorizes a table's read on its catalog, database and table
            glue, db = f"arn:aws:glue:{region}:{self.account}", params.get("DatabaseName")
            for arn in (f"{glue}:catalog", f"{glue}:database/{db}", f"{glue}:table/{db}/{params.get('Name')}"):
                self.calls.append(Call(action, arn))
        elif action in LAKE_QUERIES:  # the event data store: named by the call, or by the query's FROM
            store = str(params.get("EventDataStore") or _lake_store(str(params.get("QueryStatement", ""))))
            arn = (
                store
                if store.startswith("arn:")
                else f"arn:aws:cloudtrail:{region}:{self.account}:eventdatastore/{store}"
            )
            self.calls.append(Call(action, arn))
        else:
            self.calls.append(Call(action, resource_of(action, params)))
        context["recorded_group"] = params.get("WorkGroup")

    def _after(self, model: Any, parsed: dict[str, Any], context: dict[str, Any] | None = None, **_: Any) -> None:
        if action_of(model) == "athena:StartQueryExecution" and "QueryExecutionId" in parsed and context:
            self.workgroups[str(parsed["QueryExecutionId"])] = str(context.get("recorded_group") or "primary")
        if action_of(model) == "s3:GetObject" and parsed.get("ServerSideEncryption") == "aws:kms":
            self.calls.append(Call(KMS_DECRYPT, parsed.get("SSEKMSKeyId")))


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def grants(policy: dict[str, Any], call: Call) -> bool:
    """Whether an Allow statement of ``policy`` names the call's action and covers its resource."""
    for st in policy["Statement"]:
        if st.get("Effect") != "Allow":
            continue
        if not any(fnmatch.fnmatchcase(call.action, a) for a in _listed(st["Action"])):
            continue
        if call.resource is None or any(fnmatch.fnmatchcase(call.resource, r) for r in _listed(st["Resource"])):
            return True
    return False


def policy_actions(policy: dict[str, Any]) -> set[str]:
    return {a for st in policy["Statement"] if st.get("Effect") == "Allow" for a in _listed(st["Action"])}


def missing(policy: dict[str, Any], calls: Iterable[Call]) -> list[Call]:
    """The recorded calls the policy does not allow."""
    return sorted({c for c in calls if not grants(policy, c)}, key=lambda c: (c.action, c.resource or ""))
