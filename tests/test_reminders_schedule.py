"""The periodic schedule: one place (settings), cron strings from the environment, and every
entry expiring before its next run is due."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from iqtrack.celery import app
from iqtrack.schedule import periodic, shortest_gap_seconds


def test_the_sweep_and_the_digest_are_scheduled_in_settings():
    schedule = app.conf.beat_schedule
    assert schedule == settings.CELERY_BEAT_SCHEDULE
    assert schedule["sweep-reminders"]["task"] == "notifications.tasks.sweep_reminders"
    assert schedule["send-daily-digests"]["task"] == "notifications.tasks.send_daily_digests"


def test_every_entry_expires_before_its_next_run():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert 0 < entry["options"]["expires"] < shortest_gap_seconds(entry["schedule"])


@pytest.mark.parametrize(
    ("cron", "gap"),
    [
        ("*/5 * * * *", 5 * 60),
        ("*/7 * * * *", 4 * 60),  # :56 to the next hour's :00
        ("0 7 * * *", 24 * 3600),
        ("0 7 * * 1-5", 24 * 3600),
        ("0 7 * * 1", 7 * 24 * 3600),
        ("0 7,19 * * *", 12 * 3600),
    ],
)
def test_it_finds_the_shortest_gap_between_two_runs(cron, gap):
    entry = periodic("notifications.tasks.sweep_reminders", "REMINDER_SWEEP_CRON", cron)
    assert shortest_gap_seconds(entry["schedule"]) == gap
    assert entry["options"]["expires"] < gap


@pytest.mark.parametrize("cron", ["*/5 * * *", "61 * * * *", "every five minutes"])
def test_a_bad_cron_string_stops_start_up_naming_the_variable(cron):
    with pytest.raises(ImproperlyConfigured, match="REMINDER_SWEEP_CRON"):
        periodic("notifications.tasks.sweep_reminders", "REMINDER_SWEEP_CRON", cron)
