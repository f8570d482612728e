"""What every listener shares: reading who acted from a payload, and answering them privately."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from slack_bolt import Ack, App

from bot.slack.messages import Message, failed, refused
from bot.store import StoreBusy
from bot.workflow import Refused
from remediations.base import RemediationError

log = logging.getLogger(__name__)


def field(body: Any, *path: str) -> str:
    """A string deep in a Slack payload, or "" (payloads are outside input: never trusted to be whole)."""
    value = body
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else ""


def as_click(body: dict[str, Any], channel: str) -> dict[str, Any]:
    """What ``tell`` needs to answer the person who submitted a dialog privately: who, and in which
    channel (none for a dialog opened from the Home tab: then in the app's messages tab)."""
    click: dict[str, Any] = {"user": {"id": field(body, "user", "id")}, "channel": {"id": channel}}
    if not channel:
        click["container"] = {"type": "view"}
    return click


def first_action(body: Any) -> dict[str, Any]:
    actions = body.get("actions") if isinstance(body, dict) else None
    return actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}


def explain(exc: BaseException) -> Message:
    """What the person is told when something they asked for cannot happen."""
    if isinstance(exc, Refused):
        return refused(str(exc))
    if isinstance(exc, RemediationError):
        return failed(str(exc))
    if isinstance(exc, StoreBusy):
        return failed("iambot's database is busy right now; nothing was changed. Try again in a minute.")
    return failed(f"AWS said: {exc}")


EXPECTED = (Refused, RemediationError, ClientError, BotoCoreError, StoreBusy)


def tell(respond: Any, client: Any, body: Any, reply: Message) -> None:
    """An ephemeral answer to the person who clicked or typed: response_url first, else postEphemeral."""
    if field(body, "response_url"):
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral", replace_original=False)
        return
    channel = field(body, "channel", "id") or field(body, "channel_id")
    user = field(body, "user", "id") or field(body, "user_id")
    if channel and user:
        client.chat_postEphemeral(channel=channel, user=user, text=reply.text, blocks=reply.blocks)
    elif user and field(body, "container", "type") == "view":  # a click on the Home tab: the app's DM
        client.chat_postMessage(channel=user, text=reply.text, blocks=reply.blocks)


Work = Callable[[dict[str, Any], Any, Any], None]  # (body, respond, client)


def after_ack(app: App, work: Work, answer: Callable[[Any, dict[str, Any]], None] | None = None) -> Any:
    """A listener that acknowledges at once (``answer(ack, body)``, else a plain ack) and then runs
    ``work(body, respond, client)`` on the app's listener pool. Bolt's own lazy listeners do the
    same after deep-copying the whole request into a new one, which put half a millisecond and
    thousands of objects behind every click."""
    pool = app.listener_runner.listener_executor

    def listener(ack: Ack, body: dict[str, Any], respond: Any, client: Any) -> None:
        if answer is None:
            ack()
        else:
            answer(ack, body)
        pool.submit(work, body, respond, client)

    return listener


def guarded(respond: Any, client: Any, body: Any, work: Callable[[], Message | None]) -> None:
    """Run the work; show refusals and failures to the person, never swallow them."""
    try:
        answer = work()
    except EXPECTED as exc:
        answer = explain(exc)
    except Exception as exc:
        log.exception("handler failed")
        answer = failed(f"iambot hit an internal error ({type(exc).__name__}); it is logged. Nothing was changed.")
    if answer is not None:
        try:
            tell(respond, client, body, answer)
        except Exception:
            log.exception("could not answer the person")
