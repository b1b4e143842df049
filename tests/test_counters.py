"""m011's counters (session_totals, session_tool_calls, hook_latency_counts) always equal a
recount of hook_events: kept by triggers whoever writes (the hooks, prune, a hand edit), and
backfilled when an older ledger is upgraded."""

from __future__ import annotations

import importlib
import shutil
import sqlite3
from pathlib import Path

from conftest import load_fixture, rows, run_hook
from inspect_support import C_COMPACT, recorded  # noqa: F401

from hookledger.store.version import migration_names

TOOL_EVENTS = "('PostToolUse', 'PostToolUseFailure')"
RECOUNT = {
    "session_totals": (
        "SELECT session_id, count(*) AS events, sum(event_type IN " + TOOL_EVENTS + ") AS tool_calls,"
        " sum(coalesce(outcome IN ('error', 'bad_input'), 0)) AS hook_errors, sum(event_type = 'PreCompact') AS pre_compacts,"
        " sum(event_type = 'SessionStart' AND json_extract(payload_summary, '$.source') = 'compact') AS compact_starts"
        " FROM hook_events WHERE session_id IS NOT NULL GROUP BY session_id ORDER BY session_id",
        "SELECT session_id, events, tool_calls, hook_errors, pre_compacts, compact_starts FROM session_totals"
        " ORDER BY session_id"),
    "session_tool_calls": (
        "SELECT session_id, tool_name, count(*) AS calls FROM hook_events WHERE session_id IS NOT NULL"
        " AND tool_name IS NOT NULL AND event_type IN " + TOOL_EVENTS + " GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT session_id, tool_name, calls FROM session_tool_calls ORDER BY 1, 2"),
    "hook_latency_counts": (
        "SELECT event_type, duration_ms, count(*) AS runs, sum(coalesce(outcome IN ('error', 'bad_input'), 0)) AS errors"
        " FROM hook_events WHERE duration_ms IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT event_type, duration_ms, runs, errors FROM hook_latency_counts ORDER BY 1, 2"),
}


def assert_counted(project: Path) -> None:
    for table, (recount, kept) in RECOUNT.items():
        assert rows(project, kept) == rows(project, recount), table


def copy_of(recorded: Path, tmp_path: Path) -> Path:
    project = tmp_path / "acme-app"
    project.mkdir()
    shutil.copy(recorded / ".claude-session.db", project / ".claude-session.db")
    return project


def test_counters_equal_a_recount_after_the_hooks_prune_and_hand_edits(recorded, tmp_path):
    project = copy_of(recorded, tmp_path)
    assert_counted(project)
    assert rows(project, "SELECT compact_starts, pre_compacts FROM session_totals WHERE session_id = ?",
                (C_COMPACT,)) == [{"compact_starts": 1, "pre_compacts": 1}]
    conn = sqlite3.connect(str(project / ".claude-session.db"))
    conn.execute("UPDATE hook_events SET event_type = 'PostToolUse', tool_name = 'Grep', duration_ms = 9999"
                 " WHERE id = (SELECT min(id) FROM hook_events)")
    conn.execute("UPDATE hook_events SET outcome = 'error' WHERE event_type = 'Stop'")
    conn.execute("DELETE FROM hook_events WHERE session_id = ? AND event_type = 'PreCompact'", (C_COMPACT,))
    conn.commit()
    conn.close()
    assert_counted(project)
    from click.testing import CliRunner

    from hookledger.faces.cli import cli

    result = CliRunner().invoke(cli, ["prune", "--project", str(project), "--older-than", "0", "--max-size", "0"])
    assert result.exit_code == 0, result.output
    assert_counted(project)
    # A session whose runs are all gone has no counters left.
    assert rows(project, "SELECT count(*) AS n FROM session_totals WHERE session_id NOT IN"
                         " (SELECT DISTINCT session_id FROM hook_events WHERE session_id IS NOT NULL)")[0]["n"] == 0


def test_an_older_ledger_is_backfilled_on_upgrade(recorded, tmp_path):
    """A ledger as the migrations before m011 left it, with recorded runs: the first hook
    after the upgrade fills the counters from what is there, then keeps them."""
    import sqlite_utils

    project = tmp_path / "old"
    project.mkdir()
    db_file = project / ".claude-session.db"
    db = sqlite_utils.Database(str(db_file))
    before = sqlite_utils.Migrations("hookledger")
    older = [n for n in migration_names() if n < "m011"]
    for name in older:
        before(name=name)(importlib.import_module(f"hookledger.store.migrations.{name}").migrate)
    before.apply(db)
    db.execute(f"PRAGMA user_version = {len(older)}")
    source = sqlite3.connect(str(recorded / ".claude-session.db"))
    columns = [c for c in db["hook_events"].columns_dict if c != "id"]
    marks = ", ".join("?" * len(columns))
    db.conn.executemany(f"INSERT INTO hook_events ({', '.join(columns)}) VALUES ({marks})",
                        source.execute(f"SELECT {', '.join(columns)} FROM hook_events ORDER BY id").fetchall())
    db.conn.commit()
    db.close()
    assert run_hook("Stop", load_fixture("Stop__default", project), project).returncode == 0
    assert rows(project, "SELECT count(*) AS n FROM session_totals")[0]["n"] > 3
    assert_counted(project)
