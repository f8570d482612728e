"""The ``/iam`` slash command: fast subcommands answer in the ack, slow ones right after it."""

from __future__ import annotations

from typing import Any

from bot import commands
from handlers import guarded


def register(app: Any, service: Any) -> None:
    def ack_iam(ack: Any, command: dict[str, Any]) -> None:
        text = command.get("text", "")
        if commands.is_slow(text):
            ack(text=f"Working on `/iam {text.strip()}`…", response_type="ephemeral")
        else:
            ack(text=commands.run(service, command["user_id"], text).text, response_type="ephemeral")

    def slow_iam(command: dict[str, Any], body: dict[str, Any], respond: Any, client: Any) -> None:
        text = command.get("text", "")
        if commands.is_slow(text):
            guarded(respond, client, body, lambda: commands.run(service, command["user_id"], text).text)

    app.command("/iam")(ack=ack_iam, lazy=[slow_iam])
