"""Views (m006) and the status, sessions, timeline and stats commands, on a ledger the real
hooks recorded from recorded Claude Code sessions."""

from __future__ import annotations

import json
import sqlite3

from click.testing import CliRunner

from conftest import rows
from inspect_support import A_BASIC, B_SUBAGENT, C_CLEARED, C_COMPACT, SUBAGENT, recorded  # noqa: F401 (fixture)

from hookledger.cli import cli


def invoke(*args, code=0):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def by_session(found):
    return {r["session_id"]: r for r in found}


def test_v_sessions_counts_what_each_session_did(recorded):
    found = by_session(rows(recorded, "SELECT * FROM v_sessions"))
    assert set(found) == {A_BASIC, B_SUBAGENT, C_COMPACT, C_CLEARED}
    assert found[B_SUBAGENT]["subagents"] == 1 and found[B_SUBAGENT]["files_changed"] == 1
    assert found[C_COMPACT]["compactions"] == 1 and found[C_COMPACT]["model"] == "claude-opus-4-8"
    assert found[A_BASIC]["errors"] == 1 and found[A_BASIC]["status"] == "active"
    events = rows(recorded, "SELECT session_id, count(*) AS n FROM hook_events GROUP BY session_id")
    assert {r["session_id"]: r["n"] for r in events} == {s: r["events"] for s, r in found.items()}


def test_v_session_timeline_marks_agents_files_errors_and_compactions(recorded):
    sub = rows(recorded, "SELECT kind, event, detail, agent_id FROM v_session_timeline"
                         " WHERE session_id = ? ORDER BY at", (B_SUBAGENT,))
    kinds = [r["kind"] for r in sub]
    assert kinds.index("agent_start") < kinds.index("file_change") < kinds.index("agent_stop")
    change = next(r for r in sub if r["kind"] == "file_change")
    assert change["detail"] == "sub.txt" and change["agent_id"] == SUBAGENT
    compact = rows(recorded, "SELECT event FROM v_session_timeline WHERE session_id = ? AND kind = 'compaction'", (C_COMPACT,))
    assert sorted(r["event"] for r in compact) == ["PostCompact", "PreCompact"]
    error = rows(recorded, "SELECT detail, outcome FROM v_session_timeline WHERE session_id = ? AND kind = 'error'", (A_BASIC,))
    assert len(error) == 1 and "nonexistent-dir-xyz" in error[0]["detail"] and error[0]["outcome"] == "open"


def test_v_open_errors_lists_the_unresolved_failure_with_attempts(recorded):
    found = rows(recorded, "SELECT * FROM v_open_errors")
    assert len(found) == 1
    assert found[0]["session_id"] == A_BASIC and found[0]["attempts"] == 1 and found[0]["occurrences"] == 1
    assert "ls /nonexistent-dir-xyz" in found[0]["what"] and found[0]["category"] == "runtime"


def test_v_hook_latency_agrees_with_the_python_percentiles(recorded):
    from hookledger.inspect.queries import latency_by_event

    conn = sqlite3.connect(str(recorded / ".claude-session.db"))
    expected = {r["event"]: (r["runs"], r["p50_ms"], r["p95_ms"], r["max_ms"]) for r in latency_by_event(conn)}
    conn.close()
    view = {r["event"]: (r["runs"], r["p50_ms"], r["p95_ms"], r["max_ms"]) for r in rows(recorded, "SELECT * FROM v_hook_latency")}
    assert view == expected and view["PreToolUse"][0] >= 5


def test_v_failed_paths_counts_attempts_of_the_same_approach(recorded, tmp_path):
    import shutil

    from hookledger import failed_paths
    from hookledger.store.conn import connect

    db = tmp_path / "copy.db"
    shutil.copy(recorded / ".claude-session.db", db)
    conn = connect(str(db))
    for n in range(2):
        failed_paths.record(conn, session_id=A_BASIC, now=f"2026-01-01 00:00:0{n}", approach="pip install foo",
                            reason="no network", file_path=None, signature="pip install foo")
    failed_paths.record(conn, session_id=A_BASIC, now="2026-01-01 00:00:05", approach="make build",
                        reason="missing target", file_path="Makefile", signature="make build")
    conn.commit()
    found = {r[0]: r[1] for r in conn.execute("SELECT approach, times_tried FROM v_failed_paths")}
    assert found.get("make build") == 1 and "pip install foo" in found


def test_status_json_and_table(recorded):
    status = json.loads(invoke("status", "--project", str(recorded), "--json"))
    assert status["sessions"] == 4 and status["active_sessions"] == 1 and status["open_errors"] == 1
    assert status["events"] == len(rows(recorded, "SELECT id FROM hook_events"))
    assert status["schema_version"] == status["code_schema_version"] and status["spool_backlog"] == 0
    assert status["size_bytes"] > 0 and status["last_event_at"]
    table = invoke("status", "--project", str(recorded))
    assert "open errors" in table and "KB" in table


def test_sessions_and_timeline_accept_a_short_id(recorded):
    listed = json.loads(invoke("sessions", "--project", str(recorded), "--json"))
    assert [s["session_id"] for s in listed][0] == A_BASIC  # newest first
    table = invoke("sessions", "--project", str(recorded))
    assert B_SUBAGENT[:8] in table and B_SUBAGENT not in table
    moments = json.loads(invoke("timeline", "--project", str(recorded), "--session", B_SUBAGENT[:8], "--json"))
    assert {"agent_start", "file_change", "agent_stop", "hook"} <= {m["kind"] for m in moments}
    assert [m["at"] for m in moments] == sorted(m["at"] for m in moments)
    only = invoke("timeline", "--project", str(recorded), "--session", C_COMPACT[:6], "--kind", "compaction")
    assert "PreCompact" in only and "PreToolUse" not in only
    assert "no session matches" in invoke("timeline", "--project", str(recorded), "--session", "zzzz", code=1)


def test_stats_percentiles_and_slowest_runs(recorded):
    stats = json.loads(invoke("stats", "--project", str(recorded), "--json", "--slowest", "3"))
    durations = sorted((r["duration_ms"] for r in rows(recorded, "SELECT duration_ms FROM hook_events")), reverse=True)
    assert [r["duration_ms"] for r in stats["slowest"]] == durations[:3]
    pre = next(r for r in stats["by_event"] if r["event"] == "PreToolUse")
    assert pre["p50_ms"] <= pre["p95_ms"] <= pre["max_ms"]
    one = json.loads(invoke("stats", "--project", str(recorded), "--session", B_SUBAGENT[:8], "--json"))
    assert one["session_id"] == B_SUBAGENT and sum(r["runs"] for r in one["by_event"]) == 15
    assert "p95_ms" in invoke("stats", "--project", str(recorded))
