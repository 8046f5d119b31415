"""Dates as reporting gives them: a best date, how precise it is, and the words as written."""

from __future__ import annotations

import datetime as dt

from django.db import models

from evidence.choices import DatePrecision


def fuzzy_date_fields(verbose: str) -> tuple[models.DateField, models.CharField, models.CharField]:
    """The three columns of a date with precision, unpacked as `x_on, x_precision, x_text`.

    `x_on` is the earliest day the text allows (1 March for "March 2023"), `x_precision`
    says how much of it is known, and `<prefix>_text` keeps the words exactly as the source wrote
    them. All empty when the source does not say.
    """
    return (
        models.DateField(f"{verbose} (date)", null=True, blank=True),
        models.CharField(
            f"{verbose} (precision)", max_length=12, choices=DatePrecision.choices, blank=True
        ),
        models.CharField(f"{verbose} (as written)", max_length=300, blank=True),
    )


def start_of(day: dt.date, precision: str) -> dt.date:
    """The day stored for a date of `precision`: a month or a year starts on its first day."""
    if precision == DatePrecision.MONTH:
        return day.replace(day=1)
    if precision == DatePrecision.YEAR:
        return day.replace(month=1, day=1)
    return day


def format_fuzzy(day: dt.date | None, precision: str, text: str = "") -> str:
    """Human form that never claims more precision than the source gave."""
    if day is None:
        return text
    if precision == DatePrecision.DAY:
        return day.isoformat()
    if precision == DatePrecision.MONTH:
        return day.strftime("%Y-%m")
    if precision == DatePrecision.YEAR:
        return str(day.year)
    return f"c. {day.isoformat()}" + (f" ({text})" if text else "")


def fuzzy_date_check(prefix: str) -> models.CheckConstraint:
    """A date needs a precision and a precision needs a date (both empty: the source is silent).

    That month and year dates start on day 1 is normalised by the domain code, not checked here:
    a CHECK on extracted date parts needs functions SQLite does not have outside Django.
    """
    on, precision = f"{prefix}_on", f"{prefix}_precision"
    return models.CheckConstraint(
        condition=models.Q(**{f"{on}__isnull": True, precision: ""})
        | (models.Q(**{f"{on}__isnull": False}) & ~models.Q(**{precision: ""})),
        name=f"%(app_label)s_%(class)s_{prefix}_date_precision",
    )
