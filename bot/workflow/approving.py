"""What a click on *Approve* asks for before it approves: the break-glass dialog (a reason, and the
code where step-up wants one) for an approver who may approve only through break-glass, the code
dialog where step-up wants a code, or nothing. Decided here, without Slack; the handler opens
the dialog it is told to (handlers/actions.py), and the workflow checks everything again when the
approval comes (bot/workflow/remediate.py)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.workflow.authz import Authorizer, Refused
from bot.workflow.remediate import Remediations
from bot.workflow.stepup import ENROL_HINT
from bot.workflow.views import RequestView, Views


class Ask(StrEnum):
    BREAK_GLASS = "break-glass"  # the break-glass dialog: a reason (and the code, when with_code)
    CODE = "code"  # the code dialog
    NOTHING = "nothing"  # approve at once


@dataclass(frozen=True)
class ApprovalStep:
    ask: Ask
    view: RequestView | None = None  # the request the dialog is about (its id and title)
    with_code: bool = False


def first_step(rem: Remediations, authz: Authorizer, views: Views, request_id: str, user: str,
               dialog: bool) -> ApprovalStep:  # fmt: skip
    """What to ask ``user`` before approving ``request_id``; ``dialog``: a dialog can be opened (the
    click carried a trigger). Refused when a code is needed and ``user`` has no device yet."""
    glass = dialog and rem.break_glass_offered(request_id, user)
    with_code = rem.needs_code(request_id)
    if not (glass or (dialog and with_code and authz.is_approver(user))):
        return ApprovalStep(Ask.NOTHING)
    view = views.request_view(request_id)
    if view is None:
        return ApprovalStep(Ask.NOTHING)  # approving says there is no such request
    if with_code and not rem.stepup.enrolled(user):
        raise Refused(f"Approving {view.request.id} needs a code from your authenticator. {ENROL_HINT}")
    return ApprovalStep(Ask.BREAK_GLASS if glass else Ask.CODE, view, with_code)
