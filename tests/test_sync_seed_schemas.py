"""The seed documents are the contract: test targets are extracted from them (tests/seed_schema.py),
they enforce what issue 7 says the real systems enforce, and the tables sync creates in a new
target are the seed's tables."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

import seed_schema
import sync_support as s

TARGETS = ("massu", "flightdeck", "codewalkers", "teamx")
needs_seeds = pytest.mark.skipif(not seed_schema.SEEDS.is_dir(), reason=f"no seed documents at {seed_schema.SEEDS}")


@needs_seeds
@pytest.mark.parametrize("target", TARGETS)
def test_seed_fixtures_are_extracted_from_the_current_seeds(target):
    committed = seed_schema.fixture_path(target).read_text(encoding="utf-8")
    assert committed == seed_schema.ddl(target), "stale: run `python tests/seed_schema.py`"


@needs_seeds
def test_every_documented_table_and_column_is_extracted():
    """Counted from each document's own markers, so nothing is silently dropped by the parser."""
    texts = {t: seed_schema.seed_text(t) for t in TARGETS}
    memory = texts["massu"].split("\nMemory Database\n")[1].split("\nPython Intelligence")[0]
    counts = {
        "massu": (memory.count("| Column | Type |"), len(re.findall(r"^\w+ \| (?:TEXT|INTEGER)", memory, re.M))),
        "flightdeck": (int(re.search(r"(\d+) tables\.", texts["flightdeck"]).group(1)),
                       len(re.findall(r"^[a-z_0-9]+(?:TEXT|INTEGER|REAL)(?:NOT NULL|nullable)", texts["flightdeck"], re.M))),
        "codewalkers": (texts["codewalkers"].count("\nColumn Type Notes\n"), None),
        "teamx": (texts["teamx"].count("\nColumn Type Constraints Description\n"),
                  len(re.findall(r"^[a-z_0-9]+ (?:TEXT|INTEGER|BLOB|REAL)\b", texts["teamx"], re.M))),
    }
    for target, (n_tables, n_columns) in counts.items():
        tables = seed_schema.tables(target)
        assert len(tables) == n_tables, target
        if n_columns is not None:
            assert sum(len(t.columns) for t in tables.values()) == n_columns, target
    # rows naming several columns at once ("createdAt, updatedAt integer/timestamp") are split
    agents = seed_schema.tables("codewalkers")["agents"]
    assert {"createdAt", "updatedAt", "worktreeId", "name"} <= {c.name for c in agents.columns}


def _conn(target: str, tmp_path: Path) -> sqlite3.Connection:
    path = s.make_target(tmp_path / f"{target}.db", f"seed_{target}.sql")
    return s.open_target(path, isolation_level=None)


def _rejects(conn: sqlite3.Connection, sql: str, *params) -> bool:
    try:
        conn.execute(sql, params)
    except sqlite3.DatabaseError:
        return True
    return False


