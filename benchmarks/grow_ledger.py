"""Grow a realistic ledger to any number of hook events, fast.

A template ledger is recorded once by the REAL hooks: the four recorded Claude Code sessions
shipped with the demo (a_basic, b_subagent with a subagent, c_compact with a compaction and a
resume, e_tasks with tasks and the gate) plus one scripted working session (a test failing
three times and escalated, then fixed; a subagent writing a file the main thread holds, a claim
conflict; a task; a compaction). The grown ledger is then made of clones of those sessions,
written with INSERT ... SELECT (no hook process per row): each clone gets a new session id, new
agent, tool call, task and event ids, and its times moved, and is repeated 1 to 8 times within
the session (a session resumed several times), so sessions vary in length (about 110 events on
average). Sessions follow each other back in time from now, a few hours apart. Every table the
hooks write is cloned (claims, conflicts, errors, failed paths, snapshots, metrics, tasks,
verdicts, transcript usage, agents, spawns); the counters of m011 are kept by their triggers
exactly as for rows the hooks write.

The last clone of a grown ledger is always the same PROBE session (b_subagent, 3 repeats), so
one session's report and timeline can be compared across sizes.

    from grow_ledger import template, grow
    grow(path_to_new_ledger, events=100_000, template_db=template(cache_dir))
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lib"))

from hookledger.hotpath.timeutil import parse_utc, utc_now  # noqa: E402
from hookledger.store.conn import connect  # noqa: E402
from hookledger.store.version import MIGRATIONS_DIR  # noqa: E402

GROWER_VERSION = 2  # bump when the grown ledgers change shape: cached ones are then rebuilt
HOOKS = ROOT / "hooks"
FIXTURES = ROOT / "tests" / "fixtures" / "events"
RECORDED = ("a_basic", "b_subagent", "c_compact", "e_tasks")
WORK_SESSION = "5c0a1e00-0000-4000-8000-00000000beef"
PROBE_TEMPLATE = "16844d04-f039-4e79-b808-175a142b454b"  # b_subagent
PROBE_REPEATS = 3
REPEATS = (1, 2, 3, 4, 4, 6, 8)
EDITS = 16  # Edit calls in the scripted working session
WORK_WEIGHT = 3  # the working session is cloned this many times as often as each recorded one
REPEAT_GAP_S = 1800  # a resumed stretch starts half an hour after the previous one
SESSION_GAP_S = 3 * 3600
# Tables the hooks write per session; cloned. Others (project_state, cursors, counters) are not.
CLONED = ("sessions", "hook_events", "agent_registry", "agent_spawns", "file_claims", "claim_conflicts",
          "error_log", "failed_paths", "context_snapshots", "session_metrics", "tasks", "llm_verdicts",
          "transcript_usage", "transcript_cursors")
ONCE_PER_SESSION = ("sessions", "session_metrics", "transcript_cursors")
TIME_COLUMNS = {"timestamp", "started_at", "ended_at", "last_event_at", "spawn_time", "end_time", "requested_at",
                "resolved_at", "released_at", "created_at", "updated_at", "completed_at", "holder_claimed_at"}
AGENT_COLUMNS = {"agent_id", "holder_agent_id", "parent_agent_id"}
TEXT_WITH_IDS = {"payload_summary", "content", "verdict_json", "transcript_path"}


def schema_key() -> str:
    """Changes when the migrations or this grower change: cached ledgers are then rebuilt."""
    digest = hashlib.sha256(f"grower {GROWER_VERSION}".encode())
    for name in sorted(os.listdir(MIGRATIONS_DIR)):
        if name.endswith(".py"):
            digest.update(name.encode() + Path(MIGRATIONS_DIR, name).read_bytes())
    return digest.hexdigest()[:12]


# ------------------------------------------------------------------ the template, by the real hooks


def _fixture(name: str, project: str, **changes: object) -> dict:
    data = json.loads((FIXTURES / f"{name}.json").read_text())["stdin"]
    data = json.loads(json.dumps(data).replace("/home/dev/acme-app", project))
    data.update(session_id=WORK_SESSION, **changes)
    return data


def work_session(project: str) -> list[tuple[str, dict]]:
    """The scripted working session's hook calls (recorded payloads, moved onto one session)."""
    failing = {"command": "python -m pytest -q tests/test_calc.py", "description": "run the tests"}
    error = "Exit code 1\nFAILED tests/test_calc.py::test_add - assert 3 == 4\n1 failed, 2 passed in 0.12s"
    calls: list[tuple[str, dict]] = [("SessionStart", _fixture("SessionStart__startup", project)),
                                     ("UserPromptSubmit", _fixture("UserPromptSubmit__default", project))]
    for n in range(EDITS):  # edits spread over a few files, each call followed by its batch
        edit = dict(_fixture("PreToolUse__Edit", project)["tool_input"], file_path=f"{project}/src/module_{n % 6}.py")
        calls.append(("PreToolUse", _fixture("PreToolUse__Edit", project, tool_input=edit, tool_use_id=f"toolu_w_e{n}")))
        calls.append(("PostToolUse", _fixture("PostToolUse__Edit", project, tool_input=edit, tool_use_id=f"toolu_w_e{n}")))
        calls.append(("PostToolBatch", _fixture("PostToolBatch__default", project)))
    for n in range(3):
        calls.append(("PreToolUse", _fixture("PreToolUse__Bash", project, tool_input=failing, tool_use_id=f"toolu_w_f{n}")))
        calls.append(("PostToolUseFailure", _fixture("PostToolUseFailure__Bash", project, tool_input=failing,
                                                     tool_use_id=f"toolu_w_f{n}", error=error)))
    calls.append(("PreToolUse", _fixture("PreToolUse__Write", project, tool_use_id="toolu_w_main")))
    calls.append(("PostToolUse", _fixture("PostToolUse__Write", project, tool_use_id="toolu_w_main")))
    agent = "a5ca1e0000000001"
    calls.append(("SubagentStart", _fixture("SubagentStart__general-purpose", project, agent_id=agent)))
    main_write = _fixture("PreToolUse__Write", project)["tool_input"]
    for n in range(2):  # the subagent writes the file the main thread holds: a claim conflict
        calls.append(("PreToolUse", _fixture("PreToolUse__subagent_Write", project, agent_id=agent,
                                             tool_use_id=f"toolu_w_sub{n}", tool_input=main_write)))
        calls.append(("PostToolUse", _fixture("PostToolUse__subagent_Write", project, agent_id=agent,
                                              tool_use_id=f"toolu_w_sub{n}", tool_input=main_write)))
    calls.append(("SubagentStop", _fixture("SubagentStop__general-purpose", project, agent_id=agent)))
    passing = dict(failing)
    calls.append(("PreToolUse", _fixture("PreToolUse__Bash", project, tool_input=passing, tool_use_id="toolu_w_ok")))
    calls.append(("PostToolUse", _fixture("PostToolUse__Bash", project, tool_input=passing, tool_use_id="toolu_w_ok")))
    calls.append(("TaskCreated", _fixture("TaskCreated__default", project)))
    calls.append(("TaskCompleted", _fixture("TaskCompleted__default", project)))
    calls.append(("PreCompact", _fixture("PreCompact__manual", project)))
    calls.append(("PostCompact", _fixture("PostCompact__manual", project)))
    calls.append(("SessionStart", _fixture("SessionStart__compact", project)))
    calls.append(("Stop", _fixture("Stop__default", project)))
    calls.append(("SessionEnd", _fixture("SessionEnd__other", project)))
    return calls


