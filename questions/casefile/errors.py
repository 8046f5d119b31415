"""What goes wrong with a case file, said so that a person can find and fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Issue:
    """One problem: the file, the line (when the format gives one), the place, what is wrong."""

    file: Path
    line: int | None
    where: str
    what: str

    def __str__(self) -> str:
        location = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{location}: {self.where}: {self.what}"


class CasefileError(Exception):
    """A case file was refused. `errors` lists every problem found; nothing was written."""

    def __init__(self, errors: list[Issue]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(issue) for issue in self.errors))
