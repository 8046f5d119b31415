"""The records a test wrote to the security log (iqtrack.security), from pytest's caplog."""

from __future__ import annotations

import logging


def security_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "iqtrack.security"]
