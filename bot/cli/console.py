"""Terminal output: triage as a table or JSON lines, and Slack messages drawn in the terminal.

Everything that came from an event goes through :func:`bot.slack.text.clean` and into rich
``Text`` objects (never markup), so a record cannot move the cursor, recolour the terminal or
reverse the text around it.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.assess import Alert
from bot.catalog import SEVERITIES
from bot.cli.rows import TableRow, draw_row
from bot.slack.text import clean

SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}
_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")


def make_console(stderr: bool = False, markup: bool = False) -> Console:
    """A console that prints text as given: ``markup`` only for iambot's own text (the demo's)."""
    return Console(stderr=stderr, highlight=False, soft_wrap=False, markup=markup, emoji=False)


def _plain(mrkdwn: str) -> str:
    """Our own mrkdwn (links, entities) as terminal text."""
    return html.unescape(_LINK.sub(r"\2", mrkdwn))


def _rich_text(block: dict[str, Any]) -> Text:
    out = Text()
    for i, element in enumerate(block.get("elements", [])):
        if i and not out.plain.endswith("\n"):
            out.append("\n")
        kind = element.get("type")
        if kind == "rich_text_list":
            for item in element.get("elements", []):
                out.append("  • ")
                out.append_text(_rich_text({"elements": [item]}))
                out.append("\n")
            continue
        for part in element.get("elements", []):
            ptype = part.get("type")
            if ptype == "text":
                style = "bold" if (part.get("style") or {}).get("bold") else ""
                out.append(clean(part.get("text", ""), multiline=True), style=style)
            elif ptype == "user":
                out.append(f"@{clean(part.get('user_id', ''), 40)}", style="bold blue")
            elif ptype == "usergroup":
                out.append(f"@{clean(part.get('usergroup_id', ''), 40)}", style="bold blue")
            elif ptype == "link":
                out.append(clean(part.get("text") or part.get("url", ""), 300), style="underline")
        if kind == "rich_text_preformatted":
            out.append("\n")
    return out


def render_message(blocks: Sequence[dict[str, Any]], title: str = "") -> Panel:
    """A Slack message as a panel: header, rich text, sections, context and buttons."""
    parts: list[Any] = []
    style = "white"
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            header = clean(block["text"]["text"], 150)
            style = SEVERITY_STYLE.get(header.split(" ", 1)[0].lower(), "bold")
            parts.append(Text(header, style=style))
        elif kind == "rich_text":
            parts.append(_rich_text(block))
        elif kind == "section" and "text" in block:
            parts.append(Text(clean(_plain(block["text"]["text"]), multiline=True)))
        elif kind == "context":
            parts.append(
                Text(" · ".join(clean(_plain(e.get("text", "")), 300) for e in block["elements"]), style="dim")
            )
        elif kind == "actions":
            labels = [f"[ {clean(e['text']['text'], 75)} ]" for e in block["elements"] if e.get("type") == "button"]
            parts.append(Text("  ".join(labels), style="bold blue"))
        elif kind == "table":
            parts.append(_table_block(block))
    return Panel(Group(*parts), title=clean(title, 100) or None, border_style=style.split()[-1] if style else "white")


def _table_block(block: dict[str, Any]) -> Table:
    """A table block: its first row as the header, raw-text cells (rich-text cells by their text)."""

    def text(cell: dict[str, Any]) -> str:
        if cell.get("type") == "rich_text":
            return _rich_text(cell).plain
        return clean(cell.get("text", ""), 200)

    rows = [[text(c) for c in row] for row in block.get("rows", [])]
    table = Table(show_header=bool(rows), box=None, pad_edge=False)
    settings = block.get("column_settings") or []
    for i, name in enumerate(rows[0] if rows else []):
        align = (settings[i] or {}).get("align") if i < len(settings) else None
        table.add_column(name, justify="right" if align == "right" else "center" if align == "center" else "left")
    for row in rows[1:]:
        table.add_row(*row)
    return table


def table_of(rows: Iterable[TableRow]) -> Table:
    """The triage table of these rows, in the order given."""
    table = Table(expand=True, show_lines=True)
    table.add_column("Severity", no_wrap=True, width=9)
    table.add_column("When (UTC)", width=16)
    table.add_column("What happened", ratio=1)
    for row in rows:
        what = Text()
        what.append(row.name, style="bold")
        what.append(f"  {row.account}\n", style="dim")
        what.append(row.summary)
        for reason in row.reasons:
            what.append(f"\n  · {reason}", style="dim")
        table.add_row(Text(row.severity.upper(), style=SEVERITY_STYLE[row.severity]), Text(row.when), what)
    return table


def sort_key(alert: Alert) -> tuple[int, datetime]:
    return -SEVERITIES.index(alert.severity), alert.event.event_time


def triage_table(alerts: Iterable[Alert]) -> Table:
    """Severity-sorted alerts: what happened in one line, then why it scored as it did."""
    return table_of(TableRow.of(a) for a in sorted(alerts, key=sort_key))


_SAMPLE = [
    TableRow("critical", "2026-11-20 10:02", "CreateAccessKey", "123456789012", "x " * 40 + "y" * 130, ("a b",)),
    TableRow("info", "2026-11-21 00:00", "ListUsers", "", "", ("  z " * 30, "w" * 47)),
]



class PlainTable:
    """:func:`triage_table`, drawn one row at a time, for a console that prints no colour (triage
    into a file or a pipe): the same text, without rich laying out every row of a long run (about
    a millisecond each). ``row`` answers None for a row with characters rich measures otherwise
    (wide, combining): rich draws that one (:meth:`rich_row`)."""

    def __init__(self, console: Console, frame: list[str]):
        self.console = console
        row = frame[3]
        bars = [i for i, ch in enumerate(row) if ch == row[0]]
        self.widths = [b - a - 3 for a, b in itertools.pairwise(bars)]
        self.bars = [row[i] for i in bars]
        self.head = "".join(line + "\n" for line in frame[:3])
        self.rule = next(line for line in frame[3:] if line[:1] != row[0]) + "\n"  # between rows (show_lines)
        self.foot = frame[-2] + "\n"

    @classmethod
    def of(cls, console: Console) -> PlainTable | None:
        """The table for this console; None when it prints colour or the row-wise drawing would
        not match rich's own."""
        if console.color_system is not None:
            return None
        with console.capture() as capture:
            console.print(table_of(_SAMPLE))
        expected = capture.get()
        plain = cls(console, expected.split("\n"))
        if len(plain.widths) != 3 or plain.draw(map(plain.rich_row, _SAMPLE)) != expected:
            return None
        return plain if plain.draw(plain.row(r) or "" for r in _SAMPLE) == expected else None

    def draw(self, rows: Iterable[str]) -> str:
        return self.head + self.rule.join(rows) + self.foot

    @property
    def layout(self) -> tuple[list[int], list[str]]:
        return self.widths, self.bars

    def row(self, row: TableRow) -> str | None:
        return draw_row(row, self.widths, self.bars)

    def rich_row(self, row: TableRow) -> str:
        """One row as rich draws it, for rows :meth:`row` leaves to rich."""
        table = table_of([row])
        table.show_header = False
        with self.console.capture() as capture:
            self.console.print(table)
        lines = capture.get().split("\n")
        return "".join(line + "\n" for line in lines[1:-2])
