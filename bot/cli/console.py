"""Terminal output: triage as a table or JSON lines, and Slack messages drawn in the terminal.

Everything that came from an event goes through :func:`bot.slack.text.clean` and into rich
``Text`` objects (never markup), so a record cannot move the cursor, recolour the terminal or
reverse the text around it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import click
import orjson
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.assess import Alert, Assessor
from bot.catalog import SEVERITIES
from bot.events import ReadStats, Rejected, UnreadableInput, read_file
from bot.slack.text import clean

SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}
_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
PROGRESS_BYTES = 5_000_000
BATCH = 500


def make_console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=False, markup=False, emoji=False)


def _plain(mrkdwn: str) -> str:
    """Our own mrkdwn (links, entities) as terminal text."""
    return html.unescape(_LINK.sub(r"\2", mrkdwn))


def _rich_text(block: dict[str, Any]) -> Text:
    out = Text()
    for element in block.get("elements", []):
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
    return Panel(Group(*parts), title=clean(title, 100) or None, border_style=style.split()[-1] if style else "white")


def triage_table(alerts: Iterable[Alert]) -> Table:
    """Severity-sorted alerts: what happened in one line, then why it scored as it did."""
    table = Table(expand=True, show_lines=True)
    table.add_column("Severity", no_wrap=True, width=9)
    table.add_column("When (UTC)", width=16)
    table.add_column("What happened", ratio=1)
    for alert in sorted(alerts, key=lambda a: (-SEVERITIES.index(a.severity), a.event.event_time)):
        what = Text()
        what.append(clean(alert.event.event_name, 128), style="bold")
        what.append(f"  {clean(alert.event.account_id or '', 64)}\n", style="dim")
        what.append(clean(alert.summary, 600))
        for reason in alert.risk.reasons:
            what.append(f"\n  · {clean(reason, 600)}", style="dim")
        table.add_row(
            Text(alert.severity.upper(), style=SEVERITY_STYLE[alert.severity]),
            Text(alert.event.event_time.strftime("%Y-%m-%d %H:%M")),
            what,
        )
    return table


class Output:
    """Where triage's results go: JSON lines as they come, or a table at the end; and the store."""

    def __init__(self, fmt: str, out: IO[bytes], store: Any, settings: Any, floor: int):
        self.fmt, self.out, self.store, self.settings, self.floor = fmt, out, store, settings, floor
        self.alerts: list[Alert] = []
        self.batch: list[Alert] = []
        self.new = 0

    def write_bytes(self, data: bytes) -> None:
        self.out.write(data)

    def reject(self, item: Rejected) -> None:
        click.echo(f"iambot: skipped {clean(str(item), 500)}", err=True)
        if self.store is not None:
            self.store.rejected.add([item], source="triage")

    def _flush(self) -> None:
        if self.store is not None and self.batch:
            from bot.assess import network_of
            from bot.store import dumps

            with self.store.unit():
                for a in self.batch:
                    self.new += self.store.events.add(
                        a.event,
                        severity=a.severity,
                        summary=a.summary,
                        targets=a.targets,
                        is_self=a.risk.is_self,
                        source_net=network_of(a.event.source_ip),
                        raw=dumps(a.event.raw),
                    )
        self.batch.clear()

    def run(self, files: list[Path], assessor: Assessor, stats: ReadStats, unreadable: list[str]) -> None:
        from bot.catalog import load

        selection = load().selection()
        progress = _progress(files)
        for path in files:
            try:
                for item in read_file(path, stats, selection):
                    if isinstance(item, Rejected):
                        self.reject(item)
                        continue
                    alert = assessor(item)
                    if SEVERITIES.index(alert.severity) < self.floor:
                        continue
                    self.batch.append(alert)
                    if self.fmt == "json":
                        self.out.write(orjson.dumps(alert.as_json()) + b"\n")
                    else:
                        self.alerts.append(alert)
                    if len(self.batch) >= BATCH:
                        self._flush()
            except UnreadableInput as exc:
                unreadable.append(str(exc))
            if progress is not None:
                progress.advance(path)
        self._flush()
        if progress is not None:
            progress.stop()

    def finish(self, stats: ReadStats, db: Path | None) -> None:
        if self.fmt == "table":
            console = make_console()
            if self.alerts:
                console.print(triage_table(self.alerts))
            counts = {s: sum(1 for a in self.alerts if a.severity == s) for s in reversed(SEVERITIES)}
            shown = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none"
            console.print(
                f"{stats.kept} identity event(s) in {stats.records} record(s) from {stats.files} file(s): {shown}. "
                f"Skipped {stats.skipped} record(s) of other services, rejected {stats.rejected}."
                + (f" Stored {self.new} new event(s) in {db}." if self.store is not None else "")
            )
        elif self.store is not None:
            click.echo(f"iambot: stored {self.new} new event(s) in {db}", err=True)


class _Progress:
    def __init__(self, sizes: dict[Path, int]):
        from rich.progress import Progress

        self.sizes = sizes
        self.bar = Progress(transient=True, console=make_console(stderr=True))
        self.task = self.bar.add_task("triage", total=sum(sizes.values()))
        self.bar.start()

    def advance(self, path: Path) -> None:
        self.bar.advance(self.task, self.sizes.get(path, 0))

    def stop(self) -> None:
        self.bar.stop()


def _progress(files: list[Path]) -> _Progress | None:
    import sys

    if not sys.stderr.isatty():
        return None
    try:
        sizes = {p: p.stat().st_size for p in files}
    except OSError:
        return None
    return _Progress(sizes) if sum(sizes.values()) > PROGRESS_BYTES else None
