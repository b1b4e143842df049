"""Shared helpers for tests/test_warehouse_*.py: a real PostgreSQL server, a database per test,
`hookledger sync --to postgres` run as a user runs it, and exact ledger-vs-warehouse comparison.

The cluster (tests/pg_server.py) is started once per test session. Without server binaries the
tests skip with the reason, unless HOOKLEDGER_REQUIRE_POSTGRES is set (CI sets it: there
`./dev test` installs the server first), in which case they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import pg_server
from hookledger.hotpath.redact import redact
from hookledger.sync.warehouse.tables import INTERNAL, TABLES
from hookledger.hotpath.timeutil import parse_utc

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "lib"


@pytest.fixture(scope="session")
def pg_cluster():
    try:
        cluster = pg_server.start()
    except pg_server.PostgresUnavailable as exc:
        if os.environ.get("HOOKLEDGER_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here (HOOKLEDGER_REQUIRE_POSTGRES) but: {exc}")
        pytest.skip(f"no PostgreSQL server to test against: {exc}")
    yield cluster
    cluster.stop()


@dataclass
class Warehouse:
    """One fresh database of the session's cluster."""

    cluster: pg_server.Cluster
    db: str

    @property
    def url(self) -> str:
        return self.cluster.url(self.db)

    def url_for(self, user: str, password: str | None = None) -> str:
        return self.cluster.url(self.db, user=user, password=password)

    def connect(self, **kw: Any):
        import psycopg

        return psycopg.connect(self.url, autocommit=True, **kw)

    def query(self, sql: str, params: Any = None) -> list[tuple]:
        with self.connect() as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def execute(self, sql: str, params: Any = None) -> None:
        with self.connect() as conn:
            conn.execute(sql, params)

    def dicts(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        with self.connect() as conn:
            cur = conn.execute(sql, params)
            names = [d.name for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    def dump(self) -> str:
        """pg_dump of the whole database as SQL text: what a secret could hide in."""
        env = {**os.environ, "PGPASSWORD": pg_server.PASSWORD}
        out = subprocess.run([self.cluster.binary("pg_dump"), "-h", self.cluster.host, "-p", str(self.cluster.port),
                              "-U", pg_server.SUPERUSER, "-d", self.db], capture_output=True, text=True, env=env,
                             check=True, timeout=120)
        return out.stdout

    def counts(self, ledger_id: str | None = None) -> dict[str, int]:
        where = " WHERE ledger_id = %s" if ledger_id else ""
        return {t.name: self.query(f"SELECT count(*) FROM hookledger.{t.name}{where}",
                                   (ledger_id,) if ledger_id else None)[0][0] for t in TABLES}


@contextmanager
def new_database(cluster: pg_server.Cluster) -> Iterator[Warehouse]:
    db = f"wh_{uuid.uuid4().hex[:12]}"
    admin = Warehouse(cluster, "postgres")
    admin.execute(f"CREATE DATABASE {db}")
    try:
        yield Warehouse(cluster, db)
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


@pytest.fixture
def warehouse(pg_cluster) -> Iterator[Warehouse]:
    """A fresh, empty database for one test."""
    with new_database(pg_cluster) as wh:
        yield wh


# ---------------------------------------------------------------- running hookledger


def hookledger_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(LIB), **(env or {})}
    return subprocess.run([sys.executable, "-m", "hookledger", *args], capture_output=True, text=True, env=full,
                          timeout=timeout)


def sync_cli(ledger: Path, project: Path, url: str, *extra: str, env: dict[str, str] | None = None,
             check: bool = True) -> subprocess.CompletedProcess:
    proc = hookledger_cli("sync", "--to", "postgres", "--target-db", url, "--db", str(ledger), "--project",
                          str(project), *extra, env=env)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def ledger_id(ledger: Path) -> str:
    conn = sqlite3.connect(str(ledger))
    try:
        return json.loads(conn.execute("SELECT value FROM project_state WHERE key = 'ledger_id'").fetchone()[0])
    finally:
        conn.close()


def replay_demo(project: Path) -> Path:
    """The captured demo sessions replayed through the real hooks into `project`; its ledger (the
    composed f_team, whose quality gate refuses a task with exit 2, has its own tests)."""
    from hookledger.faces.demo import run

    demo = run(["a_basic", "b_subagent", "c_compact", "e_tasks"], project=str(project))
    assert all(c.exit_code == 0 for r in demo.results.values() for c in r.calls)
    return Path(demo.db)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Path, Path]:
    """(project, ledger) of the recorded sessions, replayed once per test module."""
    project = tmp_path_factory.mktemp("recorded") / "acme-app"
    return project, replay_demo(project)


