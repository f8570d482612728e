"""Thread replies and summaries: a repeat counter, a burst summary, a CloudTrail confirmation, the
announcement of a new mute, and the feed canary's "broken" and "restored" notices."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import RichTextElementParts

from bot.slack.messages.base import Message, emoji, line, message, rich, t, user
from bot.store import Suppression
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


def mute_message(s: Suppression) -> Message:
    """Said in the channel when someone mutes alerts: who, what, until when, why, and how to lift it."""
    pairs = (("event", s.event_name), ("actor", s.actor), ("target", s.target), ("account", s.account_id))
    criteria = ", ".join(f"{label}={value}" for label, value in pairs if value)
    until = s.expires_at.replace("T", " ").removesuffix("Z")[:16] + " UTC"
    what = f" muted alerts where {criteria} until {until}: "
    after = f" ({s.id}). Matching events are stored and counted in the digest; /iam unmute {s.id} lifts it."
    parts = [emoji("no_bell"), t(" "), user(s.created_by), t(what), t(s.reason or "no reason given", italic=True)]
    return message(f"{s.created_by}{what}{s.reason} ({s.id})", [rich(line(*parts, t(after)))])


def break_glass_message(request_id: str, title: str, data: dict[str, Any]) -> Message:
    """Every approver is told at once that someone approved alone, and why."""
    who = str(data.get("user") or "?")
    reason = str(data.get("reason") or "")
    people = [u for u in data.get("approvers") or [] if isinstance(u, str) and u != who]
    groups = [g for g in data.get("groups") or [] if isinstance(g, str) and g.isalnum()]
    notify: list[Any] = []
    for uid in people:
        notify += [user(uid), t(" ")]
    for gid in groups:
        notify += [RichTextElementParts.UserGroup(usergroup_id=gid), t(" ")]
    parts = [emoji("rotating_light"), t(" Break-glass: ", bold=True), user(who),
             t(f" approved {request_id} ({title}) alone, which the policy does not normally allow: "),
             t(reason, italic=True, limit=500)]  # fmt: skip
    blocks = [rich(line(*parts)), rich(line(t("Approvers: "), *notify))] if notify else [rich(line(*parts))]
    return message(f"Break-glass: {who} approved {request_id} alone: {reason}", blocks)


def feed_message(state: str, data: dict[str, Any]) -> Message:
    """Said once in the alert channel when the feed canary is overdue, and once when one comes back."""
    if state == "restored":
        text = (
            f" Feed restored: iambot's canary came back through CloudTrail (written {data.get('seen') or '?'}); "
            f"events since {data.get('broken') or '?'} arrive again."
        )
        return message(text, [rich(line(emoji("white_check_mark"), t(text)))])
    role = str(data.get("role") or "iambot's role")
    text = (
        f" The event feed looks broken: the canary iambot wrote at {data.get('sent') or '?'} (a tag on {role}) has not "
        f"come back within {data.get('timeout') or '?'} minutes. Check the trail, the EventBridge rules and the "
        "queue: until it returns, iambot may be blind. /readyz says more."
    )
    return message(text, [rich(line(emoji("rotating_light"), t(" Feed broken:", bold=True), t(text)))])
