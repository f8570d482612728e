"""Terminal output: the triage table, and a readable rendering of a Slack message's blocks."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.catalog import SEVERITIES

SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}
_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")


def _plain(mrkdwn: str) -> str:
    """Slack mrkdwn to terminal text: links as their label, entities unescaped, emphasis dropped."""
    text = _LINK.sub(r"\2", mrkdwn)
    text = re.sub(r"(?<![\w:]):([a-z_]+):(?![\w:])", "", text)  # :emoji:, not the ":aws:" inside an ARN
    return html.unescape(text.replace("*", ""))


def render_message(blocks: Sequence[dict[str, Any]], title: str = "") -> Panel:
    """A Slack message as a panel: header, sections, fields, context and buttons."""
    parts: list[Any] = []
    style = "white"
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            header = block["text"]["text"]
            style = SEVERITY_STYLE.get(header.split(" ", 1)[0].lower(), "bold")
            parts.append(Text(header, style=style))
        elif kind == "section":
            if "text" in block:
                parts.append(Text(_plain(block["text"]["text"])))
            if "fields" in block:
                grid = Table.grid(padding=(0, 2))
                grid.add_column(style="bold", no_wrap=True)
                grid.add_column()
                for f in block["fields"]:
                    label, _, value = f["text"].partition("\n")
                    grid.add_row(_plain(label), _plain(value))
                parts.append(grid)
        elif kind == "context":
            parts.append(Text(" · ".join(_plain(e.get("text", "")) for e in block["elements"]), style="dim"))
        elif kind == "actions":
            labels = [f"[ {e['text']['text']} ]" for e in block["elements"] if e.get("type") == "button"]
            parts.append(Text("  ".join(labels), style="bold blue"))
        elif kind == "divider":
            parts.append(Text("─" * 40, style="dim"))
    return Panel(Group(*parts), title=title or None, border_style=style.split()[-1] if style else "white")


def triage_table(alerts: Iterable[Any]) -> Table:
    """Severity-sorted alerts: what happened in one line, then why it scored as it did."""
    table = Table(expand=True, show_lines=True)
    table.add_column("Severity", no_wrap=True, width=9)
    table.add_column("When (UTC)", width=16)
    table.add_column("What happened", ratio=1)
    for alert in sorted(alerts, key=lambda a: (-SEVERITIES.index(a.severity), a.event.event_time)):
        what = Text()
        what.append(alert.event.event_name, style="bold")
        what.append(f"  {alert.event.account_id or ''}\n", style="dim")
        what.append(alert.summary)
        for reason in alert.risk.reasons:
            what.append(f"\n  · {reason}", style="dim")
        table.add_row(
            Text(alert.severity.upper(), style=SEVERITY_STYLE[alert.severity]),
            alert.event.event_time.strftime("%Y-%m-%d %H:%M"),
            what,
        )
    return table


def make_console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=False)
