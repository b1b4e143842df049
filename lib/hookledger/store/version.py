"""The schema version the code expects, read from the migration files present.

Each migration is `store/migrations/mNNN_name.py`; `PRAGMA user_version` holds the highest
NNN applied. Counting files (a directory listing, microseconds) keeps this in step with the
migrations without importing them on the hot path.
"""

from __future__ import annotations

import os

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")


def migration_numbers() -> list[int]:
    numbers = []
    for name in os.listdir(MIGRATIONS_DIR):
        if name.startswith("m") and name.endswith(".py") and name[1:4].isdigit():
            numbers.append(int(name[1:4]))
    return sorted(numbers)


SCHEMA_VERSION = max(migration_numbers(), default=0)
