"""digest_cron is standard crontab: weekdays numbered as cron numbers them (0 and 7 Sunday),
names, ranges, lists and steps, and day-of-month OR day-of-week when both are restricted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config.cron import CronError, trigger, weekdays
from bot.config.settings import ConfigError, given, load_settings

SUN, MON, TUE, WED, THU, FRI, SAT = range(7)
START = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)  # a Sunday


def fires(expression: str, timezone: str = "UTC", start: datetime = START, n: int = 40) -> list[datetime]:
    t = trigger(expression, timezone)
    out: list[datetime] = []
    now, previous = start, None
    while len(out) < n:
        nxt = t.get_next_fire_time(previous, now)
        assert nxt is not None
        out.append(nxt)
        previous, now = nxt, nxt + timedelta(seconds=1)
    return out


def cron_day(dt: datetime) -> int:
    """The crontab weekday of a date (0 = Sunday), from the standard library, not from iambot."""
    return dt.isoweekday() % 7


def test_every_weekday_field_form_is_read_as_cron_reads_it():
    assert weekdays("*") == [SUN, MON, TUE, WED, THU, FRI, SAT]
    assert weekdays("0-6") == [SUN, MON, TUE, WED, THU, FRI, SAT]
    assert weekdays("1-5") == [MON, TUE, WED, THU, FRI]
    assert weekdays("0") == weekdays("7") == [SUN]
    assert weekdays("5-7") == [SUN, FRI, SAT]
    assert weekdays("*/2") == [SUN, TUE, THU, SAT]
    assert weekdays("1-5/2") == [MON, WED, FRI]
    assert weekdays("mon,wed,fri") == [MON, WED, FRI]
    assert weekdays("Mon-Fri") == [MON, TUE, WED, THU, FRI]
    assert weekdays("sun,6") == [SUN, SAT]


@pytest.mark.parametrize(
    ("field", "days"),
    [
        ("0-6", {SUN, MON, TUE, WED, THU, FRI, SAT}),
        ("1-5", {MON, TUE, WED, THU, FRI}),
        ("*/2", {SUN, TUE, THU, SAT}),
        ("0", {SUN}),
        ("7", {SUN}),
        ("sat,sun", {SAT, SUN}),
        ("tue-thu", {TUE, WED, THU}),
    ],
)
def test_the_digest_fires_on_exactly_the_weekdays_cron_would(field, days):
    times = fires(f"0 9 * * {field}")
    assert {cron_day(t) for t in times} == days
    assert all((t.hour, t.minute) == (9, 0) for t in times)
    assert len({t.date() for t in times}) == len(times)  # once a day at most


def test_0_9_every_day_is_accepted_and_fires_daily():
    times = fires("0 9 * * 0-6", n=8)
    assert [t.date() for t in times] == [(START + timedelta(days=i)).date() for i in range(8)]


def test_day_of_month_and_day_of_week_restricted_fire_when_either_matches():
    times = fires("30 8 13 * 5", n=30)  # the 13th of the month, and every Friday
    assert all(t.day == 13 or cron_day(t) == FRI for t in times)
    assert any(t.day == 13 and cron_day(t) != FRI for t in times)  # 13 Nov 2026 is a Friday; 13 Dec is not
    assert any(cron_day(t) == FRI and t.day != 13 for t in times)
    assert datetime(2026, 12, 13, 8, 30, tzinfo=UTC) in times  # a Sunday, fired for its day of the month


def test_the_time_zone_is_the_digests():
    [first] = fires("30 8 * * 1-5", "Europe/Paris", start=datetime(2026, 11, 20, 18, 0, tzinfo=UTC), n=1)
    assert first.isoformat() == "2026-11-23T08:30:00+01:00"  # Monday, 08:30 Paris time


@pytest.mark.parametrize(
    "expression",
    [
        "every morning",
        "0 9 * *",
        "0 9 * * 8",
        "0 9 * * funday",
        "0 9 * * 5-1",
        "0 9 * * */0",
        "0 9 * * */²",
        "0 9 * * ¹",
        "61 9 * * *",
        "0 25 * * *",
    ],
)
def test_bad_schedules_are_cron_errors(expression):
    with pytest.raises(CronError):
        trigger(expression, "UTC")


def test_bad_schedules_are_a_config_error_naming_digest_cron(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no iambot.toml here
    monkeypatch.delenv("IAMBOT_CONFIG", raising=False)
    for values in (
        {"digest_cron": "every morning"},
        {"digest_cron": "0 9 * * 8"},
        {"digest_cron": "0 9 * * 5-1"},
        {"digest_timezone": "Mars/Olympus"},
    ):
        with pytest.raises(ConfigError, match="digest_cron"):
            load_settings(**values)
        with pytest.raises(ConfigError, match="digest_cron"):
            given(**values)
    assert given(digest_cron="0 9 * * 0-6").digest_cron == "0 9 * * 0-6"
