"""Buttons: request a remediation, approve, deny, dismiss. Ack at once; the work runs lazily."""

from __future__ import annotations

import re
from typing import Any

from bot.ids import REQUEST_PREFIX, Action
from handlers import guarded


def _ack(ack: Any) -> None:
    ack()


def _action(body: dict[str, Any]) -> tuple[str, str, str]:
    action = body["actions"][0]
    return str(action["action_id"]), str(action.get("value", "")), str(body["user"]["id"])


def register(app: Any, service: Any) -> None:
    def request(body: dict[str, Any], respond: Any, client: Any) -> None:
        action_id, event_key, user = _action(body)
        rid = action_id[len(REQUEST_PREFIX) :]

        def work() -> str:
            req = service.request_from_alert(rid, event_key, user)
            return f"Requested {req.id}; the approval message is in the thread."

        guarded(respond, client, body, work)

    def approve(body: dict[str, Any], respond: Any, client: Any) -> None:
        _, request_id, user = _action(body)

        def work() -> str | None:
            req = service.approve(request_id, user)
            if req.status == "requested":
                return f"Approved {req.id}; it needs {req.approvals_needed - len(req.approvals)} more approval(s)."
            return None  # the message itself now shows the outcome

        guarded(respond, client, body, work)

    def deny(body: dict[str, Any], respond: Any, client: Any) -> None:
        _, request_id, user = _action(body)
        def work() -> None:
            service.deny(request_id, user)  # the message itself now shows who denied it

        guarded(respond, client, body, work)

    def dismiss(body: dict[str, Any], respond: Any, client: Any) -> None:
        _, event_key, user = _action(body)
        guarded(respond, client, body, lambda: service.dismiss(event_key, user))

    app.action(re.compile("^" + re.escape(REQUEST_PREFIX) + r"[a-z0-9-]+$"))(ack=_ack, lazy=[request])
    app.action(Action.APPROVE.value)(ack=_ack, lazy=[approve])
    app.action(Action.DENY.value)(ack=_ack, lazy=[deny])
    app.action(Action.DISMISS.value)(ack=_ack, lazy=[dismiss])
