"""A sequence alert: one message for a principal's denied writes or enumeration, re-rendered as
later members join it."""

from __future__ import annotations

from bot.assess.sequences import SEVERITY, summary, title
from bot.slack.messages.base import Message, emoji, header, line, message, rich, t
from bot.store import SequenceRow


def _when(stamp: str) -> str:
    return stamp.replace("T", " ")[:19].removesuffix("Z") + " UTC"


def sequence_message(row: SequenceRow) -> Message:
    name = title(row.kind, row.kind == "escalation" and row.at_self > 0)
    said = summary(row.kind, row.principal, row.calls, row.events, row.at_self)
    span = f"{SEVERITY} · first {_when(row.first_at)}, latest {_when(row.last_at)} · each event is stored (/iam recent)"
    blocks = [
        header(f"{name} by {row.principal}"),
        rich(line(emoji("rotating_light"), t(" "), t(said))),
        rich(line(t(span, italic=True))),
    ]
    return message(f"{name} ({SEVERITY}): {said}", blocks)
