"""Buttons: request a remediation, approve, deny, dismiss, details. Ack at once; the work runs lazily.
Deny and Dismiss open a dialog asking why; handlers/dialogs.py acts when it is submitted.
Who may click what is checked by the workflow where the click lands; a refusal is answered
privately and audited."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App

from bot.slack.ids import REQUEST_PREFIX, Action
from bot.slack.messages import Message, done
from bot.slack.messages.details import details_view, gone_view
from bot.slack.messages.dialogs import break_glass_dialog, code_dialog, deny_dialog, dismiss_dialog
from bot.store import RequestStatus
from bot.workflow import Refused, Workflow
from bot.workflow.approving import Ask, first_step
from bot.workflow.messages import alert_id
from handlers.common import after_ack, field, first_action, guarded

REQUEST_ACTION = re.compile("^" + re.escape(REQUEST_PREFIX) + r"[a-z0-9-]{1,64}$")


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
        """Approves at once, or — where step-up asks for a code — opens the dialog that asks for it
        (handlers/dialogs.py approves when it is submitted)."""
        _, request_id, user = _click(body)
        trigger, channel = field(body, "trigger_id"), field(body, "channel", "id")

        def work() -> Message | None:
            step = first_step(wf.remediations, wf.authz, wf.views, request_id, user, dialog=bool(trigger))
            if step.view is not None and step.ask == Ask.BREAK_GLASS:
                dialog = break_glass_dialog(step.view.request.id, step.view.title, channel, step.with_code)
                client.views_open(trigger_id=trigger, view=dialog)
                return None
            if step.view is not None and step.ask == Ask.CODE:
                client.views_open(trigger_id=trigger, view=code_dialog(step.view.request.id, step.view.title, channel))
                return None
            req = wf.remediations.approve(request_id, user)
            if req.status == RequestStatus.REQUESTED:
                return done(
                    f"Approved {req.id}; it needs {req.approvals_needed - len(req.approvals)} more approval(s)."
                )
            return None  # the message itself now shows the outcome

        if user:
            guarded(respond, client, body, work)

    def deny(body: dict[str, Any], respond: Any, client: Any) -> None:
        """Opens the dialog that asks why (handlers/dialogs.py denies when it is submitted)."""
        _, request_id, user = _click(body)
        trigger, channel = field(body, "trigger_id"), field(body, "channel", "id")

        def work() -> None:
            view = wf.views.request_view(request_id)
            if view is None:
                raise Refused("iambot has no such request.")
            client.views_open(trigger_id=trigger, view=deny_dialog(view.request.id, view.title, channel))

        if user and trigger:
            guarded(respond, client, body, work)

    def dismiss(body: dict[str, Any], respond: Any, client: Any) -> None:
        """Opens the dialog that asks why the alert was expected, and offers to mute alerts like it."""
        _, event_key, user = _click(body)
        trigger, channel = field(body, "trigger_id"), field(body, "channel", "id")

        def work() -> None:
            view = wf.views.alert_view(event_key)
            if view is None:
                raise Refused("iambot has no alert for that event.")
            required = wf.alerts.reason_required(event_key)
            dialog = dismiss_dialog(event_key, view.alert.summary, view.alert.severity, required, channel)
            client.views_open(trigger_id=trigger, view=dialog)

        if user and trigger:
            guarded(respond, client, body, work)

    def details(body: dict[str, Any], respond: Any, client: Any) -> None:
        """The alert's Details modal, opened with the click's trigger_id (valid for 3 s: the work is a
        read of the store). Only from the message the alert was posted as."""
        _, event_key, user = _click(body)
        trigger = field(body, "trigger_id")
        if not (user and trigger):
            return

        def work() -> None:
            view = wf.views.alert_view(event_key)
            posted = wf.store.outbox.get(alert_id(event_key)) if view else None
            channel = field(body, "channel", "id")
            if view is None or posted is None or (channel and posted.channel and channel != posted.channel):
                client.views_open(trigger_id=trigger, view=gone_view())
                return
            client.views_open(trigger_id=trigger, view=details_view(view))

        guarded(respond, client, body, work)

    def undo(body: dict[str, Any], respond: Any, client: Any) -> None:
        _, request_id, user = _click(body)

        def work() -> Message:
            req = wf.remediations.undo(request_id, user)
            return done(f"Requested {req.id} to undo {request_id}; the approval message is posted.")

        if user:
            guarded(respond, client, body, work)

    app.action(Action.UNDO.value)(after_ack(app, undo))
    app.action(REQUEST_ACTION)(after_ack(app, request))
    app.action(Action.DETAILS.value)(after_ack(app, details))
    app.action(Action.APPROVE.value)(after_ack(app, approve))
    app.action(Action.DENY.value)(after_ack(app, deny))
    app.action(Action.DISMISS.value)(after_ack(app, dismiss))
