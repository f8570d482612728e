"""The App Home tab: ``app_home_opened`` records that the person looks at their Home, and the
outbox publishes it (``views.publish``, retried like any post) now and after every change it shows.

Bolt acknowledges events itself; the store write runs on the listener pool, so the
acknowledgement never waits for it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.workflow import Workflow
from handlers.common import after_ack, field, guarded


def register(app: App, wf: Workflow) -> None:
    def opened(body: dict[str, Any], respond: Any, client: Any) -> None:
        user = field(body, "event", "user")
        if user.isalnum() and field(body, "event", "tab") in ("home", ""):

            def work() -> None:
                wf.homes.opened(user)

            guarded(respond, client, body, work)

    app.event("app_home_opened")(after_ack(app, opened))
