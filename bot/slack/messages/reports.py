"""The `/iam` reports as a person reads them: the audit log, the MFA report, the active mutes, the
latest events and one of them, rejections, waiting requests, the remediations, and the enrolment
of an authenticator. Rendered from what bot/workflow returns; whatever came from
AWS or a person is shown literally."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from slack_sdk.models.blocks import RichTextBlock, RichTextPreformattedElement

from bot.assess import Alert
from bot.slack.messages.base import Message, Part, line, message, rich, t, user
from bot.slack.messages.replies import listing
from bot.slack.messages.request import status_text
from bot.store import Request, StoredEvent, Suppression
from bot.workflow.reports import IAMBOT, AuditEntry, MfaReport, Rejection
from bot.workflow.stepup import Enrolment
from remediations import registry

MFA_USERS_SHOWN = 30
MFA_FOOTER = (
    "iambot cannot enable MFA for someone else. To enforce it, attach a policy that denies actions when "
    "aws:MultiFactorAuthPresent is false (AWS's example: IAM User Guide, reference_policies_examples_aws_"
    "my-sec-creds-self-manage-mfa-only), or remove console access with disable-console-access."
)


def audit_message(entries: Sequence[AuditEntry]) -> Message:
    """One line per entry, newest first: when, who (or iambot), what, on which request, the result."""
    if not entries:
        return listing("The audit log is empty.", [])
    items = []
    for e in entries:
        actor = [t("iambot")] if e.user == IAMBOT else [user(e.user)]
        what = f" {e.action} {e.request_id or ''} {e.remediation_id or ''} → {e.result}"
        items.append([t(e.at, code=True), t(" "), *actor, t(what + (f": {e.detail}" if e.detail else ""))])
    return listing(f"The latest {len(entries)} audit entries", items)


def mfa_message(report: MfaReport) -> Message:
    """Who to chase: the root user's MFA first, then each console user without MFA."""
    root = report.root_without_mfa
    items: list[list[Part]] = [[t("The root user has no MFA." if root else "The root user has MFA.", bold=root)]]
    if not report.users:
        items.append([t("Every user with a console password has MFA.")])
    else:
        items.append(
            [t(f"{len(report.users)} user(s) can sign in to the console without MFA; ask each to add a device:")]
        )
        items += [
            [t(u.user, code=True), t(f" (password last used {u.password_last_used})")]
            for u in report.users[:MFA_USERS_SHOWN]
        ]
    title = f"MFA report, account {report.account_id}" if report.account_id else "MFA report"
    return listing(title, items, MFA_FOOTER)


def mutes_message(found: Sequence[Suppression]) -> Message:
    if not found:
        return listing("No active suppressions.", [])
    items = []
    for s in found:
        pairs = (("event", s.event_name), ("actor", s.actor), ("target", s.target), ("account", s.account_id))
        what = ", ".join(f"{k} = {v}" for k, v in pairs if v)
        items.append(
            [t(s.id, code=True), t(f" {what} · until {s.expires_at} · {s.hits} hit(s) · "), user(s.created_by),
             t(f": {s.reason}")]
        )  # fmt: skip
    return listing(f"{len(found)} active suppression(s)", items)


def enrolment_message(enrolment: Enrolment) -> Message:
    """The authenticator's key, once, to the approver alone: a QR code, the key and its URI."""
    intro = rich(
        line(t("Add this to your authenticator app (scan the code, or type the key). ", bold=True)),
        line(
            t(
                "This message is shown only to you and Slack does not keep it; iambot stores the key encrypted and "
                "never shows it again. Approvals that need a code ask for one from this device."
            )
        ),
    )
    qr = RichTextBlock(elements=[RichTextPreformattedElement(elements=[t(enrolment.qr, multiline=True, limit=3000)])])
    key = rich(line(t("Key: ", bold=True), t(enrolment.secret, code=True)), line(t(enrolment.uri, code=True)))
    return message("Your authenticator for iambot approvals (shown once)", [intro, qr, key])


def events_message(rows: Sequence[StoredEvent]) -> Message:
    """The latest events, one line each: when, severity, what happened, and the id /iam show takes."""
    if not rows:
        return listing("No identity events stored yet.", [])
    items = [
        [t(r.event_time, code=True), t(" "), t(r.severity or "?", bold=True), t(" " + (r.summary or r.event_name)),
         t(" · "), t(r.id, code=True)]
        for r in rows
    ]  # fmt: skip
    return listing(f"The latest {len(rows)} identity event(s)", items)


def event_message(alerts: Sequence[Alert], asked: str) -> Message:
    """One event (or the few sharing an id) with its account, actor, time, reasons and offers."""
    items: list[list[Part]] = []
    for alert in alerts:
        e = alert.event
        if len(alerts) > 1:
            items.append([t(f"{alert.severity.upper()} · {alert.entry.title}", bold=True)])
        items += [
            [t(alert.summary)],
            [t(f"Account {e.account_id or '?'} · actor {e.actor.arn or e.actor.name}")],
            [t(f"When {e.event_time:%Y-%m-%d %H:%M:%S} UTC · from {e.source_ip or '—'}")],
            *([t("• " + r)] for r in alert.risk.reasons),
        ]
        if alert.offers:
            items.append([t("Remediations: " + ", ".join(o.id for o in alert.offers))])
    first = alerts[0]
    title = f"{first.severity.upper()} · {first.entry.title}" if len(alerts) == 1 else (
        f"{len(alerts)} events with id {asked}")  # fmt: skip
    return listing(title, items)


def rejected_message(rows: Sequence[Rejection]) -> Message:
    if not rows:
        return listing("Nothing has been rejected.", [])
    items = [[t(r.at, code=True), t(f" {r.source} {r.where}: {r.reason}")] for r in rows]
    return listing(f"The latest {len(rows)} rejection(s)", items)


def waiting_message(pending: Sequence[Request], notes: Mapping[str, str]) -> Message:
    """What waits, one line a request, with its account's note (account_notes): the ids here are
    what /iam approve takes, so a look-alike request in the wrong account must stand out."""
    if not pending:
        return listing("No remediation requests are waiting.", [])
    titles = registry.titles()
    items = []
    for r in pending:
        note = notes.get(r.account_id or "")
        items.append(
            [t(r.id, code=True), t(f" {status_text(r.status)} · "), t(titles.get(r.remediation_id, r.remediation_id),
             bold=True), *([t(f" in {r.account_id}")] if r.account_id else []),
             *([t(f" ⚠ {note}", bold=True, limit=200)] if note else []),
             t(f" · {len(r.approvals)}/{r.approvals_needed} approvals · asked by "), user(r.requested_by),
             t(f" · expires {r.expires_at}")]
        )  # fmt: skip
    return listing(f"{len(pending)} request(s) waiting", items)


def remediations_message(enabled: Collection[str]) -> Message:
    """The enabled remediations with their parameters, as /iam remediate takes them."""
    items = []
    for rid, cls in registry.REMEDIATIONS.items():
        if rid not in enabled or cls.undo_only:
            continue
        fields = " ".join(f"{n}=…" if f.is_required() else f"[{n}=…]" for n, f in cls.Params.model_fields.items())
        items.append(
            [t(f"{rid} {fields}", code=True), t(f" — {cls.title}" + (" (irreversible)" if cls.destructive else ""))]
        )
    return listing("Remediations", items, "Add account=<12 digits> to act in another account of the organization.")
