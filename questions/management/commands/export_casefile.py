"""manage.py export_casefile PATH [--question KEY]: write the database as a case file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions.casefile import CasefileError, export_casefile


class Command(BaseCommand):
    help = (
        "Export every case, or with --question one question, its sub-questions and what they "
        "reference, as a case file (.yaml, .yml or .json by the name of PATH)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--question", metavar="KEY", help="Key of the question to export.")

    def handle(self, *args, path: Path, question: str | None, **options) -> None:
        try:
            export_casefile(path, question_key=question)
        except CasefileError as error:
            raise CommandError("\n".join(str(issue) for issue in error.errors)) from None
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}."))
