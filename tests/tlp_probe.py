"""The route walker and the leak scanner behind tests/test_tlp_leaks.py.

`routes()` walks Django's URL resolver, so every page, API endpoint and admin view is found
without a list to keep up to date. `Route.kinds()` says which planted object each URL parameter
takes (by the route's path: `questions/<pk>/…` takes a question, `api/^evidence-links/…` an
evidence link, `admin/questions/review/<object_id>/…` a review), or None when it cannot tell —
which the coverage test turns into a failure unless the route is in EXEMPT with a reason.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

from django.urls import URLResolver, get_resolver

# An id no planted object has: what a hidden object must be indistinguishable from.
NOWHERE = 987_654_321

# The first path segment of a page or API route → the kind of object its `pk` is.
SEGMENT_KINDS = {
    "questions": "question",
    "evidence": "evidence",
    "actors": "actor",
    "notifications": "notification",
    "hypotheses": "hypothesis",
    "evidence-links": "evidencelink",
    "hypothesis-ratings": "hypothesisrating",
    "assessments": "assessment",
    "reviews": "review",
    "comments": "comment",
    "transitions": "transition",
    "sources": "source",
    "events": "event",
    "teams": "team",
    "users": "user",
    "tokens": "apitoken",
}
# Parameters that are not ids: the value each probe uses.
FIXED_VALUES = {
    "format": "json",
    "action": "publish",
    "app_label": "questions",
    "name": "evidence-question",  # pickers/<name>/: the picker that lists questions
}

# Routes the probe does not request, each with why that is safe.
EXEMPT = {
    "admin/(?P<url>.*)$": "the admin's catch-all: a 404 or a redirect for any path, no data",
    "api/": "the unnamed catch-all under /api/: a 404 in the API's error shape, no data",
    "accounts/logout/": "signs the probing user out (POST only); shows no data",
    "admin/logout/": "signs the probing user out; shows no data",
    "api/auth/logout/": "signs the probing user out; shows no data",
}


@dataclass(frozen=True)
class Route:
    path: str  # the resolver's patterns joined, e.g. "api/^questions/(?P<pk>[^/.]+)/ach/$"
    name: str | None
    params: tuple[str, ...]
    view: object = field(default=None, compare=False, repr=False)  # the callback

    @property
    def is_api(self) -> bool:
        return self.path.startswith("api/")

    @property
    def is_admin(self) -> bool:
        return self.path.startswith("admin/")

    def kinds(self) -> dict[str, str] | None:
        """Parameter → planted kind (or a FIXED_VALUES key); None when unknown."""
        if self.path.startswith("admin/r/"):
            # The admin's "view on site" redirect: probed with questions' content type.
            return {"content_type_id": "contenttype", "object_id": "question"}
        out: dict[str, str] = {}
        for param in self.params:
            if param in FIXED_VALUES:
                out[param] = param
            elif param == "evidence_pk":
                out[param] = "evidence"
            elif param in ("object_id", "id") and self.is_admin:
                out[param] = self.path.split("/")[2]  # admin/<app>/<model>/…
            elif param == "history_id" and self.is_admin:
                out[param] = "history:" + self.path.split("/")[2]
            elif param == "pk":
                segment = re.sub(r"^(api/)?\^?", "", self.path).split("/")[0]
                if segment not in SEGMENT_KINDS:
                    return None
                out[param] = SEGMENT_KINDS[segment]
            else:
                return None
        return out

    def url(self, values: dict[str, object]) -> str:
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), self.path)
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), path)
        path = path.replace("/?$", "").replace("$", "").replace("^", "").replace("\\.", ".")
        return "/" + path


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in resolver.url_patterns:
        here = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern, here, inner)
        else:
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield Route(here, name, tuple(pattern.pattern.regex.groupindex), pattern.callback)


def routes() -> list[Route]:
    return list(_walk(get_resolver()))


# ---------------------------------------------------------------------------------------------
# The scanner
# ---------------------------------------------------------------------------------------------
def _forms(word: str) -> set[str]:
    """How a word can appear in a response: as is, HTML- or JSON-escaped, URL-encoded."""
    return {
        word,
        word.lower(),
        html.escape(word),
        json.dumps(word)[1:-1],
        json.dumps(word.lower())[1:-1],
        quote(word),
        quote_plus(word),
        quote(word.lower()),
    }


def leaked_words(body: str, words: tuple[str, ...], echo: str = "") -> list[str]:
    """The hidden words found in `body`, once what the request itself sent (`echo`, a search
    query the page repeats back) is taken out."""
    if echo:
        for form in sorted(_forms(echo), key=len, reverse=True):
            body = body.replace(form, "")
    lowered = body.lower()
    return [w for w in words if any(f.lower() in lowered for f in _forms(w))]
