"""Submitted dialogs: a denial or a dismissal with its reason (and, for a dismissal, a mute of the
alerts like it). The ack checks what can be checked at once — a required reason — and answers
with the error in the dialog; the work runs lazily, and a refusal is told privately in the
channel the button was in, and audited by the workflow."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.slack.messages import done
from bot.slack.messages.dialogs import CODE_BLOCK, MUTE_BLOCK, MUTE_HOURS, REASON_BLOCK, Answers, Dialog, answers
from bot.store import RequestStatus
from bot.workflow import Workflow
from bot.workflow.stepup import holds_a_code
from handlers.common import as_click, field, guarded


def register(app: App, wf: Workflow) -> None:
    def dismiss_problems(given: Answers) -> dict[str, str]:
        """What the dialog must fix before anything is done (shown in the dialog, beside the field)."""
        key = given.metadata.get("key", "")
        if not given.reason and key and wf.alerts.reason_required(key):
            return {REASON_BLOCK: "Say why: high and critical alerts need a reason."}
        if given.mute and not given.reason:
            return {MUTE_BLOCK: "A mute needs a reason: say why above."}
        return {}

    def ack_dismiss(ack: Ack, body: dict[str, Any]) -> None:
        problems = dismiss_problems(answers(body.get("view")))
        if problems:
            ack(response_action="errors", errors=problems)
        else:
            ack()

    def dismissed(body: dict[str, Any], client: Any) -> None:
        given, user = answers(body.get("view")), field(body, "user", "id")
        if dismiss_problems(given):
            return  # the dialog stayed open with the errors; Bolt runs this lazy listener all the same
        key, channel = given.metadata.get("key", ""), given.metadata.get("channel", "")
        click = as_click(body, channel)

        def work() -> Any:
            wf.alerts.dismiss(key, user, given.reason)  # the alert now shows who and why
            if given.mute:
                sid = wf.suppressions.mute_like(key, user, MUTE_HOURS, given.reason)
                return done(f"Dismissed, and alerts like it are muted for {MUTE_HOURS} h ({sid}).")
            return None

        if user and key:
            guarded(lambda **_: None, client, click, work)

    def ack_deny(ack: Ack) -> None:
        ack()

    def denied(body: dict[str, Any], client: Any) -> None:
        given, user = answers(body.get("view")), field(body, "user", "id")
        request_id = given.metadata.get("request", "")

        def work() -> None:
            wf.remediations.deny(request_id, user, given.reason)  # the request now shows who and why

        if user and request_id:
            click = as_click(body, given.metadata.get("channel", ""))
            guarded(lambda **_: None, client, click, work)

    def ack_code(ack: Ack, body: dict[str, Any]) -> None:
        code = answers(body.get("view")).code
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            ack(response_action="errors", errors={CODE_BLOCK: "The 6 digits your authenticator app shows now."})
        else:
            ack()

    def approved(body: dict[str, Any], client: Any) -> None:
        given, user = answers(body.get("view")), field(body, "user", "id")
        request_id, code = given.metadata.get("request", ""), given.code
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            return  # refused in the dialog
        click = as_click(body, given.metadata.get("channel", ""))

        def work() -> Any:
            request = wf.remediations.approve(request_id, user, code)
            if request.status == RequestStatus.REQUESTED:
                left = request.approvals_needed - len(request.approvals)
                return done(f"Approved {request.id}; it needs {left} more approval(s).")
            return None  # the message itself now shows the outcome

        if user and request_id:
            guarded(lambda **_: None, client, click, work)

    def glass_problems(given: Answers) -> dict[str, str]:
        problems = {}
        if not given.reason:
            problems[REASON_BLOCK] = "Say why: a break-glass approval needs a reason."
        elif holds_a_code(given.reason):
            problems[REASON_BLOCK] = "That looks like a code from your authenticator: say why in words."
        if given.metadata.get("code") and not (len(given.code) == 6 and given.code.isdigit()):
            problems[CODE_BLOCK] = "The 6 digits your authenticator app shows now."
        return problems

    def ack_glass(ack: Ack, body: dict[str, Any]) -> None:
        problems = glass_problems(answers(body.get("view")))
        if problems:
            ack(response_action="errors", errors=problems)
        else:
            ack()

    def glassed(body: dict[str, Any], client: Any) -> None:
        given, user = answers(body.get("view")), field(body, "user", "id")
        request_id = given.metadata.get("request", "")
        if glass_problems(given) or not (user and request_id):
            return  # the dialog stayed open with the errors

        def work() -> None:
            wf.remediations.approve(request_id, user, given.code, break_glass=given.reason)

        click = as_click(body, given.metadata.get("channel", ""))
        guarded(lambda **_: None, client, click, work)

    app.view(Dialog.DISMISS.value)(ack=ack_dismiss, lazy=[dismissed])
    app.view(Dialog.BREAK_GLASS.value)(ack=ack_glass, lazy=[glassed])
    app.view(Dialog.APPROVE.value)(ack=ack_code, lazy=[approved])
    app.view(Dialog.DENY.value)(ack=ack_deny, lazy=[denied])
