"""The least-privilege IAM policy iambot's principal needs, built from what is configured:
its reads, the enabled remediations (and the jobs they need), the configured sources, and role
assumption into other accounts, and the feed canary's one tag on iambot's own role. `iambot policy`
prints it; the CloudFormation role holds it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.aws import reports
from bot.aws.canary import statement as canary_statement
from bot.sources import SOURCES
from remediations import registry

if TYPE_CHECKING:
    from bot.config.settings import Settings

# iambot asks STS who it is at start, to recognise its own changes coming back through CloudTrail.
READS = ("sts:GetCallerIdentity",)
# `iambot hunt`: the calls of bot/hunt/athena.py and bot/hunt/lake.py (stopping a query it leaves)
HUNT_ATHENA = ("athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
               "athena:StopQueryExecution")  # fmt: skip
HUNT_GLUE = ("glue:GetTable", "glue:GetDatabase", "glue:GetPartitions")  # iambot's GetTable; Athena's reads
HUNT_LAKE = ("cloudtrail:StartQuery", "cloudtrail:DescribeQuery", "cloudtrail:GetQueryResults",
             "cloudtrail:CancelQuery")  # fmt: skip


def account_statements(settings: Settings) -> list[dict[str, Any]]:
    """What iambot does inside an account it watches: its reads, and the enabled remediations with
    their jobs' reads. The home principal holds these; so does the remediator role of each other
    account (`iambot template --org-member`), from this one source."""
    enabled = settings.enabled_remediations()
    reads = set(READS) | set(reports.READ_PERMISSIONS)
    actions: set[str] = set()
    for rid in enabled:
        cls = registry.REMEDIATIONS[rid]
        actions |= set(cls.permissions)
        for job in cls.jobs():
            reads |= set(job.permissions)
    found: list[dict[str, Any]] = [
        {"Sid": "IambotReads", "Effect": "Allow", "Action": sorted(reads), "Resource": "*"},
    ]
    if actions - reads:
        found.append(
            {"Sid": "IambotRemediations", "Effect": "Allow", "Action": sorted(actions - reads), "Resource": "*"}
        )
    return found


def canary_on(settings: Settings) -> bool:
    return bool(settings.canary_minutes and settings.canary_timeout_minutes)


def canary_role_arn(role: str) -> str:
    """The ARN pattern of a configured canary role: an ARN as given, a name (or path/name) in any account."""
    return role if role.startswith("arn:") else f"arn:aws:iam::*:role/{role}"


def hunt_statements(settings: Settings) -> list[dict[str, Any]]:
    """What `iambot hunt` needs, for the configured hunt_table (Athena) or hunt_lake: Athena's query
    calls on the workgroup; Glue's read of the table (Athena reads its catalog, database, table and
    partitions with the caller's permissions); the trail bucket read (Athena reads the logs as the
    caller) and the results location written and read back; CloudTrail Lake's query calls on the
    event data store. KMS where trail_kms_keys (the logs) or hunt_kms_keys (results, Lake) are configured."""
    from bot.sources.files import bucket_statements

    found: list[dict[str, Any]] = []
    if settings.hunt_table:
        database, table = settings.hunt_table.lower().split(".", 1)
        found.append({"Sid": "IambotHuntQuery", "Effect": "Allow", "Action": sorted(HUNT_ATHENA),
                      "Resource": f"arn:aws:athena:*:*:workgroup/{settings.hunt_workgroup}"})  # fmt: skip
        found.append({"Sid": "IambotHuntCatalog", "Effect": "Allow", "Action": sorted(HUNT_GLUE),
                      "Resource": ["arn:aws:glue:*:*:catalog", f"arn:aws:glue:*:*:database/{database}",
                                   f"arn:aws:glue:*:*:table/{database}/{table}"]})  # fmt: skip
        found += bucket_statements(sorted(settings.trail_buckets), list(settings.trail_kms_keys))
        if settings.hunt_output:
            bucket, _, prefix = settings.hunt_output.removeprefix("s3://").partition("/")
            found.append(
                {
                    "Sid": "IambotHuntResultsBucket",
                    "Effect": "Allow",
                    "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
                    "Resource": f"arn:aws:s3:::{bucket}",
                }
            )
            found.append({"Sid": "IambotHuntResults", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                          "Resource": f"arn:aws:s3:::{bucket}/{prefix}*"})  # fmt: skip
    if settings.hunt_lake:
        store = settings.hunt_lake
        arn = store if store.startswith("arn:") else f"arn:aws:cloudtrail:*:*:eventdatastore/{store}"
        found.append({"Sid": "IambotHuntLake", "Effect": "Allow", "Action": sorted(HUNT_LAKE), "Resource": arn})
    if settings.hunt_kms_keys and (settings.hunt_table or settings.hunt_lake):
        # Athena writes SSE_KMS results with a data key and reads them back; a Lake query on a store
        # with its own key needs the same two (CloudTrail's KMS key policy guide)
        found.append({"Sid": "IambotHuntKeys", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                      "Resource": sorted(settings.hunt_kms_keys)})  # fmt: skip
    return found


def statements(settings: Settings, queue_arn: Any = None) -> list[dict[str, Any]]:
    """The home principal's: the account's statements, then the sources', the feed canary's (on the
    configured canary_role; the templates grant it on their own role) and role assumption."""
    found = account_statements(settings)
    for statement in hunt_statements(settings):
        if statement not in found:
            found.append(statement)
    for source in SOURCES:
        for statement in source.permissions(settings):
            if statement.get("Sid") == "IambotQueue" and queue_arn is not None:
                statement = {**statement, "Resource": queue_arn}
            if statement not in found:  # two sources can need the same read (the trail buckets)
                found.append(statement)
    if canary_on(settings) and settings.canary_role:
        found.append(canary_statement(canary_role_arn(settings.canary_role)))
    if settings.remediation_role:
        found.append(
            {
                "Sid": "IambotOtherAccounts",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": settings.remediation_role.replace("{account_id}", "*"),
            }
        )
    return found


def policy(settings: Settings, hunt: bool = False) -> dict[str, Any]:
    """iambot's policy; with ``hunt``, only what `iambot hunt` needs (for a responder's principal)."""
    return {"Version": "2012-10-17", "Statement": hunt_statements(settings) if hunt else statements(settings)}
