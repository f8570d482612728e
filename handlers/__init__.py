"""Thin Slack listeners grouped by surface. Each acks at once, decodes ids, checks who is acting
(through the workflow), calls a use case, and lets the outbox re-render the messages. The
runtime registers them; nothing else here knows about Bolt."""

from __future__ import annotations

from slack_bolt import App

from bot.workflow import Workflow
from handlers import actions, commands, dialogs, home, questions


def register_all(app: App, wf: Workflow) -> None:
    actions.register(app, wf)
    commands.register(app, wf)
    dialogs.register(app, wf)
    home.register(app, wf)
    questions.register(app, wf)
