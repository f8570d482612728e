"""A person's App Home tab (``views.publish``), rendered whole from a :class:`HomeView`.

The Approve and Deny buttons carry the same action ids and values as the request message, so a
click here goes through the same handlers and the same checks (who may, step-up, break-glass).
Each list is cut short with "and N more" so the view stays under Slack's 100-block limit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject, ContextBlock, PlainTextObject
from slack_sdk.models.views import View

from bot.slack.ids import Action
from bot.slack.messages.base import (
    SEVERITY_EMOJI,
    Part,
    bullets,
    emoji,
    header,
    line,
    link,
    permalink,
    rich,
    t,
    user,
)
from bot.slack.messages.request import status_text
from bot.slack.text import clean
from bot.workflow.home import ALERT_DAYS, HomeView, RequestLine
from remediations import registry

MAX_VIEW_BLOCKS = 100  # Slack's limit for a Home tab
WAITING_SHOWN = 20  # two blocks each (the line and its buttons)
LIST_SHOWN = 15  # items of one bulleted list (one block)


def _more(total: int, shown: int, hint: str = "") -> list[Part] | None:
    return [t(f"…and {total - shown} more{hint}", italic=True)] if total > shown else None


def _list(title: str, items: Sequence[Sequence[Part]], total: int, empty: str, hint: str = "") -> Block:
    shown = [list(i) for i in items[:LIST_SHOWN]]
    more = _more(total, len(shown), hint)
    if more:
        shown.append(more)
    if not shown:
        return rich(line(t(f"{title} (0)", bold=True)), line(t(empty, italic=True)))
    return rich(line(t(f"{title} ({total})", bold=True)), bullets(shown))


def _note(notes: Mapping[str, str], account_id: str | None) -> list[Part]:
    """The account's note (account_notes) on its row, as on the alert and the request."""
    note = notes.get(account_id or "")
    return [t(f" ⚠ {note}", bold=True, limit=200)] if note else []


def _request_parts(item: RequestLine, notes: Mapping[str, str], with_status: bool = False) -> list[Part]:
    r = item.request
    parts: list[Part] = [t(item.title, bold=True), t(f" ({r.id})")]
    if r.account_id:
        parts += [t(f" in {r.account_id}"), *_note(notes, r.account_id)]
    parts += [t(" requested by "), user(r.requested_by)]
    if with_status:
        parts.append(t(f" · {status_text(r.status)}"))
        if r.decided_by:
            parts += [t(" by "), user(r.decided_by)]
    return parts


def _waiting(items: tuple[RequestLine, ...], notes: Mapping[str, str]) -> list[Block]:
    blocks: list[Block] = [rich(line(t(f"Waiting for your approval ({len(items)})", bold=True)))]
    if not items:
        blocks.append(rich(line(t("Nothing waits for you.", italic=True))))
    for item in items[:WAITING_SHOWN]:
        r = item.request
        plan = " ".join(r.plan)
        counted = t(f" · approvals {len(r.approvals)} of {r.approvals_needed}")
        blocks.append(rich(line(*_request_parts(item, notes), counted), line(t(plan or "—", italic=True))))
        cls = registry.get(r.remediation_id)
        confirm = None
        if cls is not None and cls.destructive:
            confirm = ConfirmObject(
                title="Approve an irreversible change?",
                text=PlainTextObject(text=clean(plan, 280) or item.title, emoji=False),
                confirm="Approve",
                deny="Cancel",
            )
        blocks.append(
            ActionsBlock(
                block_id=f"home-request-{r.id}"[:255],
                elements=[
                    ButtonElement(
                        text="Approve", action_id=Action.APPROVE, value=r.id, style="primary", confirm=confirm
                    ),
                    ButtonElement(text="Deny", action_id=Action.DENY, value=r.id, style="danger"),
                ],
            )
        )
    more = _more(len(items), WAITING_SHOWN, " (/iam requests lists them all)")
    if more:
        blocks.append(rich(line(*more)))
    return blocks


def _alerts(view: HomeView) -> Block:
    items = []
    for a in view.alerts[:LIST_SHOWN]:
        url = permalink(a.channel, a.ts)
        parts: list[Part] = [emoji(SEVERITY_EMOJI.get(a.severity, "white_circle")), t(f" {a.event_time} ")]
        parts.append(link(url, a.event_name) if url else t(a.event_name, bold=True))
        parts += [t(" by "), t(a.actor or "?"), *_note(view.notes, a.account_id)]
        if a.summary:
            parts.append(t(f": {a.summary}", limit=300))
        items.append(parts)
    return _list(f"Open high and critical alerts, last {ALERT_DAYS} days", items, len(view.alerts), "None open.")


def _mutes(view: HomeView) -> Block:
    items = []
    for s in view.mutes[:LIST_SHOWN]:
        what = ", ".join(f"{k} {v}" for k, v in (("event", s.event_name), ("actor", s.actor), ("target", s.target),
                                                   ("account", s.account_id)) if v)  # fmt: skip
        parts: list[Part] = [t(s.id, code=True), t(f" {what or 'everything'} until {s.expires_at}, by "),
                             user(s.created_by)]  # fmt: skip
        if s.reason:
            parts.append(t(f": {s.reason}", limit=300))
        items.append(parts)
    return _list("Active mutes", items, len(view.mutes), "No mutes.")


def home_view(view: HomeView) -> dict[str, Any]:
    """The Home tab for ``view.user``, as ``views.publish`` takes it."""
    blocks: list[Block] = [
        header("iambot"),
        ContextBlock(elements=[PlainTextObject(
            text=f"As of {view.at.strftime('%Y-%m-%d %H:%M UTC')}; iambot updates it when what it shows changes.",
            emoji=False)]),
    ]  # fmt: skip
    if view.approver:
        blocks += _waiting(view.waiting, view.notes)
    mine = [_request_parts(i, view.notes, with_status=True) for i in view.mine]
    blocks.append(_list("Your open requests", mine, len(view.mine), "You have no open requests."))
    blocks.append(_alerts(view))
    decided = [_request_parts(i, view.notes, with_status=True) for i in view.decided]
    blocks.append(_list("Recent decisions", decided, len(decided), "No decisions yet."))
    blocks.append(_mutes(view))
    return View(type="home", callback_id="iambot-home", blocks=blocks[:MAX_VIEW_BLOCKS]).to_dict()
