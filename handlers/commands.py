"""The ``/iam`` slash command: fast subcommands answer in the ack, slow ones right after it."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.slack.messages import reply, t
from bot.workflow import Workflow
from handlers import iam
from handlers.common import field, guarded


def register(app: App, wf: Workflow) -> None:
    def ack_iam(ack: Ack, body: dict[str, Any]) -> None:
        text, user = field(body, "text")[:2000], field(body, "user_id")
        if not user:
            ack()
            return
        if iam.is_slow(text):
            working = reply(t("Working on "), t(f"/iam {iam.echo(text)}", code=True), t("…"))
            ack(text=working.text, blocks=working.blocks, response_type="ephemeral")
            return
        answer = iam.run(wf, user, text)
        ack(text=answer.text, blocks=answer.blocks, response_type="ephemeral")

    def slow_iam(body: dict[str, Any], respond: Any, client: Any) -> None:
        text, user = field(body, "text")[:2000], field(body, "user_id")
        if user and iam.is_slow(text):
            guarded(respond, client, body, lambda: iam.run(wf, user, text))

    app.command("/iam")(ack=ack_iam, lazy=[slow_iam])
