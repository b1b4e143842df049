"""`hookledger sync --to postgres` against a real PostgreSQL server: the recorded sessions through
the real hooks, then the sync as a user runs it. Every ledger row arrives once with its type;
a second sync writes nothing; rows that later hooks change arrive changed; a dry run writes
nothing; a renamed ledger stays the same ledger."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime, timezone

from conftest import load_fixture, run_hook
from warehouse_support import (Warehouse, assert_matches_ledger, demo, ledger_id, pg_cluster,  # noqa: F401
                               recorded, sync_cli, warehouse, warehouse_types)

JSON_COLUMNS = {("hook_events", "payload_summary"), ("context_snapshots", "content"), ("llm_verdicts", "verdict_json"),
                ("agent_registry", "files_changed"), ("project_state", "value")}
FLAG_COLUMNS = {("hook_events", "replayed"), ("agent_registry", "unattributed"), ("failed_paths", "still_relevant")}


def xmins(wh: Warehouse) -> dict[str, list]:
    """Every row's xmin per table: unchanged xmins mean nothing was written."""
    return {t: [r[0] for r in wh.query(f"SELECT xmin::text FROM hookledger.{t} ORDER BY 1")]
            for t in warehouse_types(wh) if t not in ("schema_migrations", "model_prices")}


def test_first_sync_every_row_once_with_its_type(warehouse, demo):
    project, ledger = demo
    out = sync_cli(ledger, project, warehouse.url).stdout
    assert "applied warehouse migrations: w001_tables, w002_model_prices, w003_team_views, w004_hook_answers" in out
    compared = assert_matches_ledger(warehouse, ledger)
    assert compared["hook_events"] > 50 and compared["sessions"] >= 4 and compared["file_claims"] > 0
    assert compared["agent_registry"] > 0 and compared["tasks"] > 0 and compared["transcript_usage"] > 0

    conn = sqlite3.connect(str(ledger))
    types = warehouse_types(warehouse)
    for table, columns in types.items():
        if table in ("ledgers", "sync_state", "schema_migrations", "model_prices"):
            continue
        assert columns["ledger_id"] == "uuid"
        key = [r[0] for r in warehouse.query(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
            " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
            (f"hookledger.{table}",))]
        assert key[0] == "ledger_id" and len(key) >= 2, table
        for column, declared, *_ in [r[1:3] for r in conn.execute(f"PRAGMA table_info([{table}])")]:
            kind = types[table][column]
            if (table, column) in JSON_COLUMNS:
                assert kind == "jsonb", (table, column)
            elif (table, column) in FLAG_COLUMNS:
                assert kind == "boolean", (table, column)
            elif declared.upper().startswith("INT"):
                assert kind == "bigint", (table, column)
            elif column.endswith(("_at", "_time")) or column == "timestamp":
                assert kind == "timestamptz", (table, column)
            else:
                assert kind == "text", (table, column)
    conn.close()
    event = warehouse.dicts("SELECT * FROM hookledger.hook_events WHERE event_type = 'PreToolUse' LIMIT 1")[0]
    assert isinstance(event["timestamp"], datetime) and event["timestamp"].utcoffset().total_seconds() == 0
    assert isinstance(event["payload_summary"], dict) and event["payload_summary"]["hook_event_name"] == "PreToolUse"
    assert isinstance(event["id"], int) and isinstance(event["replayed"], bool)
    lid = ledger_id(ledger)
    assert warehouse.query("SELECT count(*) FROM hookledger.ledgers WHERE ledger_id = %s", (lid,)) == [(1,)]


def test_second_sync_writes_nothing(warehouse, demo):
    project, ledger = demo
    sync_cli(ledger, project, warehouse.url)
    before = xmins(warehouse)
    out = sync_cli(ledger, project, warehouse.url).stdout
    assert "nothing new" in out
    after = xmins(warehouse)
    after["ledgers"] = before["ledgers"]  # the time of the last sync is recorded
    assert after == before


