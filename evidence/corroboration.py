"""Circular reporting: items that trace back to one origin count as one for corroboration.

An item may name the item it repeats or derives from (`Evidence.derived_from`). Following that
chain to its end gives the item's *origin*. Several outlets citing the same unnamed sources are
one origin, so they are single-source however many of them there are.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection

from evidence.models import Evidence

# Portable (PostgreSQL and SQLite) walk up the derived_from chains of a set of items. The depth
# bound stops a cycle written behind the domain's back from looping forever.
_CHAINS_SQL = """
WITH RECURSIVE chain(start_id, current_id, parent_id, depth) AS (
    SELECT id, id, derived_from_id, 0 FROM evidence_evidence WHERE id IN ({placeholders})
    UNION ALL
    SELECT chain.start_id, e.id, e.derived_from_id, chain.depth + 1
    FROM chain JOIN evidence_evidence e ON e.id = chain.parent_id
    WHERE chain.depth < 100
)
SELECT start_id, current_id, parent_id FROM chain
"""


def _chains(ids: list[int]) -> list[tuple[int, int, int | None]]:
    """(start, item on its chain, that item's parent) rows, in one query."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_CHAINS_SQL.format(placeholders=", ".join(["%s"] * len(ids))), ids)
        return cursor.fetchall()


def origins(evidence_ids: Iterable[int]) -> dict[int, int]:
    """Map each item id to the id of the item its reporting originates from (itself if none)."""
    ids = sorted(set(evidence_ids))
    ends = {start: current for start, current, parent in _chains(ids) if parent is None}
    # An item caught in a cycle has no chain end; it counts as its own origin.
    return {i: ends.get(i, i) for i in ids}


def independent_origin_count(evidence_ids: Iterable[int]) -> int:
    """How many independent origins a set of items rests on."""
    return len(set(origins(evidence_ids).values()))


def validate_derived_from(item: Evidence, derived_from: Evidence | None) -> None:
    """Refuse a derivation that would make an item repeat itself, directly or through others."""
    if derived_from is None or item.pk is None:
        return
    upstream = {current for _, current, _ in _chains([derived_from.pk])}
    if item.pk in upstream:
        raise ValidationError(
            {"derived_from": "This would make the item derive from itself (circular reporting)."}
        )
