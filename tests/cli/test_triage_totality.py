"""Triage is total over input: whatever a file holds, its identity records become rows (JSON and
table) and the rest rejections; nothing escapes, and the terminal never receives control
characters from an event."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.assess import Assessor
from bot.catalog import load as load_catalog
from bot.cli.console import make_console, triage_table
from bot.events import ReadStats, Rejected, read_file
from tests.support.mutations import EXAMPLES, hostile_bytes

ASSESSOR = Assessor()
SELECTION = load_catalog().selection()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=hostile_bytes(), gz=st.booleans())
def test_any_file_becomes_rows_or_rejections(data: bytes, gz: bool) -> None:
    import gzip

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("x.json.gz" if gz else "x.json")
        path.write_bytes(gzip.compress(data) if gz else data)
        stats = ReadStats()
        alerts = []
        for item in read_file(path, stats, SELECTION):  # a whole gzip stream is never "unreadable"
            if isinstance(item, Rejected):
                assert item.reason
                continue
            alert = ASSESSOR(item)
            orjson.dumps(alert.as_json())
            alerts.append(alert)
    assert stats.records >= len(alerts)
    out = io.StringIO()
    console = make_console()
    console.file = out
    console.print(triage_table(alerts))
    shown = out.getvalue()
    assert "\x1b]" not in shown and "\u202e" not in shown and "\x00" not in shown
