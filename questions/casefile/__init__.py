"""Case files: a whole case (teams, sources, actors, evidence, events, questions with their
hypotheses, links and ACH ratings) as one YAML or JSON document. Format: docs/casefile.md.

    import_casefile(path)            validate all, then write all in one transaction
    export_casefile(path, question_key=None)
"""

from questions.casefile.errors import CasefileError, Issue
from questions.casefile.exporter import build_casefile, dump_casefile, export_casefile
from questions.casefile.importer import ImportReport, import_casefile, load_casefile

__all__ = [
    "CasefileError",
    "ImportReport",
    "Issue",
    "build_casefile",
    "dump_casefile",
    "export_casefile",
    "import_casefile",
    "load_casefile",
]
