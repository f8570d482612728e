"""``/iam`` subcommands as plain functions from (workflow, user, arguments) to a reply.

Fast subcommands answer in the acknowledgement itself; slow ones (anything that calls AWS or
changes state) are acknowledged at once and answered afterwards. A person's mistake gets a
reply that says how to do it right, never a traceback; refusals are answered and audited.
"""

from __future__ import annotations

import logging
import shlex

from bot.slack.messages import Message, failed, usage
from bot.workflow import Workflow
from handlers.common import EXPECTED, explain
from handlers.iam.base import SUBCOMMANDS, Usage

log = logging.getLogger(__name__)


def split(text: str) -> tuple[str, list[str]]:
    try:
        words = shlex.split(text or "")
    except ValueError as exc:
        raise Usage(f"could not read the arguments: {exc}") from exc
    if not words:
        return "help", []
    return words[0].lower(), words[1:]


def is_slow(text: str) -> bool:
    try:
        name, _ = split(text)
    except Usage:
        return False
    sub = SUBCOMMANDS.get(name)
    return bool(sub and sub.slow)


SECRET_AFTER = {"approve": 1, "mfa-enroll": 0}  # words after these many arguments may be a step-up code


def echo(text: str) -> str:
    """The command as a note may repeat it: a step-up code, wherever it may be, shown as •••."""
    words = text.split()
    keep = SECRET_AFTER.get(words[0].lower()) if words else None
    if keep is not None and len(words) > keep + 1:
        words = [*words[: keep + 1], "•••"]
    return " ".join(words)


def run(wf: Workflow, user: str, text: str) -> Message:
    """Answer one ``/iam`` command; mistakes and refusals become a helpful reply."""
    try:
        name, args = split(text)
        sub = SUBCOMMANDS.get(name)
        if sub is None:
            raise Usage(f"unknown subcommand {name[:40]!r}. Try one of: {', '.join(SUBCOMMANDS)} (/iam help)")
        return sub.run(wf, user, args)
    except Usage as exc:
        return usage(str(exc))
    except EXPECTED as exc:
        return explain(exc)
    except Exception as exc:
        log.exception("/iam failed")
        return failed(f"iambot hit an internal error ({type(exc).__name__}); it is logged. Nothing was changed.")


from handlers.iam import events  # noqa: E402,F401,I001  (each module registers its subcommands, in this order)
from handlers.iam import requests  # noqa: E402, F401
from handlers.iam import admin  # noqa: E402, F401
from handlers.iam import mfa  # noqa: E402, F401
