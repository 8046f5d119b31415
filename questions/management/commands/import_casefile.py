"""manage.py import_casefile PATH: validate a case file whole, then import it in one transaction."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions.casefile import CasefileError, import_casefile


class Command(BaseCommand):
    help = (
        "Import a case file (.yaml, .yml or .json; format in docs/casefile.md). Every problem is "
        "printed as PATH:LINE: where: what, and on any problem nothing is written."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--no-progress", action="store_true", help="Never show a progress bar.")

    def handle(self, *args, path: Path, no_progress: bool, **options) -> None:
        try:
            report = import_casefile(path, progress=not no_progress)
        except CasefileError as error:
            for issue in error.errors:
                self.stderr.write(str(issue))
            raise CommandError(
                f"{len(error.errors)} problem(s) in {path}; nothing was imported."
            ) from None
        for line in report.lines():
            self.stdout.write(line)
        verdict = "imported" if report.changed else "already up to date, nothing changed"
        self.stdout.write(self.style.SUCCESS(f"{path}: {verdict}."))