def record_template(db_path: str) -> None:
    """Record the template ledger at `db_path` through the real hooks (about 150 hook runs)."""
    from hookledger.faces.replay import HookCall, demo_sessions, replay, run_call

    with tempfile.TemporaryDirectory() as tmp:
        project = os.path.join(tmp, "acme-app")
        os.makedirs(project)
        env = {"HOME": os.path.join(tmp, "home"), "HOOKLEDGER_HOME": os.path.join(tmp, "hl-home")}
        saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith(("CLAUDE", "HOOKLEDGER"))}
        try:
            sessions = demo_sessions()
            for name in RECORDED:
                replay(sessions[name], project, str(HOOKS), home=env["HOME"], extra_env=env)
            for event, payload in work_session(project):
                run_call(HookCall(event, payload, {}), str(HOOKS), project, extra_env=env)
        finally:
            os.environ.update(saved)
        conn = sqlite3.connect(os.path.join(project, ".claude-session.db"))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute(f"VACUUM INTO '{db_path}'")
        conn.close()


def template(cache_dir: str | Path) -> str:
    """The template ledger, recorded once per schema (cached under `cache_dir`)."""
    path = Path(cache_dir) / f"template-{schema_key()}.db"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        record_template(str(tmp))
        tmp.rename(path)
    return str(path)


# ------------------------------------------------------------------ cloning


