"""How many migrations the code has, read from the migration files present.

Each migration is `store/migrations/mNNN_name.py`. Applied migrations are recorded by name
(sqlite-utils' `_sqlite_migrations` table) and `PRAGMA user_version` holds how many are
applied, so the hot path compares one integer with this count (a directory listing,
microseconds) and never imports the migrations unless something is pending.
"""

from __future__ import annotations

import os

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")


def migration_names() -> list[str]:
    """Module names of every migration, in order (m001_..., m002_...)."""
    return sorted(n[:-3] for n in os.listdir(MIGRATIONS_DIR)
                  if n.startswith("m") and n.endswith(".py") and n[1:4].isdigit())


def migration_numbers() -> list[int]:
    return [int(name[1:4]) for name in migration_names()]


SCHEMA_VERSION = len(migration_names())
