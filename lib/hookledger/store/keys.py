"""Normalised keys the ledger stores beside the text they come from, so lookups are indexed.

Used by the writers (handlers) and by the migration that backfills them: one definition.
"""

from __future__ import annotations


def approach_key(approach: str) -> str:
    """A failed path's approach as compared for "the same approach": case and spacing ignored."""
    return " ".join(approach.lower().split())