def test_rows_changed_by_later_hooks_arrive_changed(warehouse, demo):
    """A sync, then hooks that change rows the warehouse already has (an error fixed, an agent
    stopping and releasing its claims, a task completed, the session ending), then a sync: the
    warehouse matches the ledger again."""
    project, ledger = demo
    env = {"HOOKLEDGER_DB": str(ledger)}
    sid = "c0ffee00-0000-4000-8000-000000000001"

    def hook(event: str, fixture: str, **fields) -> None:
        payload = {**load_fixture(fixture, project), "session_id": sid, **fields}
        assert run_hook(event, payload, project, env=env).returncode == 0

    hook("SessionStart", "SessionStart__startup")
    hook("PostToolUseFailure", "PostToolUseFailure__Bash", tool_use_id="toolu_fail1")
    hook("SubagentStart", "SubagentStart__general-purpose")
    hook("PreToolUse", "PreToolUse__subagent_Write", tool_use_id="toolu_w1")
    hook("TaskCreated", "TaskCreated__default")
    sync_cli(ledger, project, warehouse.url)
    assert_matches_ledger(warehouse, ledger)
    open_error = warehouse.query("SELECT resolution, resolved_at FROM hookledger.error_log WHERE session_id = %s", (sid,))
    assert open_error == [(None, None)]

    ok = load_fixture("PostToolUse__Bash", project)
    hook("PostToolUse", "PostToolUse__Bash", tool_input=load_fixture("PostToolUseFailure__Bash", project)["tool_input"],
         tool_response=ok["tool_response"], tool_use_id="toolu_ok1")
    hook("PostToolUse", "PostToolUse__subagent_Write", tool_use_id="toolu_w1")
    hook("SubagentStop", "SubagentStop__general-purpose")
    hook("TaskCompleted", "TaskCompleted__default")
    hook("SessionEnd", "SessionEnd__other")
    out = sync_cli(ledger, project, warehouse.url).stdout
    assert_matches_ledger(warehouse, ledger)
    for table in ("error_log", "agent_registry", "file_claims", "sessions"):
        assert f"{table}: " in out and " 0 updated" not in out.split(f"{table}: ")[1].splitlines()[0], out
    assert warehouse.query("SELECT resolution FROM hookledger.error_log WHERE session_id = %s", (sid,)) == [("auto_fixed",)]
    assert warehouse.query("SELECT status FROM hookledger.sessions WHERE session_id = %s", (sid,)) == [("ended",)]
    claims = warehouse.query("SELECT phase, released_at IS NOT NULL FROM hookledger.file_claims WHERE tool_use_id = 'toolu_w1'")
    assert claims == [("done", True)]


def test_a_session_closed_out_by_another_arrives_closed(warehouse, demo):
    """Session A is still open at the first sync; session B's start closes it out (its status, and
    its open error abandoned) without a hook run of A's own. The next sync carries it."""
    project, ledger = demo
    env = {"HOOKLEDGER_DB": str(ledger)}
    fail = load_fixture("PostToolUseFailure__Bash", project)
    a = "aaaaaaaa-0000-4000-8000-00000000000a"
    run_hook("SessionStart", {**load_fixture("SessionStart__startup", project), "session_id": a}, project, env=env)
    run_hook("PostToolUseFailure", {**fail, "session_id": a, "tool_use_id": "toolu_a1"}, project, env=env)
    sync_cli(ledger, project, warehouse.url)
    assert warehouse.query("SELECT status FROM hookledger.sessions WHERE session_id = %s", (a,)) == [("active",)]
    b = {**load_fixture("SessionStart__startup", project), "session_id": "bbbbbbbb-0000-4000-8000-00000000000b"}
    run_hook("SessionStart", b, project, env=env)
    sync_cli(ledger, project, warehouse.url)
    assert warehouse.query("SELECT status, end_reason FROM hookledger.sessions WHERE session_id = %s", (a,)) == \
        [("abandoned", "closed_out")]
    assert warehouse.query("SELECT resolution FROM hookledger.error_log WHERE session_id = %s", (a,)) == [("abandoned",)]
    assert_matches_ledger(warehouse, ledger)


def test_dry_run_writes_nothing(warehouse, demo):
    project, ledger = demo
    dry = sync_cli(ledger, project, warehouse.url, "--dry-run").stdout
    assert dry.startswith("Would write to postgres at postgresql://") and "would apply warehouse migrations" in dry
    assert "hook_events: " in dry and "hook_events: 0 inserted" not in dry
    assert warehouse.query("SELECT to_regclass('hookledger.ledgers')") == [(None,)]  # not even the schema
    conn = sqlite3.connect(str(ledger))
    assert conn.execute("SELECT count(*) FROM project_state WHERE key = 'ledger_id'").fetchone()[0] == 0
    conn.close()

    sync_cli(ledger, project, warehouse.url)
    env = {"HOOKLEDGER_DB": str(ledger)}
    run_hook("PreToolUse", load_fixture("PreToolUse__Bash", project), project, env=env)
    before, counts = xmins(warehouse), warehouse.counts()
    dry = sync_cli(ledger, project, warehouse.url, "--dry-run").stdout
    assert "hook_events: 1 inserted" in dry
    assert xmins(warehouse) == before and warehouse.counts() == counts
    assert "hook_events: 1 inserted" in sync_cli(ledger, project, warehouse.url).stdout


def test_a_renamed_ledger_is_the_same_ledger(warehouse, demo, tmp_path):
    project, ledger = demo
    sync_cli(ledger, project, warehouse.url)
    lid = ledger_id(ledger)
    moved = tmp_path / "elsewhere" / "renamed.db"
    moved.parent.mkdir()
    shutil.move(ledger, moved)
    assert "nothing new" in sync_cli(moved, project, warehouse.url).stdout
    assert warehouse.query("SELECT ledger_id::text, ledger_path FROM hookledger.ledgers") == [(lid, str(moved))]
    assert_matches_ledger(warehouse, moved)
    first, last = warehouse.query("SELECT first_sync_at, last_sync_at FROM hookledger.ledgers")[0]
    assert first <= last <= datetime.now(timezone.utc)
