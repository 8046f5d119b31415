"""Optimistic concurrency: an ETag per object version, checked against `If-Match` on writes.

The tag hashes every column of the row, so any change to the row (an edit, a transition, a
save by another entry point) makes earlier tags stale. Writers compare it under a row lock,
so two clients holding the same tag cannot both win.
"""

from __future__ import annotations

import hashlib

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.http import parse_etags, quote_etag

from iqtrack.api.errors import PreconditionFailed

IF_MATCH_HEADER = "HTTP_IF_MATCH"


def etag_of(instance: models.Model) -> str:
    # A search vector is derived from the other columns by a database trigger: not a version.
    fields = [f for f in instance._meta.concrete_fields if not isinstance(f, SearchVectorField)]
    state = repr([(f.attname, f.value_from_object(instance)) for f in fields])
    return quote_etag(hashlib.sha256(state.encode()).hexdigest()[:32])


def _strip_weak(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def check_if_match(request, instance: models.Model) -> None:
    """Raise 412 when the request's `If-Match` names no current version of `instance`.

    No header means the client does not ask for the check (scripts that do not care about
    races); `*` matches any existing object.
    """
    header = request.META.get(IF_MATCH_HEADER)
    if header is None:
        return
    wanted = {_strip_weak(tag) for tag in parse_etags(header)}
    if "*" in wanted or etag_of(instance) in wanted:
        return
    raise PreconditionFailed()
