"""The triage table drawn row by row (PlainTable) is, character for character, the table rich
draws: for any text, at any width, in triage's own output, in one process or several."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from bot.assess import Assessor
from bot.catalog import SEVERITIES
from bot.catalog import load as load_catalog
from bot.cli import parallel
from bot.cli.console import PlainTable, make_console, table_of, triage_table
from bot.cli.rows import Drawer, TableRow, _clean, draw_row
from bot.events import ReadStats, Rejected, iter_files, read_file
from tests.support.cli import clean_environment, invoke
from tests.support.mutations import EXAMPLES
from tests.support.records import FIXTURES


def console(width: int = 80) -> Console:
    made = make_console()
    made.width = width
    return made


def rich_drawn(c: Console, rows: list[TableRow]) -> str:
    with c.capture() as capture:
        c.print(table_of(rows))
    return capture.get()


def row_drawn(plain: PlainTable, rows: list[TableRow]) -> str:
    return plain.draw(plain.row(r) or plain.rich_row(r) for r in rows)


words = st.one_of(
    st.sampled_from(["a", "IAM", "root", "—", "…", "·", "’", "“x”", "→", " ", "  ", "x" * 50, "y" * 44, "z" * 46]),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12),
    st.text(max_size=6).filter(str.isprintable),  # wide, combining and other characters: left to rich
)
texts = st.lists(words, max_size=40).map(lambda parts: " ".join(parts) if len(parts) % 3 else "".join(parts))
rows = st.builds(
    TableRow,
    severity=st.sampled_from(SEVERITIES),
    when=st.sampled_from(["2026-11-20 10:02", "1-01-01 00:00", "9999-12-31 23:59"]),
    name=texts.map(lambda t: t[:128]),
    account=st.sampled_from(["", "123456789012", "acct with spaces"]),
    summary=texts.map(lambda t: t[:600]),
    reasons=st.lists(texts, max_size=3).map(tuple),
)


@pytest.mark.parametrize("width", [80, 57, 120, 200])
def test_the_plain_table_is_used_at_ordinary_widths(width):
    assert PlainTable.of(console(width)) is not None


def test_a_narrow_console_is_left_to_rich():
    assert PlainTable.of(console(40)) is None  # rich squeezes the fixed columns: it draws the table


def test_a_console_that_prints_colour_is_left_to_rich():
    assert PlainTable.of(Console(force_terminal=True, color_system="truecolor", width=80)) is None


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=st.lists(rows, min_size=1, max_size=4), width=st.sampled_from([80, 61, 100]))
def test_any_rows_are_drawn_as_rich_draws_them(rows, width):
    c = console(width)
    plain = PlainTable.of(c)
    assert plain is not None
    assert row_drawn(plain, rows) == rich_drawn(c, rows)


def fake_alert(severity, when, name, account, summary, reasons):
    """What the table reads of an alert, and nothing more."""
    factors = tuple(SimpleNamespace(reason=r) for r in reasons)
    return SimpleNamespace(
        severity=severity,
        event=SimpleNamespace(event_time=when, event_name=name, account_id=account),
        summary=summary,
        risk=SimpleNamespace(severity=severity, factors=factors, reasons=list(reasons)),
    )


alerts = st.builds(
    fake_alert,
    severity=st.sampled_from(SEVERITIES),
    when=st.one_of(
        st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)),
        st.just(datetime(2026, 11, 20, 10, 2, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
    ),
    name=texts,
    account=st.sampled_from([None, "", "123456789012", "acct with spaces", "名前"]),
    summary=st.one_of(texts, st.sampled_from(["x made a user", "a " * 400])),
    reasons=st.lists(st.one_of(texts, st.just("MFA was not used")), max_size=3),
)
drawers = {width: Drawer(*PlainTable.of(console(width)).layout) for width in (80, 61, 100)}  # type: ignore[union-attr]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(alerts=st.lists(alerts, min_size=1, max_size=4), width=st.sampled_from([80, 61, 100]))
def test_a_row_drawn_from_the_alert_is_its_table_rows(alerts, width):
    drawer = drawers[width]  # one for every example: its kept parts are drawn again
    for alert in alerts:
        at = (alert.event.event_time - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        assert drawer.draw(alert, at) == draw_row(TableRow.of(alert), drawer.widths, drawer.bars)


@settings(max_examples=EXAMPLES, deadline=None)
@given(text=st.one_of(st.text(), st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E))),
       limit=st.integers(1, 700))
def test_the_rows_text_is_cleaned_as_clean_does(text, limit):
    from bot.slack.text import clean

    assert _clean(text, limit) == clean(text, limit)


def alerts_of_fixtures():
    assessor = Assessor()
    stats = ReadStats()
    selection = load_catalog().selection()
    found = [i for f in iter_files([FIXTURES]) for i in read_file(f, stats, selection)]
    return [assessor(i) for i in found if not isinstance(i, Rejected)], stats


def test_every_fixture_row_is_drawn_without_rich():
    alerts, _ = alerts_of_fixtures()
    plain = PlainTable.of(console())
    assert plain is not None
    assert all(plain.row(TableRow.of(a)) is not None for a in alerts)


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("COLUMNS", "80")


@pytest.mark.parametrize("cpus", [1, 2])
def test_triage_prints_the_table_rich_would(isolated, monkeypatch, cpus):
    monkeypatch.setattr(parallel, "workers", lambda: cpus)
    alerts, stats = alerts_of_fixtures()
    expected = rich_drawn(console(), [TableRow.of(a) for a in sorted(alerts, key=lambda a: (
        -SEVERITIES.index(a.severity), a.event.event_time))])
    c = console()
    with c.capture() as capture:
        c.print(triage_table(alerts))
    assert capture.get() == expected
    result = invoke("triage", str(FIXTURES))
    assert result.exit_code == 0
    assert result.stdout.startswith(expected)
    assert f"{stats.kept} identity event(s) in {stats.records} record(s)" in " ".join(result.stdout.split())


def test_a_drawer_that_keeps_few_parts_draws_the_same(monkeypatch):
    from bot.cli import rows

    monkeypatch.setattr(rows, "KEPT", 1)  # every part drawn again, after the one kept before it
    drawer = Drawer(*PlainTable.of(console()).layout)  # type: ignore[union-attr]
    at = datetime(2026, 11, 20, 10, 2, tzinfo=UTC)
    made = [
        fake_alert("high", at + timedelta(minutes=i % 2), name, account, "x made a user " * i, reasons)
        for i, (name, account, reasons) in enumerate(
            [("CreateUser", "1", ["new"]), ("DeleteUser", None, []), ("CreateUser", "1", ["new"]), ("名前", "", ["ü"])]
        )
    ]
    for alert in made * 2:
        expected = draw_row(TableRow.of(alert), drawer.widths, drawer.bars)
        assert drawer.draw(alert, parallel.micros(alert.event.event_time)) == expected
    assert len(drawer.heads) == len(drawer.tails) == len(drawer.minutes) == 1
