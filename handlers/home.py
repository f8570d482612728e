"""The App Home tab: ``app_home_opened`` publishes the person's Home, read from the current state.

Bolt acknowledges events itself; the read and the ``views.publish`` run on the listener pool, so
the acknowledgement never waits for them. The Home is published again each time it is opened and
after an Approve clicked on it; a change made elsewhere shows the next time the tab is opened."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack.messages.home import home_view
from bot.store import StoreBusy
from bot.workflow import Workflow
from handlers.common import after_ack, field

log = logging.getLogger(__name__)


def from_home(body: Any) -> bool:
    """The click came from a button on the Home tab (not from a message)."""
    return field(body, "container", "type") == "view" and field(body, "view", "type") == "home"


def publish(wf: Workflow, client: Any, user: str) -> None:
    """Publish ``user``'s Home; a failure is logged (the tab keeps what it showed), never raised."""
    try:
        client.views_publish(user_id=user, view=home_view(wf.homes.for_user(user)))
    except (SlackApiError, SlackClientError, OSError, StoreBusy) as exc:
        log.warning("could not publish the Home", extra={"user": user, "error": str(exc)})


def register(app: App, wf: Workflow) -> None:
    def opened(body: dict[str, Any], respond: Any, client: Any) -> None:
        user = field(body, "event", "user")
        if user.isalnum() and field(body, "event", "tab") in ("home", ""):
            publish(wf, client, user)

    app.event("app_home_opened")(after_ack(app, opened))
