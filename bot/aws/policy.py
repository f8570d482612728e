"""The least-privilege IAM policy iambot's principal needs, built from what is configured:
its reads, the enabled remediations (and the jobs they need), the configured sources, and role
assumption into other accounts. `iambot policy` prints it; the CloudFormation role holds it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.aws import reports
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


def statements(settings: Settings, queue_arn: Any = None) -> list[dict[str, Any]]:
    """The home principal's: the account's statements, then the sources' and role assumption."""
    found = account_statements(settings)
    for source in SOURCES:
        for statement in source.permissions(settings):
            if statement.get("Sid") == "IambotQueue" and queue_arn is not None:
                statement = {**statement, "Resource": queue_arn}
            if statement not in found:  # two sources can need the same read (the trail buckets)
                found.append(statement)
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
