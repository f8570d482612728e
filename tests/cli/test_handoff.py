"""What crosses from triage's worker processes to the parent: a file's table rows as one blob
with severity, sort key and size arrays, and its sequence steps as columns. Each comes back as it
went, and the table comes out in the order of the rows' keys, stable among equals."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from bot.assess.sequences import ENUMERATION, ESCALATION, Step
from bot.catalog import SEVERITIES
from bot.cli import parallel
from bot.cli.console import PlainTable, make_console
from bot.cli.parallel import Rows, Steps, micros, row_key
from bot.cli.rows import TableRow, _minute
from tests.support.mutations import EXAMPLES

times = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


def plain() -> PlainTable:
    console = make_console()
    console.width = 80
    table = PlainTable.of(console)
    assert table is not None
    return table


@settings(max_examples=EXAMPLES, deadline=None)
@given(a=st.tuples(st.integers(0, len(SEVERITIES) - 1), times), b=st.tuples(st.integers(0, len(SEVERITIES) - 1), times))
def test_a_rows_key_orders_by_severity_then_time(a, b):
    assert 0 <= row_key(*a) < 2**63
    assert (row_key(*a) < row_key(*b)) == ((-a[0], a[1]) < (-b[0], b[1]))
    assert (row_key(*a) == row_key(*b)) == ((a[0], a[1]) == (b[0], b[1]))


def test_a_rows_key_holds_the_first_and_last_times_and_other_offsets():
    first = datetime(1, 1, 1, tzinfo=UTC)
    last = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert 0 <= row_key(4, first) < row_key(1, first) < row_key(1, last) < row_key(0, first) < row_key(0, last) < 2**63
    shifted = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=5)))
    assert row_key(2, shifted) == row_key(2, shifted.astimezone(UTC))


@given(when=times)
def test_the_minute_is_strftimes(when):
    assert _minute(when) == when.strftime("%Y-%m-%d %H:%M")


def test_rows_cross_as_they_went_and_rich_draws_its_rows_in_their_place():
    table = plain()
    at = datetime(2026, 11, 20, 10, 2, tzinfo=UTC)
    ordinary = TableRow("high", "2026-11-20 10:02", "CreateUser", "123456789012", "x made a user", ("new",))
    wide = TableRow("low", "2026-11-20 10:02", "CreateUser", "", "名前 made a user", ())
    rows = Rows()
    for level, row in [(3, ordinary), (1, wide), (0, ordinary)]:
        drawn = table.row(row)
        rows.add(level, micros(at), drawn if drawn is not None else row)
    back = pickle.loads(pickle.dumps(rows.close()))
    assert list(back.levels) == [3, 1, 0] and list(back.sizes)[1] == 0 and back.rich == [wide]
    done = back.with_drawn(table.rich_row)
    expected = [table.row(ordinary), table.rich_row(wide), table.row(ordinary)]
    assert done.text == "".join(expected).encode() and list(done.sizes) == [len(x.encode()) for x in expected]


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    steps=st.lists(
        st.builds(
            Step,
            kind=st.sampled_from([ENUMERATION, ESCALATION]),
            principal=st.text(max_size=30),
            at=times,
            name=st.text(max_size=20),
            key=st.text(max_size=40),
            at_self=st.booleans(),
        ),
        max_size=8,
    )
)
def test_steps_cross_as_columns_and_come_back_the_same(steps):
    back = pickle.loads(pickle.dumps(Steps.of(steps)))
    assert len(back) == len(steps) and list(back) == steps
    assert all(s.at.tzinfo is UTC for s in back)


def test_a_colour_console_gets_every_row_for_rich_in_key_order():
    from bot.cli.triage import Output
    from bot.config.settings import Settings

    out = Output("table", open("/dev/null", "wb"), None, Settings(), 0)  # noqa: SIM115
    out.plain = None
    out.console = Console(force_terminal=True, color_system="truecolor", width=80)
    at = datetime(2026, 11, 20, 10, 2, tzinfo=UTC)
    first = TableRow("low", "2026-11-20 10:02", "A", "", "first", ())
    second = TableRow("low", "2026-11-20 10:02", "B", "", "second", ())
    top = TableRow("critical", "2026-11-20 10:02", "C", "", "top", ())
    rows = Rows()
    for level, row in [(1, first), (4, top), (1, second)]:
        rows.add(level, micros(at), row)
    out.add_rows(rows.close())
    assert [row for _, row in sorted(out.rows, key=lambda r: r[0])] == [top, first, second]
    assert out.counts == {"low": 2, "critical": 1}


def test_a_worker_sends_its_files_rows_and_steps(tmp_path):
    from tests.support.records import FIXTURES

    table = plain()
    worker = parallel.make_worker((), (), 0, "table", table.layout)
    files = sorted(FIXTURES.rglob("*.json"))[:20]
    for path in files:
        result = pickle.loads(pickle.dumps(worker(path)))
        assert len(result.rows.levels) == len(result.rows.keys) == len(result.rows.sizes)
        assert sum(result.rows.sizes) == len(result.rows.text)
        assert all(isinstance(step, Step) for step in result.steps)


def test_the_parallel_table_is_the_one_process_table_with_rows_for_rich(tmp_path, monkeypatch):
    import json

    from tests.support.cli import clean_environment, invoke
    from tests.support.records import FIXTURES

    record = json.loads((FIXTURES / "records" / "CreateUser__awsdocs__1.json").read_text())
    folder = tmp_path / "in"
    folder.mkdir()
    for i, name in enumerate(["Alice", "名前の人", "Bob", "Z\u0301oe"]):  # wide and combining: drawn by rich
        record["userIdentity"]["userName"] = name
        record["userIdentity"]["arn"] = f"arn:aws:iam::123456789012:user/{name}"
        record["eventTime"] = f"2014-03-24T21:1{i}:59Z"
        (folder / f"{i}.json").write_text(json.dumps({"Records": [record, record]}))
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    fast = invoke("triage", str(folder))
    slow = invoke("triage", "--db", str(tmp_path / "x.db"), str(folder))  # one process
    assert fast.exit_code == slow.exit_code == 0
    assert "名前の人" in fast.stdout and fast.stdout.count("CreateUser") == 8
    assert fast.stdout.rstrip() == slow.stdout.split(" Stored")[0].rstrip()
