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


def statements(settings: Settings, queue_arn: Any = None) -> list[dict[str, Any]]:
    """The home principal's: the account's statements, then the sources', the feed canary's (on the
    configured canary_role; the templates grant it on their own role) and role assumption."""
    found = account_statements(settings)
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


def policy(settings: Settings) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements(settings)}