def _column_sql(table: str, column: str, pk_autoinc: bool) -> str | None:
    """The SQL that fills `column` of a clone (t: the template row, c: the clone), None to omit."""
    shifted = f"CASE WHEN t.{column} IS NULL THEN NULL ELSE strftime('%Y-%m-%d %H:%M:%f', t.{column}, c.shift) END"
    agent = (f"CASE WHEN t.{column} IS NULL THEN NULL WHEN t.{column} LIKE 'main:%' THEN 'main:' || c.sid"
             f" ELSE t.{column} || '-' || c.tag END")
    if column == "id" and pk_autoinc:
        return None
    if column == "session_id":
        return "c.sid"
    if column in TIME_COLUMNS:
        if table == "sessions" and column in ("ended_at", "last_event_at"):  # an open session ended when last heard
            return f"strftime('%Y-%m-%d %H:%M:%f', coalesce(t.{column}, t.last_event_at), c.last_shift)"
        return shifted
    if column in AGENT_COLUMNS or (table == "agent_registry" and column == "id"):
        return agent
    if column in ("tool_use_id", "event_uid", "message_key"):
        return f"CASE WHEN t.{column} IS NULL THEN NULL ELSE t.{column} || '-' || c.tag END"
    if column == "task_id":
        return f"CASE WHEN t.{column} IS NULL OR c.rep = 0 THEN t.{column} ELSE t.{column} || '.' || c.rep END"
    if column in TEXT_WITH_IDS:
        return f"replace(t.{column}, c.tmpl, c.sid)"
    if column == "claude_pid":
        return "NULL"
    if table == "sessions" and column == "status":
        return "CASE WHEN t.status = 'active' THEN 'ended' ELSE t.status END"
    if table == "agent_registry" and column == "status":
        return "CASE WHEN t.status = 'running' THEN 'completed' ELSE t.status END"
    return f"t.{column}"


def _clone_statements(conn: sqlite3.Connection) -> list[str]:
    statements = []
    for table in CLONED:
        info = conn.execute(f"PRAGMA tpl.table_info({table})").fetchall()
        if not info:
            continue
        autoinc = any(col[1] == "id" and col[5] == 1 and col[2].upper() == "INTEGER" for col in info)
        pairs = [(col[1], _column_sql(table, col[1], autoinc)) for col in info]
        pairs = [(name, sql) for name, sql in pairs if sql is not None]
        once = " AND c.rep = 0" if table in ONCE_PER_SESSION else ""
        statements.append(
            f"INSERT OR IGNORE INTO main.{table} ({', '.join(name for name, _ in pairs)})"
            f" SELECT {', '.join(sql for _, sql in pairs)} FROM temp.clones c JOIN tpl.{table} t"
            f" ON t.session_id = c.tmpl WHERE 1{once} ORDER BY c.n, c.rep, t.rowid")
    return statements


def _template_sessions(conn: sqlite3.Connection) -> list[tuple[str, int, float]]:
    """(session id, hook events, first moment as epoch seconds) of each template session."""
    out = []
    for sid, events, first in conn.execute(
            "SELECT session_id, count(*), min(timestamp) FROM tpl.hook_events WHERE session_id IS NOT NULL"
            " GROUP BY session_id ORDER BY session_id"):
        out.append((sid, events, parse_utc(first) or 0.0))
    return out


