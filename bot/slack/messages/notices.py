"""Thread replies and summaries: a repeat counter, a burst summary, a CloudTrail confirmation."""

from __future__ import annotations

from bot.slack.messages.base import Message, emoji, line, message, rich, t
from bot.workflow.views import BurstView, ConfirmationView, RepeatsView


def repeats_message(view: RepeatsView) -> Message:
    n = len(view.times)
    first, latest = (view.times[0], view.times[-1]) if view.times else ("?", "?")
    text = (
        f" Repeated {n} more time(s) by the same actor with the same effect: first {first}, latest {latest}. "
        "Each is stored (/iam recent)."
    )
    return message(text, [rich(line(emoji("repeat"), t(text)))])


def burst_message(view: BurstView) -> Message:
    top = "; ".join(f"{name} by {actor} ×{n}" for name, actor, n in view.top) or "—"
    text = (
        f" Burst: {view.total} more identity event(s) in the last minute were stored but not posted one by one "
        f"(over {view.limit} a minute in this channel). Most: {top}. They are in /iam recent and the next digest."
    )
    return message(text, [rich(line(emoji("rotating_light"), t(text)))])


def confirmation_message(view: ConfirmationView) -> Message:
    failed = f", which failed ({view.error_code})" if view.error_code else ""
    text = f" CloudTrail confirms {view.request_id}: {view.event_name} by {view.actor} at {view.event_time}{failed}"
    return message(text, [rich(line(emoji("white_check_mark"), t(text)))])
