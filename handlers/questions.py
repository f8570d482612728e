""""Was this you?" in the person's direct message: "Yes, it was me" opens a dialog asking what it
was for (views.open on the click's trigger, within its 3 s), and the submitted reason is recorded;
"No, this wasn't me" (behind a confirm) is recorded at once. Only the person asked may answer:
the workflow refuses anyone else (audited), and the refusal is told privately."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.slack.ids import Action
from bot.slack.messages.dialogs import REASON_BLOCK, Dialog, answers, question_dialog
from bot.workflow import Refused, Workflow
from handlers.common import after_ack, as_click, field, first_action, guarded


def _click(body: Any) -> tuple[str, str]:
    value = first_action(body).get("value")
    return (value if isinstance(value, str) else "")[:64], field(body, "user", "id")


def register(app: App, wf: Workflow) -> None:
    def yes(body: dict[str, Any], respond: Any, client: Any) -> None:
        question_id, user = _click(body)
        trigger, channel = field(body, "trigger_id"), field(body, "channel", "id")

        def work() -> None:
            wf.questions.reason_for(question_id, user)  # anyone else is refused before the dialog
            view = wf.views.question_view(question_id)
            if view is None:
                raise Refused("iambot no longer has the alert this question was about.")
            client.views_open(trigger_id=trigger, view=question_dialog(question_id, view.summary, channel))

        if user and trigger:
            guarded(respond, client, body, work)

    def no(body: dict[str, Any], respond: Any, client: Any) -> None:
        question_id, user = _click(body)

        def work() -> None:
            wf.questions.no(question_id, user)  # the DM, the alert and the approvers' notice re-render

        if user:
            guarded(respond, client, body, work)

    def ack_reason(ack: Ack, body: dict[str, Any]) -> None:
        if not answers(body.get("view")).reason:
            ack(response_action="errors", errors={REASON_BLOCK: "Say what it was for, in a few words."})
        else:
            ack()

    def reasoned(body: dict[str, Any], client: Any) -> None:
        given, user = answers(body.get("view")), field(body, "user", "id")
        question_id = given.metadata.get("question", "")
        if not (given.reason and user and question_id):
            return  # the dialog stayed open with the error

        def work() -> None:
            wf.questions.yes(question_id, user, given.reason)  # shown on the alert and in the DM

        guarded(lambda **_: None, client, as_click(body, given.metadata.get("channel", "")), work)

    app.action(Action.QUESTION_YES.value)(after_ack(app, yes))
    app.action(Action.QUESTION_NO.value)(after_ack(app, no))
    app.view(Dialog.QUESTION.value)(ack=ack_reason, lazy=[reasoned])
