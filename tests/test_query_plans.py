"""Every statement the hooks run is a lookup bounded by session, agent, tool call or file.

The real hooks/ executables run over a ledger grown from recorded sessions (benchmarks/
grow_ledger.py) with HOOKLEDGER_TRACE_SQL set, so each connection they open writes down every
statement it runs, values bound. The scenarios: the four recorded sessions and the scripted
working session replayed again (agents, subagents, claims and a claim conflict, failing and
fixed commands with an escalation and failed paths, tasks and the gate, compaction, resume,
/clear, close-out of sessions left open), the gate in judge and checks modes, and an event
spooled while the ledger was locked, then replayed. Each distinct statement is then explained
(EXPLAIN QUERY PLAN) on that ledger, and every step that reads a table that grows with the
ledger must be bounded:
- a SEARCH whose index starts with a column naming one session, agent, tool call, event, task
  or key (BOUNDING), or a file or a command signature with a time window or the
  still-relevant flag after it (a file's claims over all time grow with the ledger);
- or a search of the live set: running agents, active sessions (the hooks themselves close
  them: stale agents at SessionStart/SessionEnd, sessions left open at SessionStart);
- or one of the ORDERED_WALKS below: an index walked in the order asked for, stopping at the
  LIMIT (no sort of the whole set: the plan must not need a temporary B-tree).
A SCAN of such a table is never accepted.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
from pathlib import Path

import pytest

from conftest import HOOKS, ROOT, load_fixture, run_hook

sys.path.insert(0, str(ROOT / "benchmarks"))

import grow_ledger  # noqa: E402

# Tables that grow with the ledger (everything but configuration, cursors and the latency histogram).
GROWING = {"hook_events", "sessions", "agent_registry", "agent_spawns", "file_claims", "claim_conflicts",
           "error_log", "failed_paths", "context_snapshots", "session_metrics", "tasks", "llm_verdicts",
           "transcript_usage", "transcript_cursors", "session_totals", "session_tool_calls"}
BOUNDING = {"session_id", "agent_id", "id", "rowid", "tool_use_id", "event_uid", "task_id", "key", "message_key",
            "approach_key"}
KEYED_WITH_WINDOW = {"file_path": {"timestamp", "still_relevant"}, "signature": {"still_relevant"}}
LIVE = {("agent_registry", "status"), ("sessions", "status")}
ORDERED_WALKS = {
    "FROM sessions WHERE session_id != ? ORDER BY coalesce(last_event_at, started_at) DESC LIMIT ?":
        "the newest session by last heard (idx_sessions_last_heard), stopping after this one",
    "FROM failed_paths WHERE still_relevant = ? ORDER BY id DESC LIMIT ?":
        "the newest still-relevant failed paths (idx_failed_relevant holds them in id order)",
}
PLAN_STEP = re.compile(r"^(SCAN|SEARCH) (\w+)(?: USING (?:COVERING )?(?:INDEX (\w+)|INTEGER PRIMARY KEY|PRIMARY KEY))?"
                       r"(?: \((.*)\))?")


def normalised(sql: str) -> str:
    """The statement with its literal values as `?` (one entry per distinct statement)."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"(?<![\w.])-?\d+(?:\.\d+)?\b", "?", sql)
    return re.sub(r"\s+", " ", sql).strip()


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """(the grown ledger, every statement the hooks ran on it in the scenarios)."""
    base = tmp_path_factory.mktemp("plans")
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith(("CLAUDE", "HOOKLEDGER"))}
    try:
        template = grow_ledger.template(base / "cache")
        project = base / "acme-app"
        project.mkdir()
        db = project / ".claude-session.db"
        grow_ledger.grow(str(db), 3000, template)
        trace = base / "trace.jsonl"
        env = {"HOME": str(base / "home"), "HOOKLEDGER_HOME": str(base / "hl-home"), "HOOKLEDGER_TRACE_SQL": str(trace)}
        run_scenarios(project, env)
    finally:
        os.environ.update(saved)
    return db, [json.loads(line) for line in trace.read_text().splitlines()]


