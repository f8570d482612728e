"""Modals that ask a person something before iambot acts: why a request is denied, why an alert
was expected (and whether to mute alerts like it). What they type is read back by
:func:`answers`, which never trusts a submission's shape."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.slack.messages.base import line, rich, t

METADATA = 3000  # Slack's limit on private_metadata
REASON_LENGTH = 500


class Dialog(StrEnum):
    DENY = "deny-reason"
    DISMISS = "dismiss-reason"
    APPROVE = "approve-code"
    BREAK_GLASS = "break-glass"
    QUESTION = "question-reason"


REASON_BLOCK, REASON_INPUT = "reason", "reason-input"
MUTE_BLOCK, MUTE_INPUT, MUTE_VALUE = "mute", "mute-input", "mute-like-this"
MUTE_HOURS = 24
CODE_BLOCK, CODE_INPUT = "code", "code-input"


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text, emoji=False)


def _reason(label: str, required: bool, hint: str) -> InputBlock:
    return InputBlock(
        block_id=REASON_BLOCK,
        label=_plain(label),
        optional=not required,
        hint=_plain(hint),
        element=PlainTextInputElement(action_id=REASON_INPUT, multiline=True, max_length=REASON_LENGTH),
    )


def _modal(dialog: Dialog, title: str, submit: str, metadata: dict[str, str], blocks: list[Any]) -> dict[str, Any]:
    encoded = json.dumps(metadata, separators=(",", ":"))
    if len(encoded) > METADATA:
        raise ValueError("what the dialog must remember is too long for Slack")
    return View(
        type="modal",
        callback_id=dialog.value,
        title=_plain(title),
        submit=_plain(submit),
        close=_plain("Cancel"),
        private_metadata=encoded,
        blocks=blocks,
    ).to_dict()


def deny_dialog(request_id: str, title: str, channel: str) -> dict[str, Any]:
    intro = rich(line(t(f"Deny {request_id}: {title}. The reason is shown on the request and kept in the audit log.")))
    reason = _reason("Why is it denied?", required=False, hint="Optional. Who asked will see it.")
    return _modal(Dialog.DENY, "Deny the request", "Deny", {"request": request_id, "channel": channel}, [intro, reason])


def dismiss_dialog(event_key: str, summary: str, severity: str, required: bool, channel: str) -> dict[str, Any]:
    intro = rich(line(t(f"{severity.upper()} · {summary}", limit=500)))
    hint = "Required for high and critical alerts." if required else "Optional; it is shown on the alert."
    mute = InputBlock(
        block_id=MUTE_BLOCK,
        label=_plain("Mute"),
        optional=True,
        element=CheckboxesElement(
            action_id=MUTE_INPUT,
            options=[
                Option(
                    value=MUTE_VALUE,
                    text=_plain(f"Also mute alerts like this (same event, actor and account) for {MUTE_HOURS} hours"),
                )
            ],
        ),
    )
    reason = _reason("Why was this expected?", required=required, hint=hint)
    metadata = {"key": event_key, "channel": channel}
    return _modal(Dialog.DISMISS, "Dismiss as expected", "Dismiss", metadata, [intro, reason, mute])


def code_dialog(request_id: str, title: str, channel: str) -> dict[str, Any]:
    """Step-up: the code from the approver's authenticator, before the approval counts."""
    intro = rich(line(t(f"Approve {request_id}: {title}. It needs the 6-digit code from your authenticator app.")))
    code = InputBlock(
        block_id=CODE_BLOCK,
        label=_plain("Code"),
        element=PlainTextInputElement(action_id=CODE_INPUT, min_length=6, max_length=6),
    )
    metadata = {"request": request_id, "channel": channel}
    return _modal(Dialog.APPROVE, "Approve with a code", "Approve", metadata, [intro, code])


def break_glass_dialog(request_id: str, title: str, channel: str, with_code: bool) -> dict[str, Any]:
    """Approve alone, in an emergency: the reason is required, every approver is told at once."""
    intro = rich(
        line(t(f"Break-glass: approve {request_id} ({title}) alone.", bold=True)),
        line(t("You asked for it or made the change it undoes, so the policy would refuse you. Every approver "
               "is notified now, and the request, the alert, the audit log and the digest say break-glass.")),
    )  # fmt: skip
    reason = _reason("Why can this not wait for another approver?", required=True, hint="Required. Everyone sees it.")
    blocks: list[Any] = [intro, reason]
    if with_code:
        blocks.append(
            InputBlock(
                block_id=CODE_BLOCK,
                label=_plain("Code from your authenticator"),
                element=PlainTextInputElement(action_id=CODE_INPUT, min_length=6, max_length=6),
            )
        )
    metadata = {"request": request_id, "channel": channel, "code": "1" if with_code else ""}
    return _modal(Dialog.BREAK_GLASS, "Break-glass approval", "Approve alone", metadata, blocks)


def question_dialog(question_id: str, summary: str, channel: str) -> dict[str, Any]:
    """"Yes, it was me": a short reason, shown on the alert."""
    intro = rich(line(t(summary, limit=500)))
    reason = _reason("What was it for?", required=True, hint="Shown on the alert, e.g. rotating the ETL key.")
    metadata = {"question": question_id, "channel": channel}
    return _modal(Dialog.QUESTION, "Yes, it was me", "Send", metadata, [intro, reason])


@dataclass(frozen=True)
class Answers:
    metadata: dict[str, str]
    reason: str
    mute: bool
    code: str = ""


def answers(view: Any) -> Answers:
    """What a submitted dialog says; missing or malformed parts read as empty."""
    view = view if isinstance(view, dict) else {}
    try:
        raw = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        raw = {}
    metadata = {str(k): v for k, v in raw.items() if isinstance(v, str)} if isinstance(raw, dict) else {}
    values = (view.get("state") or {}).get("values") if isinstance(view.get("state"), dict) else None
    values = values if isinstance(values, dict) else {}
    reason_field = (
        (values.get(REASON_BLOCK) or {}).get(REASON_INPUT) if isinstance(values.get(REASON_BLOCK), dict) else None
    )
    typed = reason_field.get("value") if isinstance(reason_field, dict) else None
    mute_field = (values.get(MUTE_BLOCK) or {}).get(MUTE_INPUT) if isinstance(values.get(MUTE_BLOCK), dict) else None
    chosen = mute_field.get("selected_options") if isinstance(mute_field, dict) else None
    mute = isinstance(chosen, list) and any(isinstance(o, dict) and o.get("value") == MUTE_VALUE for o in chosen)
    reason = " ".join(typed.split())[:REASON_LENGTH] if isinstance(typed, str) else ""
    code_field = (values.get(CODE_BLOCK) or {}).get(CODE_INPUT) if isinstance(values.get(CODE_BLOCK), dict) else None
    code = code_field.get("value") if isinstance(code_field, dict) else None
    return Answers(metadata, reason, mute, "".join(code.split())[:12] if isinstance(code, str) else "")
