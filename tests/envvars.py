"""The environment variables iqtrack/settings.py reads, found by reading its source."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def settings_env_names() -> list[str]:
    """Every NAME in an `env.<getter>("NAME", …)` call in iqtrack/settings.py."""
    tree = ast.parse((REPO / "iqtrack" / "settings.py").read_text())
    names = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "env"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }
    return sorted(names)