def copy_ledger(recorded: tuple[Path, Path], tmp_path: Path, name: str = "acme-app") -> tuple[Path, Path]:
    """A project of its own holding a fresh copy of the recorded ledger (never synced yet)."""
    project = tmp_path / name
    project.mkdir()
    ledger = project / ".claude-session.db"
    shutil.copy(recorded[1], ledger)
    return project, ledger


@pytest.fixture
def demo(recorded, tmp_path) -> tuple[Path, Path]:
    """(project, ledger): a fresh copy of the recorded ledger for one test."""
    return copy_ledger(recorded, tmp_path)


# ---------------------------------------------------------------- a bigger ledger


RENAMED = {"session_id", "event_uid", "tool_use_id", "agent_id", "holder_agent_id", "parent_agent_id"}
TEXT_KEYED = {"agent_registry": "id"}  # tables whose own text key must change in a copy
LENGTHEN = 12  # a recorded demo session has ~20 hook runs; a working session has hundreds
PER_CALL = ("hook_events", "file_claims", "error_log", "transcript_usage")  # grow with a session's tool calls


def _copy(conn: sqlite3.Connection, table: str, tag: str, where: str, renamed: set[str]) -> None:
    """Copy `table`'s rows matching `where`, with the `renamed` columns prefixed by `tag`."""
    cols = [c[1] for c in conn.execute(f"PRAGMA table_info([{table}])")]
    keep = [c for c in cols if not (c == "id" and table not in TEXT_KEYED)]
    values = [f"'{tag}-' || [{c}]" if c in renamed or TEXT_KEYED.get(table) == c else f"[{c}]" for c in keep]
    conn.execute(f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in keep)})"
                 f" SELECT {', '.join(values)} FROM [{table}] {where}")


def build_big_ledger(path: Path, events: int) -> None:
    """The demo sessions replayed through the real hooks, each made LENGTHEN times longer (its hook
    runs, file changes, errors and transcript usage repeated under new tool call ids), then whole
    sessions copied under new session ids until the ledger has `events` hook runs."""
    work = Path(tempfile.mkdtemp(prefix="hl-big-"))
    shutil.copy(replay_demo(work / "acme-app"), path)
    shutil.rmtree(work, ignore_errors=True)
    conn = sqlite3.connect(str(path))
    per_call = RENAMED - {"session_id", "agent_id", "holder_agent_id", "parent_agent_id"}
    for table in PER_CALL:
        last = conn.execute(f"SELECT coalesce(max(rowid), 0) FROM [{table}]").fetchone()[0]
        for k in range(1, LENGTHEN):
            _copy(conn, table, f"r{k}", f"WHERE rowid <= {last}",
                  per_call | ({"message_key"} if table == "transcript_usage" else set()))
    # Not the ledger's bookkeeping (m011's counters follow hook_events by trigger; cursors)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
              if r[0] not in INTERNAL
              and "session_id" in {c[1] for c in conn.execute(f"PRAGMA table_info([{r[0]}])")}]
    conn.execute("CREATE TEMP TABLE pick (session_id TEXT PRIMARY KEY)")
    round_ = 0
    while (have := conn.execute("SELECT count(*) FROM hook_events").fetchone()[0]) < events:
        round_ += 1
        sessions = [r[0] for r in conn.execute("SELECT DISTINCT session_id FROM hook_events ORDER BY session_id")]
        per_session = have / max(len(sessions), 1)
        conn.execute("DELETE FROM pick")
        conn.executemany("INSERT INTO pick VALUES (?)",
                         [(s,) for s in sessions[:max(1, int((events - have) / per_session) + 1)]])
        for table in tables:
            _copy(conn, table, f"g{round_}", "WHERE session_id IN (SELECT session_id FROM pick)", RENAMED)
        conn.commit()
    conn.close()


