"""Circular reporting: items that trace back to one origin count as one for corroboration.

An item may name the item it repeats or derives from (`Evidence.derived_from`). Following that
chain to its end gives the item's *origin*. Several outlets citing the same unnamed sources are
one origin, so they are single-source however many of them there are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import connection

from evidence.models import Evidence

# Portable (PostgreSQL and SQLite) walk up the derived_from chains of a set of items. The depth
# bound stops a cycle written behind the domain's back from looping forever.
_CHAINS_SQL = """
WITH RECURSIVE chain(start_id, current_id, parent_id, depth) AS (
    SELECT id, id, derived_from_id, 0 FROM evidence_evidence WHERE {starts}
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
    # One array parameter on PostgreSQL (iqtrack.db.AnyOf says why), a list elsewhere.
    if connection.vendor == "postgresql":
        starts, params = "id = ANY(%s::bigint[])", ["{" + ",".join(map(str, map(int, ids))) + "}"]
    else:
        starts, params = f"id IN ({', '.join(['%s'] * len(ids))})", ids
    with connection.cursor() as cursor:
        cursor.execute(_CHAINS_SQL.format(starts=starts), params)
        return cursor.fetchall()


def origins(evidence_ids: Iterable[int]) -> dict[int, int]:
    """Map each item id to the id of the item its reporting originates from (itself if none)."""
    ids = sorted(set(evidence_ids))
    ends = {start: current for start, current, parent in _chains(ids) if parent is None}
    # An item caught in a cycle has no chain end; it counts as its own origin.
    return {i: ends.get(i, i) for i in ids}


def origins_given_parents(parents: Mapping[int, int | None]) -> dict[int, int]:
    """`origins` of items whose `derived_from` ids (`parents`: item id → its derived_from id)
    were read with them: an item that derives from none is its own origin, so only the chains of
    those that do are walked — in one query, or none when no item derives from another."""
    derived = origins(i for i, parent in parents.items() if parent is not None)
    return {i: derived.get(i, i) for i in parents}


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
