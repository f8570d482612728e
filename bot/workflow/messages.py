"""The Slack messages the workflow asks for, by kind, and their outbox ids: one place, one spelling.

The workflow records *that* a message should show something (a row in the outbox); the Slack
layer renders each kind from the current state when it sends.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    ALERT = "alert"
    REQUEST = "approval"
    REPEATS = "repeats"
    BURST = "burst"
    CONFIRMATION = "confirmation"
    DIGEST = "digest"
    CHART = "digest-chart"  # the digest's chart, uploaded as a file into the digest's thread
    MUTE = "mute"
    BREAK_GLASS = "break-glass"
    FEED = "feed"  # the feed canary: "broken" once, then "restored" once (ref)
    SEQUENCE = "sequence"  # one alert for a principal's sequence (bot/assess/sequences.py), updated as it grows
    HUNT = "hunt"  # what one `iambot hunt --post` found, in one message
    HOME = "home"  # a person's Home tab (views.publish), not a message: ref and channel are the user
    QUESTION = "question"  # "Was this you?" to the actor, a direct message (channel DIRECT); ref: the question
    DISOWNED = "disowned"  # the approvers told that the actor says "this wasn't me"; ref: the question
    OUTCOME = "outcome"  # a request's outcome, a direct message to the requester (channel DIRECT); ref: the request


# The channel of a direct message: the poster opens the conversation with the person the row is
# about (conversations.open) and posts there; the row then keeps the DM's channel id.
DIRECT = "@direct"


def alert_id(event_key: str) -> str:
    return f"{Kind.ALERT}:{event_key}"


def request_id(request_id: str) -> str:
    return f"{Kind.REQUEST}:{request_id}"


def repeats_id(parent_key: str) -> str:
    return f"{Kind.REPEATS}:{parent_key}"


def burst_id(channel: str, minute: str) -> str:
    return f"{Kind.BURST}:{channel}:{minute}"


def confirmation_id(event_key: str) -> str:
    return f"{Kind.CONFIRMATION}:{event_key}"


def digest_id(until: str, manual: bool) -> str:
    return f"{Kind.DIGEST}:{'now:' if manual else ''}{until}"


def chart_id(digest_message_id: str) -> str:
    """After its digest's id, which it extends: queued in the same instant, it sorts after the digest
    in the outbox, so one flush posts the digest and then uploads its chart into the thread."""
    return f"{digest_message_id}:chart"


def mute_id(suppression_id: str) -> str:
    return f"{Kind.MUTE}:{suppression_id}"


def break_glass_id(request_id: str) -> str:
    return f"{Kind.BREAK_GLASS}:{request_id}"


def home_id(user: str) -> str:
    return f"{Kind.HOME}:{user}"


def feed_id(state: str, sent: str) -> str:
    """The feed canary's notice: ``state`` broken or restored, for the canary overdue at ``sent``."""
    return f"{Kind.FEED}:{state}:{sent}"


def sequence_id(sequence: str) -> str:
    return f"{Kind.SEQUENCE}:{sequence}"


def hunt_id(query_id: str) -> str:
    return f"{Kind.HUNT}:{query_id}"


def question_id(question: str) -> str:
    return f"{Kind.QUESTION}:{question}"


def disowned_id(question: str) -> str:
    return f"{Kind.DISOWNED}:{question}"


def outcome_id(request_id: str) -> str:
    return f"{Kind.OUTCOME}:{request_id}"