def test_seed_targets_enforce_the_issue_facts(tmp_path):
    """Syncing into these targets proves compliance only if they really refuse violations."""
    massu = _conn("massu", tmp_path)
    assert _rejects(massu, "INSERT INTO observations (session_id, type, title, importance) VALUES ('nope', 'bugfix', 't', 3)")
    massu.execute("INSERT INTO sessions (session_id, status) VALUES ('s1', 'active')")
    assert _rejects(massu, "INSERT INTO sessions (session_id, status) VALUES ('s2', 'ended')")
    assert _rejects(massu, "INSERT INTO observations (session_id, type, title, importance) VALUES ('s1', 'bugfix', 't', 6)")
    assert _rejects(massu, "INSERT INTO observations (session_id, type, title, importance) VALUES ('s1', 'note', 't', 3)")
    assert _rejects(massu, "INSERT INTO audit_log (session_id, event_type, actor) VALUES ('s1', 'review', 'bot')")
    assert _rejects(massu, "INSERT INTO audit_log (session_id, event_type, approval_status) VALUES ('s1', 'review', 'ok')")
    massu.execute("INSERT INTO observations (session_id, type, title, description, importance)"
                  " VALUES ('s1', 'bugfix', 'flaky parser', 'fixed', 2)")
    assert massu.execute("SELECT count(*) FROM observations_fts WHERE observations_fts MATCH 'parser'").fetchone() == (1,)

    teamx = _conn("teamx", tmp_path)
    teamx.execute("INSERT INTO companies (id, name, slug, created_at) VALUES ('c', 'C', 'c', 1)")
    teamx.execute("INSERT INTO events (id, company_id, actor_id, actor_kind, event_type, payload_json, created_at)"
                  " VALUES ('e', 'c', 'a', 'system', 'x', '{}', 1)")
    assert _rejects(teamx, "UPDATE events SET payload_json = '[]'") and _rejects(teamx, "DELETE FROM events")
    assert _rejects(teamx, "INSERT INTO employees (id, company_id, role_pack_id, role_id, role_md_sha, level, name, title,"
                           " created_at) VALUES ('e1', 'missing', 'p', 'r', 'x', 'IC', 'n', 't', 1)")
    teamx.execute("INSERT INTO employees (id, company_id, role_pack_id, role_id, role_md_sha, level, name, title, created_at)"
                  " VALUES ('e1', 'c', 'p', 'r', 'x', 'IC', 'n', 't', 1)")
    teamx.execute("INSERT INTO tickets (id, company_id, title, reporter_id, created_at, updated_at) VALUES ('t', 'c', 'T', 'u', 1, 1)")
    checkout = ("INSERT INTO ticket_checkouts (id, company_id, ticket_id, employee_id, status, claimed_at, expires_at,"
                " created_at, updated_at) VALUES (?, 'c', 't', 'e1', ?, 1, 2, 1, 1)")
    teamx.execute(checkout, ("k1", "active"))
    teamx.execute(checkout, ("k2", "released"))
    assert _rejects(teamx, checkout, "k3", "active")

    cw = _conn("codewalkers", tmp_path)
    cw.execute("INSERT INTO agents (id, name, worktreeId) VALUES ('a', 'calm-otter', '/w')")
    assert _rejects(cw, "INSERT INTO agents (id, name, worktreeId) VALUES ('b', 'calm-otter', '/w')")
    assert _rejects(cw, "INSERT INTO agents (id, name) VALUES ('c', 'keen-newt')")
    cw.execute("INSERT INTO agent_log_chunks (id, agentId, agentName, content) VALUES ('x', 'gone', 'old', '{}')")


def _shape(conn: sqlite3.Connection, table: str) -> tuple[dict, list]:
    cols = {r[1]: {"type": r[2].upper(), "pk": r[5], "notnull": r[3], "default": r[4]}
            for r in conn.execute(f'PRAGMA table_info("{table}")')}
    fks = sorted((r[2], r[3], r[4], r[6]) for r in conn.execute(f'PRAGMA foreign_key_list("{table}")'))
    return cols, fks


@pytest.mark.parametrize("target", TARGETS)
def test_tables_sync_creates_are_the_seed_tables(tmp_path, target):
    """Same columns, types, keys and foreign keys as the seed documents them. Sync may add a
    NOT NULL or a DEFAULT the real system's own code has (Massu's memory-db.ts), never a column;
    it adds no CHECK the real system lacks (Codewalkers' and Team-X's enums live in their code)."""
    ledger, project = s.setup(tmp_path)
    created = tmp_path / "created.db"
    report = s.run(target, ledger, created, project)
    assert report.created_tables
    theirs = s.open_target(":memory:")
    theirs.executescript(seed_schema.fixture_path(target).read_text(encoding="utf-8"))
    ours = s.open_target(created)
    for table in report.created_tables:
        (our_cols, our_fks), (seed_cols, seed_fks) = _shape(ours, table), _shape(theirs, table)
        assert list(our_cols) == list(seed_cols), table
        assert our_fks == seed_fks, table
        for name, col in our_cols.items():
            seed = seed_cols[name]
            assert (col["type"], col["pk"]) == (seed["type"], seed["pk"]), (table, name)
            assert col["notnull"] >= seed["notnull"], (table, name)
            if seed["default"] is not None:
                assert col["default"] == seed["default"], (table, name)
        sql = ours.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        if target in ("codewalkers", "teamx"):
            assert "CHECK" not in sql, table
    ours.close()
    theirs.close()
