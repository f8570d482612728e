"""bot/slack/chart.py: the digest's chart, checked as the data it is drawn from and as a PNG of
the right size (its header), not against a golden image; matplotlib is loaded only to draw."""

from __future__ import annotations

import struct
import subprocess
import sys

from bot.slack.chart import DPI, HEIGHT, MAX_DAYS, WIDTH, chart_data, digest_chart, draw
from bot.store import parse_iso as _at
from bot.workflow import Digest
from bot.workflow.digest import days

PNG = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    assert data[:8] == PNG and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def period():
    by_day = {day: {} for day in days(*map(_at, ("2026-11-20T09:00:00Z", "2026-11-23T09:00:00Z")))}
    by_day["2026-11-20"] = {"high": 2, "low": 1}
    by_day["2026-11-22"] = {"critical": 1, "high": 1}
    return Digest("2026-11-20T09:00:00Z", "2026-11-23T09:00:00Z", total=5, by_day=by_day,
                  decision_minutes_median=12.5, decisions=3)  # fmt: skip


def test_the_days_of_a_period():
    assert days(_at("2026-11-20T09:00:00Z"), _at("2026-11-23T09:00:00Z")) == [
        "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"
    ]
    assert days(_at("2026-11-20T09:00:00Z"), _at("2026-11-21T00:00:00Z")) == ["2026-11-20"]  # until is excluded
    assert days(_at("2026-11-20T09:00:00Z"), _at("2026-11-20T09:00:00Z")) == ["2026-11-20"]


def test_the_chart_is_drawn_from_the_periods_counts():
    data = chart_data(period())
    assert data["days"] == ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]
    assert data["series"] == {"critical": [0, 0, 1, 0], "high": [2, 0, 1, 0], "low": [1, 0, 0, 0]}  # most severe first
    assert list(data["series"]) == ["critical", "high", "low"]
    assert data["total"] == 5 and data["median_minutes"] == 12.5 and data["decisions"] == 3


def test_the_chart_is_a_png_of_the_right_size():
    chart = digest_chart(period())
    assert png_size(chart.png) == (WIDTH, HEIGHT) == (10 * DPI, 5 * DPI)
    assert chart.filename == "iambot-digest-2026-11-23-0900.png"
    assert "5 alert(s)" in chart.alt and "12.5 min (3 alert(s) decided)" in chart.alt
    assert "median time from alert to decision: 12.5 min" in chart.comment


def test_an_empty_or_long_period_still_draws():
    empty = Digest("2026-11-20T09:00:00Z", "2026-11-21T09:00:00Z", by_day={"2026-11-20": {}, "2026-11-21": {}})
    data = chart_data(empty)
    assert data["series"] == {} and data["median_minutes"] is None
    assert png_size(draw(data)) == (WIDTH, HEIGHT)
    long = Digest("2026-01-01T00:00:00Z", "2026-12-01T00:00:00Z",
                  by_day={day: {"low": 1} for day in days(_at("2026-01-01T00:00:00Z"), _at("2026-12-01T00:00:00Z"))})
    data = chart_data(long)
    assert len(data["days"]) == MAX_DAYS and data["days"][-1] == "2026-11-30"
    assert png_size(draw(data)) == (WIDTH, HEIGHT)


def test_matplotlib_is_not_loaded_until_a_chart_is_drawn():
    code = ("import sys, bot.cli, bot.slack.render, bot.slack.outbox, bot.runtime.wiring;"
            " print('matplotlib' in sys.modules)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"
