"""The ``/iam`` slash command: fast subcommands answer in the ack, slow ones right after it."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.slack.messages import reply, t
from bot.workflow import Workflow
from handlers import iam
from handlers.common import after_ack, field, guarded


def register(app: App, wf: Workflow) -> None:
    def slow(body: dict[str, Any]) -> bool:
        return iam.is_slow(field(body, "text")[:2000])

    def ack_slow(ack: Ack, body: dict[str, Any]) -> None:
        text = field(body, "text")[:2000]
        if not field(body, "user_id"):
            ack()  # nobody to answer; the work does nothing either
            return
        working = reply(t("Working on "), t(f"/iam {iam.echo(text)}", code=True), t("…"))
        ack(text=working.text, blocks=working.blocks, response_type="ephemeral")

    def slow_iam(body: dict[str, Any], respond: Any, client: Any) -> None:
        text, user = field(body, "text")[:2000], field(body, "user_id")
        if user:
            guarded(respond, client, body, lambda: iam.run(wf, user, text))

    def ack_fast(ack: Ack, body: dict[str, Any]) -> None:
        text, user = field(body, "text")[:2000], field(body, "user_id")
        if not user:
            ack()
            return
        answer = iam.run(wf, user, text)
        ack(text=answer.text, blocks=answer.blocks, response_type="ephemeral")

    # two listeners, so that a fast subcommand (answered in the ack) starts no lazy work at all:
    # Bolt copies the whole request into a new thread for every lazy function it starts
    app.command("/iam", matchers=[slow])(after_ack(app, slow_iam, ack_slow))
    app.command("/iam")(ack_fast)
