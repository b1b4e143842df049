"""What a sync did: rows inserted, updated and skipped per table (every target reports this way).

Kept apart from sync.base so that a target which does not need sqlite-utils (the warehouse)
does not import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SyncReport:
    target: str
    target_db: str
    dry_run: bool = False
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    created_tables: list[str] = field(default_factory=list)

    @property
    def written(self) -> int:
        return sum(self.inserted.values()) + sum(self.updated.values())

    def merge(self, counts: dict[str, dict[str, int]]) -> None:
        for kind, table_counts in counts.items():
            mine = getattr(self, kind)
            for table, n in table_counts.items():
                mine[table] = mine.get(table, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "target_db": self.target_db, "dry_run": self.dry_run,
                "inserted": self.inserted, "updated": self.updated, "skipped": self.skipped,
                "created_tables": self.created_tables}
