"""`manage.py reminders [--dry-run]`: one sweep now, or what it would send, to whom and why."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications import delivery, reminders
from notifications.choices import Delivery
from notifications.messages import when

CHANNEL = {
    Delivery.IMMEDIATELY: "in iqtrack + email now",
    Delivery.DIGEST: "in iqtrack + daily digest",
    Delivery.OFF: "not sent (preference: off)",
}


class Command(BaseCommand):
    help = "Run one reminder sweep now; with --dry-run, print what it would send instead."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be sent; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        now = timezone.now()
        if not dry_run:
            result = reminders.sweep(now)
            # What the sweep left for the chained tasks, sent here batch by batch (each batch
            # under its own claim, so no run outlasts a lease however long the backlog).
            emailed, left = result.emailed, result.emails_left
            while left:
                sent, still = delivery.send_email_batch(timezone.now())
                if still >= left and not sent:
                    break  # held by another worker's live claim: theirs to send
                emailed, left = emailed + sent, still
            self.stdout.write(
                f"Sweep at {when(now)}: {result.due} due, {result.delivered} delivered, "
                f"{emailed} emailed."
            )
            return
        previews = reminders.preview(now)
        self.stdout.write(f"Dry run at {when(now)}: {len(previews)} notice(s) would be sent.")
        for p in previews:
            r = p.reminder
            recipient = r.recipient
            address = f" <{recipient.email}>" if recipient.email else ""
            state = "recorded earlier, unsent" if p.recorded else "new"
            self.stdout.write(
                f"- {r.get_kind_display()} → {recipient.get_username()}{address}, "
                f"{CHANNEL[Delivery(p.delivery)]} [{state}; question {r.question.key}, "
                f"period {r.period}]\n  {p.text}"
            )