def run_scenarios(project: Path, env: dict[str, str]) -> None:
    from hookledger.faces.replay import HookCall, demo_sessions, replay, run_call

    for path in demo_sessions().values():
        replay(path, str(project), str(HOOKS), home=env["HOME"], extra_env=env)
    for event, payload in grow_ledger.work_session(str(project)):
        run_call(HookCall(event, payload, {}), str(HOOKS), str(project), extra_env=env)
    config = project / ".claude" / "hookledger.json"
    config.parent.mkdir(exist_ok=True)
    for mode in ("judge", "checks"):  # the gate's other queries: waiting verdicts, open attempts
        config.write_text(json.dumps({"gate": {"mode": mode, "commands": ["true"]}}))
        replay(demo_sessions()["e_tasks"], str(project), str(HOOKS), home=env["HOME"], extra_env=env)
    config.unlink()
    # An event spooled while the ledger is locked, replayed by the next hook.
    lock = sqlite3.connect(str(project / ".claude-session.db"), isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        proc = run_hook("PostToolUse", load_fixture("PostToolUse__Bash", project), project,
                        env={**env, "HOOKLEDGER_BUSY_TIMEOUT_MS": "50"})
        assert "spooled" in proc.stderr.decode()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert run_hook("Stop", load_fixture("Stop__default", project), project, env=env).returncode == 0


def aliases(sql: str) -> dict[str, str]:
    """alias -> table for `FROM t x` / `JOIN t AS x`, and each table as itself."""
    found = {}
    for table, alias in re.findall(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", sql, flags=re.I):
        found[table] = table
        if alias and alias.upper() not in {"WHERE", "JOIN", "ON", "LEFT", "INNER", "ORDER", "GROUP", "LIMIT", "SET"}:
            found[alias] = table
    return found


def violation(step: str, table: str, index: str | None, constraints: str | None, sql: str,
              plan: list[str]) -> str | None:
    """Why this plan step is not bounded, or None."""
    walk = next((why for pattern, why in ORDERED_WALKS.items() if pattern in normalised(sql)), None)
    if walk is not None and not any("TEMP B-TREE" in p for p in plan):
        return None
    if step == "SCAN":
        return f"SCAN {table}" + (f" (index {index} walked whole)" if index else "")
    terms = [re.split(r"[=<>]", t, maxsplit=1)[0].strip() for t in (constraints or "").split(" AND ") if t]
    if not terms:
        return f"SEARCH {table} with no constraint"
    first = terms[0]
    if first in BOUNDING or (table, first) in LIVE:
        return None
    if first in KEYED_WITH_WINDOW and set(terms[1:]) & KEYED_WITH_WINDOW[first]:
        return None
    return f"SEARCH {table} by {first!r} ({constraints}) does not bound by session, agent, tool call or file"


def unbounded(conn: sqlite3.Connection, sql: str) -> list[str]:
    """The plan steps of `sql` (on the ledger open on `conn`) that are not bounded, explained."""
    index_tables = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"))
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
    names = aliases(sql)
    problems = []
    for detail in plan:
        match = PLAN_STEP.match(detail)
        if not match:
            continue
        step, name, index, constraints = match.groups()
        table = index_tables.get(index or "", names.get(name, name))
        if table in GROWING:
            why = violation(step, table, index, constraints, sql, plan)
            if why:
                problems.append(f"{why}\n    {normalised(sql)[:300]}\n    plan: {' | '.join(plan)}")
    return problems


def test_every_hook_statement_is_a_bounded_lookup(traced):
    db, statements = traced
    distinct: dict[str, str] = {}
    for sql in statements:
        if re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH|REPLACE)\b", sql, flags=re.I):
            distinct.setdefault(normalised(sql), sql)
    conn = sqlite3.connect(str(db))
    problems = [p for sql in distinct.values() for p in unbounded(conn, sql)]
    assert not problems, f"{len(problems)} unbounded plan step(s):\n" + "\n".join(problems)


def test_the_check_rejects_what_grows_with_the_ledger(traced):
    """The queries issue 12 found in the hooks, as they were, and others like them, fail the check."""
    db, _ = traced
    conn = sqlite3.connect(str(db))
    for sql in (
        "SELECT count(*) FROM context_snapshots WHERE snapshot_type = 'post_compact'",  # every session's
        "SELECT session_id FROM sessions WHERE session_id != 'x' ORDER BY started_at DESC LIMIT 1",  # unlisted walk
        "SELECT session_id FROM sessions WHERE session_id != 'x' ORDER BY ended_at DESC LIMIT 1",  # sort of all
        "SELECT tool_name, count(*) FROM hook_events WHERE event_type = 'PostToolUse' GROUP BY tool_name",
        "SELECT 1 FROM llm_verdicts WHERE hook_event = 'TaskCompleted' AND json_extract(verdict_json, '$.attempt') = 3",
        "SELECT agent_id FROM file_claims WHERE file_path = 'src/app.py'",  # a file's claims over all time
        "UPDATE failed_paths SET still_relevant = 0 WHERE still_relevant = 1 AND context = 'x'",
    ):
        assert unbounded(conn, sql), sql


def test_the_trace_covers_what_the_hooks_do(traced):
    """The trace is the hooks' own: every handler's characteristic statements are in it."""
    _, statements = traced
    text = "\n".join(normalised(s) for s in statements)
    for expected in (
        "INSERT OR IGNORE INTO hook_events",                          # the audit row
        "FROM file_claims c JOIN agent_registry a",                   # claims: a live holder of the file
        "INSERT INTO claim_conflicts",                                # the conflict the working session has
        "FROM session_tool_calls WHERE session_id",                   # metrics, from the counters
        "FROM context_snapshots WHERE session_id = ? AND snapshot_type",  # compaction
        "approach_key = ?",                                           # a failed path recorded
        "FROM llm_verdicts",                                          # the gate
        "FROM sessions WHERE status = ?",                             # close-out at SessionStart
        "FROM hook_events WHERE event_uid = ?",                       # the spooled event replayed
        "INSERT INTO transcript_usage",                               # the transcript read
    ):
        assert expected in text, expected
    assert len({normalised(s) for s in statements}) > 80
