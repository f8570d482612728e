"""/iam mfa-enroll: an approver's authenticator for step-up (bot/workflow/stepup.py)."""

from __future__ import annotations

from bot.slack.messages import Message
from bot.slack.messages.reports import enrolment_message
from bot.workflow import Workflow
from handlers.iam.base import Usage, subcommand


@subcommand(
    "mfa-enroll", "mfa-enroll [code from your current device]", "enrol an authenticator for approvals", slow=True
)
def mfa_enroll(wf: Workflow, who: str, args: list[str]) -> Message:
    if len(args) > 1:
        raise Usage("/iam mfa-enroll, or /iam mfa-enroll <code> to replace the device you have")
    return enrolment_message(wf.remediations.stepup.enrol(who, args[0] if args else ""))
