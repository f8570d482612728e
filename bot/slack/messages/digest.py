"""The digest as one message: its counts in a ``table`` block, with the ``rich_text`` form of
the same digest as the fallback for a workspace that refuses tables.

Slack's table block (https://docs.slack.dev/reference/block-kit/blocks/table-block): at most 100
rows of at most 20 cells, each ``raw_text`` or ``rich_text``; one table per message (a second one
is refused with ``only_one_table_allowed``). So the counts by severity, event and account share one
table of three columns, at most 26 rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from slack_sdk.models.blocks import Block, RawTextObject, TableBlock, TableBlockColumnSettings

from bot.slack.messages.base import Message, Part, bullets, line, link, message, rich, t, user
from bot.slack.text import clean
from bot.workflow import Digest

Permalink = Callable[[str], str | None]  # event key -> link to its alert message, if posted
SHOWN = 15
CELL = 200  # characters of a table cell: an event name or an account with its name fits


def _period(d: Digest) -> str:
    return f"{d.since[:16].replace('T', ' ')} – {d.until[:16].replace('T', ' ')} UTC"


def _severities(d: Digest) -> str:
    return ", ".join(f"{n} {s}" for s, n in d.by_severity.items()) or "none"


def _cell(value: object) -> RawTextObject:
    return RawTextObject(text=clean(value, CELL) or "?")


def counts_table(d: Digest) -> TableBlock:
    """One row per severity, event and account counted: what it is counted by, which, how many."""
    rows = [[_cell("Counted by"), _cell("Which"), _cell("Events")]]
    groups = (("severity", list(d.by_severity.items())), ("event", d.by_event), ("account", d.by_account))
    for name, counts in groups:
        rows += [[_cell(name), _cell(which), _cell(n)] for which, n in counts]
    settings = [
        TableBlockColumnSettings(is_wrapped=False),
        TableBlockColumnSettings(is_wrapped=True),  # event names and account names may be long
        TableBlockColumnSettings(align="right"),
    ]
    return TableBlock(rows=rows, column_settings=settings)


def _sections(d: Digest, permalink: Permalink) -> list[Block]:
    """Everything after the counts: the same in both forms."""
    blocks: list[Block] = []
    if d.notable:
        items: list[list[Part]] = []
        for r in d.notable[:SHOWN]:
            url = permalink(r["key"])
            summary = r["summary"][:150]
            items.append([t(r["severity"], bold=True), t(" "), link(url, summary) if url else t(summary)])
        if len(d.notable) > SHOWN:
            items.append([t(f"…and {len(d.notable) - SHOWN} more")])
        blocks.append(rich(line(t("High and critical", bold=True)), bullets(items)))
    if d.waiting:
        waiting = [[t(f"{w['id']} {w['remediation_id']}, {w['age_minutes']} min")] for w in d.waiting[:SHOWN]]
        blocks.append(rich(line(t("Waiting for approval", bold=True)), bullets(waiting)))
    if d.remediations:
        done: list[list[Part]] = []
        for r in d.remediations[:SHOWN]:
            parts = [t(f"{r['id']} {r['remediation_id']}: {r['status']}, asked by "), user(r["requested_by"])]
            for i, uid in enumerate(r["approved_by"]):
                parts += [t(", approved by " if i == 0 else ", "), user(uid)]
            if r.get("break_glass"):
                parts.append(t(" — break-glass", bold=True))
            done.append(parts)
        blocks.append(rich(line(t("Remediations run", bold=True)), bullets(done)))
    if d.unanswered:
        asked: list[list[Part]] = []
        for q in d.unanswered[:SHOWN]:
            url, summary = permalink(q["key"]), str(q["summary"])[:150]
            asked.append([user(str(q["person"] or "?")), t(": "), link(url, summary) if url else t(summary)])
        if len(d.unanswered) > SHOWN:
            asked.append([t(f"…and {len(d.unanswered) - SHOWN} more")])
        blocks.append(rich(line(t("Was this you? (not answered)", bold=True)), bullets(asked)))
    if d.suppressions_hit:
        hits = [[t(f"{s['id']} {s['reason'] or ''}: {s['hits']} event(s)")] for s in d.suppressions_hit[:SHOWN]]
        blocks.append(rich(line(t("Suppressions hit", bold=True)), bullets(hits)))
    if d.decision_minutes_median is not None:
        blocks.append(rich(line(t(f"Median time from alert to decision: {d.decision_minutes_median} min"))))
    return blocks


def _rich_form(d: Digest, permalink: Permalink, text: str) -> Message:
    handled = ", ".join(f"{n} {k}" for k, n in sorted(d.dispositions.items()))
    lines: list[list[Part]] = [
        [t(f"{d.total} identity event(s)", bold=True), t(f": {_severities(d)}")],
        [t(f"Handled: {handled}")],
    ]
    if d.by_event:
        lines.append([t("By event: " + ", ".join(f"{n} ×{c}" for n, c in d.by_event))])
    if d.by_account:
        lines.append([t("By account: " + ", ".join(f"{n} ×{c}" for n, c in d.by_account))])
    if d.top_actors:
        lines.append([t("Top actors: " + ", ".join(f"{n} ×{c}" for n, c in d.top_actors))])
    title = rich(line(t("iambot digest", bold=True), t(f" · {_period(d)}")), bullets(lines))
    return message(text, [title, *_sections(d, permalink)])


def digest_message(d: Digest, permalink: Permalink, table: bool = True) -> Message:
    """The digest; with ``table``, its counts in a table block and the rich-text form as the fallback."""
    if d.quiet:
        text = f"iambot digest, {_period(d)}: quiet. No identity events, no requests, no remediations."
        return message(text, [rich(line(t(text)))])
    text = f"iambot digest {_period(d)}: {d.total} identity event(s) ({_severities(d)})"
    plain = _rich_form(d, permalink, text)
    if not table or not d.total:  # nothing counted: no table to show
        return plain
    handled = ", ".join(f"{n} {k}" for k, n in sorted(d.dispositions.items()))
    lines: list[list[Part]] = [[t(f"{d.total} identity event(s)", bold=True), t(f". Handled: {handled}")]]
    if d.top_actors:
        lines.append([t("Top actors: " + ", ".join(f"{n} ×{c}" for n, c in d.top_actors))])
    title = rich(line(t("iambot digest", bold=True), t(f" · {_period(d)}")), bullets(lines))
    built = message(text, [title, counts_table(d), *_sections(d, permalink)])
    if not any(b.get("type") == "table" for b in built.blocks):  # could not be built: the plain form
        return plain
    return dataclasses.replace(built, fallback=plain, needs="table")
