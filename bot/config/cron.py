"""Standard crontab schedules for APScheduler.

APScheduler 3 numbers weekdays from Monday = 0, so a crontab weekday field passed through would
fire on the wrong days ("1-5" would mean Tuesday to Saturday). Here the weekday field is read
the way cron reads it — numbers 0–7 with 0 and 7 as Sunday, names, ranges, lists and steps —
and, as in cron, when both day-of-month and day-of-week are restricted, either one matching
is enough.
"""

from __future__ import annotations

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class CronError(ValueError):
    """A schedule that is not standard crontab; the message says which part."""


def _day(token: str) -> int:
    token = token.strip().lower()
    if token.isascii() and token.isdigit() and 0 <= int(token) <= 7:
        return int(token) % 7
    if token in NAMES:
        return NAMES.index(token)
    raise CronError(f"{token!r} is not a weekday (0–7, 0 and 7 are Sunday, or sun … sat)")


def weekdays(field: str) -> list[int]:
    """The days (0 = Sunday … 6 = Saturday) a crontab weekday field selects."""
    days: set[int] = set()
    for item in field.split(","):
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not (step_text.isascii() and step_text.isdigit()) or int(step_text) < 1:
                raise CronError(f"{item!r}: the step must be a positive number")
            step = int(step_text)
        if base == "*":
            lo, hi = 0, 6
        elif "-" in base:
            a, _, b = base.partition("-")
            lo = _day(a)
            hi = 7 if b.strip() == "7" else _day(b)
            if hi < lo:
                raise CronError(f"{item!r}: a range goes from the lower day to the higher one")
        else:
            lo = _day(base)
            hi = 6 if step_text else lo
        days.update(d % 7 for d in range(lo, hi + 1, step))
    if not days:
        raise CronError(f"{field!r} selects no weekday")
    return sorted(days)


def trigger(expression: str, timezone: str) -> BaseTrigger:
    """An APScheduler trigger firing when ``expression`` (5-field crontab) would, in ``timezone``."""
    fields = expression.split()
    if len(fields) != 5:
        raise CronError(f"{expression!r}: expected 5 fields (minute hour day-of-month month day-of-week)")
    minute, hour, day, month, dow = fields
    names = ",".join(NAMES[d] for d in weekdays(dow))
    try:
        if day != "*" and dow != "*":  # cron: either field matching is enough
            return OrTrigger(
                [
                    CronTrigger(minute=minute, hour=hour, day=day, month=month, timezone=timezone),
                    CronTrigger(minute=minute, hour=hour, month=month, day_of_week=names, timezone=timezone),
                ]
            )
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=names, timezone=timezone)
    except (ValueError, KeyError, LookupError) as exc:
        raise CronError(f"{expression!r} in {timezone}: {exc}") from exc
