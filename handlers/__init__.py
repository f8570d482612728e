"""Thin Slack listeners grouped by surface. Each acks, decodes ids, calls ``bot.service`` and
lets the outbox re-render the messages. Nothing outside this package knows about Bolt."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.commands import EXPECTED_FAILURES, failure_text

log = logging.getLogger(__name__)


def register_all(app: Any, service: Any) -> None:
    from handlers import actions, commands

    actions.register(app, service)
    commands.register(app, service)


def tell(respond: Any, client: Any, body: dict[str, Any], text: str) -> None:
    """An ephemeral answer to the person who clicked or typed: response_url first, else postEphemeral."""
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    if channel and user:
        client.chat_postEphemeral(channel=channel, user=user, text=text)


def guarded(respond: Any, client: Any, body: dict[str, Any], work: Callable[[], str | None]) -> None:
    """Run the work; show refusals and failures to the person, never swallow them."""
    try:
        answer = work()
    except EXPECTED_FAILURES as exc:
        answer = failure_text(exc)
    except Exception as exc:
        log.exception("handler failed")
        answer = f":x: iambot hit an internal error ({type(exc).__name__}); it is logged. Nothing was changed."
    if answer:
        tell(respond, client, body, answer)
