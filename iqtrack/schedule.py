"""Periodic tasks from cron strings: each entry expires before its next run is due.

Used by the Celery section of settings.py. A cron string comes from the environment, so a bad one
stops start-up naming the variable; `expires` is derived from the shortest gap between two runs,
so a sweep that a busy or absent worker could not start in time is dropped instead of piling up
behind the next one.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

_MINUTES_PER_WEEK = 7 * 24 * 60


def parse_cron(name: str, value: str) -> crontab:
    fields = value.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(
            f"{name} must be a cron string of five fields (minute hour day month weekday); "
            f"got {value!r}"
        )
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
        )
    except Exception as error:
        raise ImproperlyConfigured(
            f"{name} is not a valid cron string: {value!r} ({error})"
        ) from None


def shortest_gap_seconds(schedule: crontab) -> int:
    """The shortest time between two runs, over a week of minutes.

    Day-of-month and month only ever remove runs, so ignoring them can only under-estimate the gap:
    an `expires` below this is below every real gap.
    """
    runs = [
        minute
        for minute in range(_MINUTES_PER_WEEK)
        if (minute % 60) in schedule.minute
        and (minute // 60) % 24 in schedule.hour
        and (minute // 1440) in schedule.day_of_week
    ]
    if not runs:
        return _MINUTES_PER_WEEK * 60
    gaps = [b - a for a, b in pairwise(runs)]
    gaps.append(runs[0] + _MINUTES_PER_WEEK - runs[-1])  # around the week
    return min(gaps) * 60


def periodic(task: str, name: str, cron: str) -> dict[str, Any]:
    """A beat entry for `task` on the cron string held in the environment variable `name`."""
    schedule = parse_cron(name, cron)
    expires = max(1, int(shortest_gap_seconds(schedule) * 0.9))
    return {"task": task, "schedule": schedule, "options": {"expires": expires}}
