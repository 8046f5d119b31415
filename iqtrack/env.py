"""Typed reading of settings from the environment.

Every getter names the variable in its error, so a bad value stops start-up with a message
that says exactly what to fix (rather than a traceback deep inside Django or Celery).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        return None if value is None else value.strip()

    def str(self, name: str, default: str = "") -> str:
        value = self._raw(name)
        return default if value is None or value == "" else value

    def bool(self, name: str, default: bool = False) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}"
        )

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self._raw(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {number}")
        return number

    def list(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self._raw(name)
        if value is None or value == "":
            return list(default or [])
        return [item.strip() for item in value.split(",") if item.strip()]

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.str(name, default)
        if value not in choices:
            raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {value!r}")
        return value

    def url(self, name: str, schemes: tuple[str, ...]) -> str | None:
        """A URL with one of `schemes`, or None when unset."""
        value = self.str(name)
        if not value:
            return None
        parsed = urlparse(value)
        # Errors end up in logs: never repeat the password a URL may carry.
        shown = value.replace(f":{parsed.password}@", ":***@") if parsed.password else value
        if parsed.scheme not in schemes:
            raise ImproperlyConfigured(
                f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}; "
                f"got {shown!r}"
            )
        if not parsed.hostname and not parsed.path.strip("/"):
            raise ImproperlyConfigured(f"{name} has no host: {shown!r}")
        return value
