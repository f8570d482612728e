"""The triage table's rows as plain text: what a row prints of an alert (:class:`TableRow`), and
the row drawn as rich draws it (:func:`draw_row`; :class:`Drawer` straight from the alert, for
triage's workers), for rows whose every character is one cell wide."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from bot.catalog import SEVERITIES
from bot.slack.text import clean

if TYPE_CHECKING:
    from bot.assess import Alert


class TableRow(NamedTuple):
    """What the triage table prints of one alert, and nothing more (a run keeps thousands; a
    named tuple: made in a fifth of a frozen dataclass's time, for every row of a long run)."""

    severity: str
    when: str
    name: str
    account: str
    summary: str
    reasons: tuple[str, ...]

    @classmethod
    def of(cls, alert: Alert) -> TableRow:
        e = alert.event
        return cls(
            alert.severity,
            _minute(e.event_time),
            _clean(e.event_name, 128),
            _clean(e.account_id or "", 64),
            _clean(alert.summary, 600),
            tuple([_clean(reason, 600) for reason in alert.risk.reasons]),
        )

    def what(self) -> list[str]:
        return [_heading(self.name, self.account), self.summary, *(_reason(reason) for reason in self.reasons)]


def _heading(name: str, account: str) -> str:
    return f"{name}  {account}"


def _reason(reason: str) -> str:
    return f"  · {reason}"


def _minute(when: datetime) -> str:
    """``strftime("%Y-%m-%d %H:%M")``, in a third of its time: ``isoformat`` pads the year to
    four digits where the C library's ``%Y`` does not, so years before 1000 take strftime."""
    return when.isoformat(" ", "minutes")[:16] if when.year >= 1000 else when.strftime("%Y-%m-%d %H:%M")


def _clean(text: str, limit: int) -> str:
    """:func:`clean`, at once for printable ASCII (no character of it is hidden or rewritten)."""
    if text.isascii() and text.isprintable():
        return text if len(text) <= limit else text[: limit - 1] + "…"
    return clean(text, limit)


# printable ASCII, and the punctuation iambot's own text uses, each one cell wide for rich
_ONE_CELL = re.compile(r"[ -~·…—–‘’“”→]*")
_SPACES = re.compile(" *")


def _one_cell(text: str) -> bool:
    return (text.isascii() and text.isprintable()) or _ONE_CELL.fullmatch(text) is not None


def _wrap(text: str, width: int) -> tuple[str, ...]:
    """rich's word wrap of a table cell (``divide_line`` without folding, ``rstrip_end``, then a
    left-justified ``truncate`` with an ellipsis) for text whose every character is one cell wide
    (so its only space is " "): a line holds the words that end within the width, a word longer
    than the width has a line of its own, cut short."""
    if len(text) <= width:  # every word fits: one line
        return (text.ljust(width),)
    n, at, lines = len(text), 0, []
    first = n - len(text.lstrip(" "))  # leading spaces belong to the first word
    while n - at > width:
        limit = at + width
        start = at or first  # where the line's first word's letters start
        end = text.find(" ", start)  # and end
        if end < 0 or end > limit:  # longer than the width: alone on its line
            if end < 0:
                break
            after = _SPACES.match(text, end).end()  # type: ignore[union-attr]
        elif text[limit] == " ":  # a word ends at the limit: the line takes it and the spaces after it
            after = _SPACES.match(text, limit).end()  # type: ignore[union-attr]
        else:  # the word across the limit starts the next line
            after = text.rfind(" ", start, limit) + 1
        if after >= n:
            break
        lines.append(text[at:after])
        at = after
    lines.append(text[at:])
    out = []
    for line in lines:
        if len(line) > width:
            line = line[: len(line) - min(len(line) - len(line.rstrip()), len(line) - width)]
        out.append(line[: width - 1] + "…" if len(line) > width else line.ljust(width))
    return tuple(out)


@functools.lru_cache(maxsize=2048)  # a run repeats the same reasons thousands of times
def _wrapped(text: str, width: int) -> tuple[str, ...]:
    return _wrap(text, width)


def draw_row(row: TableRow, widths: list[int], bars: list[str]) -> str | None:
    """One row of the plain table (its lines, each ending in a newline), or None when a character
    in it is not one cell wide: rich draws that row."""
    text = "".join([row.when, row.name, row.account, row.summary, *row.reasons])  # what() adds "  " and "  · "
    if not _one_cell(text):
        return None
    what = row.what()
    w1, w2, w3 = widths
    when = _wrapped(row.when, w2)
    if len(when) == 1:  # the usual row: the first line, then the what cell's lines between fixed margins
        start, mid, joint, end = _margins(row.severity, w1, w2, *bars)
        return start + when[0] + mid + joint.join([_joined(t, w3, joint) for t in what]) + end
    left, mid1, mid2, right = bars
    severity = row.severity.upper()[:w1].ljust(w1)
    cells = [(severity,), when, [x for t in what for x in _wrapped(t, w3)]]
    out = []
    for i in range(max(map(len, cells))):
        a, b, c = (cell[i] if i < len(cell) else " " * w for cell, w in zip(cells, widths, strict=True))
        out.append(f"{left} {a} {mid1} {b} {mid2} {c} {right}\n")
    return "".join(out)


@functools.lru_cache(maxsize=64)
def _margins(severity: str, w1: int, w2: int, left: str, mid1: str, mid2: str, right: str) -> tuple[str, ...]:
    """A usual row's fixed text: its first line up to the time and after it, the what cell's margin
    from one line to the next, and the row's end."""
    end = f" {right}\n"
    start = f"{left} {severity.upper()[:w1].ljust(w1)} {mid1} "
    return start, f" {mid2} ", f"{end}{left} {' ' * w1} {mid1} {' ' * w2} {mid2} ", end


@functools.lru_cache(maxsize=2048)
def _joined(text: str, width: int, joint: str) -> str:
    """The lines of :func:`_wrap`, joined by the margin between them."""
    return joint.join(_wrapped(text, width))


_MINUTE = 60_000_000  # µs
_NONE = ""  # a kept part that is not one cell wide (a drawn part is never empty: it has margins)
KEPT = 4096  # parts kept of each kind, at most: then they start again


class Drawer:
    """:func:`draw_row` of an alert, without its :class:`TableRow`: a row is its severity's margin,
    the minute, the event's name and account, the summary and the reasons, and all but the
    summary repeat from row to row, so each of those is cleaned, checked and drawn once and kept
    (a few thousand of each kind at most). Only the summary is drawn every time."""

    def __init__(self, widths: list[int], bars: list[str]):
        self.widths, self.bars = widths, bars
        w1, w2, self.width = widths
        self.usual = w2 >= len("2026-11-20 10:02")  # every time fits on its cell's first line
        margins = {s: _margins(s, w1, w2, *bars) for s in SEVERITIES}
        self.starts = {s: m[0] for s, m in margins.items()}
        _, self.mid, self.joint, self.end = margins[SEVERITIES[0]]
        self.minutes: dict[int, str] = {}
        self.heads: dict[tuple[str, str | None], str] = {}
        self.tails: dict[tuple[str, ...], str] = {}

    def draw(self, alert: Alert, at: int) -> str | None:
        """The alert's row (``at``: its event time in µs since 1970), or None: rich draws it."""
        if not self.usual:
            return draw_row(TableRow.of(alert), self.widths, self.bars)
        e = alert.event
        key = (e.event_name, e.account_id)
        head = self.heads.get(key) or self._head(key)
        summary = _summary(alert.summary, self.width, self.joint)
        factors = alert.risk.factors
        if factors:
            reasons = tuple([f.reason for f in factors])
            tail = self.tails.get(reasons) or self._tail(reasons)
        else:
            tail = self.end
        if not head or not summary or not tail:  # a part with characters that are not one cell wide
            return None
        when = e.event_time
        if when.tzinfo is UTC:  # the minute from the time in µs: a UTC time's fields are its own
            minute = self.minutes.get(at // _MINUTE) or self._minute(at // _MINUTE, when)
        else:
            minute = _minute(when).ljust(self.widths[1])
        return self.starts[alert.severity] + minute + head + summary + tail

    def _minute(self, key: int, when: datetime) -> str:
        return _kept(self.minutes, key, _minute(when).ljust(self.widths[1]))

    def _head(self, key: tuple[str, str | None]) -> str:
        """After the time: the margin, the event's name and account, and the margin to the summary."""
        name, account = _clean(key[0], 128), _clean(key[1] or "", 64)
        heading = _heading(name, account)
        drawn = self.mid + _joined(heading, self.width, self.joint) + self.joint if _one_cell(heading) else _NONE
        return _kept(self.heads, key, drawn)

    def _tail(self, reasons: tuple[str, ...]) -> str:
        """After the summary: each reason on its lines, and the row's end."""
        shown = [_reason(_clean(r, 600)) for r in reasons]
        if not all(map(_one_cell, shown)):
            return _kept(self.tails, reasons, _NONE)
        drawn = "".join([self.joint + _joined(r, self.width, self.joint) for r in shown])
        return _kept(self.tails, reasons, drawn + self.end)


K = TypeVar("K")


@functools.lru_cache(maxsize=2048)  # a summary often comes again: the same call by the same principal
def _summary(text: str, width: int, joint: str) -> str:
    """The summary cleaned and wrapped, its lines joined by ``joint``; empty when a character of it
    is not one cell wide."""
    text = _clean(text, 600)
    return joint.join(_wrap(text, width)) if _one_cell(text) else _NONE


def _kept(parts: dict[K, str], key: K, drawn: str) -> str:
    if len(parts) >= KEPT:
        parts.clear()
    parts[key] = drawn
    return drawn
