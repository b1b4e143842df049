"""The inspection views (m003, m006, m009) and the status, sessions, timeline and stats commands,
on a ledger the real hooks recorded from recorded Claude Code sessions (tests/inspect_support.py)."""

from __future__ import annotations

import json
import re
import sqlite3

from click.testing import CliRunner

from conftest import ROOT, load_fixture, rows
from inspect_support import (A_BASIC, B_SUBAGENT, C_CLEARED, C_COMPACT, FAILING_TEST, LIVE_AGENT, SUBAGENT,  # noqa: F401
                             recorded)

from hookledger.faces.cli import cli
from hookledger.knowledge.percentiles import percentile

VIEWS = ("v_sessions", "v_session_timeline", "v_live_agents", "v_file_owners", "v_claim_conflicts", "v_file_activity",
         "v_open_errors", "v_failed_paths", "v_hook_latency", "v_hook_latency_by_session", "v_hook_problems")


def invoke(*args, code=0):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def by_session(found):
    return {r["session_id"]: r for r in found}


def count(project, sql, params=()):
    return rows(project, sql, params)[0]["n"]


def test_every_view_is_in_schema_sql_and_documented(recorded):
    schema = (ROOT / "schema.sql").read_text()
    docs = (ROOT / "docs" / "views.md").read_text()
    readme = (ROOT / "README.md").read_text()
    present = {r["name"] for r in rows(recorded, "SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert set(VIEWS) <= present
    for view in present:
        assert f"CREATE VIEW {view} AS" in schema, view
        assert f"## {view}" in docs and f"`{view}`" in readme, view
        # every column of the view is described in docs/views.md
        section = docs.split(f"## {view}", 1)[1].split("\n## ", 1)[0]
        for column in (r["name"] for r in rows(recorded, f"PRAGMA table_info({view})")):
            assert re.search(rf"`{column}`", section), (view, column)


def test_v_sessions_counts_what_each_session_did(recorded):
    found = by_session(rows(recorded, "SELECT * FROM v_sessions"))
    assert set(found) == {A_BASIC, B_SUBAGENT, C_COMPACT, C_CLEARED}
    assert found[B_SUBAGENT]["subagents"] == 1 and found[B_SUBAGENT]["files_changed"] == 1
    assert found[C_COMPACT]["compactions"] == 1 and found[C_COMPACT]["model"] == "claude-opus-4-8"
    assert found[A_BASIC]["status"] == "active" and found[A_BASIC]["open_errors"] == 2  # ls, and the test failing 3 times
    for sid, row in found.items():
        assert row["events"] == count(recorded, "SELECT count(*) AS n FROM hook_events WHERE session_id = ?", (sid,))
        assert row["errors"] == count(recorded, "SELECT count(*) AS n FROM error_log WHERE session_id = ?", (sid,))
        assert row["tool_calls"] == count(recorded, "SELECT count(*) AS n FROM hook_events WHERE session_id = ?"
                                          " AND event_type IN ('PostToolUse', 'PostToolUseFailure')", (sid,))
        assert row["duration_s"] is not None and row["duration_s"] >= 0


def test_compactions_count_a_compaction_precompact_never_announced(recorded, tmp_path):
    """Claude Code skips PreCompact on some paths: SessionStart(compact) alone still counts."""
    import shutil

    db = tmp_path / "copy.db"
    shutil.copy(recorded / ".claude-session.db", db)
    conn = sqlite3.connect(str(db))
    conn.execute("DELETE FROM hook_events WHERE session_id = ? AND event_type = 'PreCompact'", (C_COMPACT,))
    conn.execute("DELETE FROM session_metrics WHERE session_id = ? AND key = 'transcript_compactions'", (C_COMPACT,))
    conn.commit()
    assert conn.execute("SELECT compactions FROM v_sessions WHERE session_id = ?", (C_COMPACT,)).fetchone()[0] == 1
    kinds = conn.execute("SELECT event FROM v_session_timeline WHERE session_id = ? AND kind = 'compaction'",
                         (C_COMPACT,)).fetchall()
    assert sorted(k[0] for k in kinds) == ["PostCompact", "SessionStart"]


def test_v_session_timeline_marks_agents_files_errors_conflicts_and_compactions(recorded):
    sub = rows(recorded, "SELECT kind, event, tool_name, detail, agent_id FROM v_session_timeline"
                         " WHERE session_id = ? ORDER BY at", (B_SUBAGENT,))
    kinds = [r["kind"] for r in sub]
    assert kinds.index("agent_start") < kinds.index("file_change") < kinds.index("agent_stop")
    change = next(r for r in sub if r["kind"] == "file_change")
    assert change["detail"] == "sub.txt" and change["agent_id"] == SUBAGENT
    agent_call = next(r for r in sub if r["event"] == "PreToolUse" and r["tool_name"] == "Agent")
    assert agent_call["detail"] == load_fixture("PreToolUse__Agent")["tool_input"]["description"]
    compact = rows(recorded, "SELECT event FROM v_session_timeline WHERE session_id = ? AND kind = 'compaction'", (C_COMPACT,))
    assert sorted(r["event"] for r in compact) == ["PostCompact", "PreCompact", "SessionStart"]
    live = rows(recorded, "SELECT kind, detail, outcome, agent_id FROM v_session_timeline WHERE session_id = ?", (A_BASIC,))
    errors = [r for r in live if r["kind"] == "error"]
    assert len(errors) == count(recorded, "SELECT count(*) AS n FROM error_log WHERE session_id = ?", (A_BASIC,))
    assert any("nonexistent-dir-xyz" in r["detail"] and r["outcome"] == "open" for r in errors)
    [conflict] = [r for r in live if r["kind"] == "conflict"]
    assert conflict["agent_id"] == LIVE_AGENT and conflict["detail"].startswith(f"hello.txt held by main:{A_BASIC}")
    [failed] = [r for r in live if r["kind"] == "failed_path"]
    assert FAILING_TEST in failed["detail"] and failed["outcome"] == "relevant"


def test_v_open_errors_one_row_per_failure_from_its_latest_attempt(recorded):
    found = {r["what"]: r for r in rows(recorded, "SELECT * FROM v_open_errors")}
    assert set(found) == {"ls /nonexistent-dir-xyz", "pytest tests/test_calc.py"}
    tests = found["pytest tests/test_calc.py"]
    attempts = rows(recorded, "SELECT * FROM error_log WHERE signature = ? ORDER BY id", ("pytest tests/test_calc.py",))
    assert tests["occurrences"] == len(attempts) == 3 and tests["attempts"] == 3
    latest = attempts[-1]
    assert tests["last_id"] == latest["id"] and tests["escalation"] == latest["escalation"] == "escalated_research"
    assert tests["last_error"] == latest["error_message"][:500] and tests["category"] == "test"
    assert tests["first_at"] == attempts[0]["timestamp"] and tests["command"] == FAILING_TEST


def test_v_hook_latency_is_the_nearest_rank_percentile_of_the_recorded_durations(recorded):
    durations: dict[tuple[str, str], list[int]] = {}
    for r in rows(recorded, "SELECT session_id, event_type, duration_ms FROM hook_events"):
        durations.setdefault((r["session_id"], r["event_type"]), []).append(r["duration_ms"])
    overall: dict[str, list[int]] = {}
    for (_, event), values in durations.items():
        overall.setdefault(event, []).extend(values)
    figures = lambda v: (len(v), percentile(v, 50), percentile(v, 95), max(v))  # noqa: E731
    view = {r["event"]: (r["runs"], r["p50_ms"], r["p95_ms"], r["max_ms"]) for r in rows(recorded, "SELECT * FROM v_hook_latency")}
    assert view == {e: figures(v) for e, v in overall.items()} and view["PreToolUse"][0] >= 5
    per = {(r["session_id"], r["event"]): (r["runs"], r["p50_ms"], r["p95_ms"], r["max_ms"])
           for r in rows(recorded, "SELECT * FROM v_hook_latency_by_session")}
    assert per == {k: figures(v) for k, v in durations.items()}


def test_v_failed_paths_links_the_failed_path_to_its_error(recorded, tmp_path):
    import shutil

    [path] = rows(recorded, "SELECT * FROM v_failed_paths")
    assert path["session_id"] == A_BASIC and FAILING_TEST in path["approach"]
    assert path["error_attempts"] == 3 and path["error_open"] == 1 and path["times_tried"] == 1
    # The same approach added again by hand is the same failed path, refreshed
    project = tmp_path / "copy"
    project.mkdir()
    shutil.copy(recorded / ".claude-session.db", project / ".claude-session.db")
    invoke("failed-path", "add", "--project", str(project), "--session", A_BASIC, "--approach", path["approach"],
           "--reason", "still failing", "--file", str(project / path["file_path"]))
    again = rows(project, "SELECT * FROM v_failed_paths")
    assert [r["id"] for r in again] == [path["id"]] and again[0]["reason_failed"] == "still failing"


def test_v_file_activity_and_v_live_agents_show_the_shared_file(recorded):
    [hello] = rows(recorded, "SELECT * FROM v_file_activity WHERE session_id = ? AND file_path = 'hello.txt'", (A_BASIC,))
    claims = rows(recorded, "SELECT agent_id, status FROM file_claims WHERE session_id = ? AND file_path = 'hello.txt'", (A_BASIC,))
    assert hello["changes"] == len(claims) and hello["agents"] == 2
    assert set(hello["agent_ids"].split(",")) == {f"main:{A_BASIC}", LIVE_AGENT}
    assert hello["shared_writes"] == sum(c["status"] == "shared" for c in claims) == 1
    live = {r["agent_id"]: r for r in rows(recorded, "SELECT * FROM v_live_agents")}
    assert set(live) == {f"main:{A_BASIC}", LIVE_AGENT}
    assert live[f"main:{A_BASIC}"]["files_held"] == 1 and live[LIVE_AGENT]["conflicts"] == 1


def test_v_hook_problems_lists_the_bad_input_run(recorded):
    found = rows(recorded, "SELECT * FROM v_hook_problems")
    bad = rows(recorded, "SELECT id FROM hook_events WHERE outcome IN ('error', 'bad_input') OR replayed = 1")
    assert [r["id"] for r in found] == [r["id"] for r in bad] and len(found) == 1
    assert found[0]["problem"] == "bad_input" and found[0]["event"] == "PreToolUse"


def test_status_json_and_table(recorded):
    status = json.loads(invoke("status", "--project", str(recorded), "--json"))
    assert status["sessions"] == 4 and status["active_sessions"] == 1
    assert status["open_errors"] == len(rows(recorded, "SELECT * FROM v_open_errors"))
    assert status["live_agents"] == 2
    assert status["events"] == len(rows(recorded, "SELECT id FROM hook_events"))
    assert status["schema_version"] == status["code_schema_version"] and status["spool_backlog"] == 0
    assert status["size_bytes"] > 0 and status["last_event_at"]
    table = invoke("status", "--project", str(recorded))
    assert re.search(r"^open errors\s+2$", table, re.M) and re.search(r"^size\s+[\d.]+ KB$", table, re.M)
    assert re.search(r"^sessions\s+4 \(1 active\)$", table, re.M)


def test_sessions_and_timeline_accept_a_short_id(recorded):
    listed = json.loads(invoke("sessions", "--project", str(recorded), "--json"))
    assert [s["session_id"] for s in listed][0] == A_BASIC  # newest first
    assert {"duration_s", "tool_calls", "open_errors"} <= set(listed[0])
    table = invoke("sessions", "--project", str(recorded))
    assert B_SUBAGENT[:8] in table and B_SUBAGENT not in table and "2 open" in table
    moments = json.loads(invoke("timeline", "--project", str(recorded), "--session", B_SUBAGENT[:8], "--json"))
    assert {"agent_start", "file_change", "agent_stop", "hook"} <= {m["kind"] for m in moments}
    assert [m["at"] for m in moments] == sorted(m["at"] for m in moments)
    only = invoke("timeline", "--project", str(recorded), "--session", C_COMPACT[:6], "--kind", "compaction")
    assert "PreCompact" in only and "PreToolUse" not in only
    lanes = invoke("timeline", "--project", str(recorded), "--session", B_SUBAGENT[:8])
    assert f"general-purpose\u00b7{SUBAGENT[:8]}" in lanes and re.search(r"^\d\d:\d\d:\d\d  main ", lanes, re.M)
    assert "no session matches" in invoke("timeline", "--project", str(recorded), "--session", "zzzz", code=1)


def test_stats_percentiles_and_slowest_runs(recorded):
    stats = json.loads(invoke("stats", "--project", str(recorded), "--json", "--slowest", "3"))
    durations = sorted((r["duration_ms"] for r in rows(recorded, "SELECT duration_ms FROM hook_events")), reverse=True)
    assert [r["duration_ms"] for r in stats["slowest"]] == durations[:3]
    assert stats["by_event"] == rows(recorded, "SELECT event, runs, p50_ms, p95_ms, max_ms, avg_ms, errors"
                                               " FROM v_hook_latency ORDER BY event")
    one = json.loads(invoke("stats", "--project", str(recorded), "--session", B_SUBAGENT[:8], "--json"))
    assert one["session_id"] == B_SUBAGENT
    assert sum(r["runs"] for r in one["by_event"]) == count(
        recorded, "SELECT count(*) AS n FROM hook_events WHERE session_id = ?", (B_SUBAGENT,))
    assert "p95 ms" in invoke("stats", "--project", str(recorded))
