"""What `/iam` reports read: the audit log, who can sign in to the console without MFA, the latest
events, one event as it was judged, what could not be read, the requests waiting. Who may ask and
what is audited is decided here; the Slack layer renders each report
(bot/slack/messages/reports.py) and the handlers only parse the command and answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.assess import Alert
from bot.aws import reports
from bot.aws.reports import NoMfaUser
from bot.config.checks import account_id
from bot.store import Request, Store, StoredEvent
from bot.workflow.authz import Act, Authorizer, Refused
from bot.workflow.views import Views

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


LIST_MOST = 50  # events or rejections one command may list
SHOWN_MOST = 5  # events one id may name (CloudTrail reuses ids across accounts, rarely)


@dataclass(frozen=True)
class Rejection:
    at: str
    source: str
    where: str
    reason: str


class Reports:
    def __init__(self, store: Store, authz: Authorizer, aws: Any, views: Views):
        self.store, self.authz, self.aws, self.views = store, authz, aws, views

    def events(self, n: int) -> list[StoredEvent]:
        """The latest ``n`` identity events stored, newest first."""
        return self.store.events.recent(max(1, min(n, LIST_MOST)))

    def event(self, key_or_id: str) -> tuple[Alert, ...]:
        """The events with this key or CloudTrail id, each as it was judged when taken in (a record
        that no longer reads is left out)."""
        found = self.store.events.with_id(key_or_id[:300], SHOWN_MOST)
        return tuple(a for a in (self.views.alert(s.key) for s in found) if a is not None)

    def rejected(self, n: int) -> list[Rejection]:
        rows = self.store.rejected.recent(max(1, min(n, LIST_MOST)))
        return [Rejection(r["at"], r["source"], r["where_"], r["reason"]) for r in rows]

    def waiting(self) -> list[Request]:
        """Requests not finished yet: waiting for approvals, approved, running."""
        return self.store.requests.pending()

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
