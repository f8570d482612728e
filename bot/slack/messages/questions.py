""""Was this you?": the direct message to the person behind an alert (with its two buttons, then
their answer in place), the dialog that asks why, the approvers' notice when the answer is "no",
and the line the alert shows. Also the requester's direct message with a request's outcome."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    PlainTextObject,
    RichTextElementParts,
)

from bot.config.checks import GROUP_ID
from bot.slack.ids import Action
from bot.slack.messages.base import BUTTON_VALUE, Message, Part, emoji, header, line, message, rich, t, user
from bot.slack.messages.dialogs import REASON_LENGTH
from bot.slack.messages.request import REQUEST_STATUS
from bot.slack.text import MENTION
from bot.store import Question
from bot.workflow.views import QuestionView, RequestView

ACTIONS_BLOCK = "question-actions"


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text, emoji=False)


def _context(view: QuestionView) -> ContextBlock:
    where = " · ".join(x for x in (view.severity.upper(), view.account, view.event_time) if x)
    return ContextBlock(elements=[_plain(where)])


def question_message(view: QuestionView) -> Message:
    """The question while it is open; the answer in its place once given (re-rendered whole)."""
    q = view.question
    blocks: list[Any] = [
        header("Was this you?"),
        rich(line(t(view.summary, bold=True, limit=500))),
        _context(view),
    ]
    if q.status == "yes":
        said = t(q.reason or "", italic=True)
        blocks.append(rich(line(emoji("white_check_mark"), t(" You said this was you: "), said)))
        blocks.append(rich(line(t("It is shown on the alert; approvers still decide what happens to it."))))
    elif q.status == "no":
        told = " You said this wasn't you. The alert is raised and the approvers are told."
        blocks.append(rich(line(emoji("rotating_light"), t(told))))
        if view.request is not None:
            r = view.request
            asked = f"iambot asked for a quarantine on your behalf: {r.id} ({r.remediation_id}); it needs an approval."
            blocks.append(rich(line(t(asked))))
    else:
        blocks.append(rich(line(t("iambot saw this change made with your identity. Did you make it?"))))
        blocks.append(ActionsBlock(block_id=ACTIONS_BLOCK, elements=_buttons(q)))
    text = f"Was this you? {view.summary}" if not q.answered else f"You answered: {q.status}. {view.summary}"
    return message(text, blocks)


def _buttons(q: Question) -> list[ButtonElement]:
    value = q.id[:BUTTON_VALUE]
    warning = (
        "iambot raises the alert, tells the approvers and asks for a quarantine of the credential that was used "
        "(it still needs an approval)."
    )
    no_confirm = ConfirmObject(title="This wasn't you?", text=_plain(warning), confirm="It wasn't me", deny="Cancel")
    yes = ButtonElement(text=_plain("Yes, it was me"), action_id=Action.QUESTION_YES, value=value, style="primary")
    no = ButtonElement(
        text=_plain("No, this wasn't me"), action_id=Action.QUESTION_NO, value=value, style="danger", confirm=no_confirm
    )
    return [yes, no]


def answer_line(question: Question) -> Any | None:
    """The line the alert shows about its question, or None while there is nothing to say."""
    who = user(question.person or "?")
    if question.status == "yes":
        reason = t(question.reason or "no reason given", italic=True, limit=REASON_LENGTH)
        return line(emoji("bust_in_silhouette"), t(" "), who, t(" confirmed: "), reason)
    if question.status == "no":
        disowned = t(" says this wasn't them", bold=True)
        return line(emoji("rotating_light"), t(" "), who, disowned, t(": raised to at least high."))
    if question.person:
        return line(emoji("hourglass_flowing_sand"), t(" Asked "), who, t(" whether this was them; no answer yet."))
    return None


def disowned_message(view: QuestionView, data: dict[str, Any]) -> Message:
    """The approvers, pinged: the actor says they did not make this change, and what iambot asked for."""
    q = view.question
    ping: list[Part] = []
    for uid in [u for u in data.get("approvers") or [] if isinstance(u, str)]:
        ping += [user(uid), t(" ")]
    for gid in [g for g in data.get("groups") or [] if isinstance(g, str) and GROUP_ID.fullmatch(g)]:
        ping += [RichTextElementParts.UserGroup(usergroup_id=gid), t(" ")]  # approver_groups: each group pinged
    summary = t(view.summary, bold=True, limit=500)
    parts = [emoji("rotating_light"), t(" "), *ping, user(q.person or "?"), t(" says this wasn't them: "), summary]
    lines = [line(*parts), line(t(f"The alert is raised to {view.severity}."))]
    if view.request is not None:
        r = view.request
        icon, status = REQUEST_STATUS.get(r.status, ("grey_question", r.status))
        quarantine = t(f" Quarantine {r.id} ({r.remediation_id}), asked by iambot on behalf of ")
        lines.append(line(emoji(icon), quarantine, user(q.person or "?"), t(f"'s answer: {status}.")))
    elif isinstance(data.get("quarantine"), str):
        lines.append(line(t("No quarantine was opened: "), t(data["quarantine"], italic=True, limit=500)))
    said = MENTION.sub(lambda found: f"@{found.group(1)}", view.summary)  # event text pings nobody
    text = f"<@{q.person or '?'}> says this wasn't them: {said}"
    return message(text, [rich(*lines)], mentions=True)  # only the mention iambot wrote


def outcome_message(view: RequestView) -> Message:
    """The requester's direct message: how their request ended (they were not where it was decided)."""
    r = view.request
    icon, status = REQUEST_STATUS.get(r.status, ("grey_question", r.status))
    lines = [line(emoji(icon), t(f" Your request {r.id}, "), t(view.title, bold=True), t(f": {status}"))]
    if r.decided_by:
        why = [t(": "), t(r.reason, italic=True, limit=500)] if r.reason else []
        lines.append(line(t(f"{r.status.capitalize()} by "), user(r.decided_by), *why))
    if r.outcome:
        lines.append(line(t(" ".join(r.outcome), limit=1000)))
    if view.context:
        lines.append(line(t("About: "), t(view.context, italic=True, limit=500)))
    return message(f"Your request {r.id} ({view.title}): {status}", [rich(*lines)])
