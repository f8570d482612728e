"""/iam mfa-enroll: an approver's authenticator for step-up (bot/workflow/stepup.py)."""

from __future__ import annotations

from slack_sdk.models.blocks import RichTextBlock, RichTextPreformattedElement

from bot.slack.messages import Message, line, message, rich, t
from bot.workflow import Workflow
from handlers.iam.base import Usage, subcommand


@subcommand(
    "mfa-enroll", "mfa-enroll [code from your current device]", "enrol an authenticator for approvals", slow=True
)
def mfa_enroll(wf: Workflow, who: str, args: list[str]) -> Message:
    if len(args) > 1:
        raise Usage("/iam mfa-enroll, or /iam mfa-enroll <code> to replace the device you have")
    enrolment = wf.remediations.stepup.enrol(who, args[0] if args else "")
    intro = rich(
        line(t("Add this to your authenticator app (scan the code, or type the key). ", bold=True)),
        line(
            t(
                "This message is shown only to you and Slack does not keep it; iambot stores the key encrypted and "
                "never shows it again. Approvals that need a code ask for one from this device."
            )
        ),
    )
    qr = RichTextBlock(elements=[RichTextPreformattedElement(elements=[t(enrolment.qr, multiline=True, limit=3000)])])
    key = rich(line(t("Key: ", bold=True), t(enrolment.secret, code=True)), line(t(enrolment.uri, code=True)))
    return message("Your authenticator for iambot approvals (shown once)", [intro, qr, key])