# ---------------------------------------------------------------- ledger vs warehouse


def _utc(text: Any) -> datetime | None:
    secs = parse_utc(text) if isinstance(text, str) else None
    return None if secs is None else datetime.fromtimestamp(secs, tz=timezone.utc)


def _json(text: Any) -> Any:
    """JSON as the sync's redaction leaves it: sync.base.scrub, the rule every target follows
    (strings redacted, values of secret-named keys such as `tokens_input` blanked)."""
    from hookledger.sync.base import scrub

    if text is None:
        return None
    try:
        return scrub(json.loads(text))
    except (TypeError, ValueError):
        return redact(text)  # stored as a JSON string


def expected(value: Any, pg_type: str) -> Any:
    """What the warehouse should hold for a ledger value in a column of `pg_type`."""
    if value is None:
        return None
    if pg_type == "boolean":
        return bool(value)
    if pg_type == "bigint":
        return int(value)
    if pg_type.startswith("timestamp"):
        return _utc(value)
    if pg_type == "jsonb":
        return _json(value)
    return redact(str(value))


def warehouse_types(wh: Warehouse) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for table, column, kind in wh.query(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE c.table_schema = 'hookledger' AND t.table_type = 'BASE TABLE'"
            " ORDER BY c.table_name, c.ordinal_position"):
        out.setdefault(table, {})[column] = {"timestamp with time zone": "timestamptz"}.get(kind, kind)
    return out


def assert_matches_ledger(wh: Warehouse, ledger: Path, *, tables: set[str] | None = None) -> dict[str, int]:
    """Every row of every synced ledger table is in the warehouse once, with the ledger's values
    in the warehouse's types (no extra rows either). Returns rows compared per table."""
    lid = ledger_id(ledger)
    types = warehouse_types(wh)
    conn = sqlite3.connect(str(ledger))
    conn.row_factory = sqlite3.Row
    compared = {}
    try:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for t in TABLES:
            if t.name not in present or (tables is not None and t.name not in tables):
                continue
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info([{t.name}])") if r[1] in types[t.name]]
            key = [r[0] for r in wh.query(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
                " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
                (f"hookledger.{t.name}",)) if r[0] != "ledger_id"]
            want = {tuple(expected(r[k], types[t.name][k]) for k in key):
                    {c: expected(r[c], types[t.name][c]) for c in cols}
                    for r in conn.execute(f"SELECT * FROM [{t.name}]")}
            quoted = ", ".join('"' + c + '"' for c in cols)
            got_rows = wh.dicts(f"SELECT {quoted} FROM hookledger.{t.name} WHERE ledger_id = %s", (lid,))
            got = {tuple(r[k] for k in key): r for r in got_rows}
            assert len(got) == len(got_rows), f"{t.name}: duplicate keys"
            assert set(got) == set(want), f"{t.name}: missing {sorted(set(want) - set(got))[:3]}," \
                                          f" extra {sorted(set(got) - set(want))[:3]}"
            for k, row in want.items():
                assert got[k] == row, f"{t.name} {k}: warehouse {got[k]} != ledger {row}"
            compared[t.name] = len(want)
    finally:
        conn.close()
    return compared


def only_text(s: str) -> str:
    return re.sub(r"\s+", " ", s)
