"""What `/iam` reports read: the audit log and who can sign in to the console without MFA. Who may
ask and what is audited is decided here; the Slack layer renders each report
(bot/slack/messages/reports.py) and the handlers only parse the command and answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.aws import reports
from bot.aws.reports import NoMfaUser
from bot.store import Store
from bot.workflow.authz import Act, Authorizer, Refused

AUDIT_MOST = 50  # entries one /iam audit may list
IAMBOT = "iambot"  # the audit log's name for iambot itself (an execution, an expiry)


@dataclass(frozen=True)
class AuditEntry:
    at: str
    user: str  # a Slack user id, or IAMBOT
    action: str
    request_id: str | None
    remediation_id: str | None
    result: str
    detail: str | None


@dataclass(frozen=True)
class MfaReport:
    account_id: str | None  # None: the account iambot runs in
    root_without_mfa: bool
    users: tuple[NoMfaUser, ...]  # console users without MFA, by name


def account_id(value: str) -> bool:
    return len(value) == 12 and value.isascii() and value.isdigit()


class Reports:
    def __init__(self, store: Store, authz: Authorizer, aws: Any):
        self.store, self.authz, self.aws = store, authz, aws

    def audit(self, n: int) -> tuple[AuditEntry, ...]:
        """The latest ``n`` audit entries (at most AUDIT_MOST), newest first: readable by anyone in
        the workspace, as every decision is meant to be seen."""
        rows = self.store.audit.recent(max(1, min(n, AUDIT_MOST)))
        return tuple(
            AuditEntry(r["at"], r["user_id"], r["action"], r["request_id"], r["remediation_id"], r["result"],
                       r["detail"])
            for r in rows
        )  # fmt: skip

    def mfa(self, who: str, account: str | None = None) -> MfaReport:
        """Console users without MFA and whether the root user has it, in ``account`` (through the
        remediation role) or iambot's own. Requesters and approvers only: the report reads IAM's
        credential report, which names every user; a refusal is audited."""
        if account is not None and not account_id(account):
            raise Refused("An account is a 12-digit AWS account id.")
        if not self.authz.may(Act.REPORT, who):
            self.store.audit.add("report", who, result="refused", detail="mfa: not a requester")
            raise Refused("Only requesters and approvers can run account reports.")
        iam = self.aws.iam(account, session_name=f"iambot-report-{who}")
        users = tuple(reports.console_users_without_mfa(iam))
        root = reports.root_without_mfa(iam)
        self.store.audit.add("report", who, detail=f"mfa: {len(users)} console user(s) without MFA")
        return MfaReport(account, root, users)
