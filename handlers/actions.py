"""Buttons: request a remediation, approve, deny, dismiss. Ack at once; the work runs lazily.
Who may click what is checked by the workflow where the click lands; a refusal is answered
privately and audited."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App

from bot.slack.ids import REQUEST_PREFIX, Action
from bot.slack.messages import Message, done
from bot.workflow import Workflow
from handlers.common import field, first_action, guarded

REQUEST_ACTION = re.compile("^" + re.escape(REQUEST_PREFIX) + r"[a-z0-9-]{1,64}$")


def _ack(ack: Ack) -> None:
    ack()


def _click(body: Any) -> tuple[str, str, str]:
    action = first_action(body)
    value = action.get("value")
    return field(action, "action_id"), (value if isinstance(value, str) else "")[:2000], field(body, "user", "id")


def register(app: App, wf: Workflow) -> None:
    def request(body: dict[str, Any], respond: Any, client: Any) -> None:
        action_id, event_key, user = _click(body)

        def work() -> Message:
            req = wf.remediations.ask_from_alert(action_id.removeprefix(REQUEST_PREFIX), event_key, user)
            return done(f"Requested {req.id}; the approval message is in the thread.")

        if user:
            guarded(respond, client, body, work)

    def approve(body: dict[str, Any], respond: Any, client: Any) -> None:
        _, request_id, user = _click(body)

        def work() -> Message | None:
            req = wf.remediations.approve(request_id, user)
            if req.status == "requested":
                return done(
                    f"Approved {req.id}; it needs {req.approvals_needed - len(req.approvals)} more approval(s)."
                )
            return None  # the message itself now shows the outcome

        if user:
            guarded(respond, client, body, work)

    def deny(body: dict[str, Any], respond: Any, client: Any) -> None:
        _, request_id, user = _click(body)

        def work() -> None:
            wf.remediations.deny(request_id, user)  # the message itself now shows who denied it

        if user:
            guarded(respond, client, body, work)

    def dismiss(body: dict[str, Any], respond: Any, client: Any) -> None:
        _, event_key, user = _click(body)

        def work() -> None:
            wf.alerts.dismiss(event_key, user)

        if user:
            guarded(respond, client, body, work)

    app.action(REQUEST_ACTION)(ack=_ack, lazy=[request])
    app.action(Action.APPROVE.value)(ack=_ack, lazy=[approve])
    app.action(Action.DENY.value)(ack=_ack, lazy=[deny])
    app.action(Action.DISMISS.value)(ack=_ack, lazy=[dismiss])
