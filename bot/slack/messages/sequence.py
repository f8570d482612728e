"""A sequence alert: one message for a principal's denied writes or enumeration, re-rendered as
later members join it."""

from __future__ import annotations

from bot.assess.sequences import SEVERITY, summary, title
from bot.config.checks import account_id
from bot.slack.messages.base import Message, account_note, emoji, header, line, message, rich, t
from bot.store import SequenceRow


def _when(stamp: str) -> str:
    return stamp.replace("T", " ")[:19].removesuffix("Z") + " UTC"


def account_of(principal: str) -> str | None:
    """The account of a principal's ARN (arn:aws:iam::111122223333:user/x), or None for a name."""
    parts = principal.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and account_id(parts[4]):
        return parts[4]
    return None


def sequence_message(row: SequenceRow, note: str | None = None) -> Message:
    """``note``: the account's note (account_notes), shown as on every alert of that account."""
    name = title(row.kind, row.kind == "escalation" and row.at_self > 0)
    said = summary(row.kind, row.principal, row.calls, row.events, row.at_self)
    span = f"{SEVERITY} · first {_when(row.first_at)}, latest {_when(row.last_at)} · each event is stored (/iam recent)"
    blocks = [
        header(f"{name} by {row.principal}"),
        rich(line(emoji("rotating_light"), t(" "), t(said))),
        rich(line(t(span, italic=True))),
        *account_note(account_of(row.principal), note),
    ]
    return message(f"{name} ({SEVERITY}): {said}", blocks)
