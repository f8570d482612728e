"""The checks of settings' values that are not types: Slack ids (never names), regions, what must
hold between settings. Module functions, so the ``Settings`` class keeps to its own reading and
derivations."""

from __future__ import annotations

import re
from collections.abc import Collection

CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,}")  # each pattern: for fullmatch (a $ passes "x\n")
USER_ID = re.compile(r"[UW][A-Z0-9]{6,}")
GROUP_ID = re.compile(r"S[A-Z0-9]{6,}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]")  # [0-9]: \d takes any script's digits


def account_id(value: str) -> bool:
    """Twelve ASCII digits (str.isdigit alone takes any script's)."""
    return len(value) == 12 and value.isascii() and value.isdigit()


def looks_like_a_name(value: str) -> bool:
    return value.startswith(("#", "@")) or value != value.upper()


def channel(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not CHANNEL_ID.fullmatch(value):
        hint = " — that looks like a name; open the channel's details in Slack, the id is at the bottom"
        raise ValueError(
            f"{value!r} is not a Slack channel id like C0123ABCD" + (hint if looks_like_a_name(value) else "")
        )
    return value


def users(values: list[str]) -> list[str]:
    for v in values:
        if not USER_ID.fullmatch(v):
            hint = " — that looks like a name; in Slack, a person's profile → ⋮ → Copy member ID"
            raise ValueError(f"{v!r} is not a Slack user id like U0123ABCD" + (hint if looks_like_a_name(v) else ""))
    return values


def users_or_groups(values: list[str]) -> list[str]:
    for v in values:
        if not (USER_ID.fullmatch(v) or GROUP_ID.fullmatch(v)):
            hint = " — that looks like a name; Slack shows a member's or a user group's id in its profile"
            raise ValueError(f"{v!r} is not a Slack user id (U0123ABCD) or user group id (S0123ABCD)"
                             + (hint if looks_like_a_name(v) else ""))  # fmt: skip
    return values


def notified_are_approvers(notified: list[str], approvers: Collection[str], groups: Collection[str]) -> None:
    """Whoever is pinged for approval must be able to approve: a ping nobody can act on wastes it."""
    strangers = [v for v in notified if v not in approvers and v not in groups]
    if strangers:
        raise ValueError(f"approvers_to_notify: {', '.join(strangers)} not an approver; each must also be in "
                         "IAMBOT_APPROVERS (a user) or approver_groups (a group)")  # fmt: skip


NOTE_TEXT = 150  # an account note is a warning read at a glance, on a phone too


def account_notes(value: dict[str, str]) -> dict[str, str]:
    """One line per account, clipped here; made literal where it is shown (bot/slack/text.py)."""
    notes = {}
    for account, note in value.items():
        if not account_id(account):
            raise ValueError(f"{account[:40]!r} is not a 12-digit account id")
        one_line = " ".join(note.split())
        if not one_line:
            raise ValueError(f"the note of {account} is empty")
        notes[account] = one_line if len(one_line) <= NOTE_TEXT else one_line[: NOTE_TEXT - 1] + "…"
    return notes


def each(values: list[str], pattern: re.Pattern[str], what: str) -> list[str]:
    for v in values:
        if not pattern.fullmatch(v):
            raise ValueError(f"{v!r} is not {what}")
    return values
