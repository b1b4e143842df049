"""The schema: seed 003 in full, upgraded in place by numbered migrations, schema.sql in step."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from conftest import ROOT, load_fixture, rows, run_hook

from hookledger.store.migrations.m001_seed_session_db import SEED_SCHEMA
from hookledger.store.version import SCHEMA_VERSION, migration_names, migration_numbers

SEED_FILE = next((ROOT.parent / "shared" / "seeds").glob("003_*.txt"), None)


def seed_objects() -> dict[str, set[str]]:
    """Tables -> columns, and index names, as the seed schema declares them."""
    conn = sqlite3.connect(":memory:")
    conn.executescript(SEED_SCHEMA)
    tables = {name: {r[1] for r in conn.execute(f"PRAGMA table_info({name})")}
              for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}
    indexes = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='index' AND name LIKE 'idx_%'")}
    return {"tables": tables, "indexes": indexes}


def test_m001_is_the_seed_verbatim():
    if SEED_FILE is None:
        return  # shared/ not beside the checkout; m001's own content is checked below
    seed_text = SEED_FILE.read_text()
    for statement in re.findall(r"CREATE (?:TABLE|INDEX) IF NOT EXISTS [^;]+;", SEED_SCHEMA):
        assert statement in seed_text


def test_fresh_ledger_has_every_seed_table_column_and_index(project):
    run_hook("Stop", load_fixture("Stop__default", project), project)
    seed = seed_objects()
    assert len(seed["tables"]) == 9 and len(seed["indexes"]) == 15
    for table, columns in seed["tables"].items():
        have = {r["name"] for r in rows(project, f"PRAGMA table_info({table})")}
        assert columns <= have, (table, columns - have)
    indexes = {r["name"] for r in rows(project, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert seed["indexes"] <= indexes
    assert rows(project, "PRAGMA user_version")[0]["user_version"] == SCHEMA_VERSION


def test_database_of_the_original_hooks_upgrades_in_place(project):
    """A ledger created by the seed schema, with data, is adopted: rows kept, columns added."""
    db = project / ".claude-session.db"
    conn = sqlite3.connect(str(db))
    conn.executescript(SEED_SCHEMA)
    conn.execute("INSERT INTO hook_events (session_id, event_type, dispatcher, payload_summary, exit_code, duration_ms)"
                 " VALUES ('old-session', 'PreToolUse', 'PreToolUse', '{}', 0, 12)")
    conn.execute("INSERT INTO agent_registry (id, session_id, agent_type, status) VALUES ('a1', 'old-session', 'Explore', 'completed')")
    conn.execute("INSERT INTO failed_paths (session_id, approach, reason_failed) VALUES ('old-session', 'pin numpy', 'wheel missing')")
    conn.commit()
    conn.close()
    proc = run_hook("Stop", load_fixture("Stop__default", project), project)
    assert proc.returncode == 0, proc.stderr
    assert rows(project, "SELECT session_id, duration_ms FROM hook_events ORDER BY id")[0] == {
        "session_id": "old-session", "duration_ms": 12}
    assert rows(project, "SELECT count(*) AS n FROM hook_events")[0]["n"] == 2
    assert rows(project, "SELECT agent_type FROM agent_registry WHERE id = 'a1'") == [{"agent_type": "Explore"}]
    assert rows(project, "SELECT approach FROM failed_paths") == [{"approach": "pin numpy"}]
    assert rows(project, "PRAGMA user_version")[0]["user_version"] == SCHEMA_VERSION


def test_version_counts_migrations_and_numbers_are_unique():
    numbers = migration_numbers()
    assert len(numbers) == len(set(numbers))
    assert SCHEMA_VERSION == len(numbers)
    assert numbers[:2] == [1, 2]


def test_migration_landing_with_a_lower_number_still_runs(project, tmp_path):
    """Applied migrations are recorded by name: a ledger made when only some migrations
    existed (m001, m002 and a later number) gets the ones numbered in between when they land."""
    import importlib

    import sqlite_utils

    names = migration_names()
    early = [names[0], names[1], names[-1]]
    db_file = project / ".claude-session.db"
    db = sqlite_utils.Database(str(db_file))
    partial = sqlite_utils.Migrations("hookledger")
    for name in early:
        partial(name=name)(importlib.import_module(f"hookledger.store.migrations.{name}").migrate)
    partial.apply(db)
    db.execute(f"PRAGMA user_version = {len(early)}")
    db.close()

    run_hook("Stop", load_fixture("Stop__default", project), project)
    applied = sorted(r["name"] for r in rows(project, "SELECT name FROM _sqlite_migrations"))
    assert applied == names
    assert rows(project, "PRAGMA user_version")[0]["user_version"] == len(names)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    run_hook("Stop", load_fixture("Stop__default", fresh), fresh)
    objects = "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
    assert rows(project, objects) == rows(fresh, objects)


def test_schema_sql_matches_a_fresh_migrate():
    from hookledger.store.schema_dump import dump

    assert (ROOT / "schema.sql").read_text() == dump(), \
        "schema.sql is stale: PYTHONPATH=lib python -m hookledger.store.schema_dump > schema.sql"


def test_reopening_does_not_migrate_again(project, tmp_path):
    run_hook("Stop", load_fixture("Stop__default", project), project)
    before = rows(project, "SELECT sql FROM sqlite_master ORDER BY name")
    run_hook("Stop", load_fixture("Stop__default", project), project)
    assert rows(project, "SELECT sql FROM sqlite_master ORDER BY name") == before
