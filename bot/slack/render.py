"""From an outbox row to the message it should show now: each kind rendered from the current state."""

from __future__ import annotations

import logging
from typing import Any

from bot.slack.chart import Chart, digest_chart
from bot.slack.messages import (
    Message,
    alert_message,
    break_glass_message,
    burst_message,
    confirmation_message,
    digest_message,
    feed_message,
    mute_message,
    repeats_message,
    request_message,
)
from bot.slack.messages.base import permalink, refused
from bot.slack.messages.home import home_view
from bot.slack.messages.hunt import hunt_message
from bot.slack.messages.questions import disowned_message, outcome_message, question_message
from bot.slack.messages.sequence import account_of, sequence_message
from bot.store import MessageRow, RequestStatus
from bot.workflow import Digest
from bot.workflow import messages as m
from bot.workflow.home import Homes
from bot.workflow.views import Views
from remediations import registry

log = logging.getLogger(__name__)


class Renderer:
    def __init__(self, views: Views, homes: Homes | None = None, directory: Any = None):
        self.views = views
        self.homes = homes
        self.directory = directory  # bot/slack/directory.py: e-mails to people, channel members
        self.destructive = frozenset(rid for rid, cls in registry.REMEDIATIONS.items() if cls.destructive)

    def link(self, event_key: str) -> str | None:
        row = self.views.store.outbox.get(m.alert_id(event_key))
        return permalink(row.channel, row.ts) if row else None

    def home(self, row: MessageRow) -> dict[str, Any] | None:
        """The Home tab of the person ``row`` is about (``views.publish``)."""
        return home_view(self.homes.for_user(row.ref)) if self.homes is not None and row.ref else None

    def recipient(self, row: MessageRow) -> str | None:
        """Who a direct message (channel ``DIRECT``) goes to, or None when it goes to nobody: the
        person asked (an e-mail looked up now, and kept), or a requester who was not in the channel
        where their request was decided (a membership Slack cannot tell counts as not there)."""
        store = self.views.store
        if row.kind == m.Kind.QUESTION:
            question = store.questions.get(row.ref)
            if question is None or question.answered:
                return None
            if question.person is None and question.email and self.directory is not None:
                found = self.directory.user_by_email(question.email)
                if found and store.questions.assign(question.id, found):
                    store.outbox.touch(m.alert_id(question.event_key))  # the alert names who was asked
                    return str(found)
            return question.person
        if row.kind == m.Kind.OUTCOME:
            request = store.requests.get(row.ref)
            decided = store.outbox.get(m.request_id(row.ref))
            if request is None or (
                request.status == RequestStatus.CANCELLED and request.decided_by == request.requested_by
            ):
                return None  # they cancelled it themselves: they saw it end
            where = decided.channel if decided is not None else ""
            members = self.directory.members(where) if self.directory is not None and where else None
            return None if members is not None and request.requested_by in members else request.requested_by
        return None

    def chart(self, row: MessageRow) -> Chart | None:
        """The chart of the digest ``row`` is a reply to; None if it cannot be drawn here."""
        data = row.data if isinstance(row.data, dict) else {}
        try:
            return digest_chart(Digest.of(data))
        except (ImportError, ValueError, TypeError, RuntimeError) as exc:  # no matplotlib, or data it cannot draw
            log.warning("the digest's chart could not be drawn", extra={"outbox_id": row.id, "error": str(exc)})
            return None

    def __call__(self, row: MessageRow) -> Message | None:
        """The message for ``row``, or None when what it shows no longer exists."""
        data = row.data if isinstance(row.data, dict) else {}
        match row.kind:
            case m.Kind.ALERT:
                view = self.views.alert_view(row.ref)
                return alert_message(view, self.destructive) if view else None
            case m.Kind.REQUEST:
                request = self.views.request_view(row.ref)
                return request_message(request) if request else None
            case m.Kind.REPEATS:
                return repeats_message(self.views.repeats(row.ref))
            case m.Kind.BURST:
                return burst_message(self.views.burst(data))
            case m.Kind.CONFIRMATION:
                confirmation = self.views.confirmation(row.ref, data)
                return confirmation_message(confirmation) if confirmation else None
            case m.Kind.DIGEST:
                table = self.views.store.cursors.get(refused("table")) is None
                return digest_message(Digest.of(data), self.link, table)
            case m.Kind.BREAK_GLASS:
                glass = self.views.request_view(row.ref)
                return break_glass_message(glass.request.id, glass.title, data) if glass else None
            case m.Kind.FEED:
                return feed_message(row.ref, data)
            case m.Kind.HUNT:
                return hunt_message(data)
            case m.Kind.MUTE:
                muted = self.views.store.suppressions.get(row.ref)
                return mute_message(muted) if muted else None
            case m.Kind.QUESTION:
                question = self.views.question_view(row.ref)
                return question_message(question) if question else None
            case m.Kind.DISOWNED:
                question = self.views.question_view(row.ref)
                return disowned_message(question, data) if question else None
            case m.Kind.OUTCOME:
                outcome = self.views.request_view(row.ref)
                return outcome_message(outcome) if outcome else None
            case m.Kind.SEQUENCE:
                sequence = self.views.store.sequences.get(row.ref)
                if sequence is None:
                    return None
                return sequence_message(sequence, self.views.note(account_of(sequence.principal)))
        if isinstance(row.payload, dict) and isinstance(row.payload.get("blocks"), list):
            return Message(str(row.payload.get("text", "")), row.payload["blocks"])  # rendered by an older iambot
        log.warning("no renderer for this message", extra={"outbox_id": row.id, "kind": row.kind})
        return None
