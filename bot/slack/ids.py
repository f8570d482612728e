"""Action ids shared by the message builders and the Slack handlers: one place, one spelling."""

from enum import StrEnum

REQUEST_PREFIX = "request:"


class Action(StrEnum):
    APPROVE = "approve"
    DENY = "deny"
    DISMISS = "dismiss"
    DETAILS = "details"
    UNDO = "undo"
    QUESTION_YES = "question_yes"  # "Yes, it was me" (value: the question id): opens the reason dialog
    QUESTION_NO = "question_no"  # "No, this wasn't me" (value: the question id), behind a confirm


def request_action(remediation_id: str) -> str:
    """The action_id of the button that requests a remediation: ``request:<remediation-id>``."""
    return f"{REQUEST_PREFIX}{remediation_id}"