def _plan(sessions: list[tuple[str, int, float]], events: int, seed: int) -> list[tuple[str, int]]:
    """(template session, repeats) per clone until `events` hook events, the PROBE clone last."""
    rng = random.Random(seed)
    by_id = {sid: n for sid, n, _ in sessions}
    sessions = sessions + [s for s in sessions if s[0] == WORK_SESSION] * (WORK_WEIGHT - 1)
    probe = (PROBE_TEMPLATE, PROBE_REPEATS)
    budget = events - by_id[PROBE_TEMPLATE] * PROBE_REPEATS
    plan: list[tuple[str, int]] = []
    while budget > 0:
        sid, n, _ = rng.choice(sessions)
        reps = rng.choice(REPEATS)
        if n * reps > budget:  # the last clones fill the exact count when possible
            reps = max(1, budget // n)
        plan.append((sid, reps))
        budget -= n * reps
    return plan + [probe]


def _uuid(rng: random.Random) -> str:
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def _clone_rows(plan: list[tuple[str, int]], starts: dict[str, float], end: float, seed: int,
                first_n: int = 0) -> list[tuple]:
    """Rows of temp.clones for `plan`: sessions back to back, the last one ending at `end`."""
    rng = random.Random(seed + 1)
    spans = [reps * REPEAT_GAP_S + SESSION_GAP_S for _, reps in plan]
    at = end - sum(spans)
    rows = []
    for i, ((tmpl, reps), span) in enumerate(zip(plan, spans)):
        n = first_n + i
        sid = PROBE_SESSION if i == len(plan) - 1 and tmpl == PROBE_TEMPLATE and first_n == 0 else _uuid(rng)
        last = at + (reps - 1) * REPEAT_GAP_S - starts[tmpl]
        for rep in range(reps):
            shift = at + rep * REPEAT_GAP_S - starts[tmpl]
            rows.append((n, rep, tmpl, sid, f"c{n}r{rep}", f"{shift:+.3f} seconds", f"{last:+.3f} seconds"))
        at += span
    return rows


PROBE_SESSION = "0b5e55ed-0000-4000-8000-00000000c10e"


def _insert_clones(conn: sqlite3.Connection, rows: list[tuple], batch_sessions: int = 400,
                   progress: bool = False) -> None:
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS clones (n INTEGER, rep INTEGER, tmpl TEXT, sid TEXT, tag TEXT,"
                 " shift TEXT, last_shift TEXT)")
    statements = _clone_statements(conn)
    ns = sorted({r[0] for r in rows})
    started = time.perf_counter()
    for i in range(0, len(ns), batch_sessions):
        wanted = set(ns[i:i + batch_sessions])
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM temp.clones")
        conn.executemany("INSERT INTO temp.clones VALUES (?, ?, ?, ?, ?, ?, ?)", [r for r in rows if r[0] in wanted])
        for sql in statements:
            conn.execute(sql)
        conn.execute("COMMIT")
        if progress:
            done = min(i + batch_sessions, len(ns))
            print(f"\r  {done}/{len(ns)} sessions cloned, {time.perf_counter() - started:.0f} s", end="",
                  file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)


def grow(path: str, events: int, template_db: str, *, seed: int = 12, progress: bool = False) -> dict:
    """A new ledger at `path` with about `events` hook events cloned from `template_db`;
    returns what it holds (sessions, events, the probe session's id)."""
    conn = connect(path)  # created and migrated as any hook would
    conn.execute(f"ATTACH DATABASE '{template_db}' AS tpl")
    sessions = _template_sessions(conn)
    starts = {sid: first for sid, _, first in sessions}
    plan = _plan(sessions, events, seed)
    _insert_clones(conn, _clone_rows(plan, starts, time.time() - 2 * 3600, seed), progress=progress)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT OR IGNORE INTO main.project_state (key, value, updated_at) SELECT key, value, updated_at"
                 " FROM tpl.project_state")
    conn.execute("COMMIT")
    pruned_now(conn)
    conn.execute("DETACH DATABASE tpl")
    found = describe(conn)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return found


def pruned_now(conn: sqlite3.Connection) -> None:
    """The daily automatic prune ran just now (as in a ledger in steady use): no hook run of a
    benchmark or test starts one in the background."""
    with conn:
        conn.execute("INSERT OR REPLACE INTO project_state (key, value, updated_at) VALUES ('retention_pruned_at', ?, ?)",
                     (json.dumps(utc_now()), utc_now()))


def add_sessions(path: str, template_db: str, sessions: int, *, seed: int = 99) -> int:
    """Append `sessions` new cloned sessions, ending now (new work for an incremental sync);
    returns the hook events added."""
    conn = connect(path)
    before = conn.execute("SELECT count(*) FROM hook_events").fetchone()[0]
    conn.execute(f"ATTACH DATABASE '{template_db}' AS tpl")
    found = _template_sessions(conn)
    starts = {sid: first for sid, _, first in found}
    rng = random.Random(seed)
    plan = [(rng.choice(found)[0], 2) for _ in range(sessions)]
    first_n = conn.execute("SELECT count(*) FROM sessions").fetchone()[0] + 1_000_000
    _insert_clones(conn, _clone_rows(plan, starts, time.time(), seed, first_n=first_n))
    conn.execute("DETACH DATABASE tpl")
    added = conn.execute("SELECT count(*) FROM hook_events").fetchone()[0] - before
    conn.close()
    return added


def describe(conn: sqlite3.Connection) -> dict:
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    return {"sessions": one("SELECT count(*) FROM sessions"), "events": one("SELECT count(*) FROM hook_events"),
            "claims": one("SELECT count(*) FROM file_claims"), "errors": one("SELECT count(*) FROM error_log"),
            "subagents": one("SELECT count(*) FROM agent_registry WHERE id NOT LIKE 'main:%'"),
            "snapshots": one("SELECT count(*) FROM context_snapshots"),
            "conflicts": one("SELECT count(*) FROM claim_conflicts"), "probe_session": PROBE_SESSION}


def copy_ledger(source: str, dest: str) -> None:
    """A working copy of a grown ledger (the cached one stays untouched)."""
    shutil.copyfile(source, dest)
    os.chmod(dest, 0o600)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="grow a ledger by cloning recorded sessions")
    parser.add_argument("db")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "hookledger-grow"))
    args = parser.parse_args()
    t0 = time.perf_counter()
    print(grow(args.db, args.events, template(args.cache_dir), progress=True), f"{time.perf_counter() - t0:.1f} s")
