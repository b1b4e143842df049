"""Team-X: events, runtime_sessions (adapter 'claude-code'), runtime_heartbeats, tool_calls and
ticket_checkouts for tasks that map to a ticket.

Team-X conventions: text ids, unix-millisecond integer timestamps, JSON in `*_json` text
columns, foreign keys to companies and employees enforced. `events` and `runtime_heartbeats`
are append-only (insert-only here), and a ticket has at most one 'active' checkout. The
company and employee come from the config (`sync.teamx.company_id` / `employee_id`) or are
created once. See docs/sync.md for the column mapping.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from hookledger.hotpath.events import snake
from hookledger.sync.base import Run, Writer, clean, clean_json, stable_id, unix_ms
from hookledger.sync.source import loads

NAME = "teamx"
ADAPTER_KIND = "claude-code"
LEASE_MS = 3600 * 1000  # a ticket checkout's lease when the task gives no better bound

DDL: dict[str, str] = {
    "companies": """
CREATE TABLE IF NOT EXISTS companies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    settings_json TEXT NOT NULL DEFAULT '{}',
    icon TEXT,
    theme TEXT NOT NULL DEFAULT 'dark',
    status TEXT NOT NULL DEFAULT 'running',
    workspace_origin_id TEXT,
    company_origin_id TEXT,
    cloud_workspace_id TEXT,
    cloud_tenant_id TEXT,
    cloud_link_state TEXT NOT NULL DEFAULT 'unlinked',
    linked_device_id TEXT,
    last_synced_cursor_json TEXT,
    last_snapshot_id TEXT,
    last_sync_at INTEGER,
    last_sync_error TEXT
);
""",
    "employees": """
CREATE TABLE IF NOT EXISTS employees (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    role_pack_id TEXT NOT NULL,
    role_id TEXT NOT NULL,
    role_md_sha TEXT NOT NULL,
    level TEXT NOT NULL,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'idle',
    model_pref TEXT,
    provider_pref TEXT,
    tools_allowed_json TEXT NOT NULL DEFAULT '[]',
    tools_denied_json TEXT NOT NULL DEFAULT '[]',
    avatar TEXT,
    is_system INTEGER DEFAULT 0,
    created_at INTEGER NOT NULL
);
""",
    "runs": """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    employee_id TEXT NOT NULL,
    thread_id TEXT,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    latency_ms INTEGER NOT NULL DEFAULT 0,
    cost_usd TEXT NOT NULL DEFAULT '0',
    tool_calls_count INTEGER NOT NULL DEFAULT 0,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    status TEXT NOT NULL DEFAULT 'running',
    error TEXT,
    kind TEXT NOT NULL DEFAULT 'work'
);
""",
    "runtime_profiles": """
CREATE TABLE IF NOT EXISTS runtime_profiles (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    kind TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    config_json TEXT NOT NULL DEFAULT '{}',
    last_health_status TEXT NOT NULL DEFAULT 'unknown',
    last_health_message TEXT,
    last_validated_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (company_id, slug)
);
""",
    "goals": """
CREATE TABLE IF NOT EXISTS goals (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'active',
    progress_pct INTEGER NOT NULL DEFAULT 0,
    target_date INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
""",
    "threads": """
CREATE TABLE IF NOT EXISTS threads (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    kind TEXT NOT NULL,
    subject TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_message_at INTEGER,
    ticket_id TEXT REFERENCES tickets(id)
);
""",
    "tickets": """
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    priority TEXT NOT NULL DEFAULT 'medium',
    assignee_id TEXT REFERENCES employees(id),
    reporter_id TEXT NOT NULL,
    reporter_kind TEXT NOT NULL DEFAULT 'user',
    labels_json TEXT NOT NULL DEFAULT '[]',
    dependencies_json TEXT NOT NULL DEFAULT '[]',
    sla_hours INTEGER,
    due_at INTEGER,
    thread_id TEXT REFERENCES threads(id),
    goal_id TEXT REFERENCES goals(id),
    parent_ticket_id TEXT REFERENCES tickets(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER
);
CREATE INDEX IF NOT EXISTS idx_tickets_goal ON tickets(goal_id);
CREATE INDEX IF NOT EXISTS idx_tickets_parent ON tickets(parent_ticket_id);
""",
    "events": """
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
""",
    "runtime_sessions": """
CREATE TABLE IF NOT EXISTS runtime_sessions (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    employee_id TEXT NOT NULL REFERENCES employees(id),
    runtime_profile_id TEXT REFERENCES runtime_profiles(id),
    adapter_kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'starting',
    current_run_id TEXT REFERENCES runs(id),
    current_ticket_id TEXT REFERENCES tickets(id),
    pid INTEGER,
    endpoint_url TEXT,
    workspace_path TEXT,
    capabilities_json TEXT NOT NULL DEFAULT '{}',
    last_heartbeat_at INTEGER,
    lease_expires_at INTEGER,
    failure_reason TEXT,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
""",
    "runtime_heartbeats": """
CREATE TABLE IF NOT EXISTS runtime_heartbeats (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES runtime_sessions(id),
    company_id TEXT NOT NULL REFERENCES companies(id),
    employee_id TEXT NOT NULL REFERENCES employees(id),
    runtime_profile_id TEXT REFERENCES runtime_profiles(id),
    status TEXT NOT NULL,
    current_run_id TEXT REFERENCES runs(id),
    current_ticket_id TEXT REFERENCES tickets(id),
    cost_delta_json TEXT NOT NULL DEFAULT '{}',
    message TEXT,
    created_at INTEGER NOT NULL
);
""",
    "tool_calls": """
CREATE TABLE IF NOT EXISTS tool_calls (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    tool_name TEXT NOT NULL,
    mcp_server_id TEXT,
    input_json TEXT NOT NULL,
    output_json TEXT,
    latency_ms INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'success',
    error TEXT,
    created_at INTEGER NOT NULL
);
""",
    "ticket_checkouts": """
CREATE TABLE IF NOT EXISTS ticket_checkouts (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    employee_id TEXT NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    runtime_session_id TEXT REFERENCES runtime_sessions(id),
    run_id TEXT REFERENCES runs(id),
    status TEXT NOT NULL DEFAULT 'active',
    claimed_at INTEGER NOT NULL,
    last_heartbeat_at INTEGER,
    expires_at INTEGER NOT NULL,
    released_at INTEGER,
    release_reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_ticket_checkouts_active ON ticket_checkouts(ticket_id) WHERE status = 'active';
""",
}

SESSION_STATUS = {"active": "working", "ended": "ended", "abandoned": "stale"}
HEARTBEAT_STATUS = {"SessionStart": "working", "UserPromptSubmit": "working", "SubagentStop": "working",
                    "PreCompact": "working", "PostCompact": "working", "Stop": "idle", "SessionEnd": "ended"}
TOOL_JSON_MAX = 8192  # Team-X truncates tool input/output to 8 KB (kept valid JSON here)


# ---------------------------------------------------------------- company and employee


def prepare(run: Run, w: Writer) -> None:
    """Find or create the company and the Claude Code employee every row hangs from."""
    project = run.project_dir or run.ledger.project_dir() or "project"
    base = os.path.basename(project.rstrip("/")) or "project"
    now = int(run.now * 1000)
    company_id = run.config.get("company_id") or stable_id("company", os.path.realpath(project))
    w.insert("companies", {"id": company_id, "name": base, "slug": f"{base}-{company_id[-6:]}".lower(),
                           "created_at": now, "settings_json": "{}", "theme": "dark", "status": "running",
                           "cloud_link_state": "unlinked"}, ("id",))
    employee_id = run.config.get("employee_id") or stable_id("employee", company_id, ADAPTER_KIND)
    w.insert("employees", {"id": employee_id, "company_id": company_id, "role_pack_id": "hookledger",
                           "role_id": ADAPTER_KIND, "role_md_sha": hashlib.sha256(b"hookledger:claude-code").hexdigest(),
                           "level": "IC", "name": "Claude Code", "title": "Coding agent", "status": "offline",
                           "tools_allowed_json": "[]", "tools_denied_json": "[]", "is_system": 0,
                           "created_at": now}, ("id",))
    run.cache.update(company_id=company_id, employee_id=employee_id)


# ---------------------------------------------------------------- runtime sessions


def runtime_session_id(session_id: str) -> str:
    return stable_id("rts", session_id)


def run_id(session_id: str) -> str:
    return stable_id("run", session_id)


RUN_STATUS = {"active": "running", "ended": "success", "abandoned": "cancelled"}


def _usage(run: Run, session_id: str) -> dict[str, int]:
    """Token totals of the session's transcript (m004) and its finished tool calls."""
    out = {"prompt_tokens": 0, "completion_tokens": 0, "tool_calls_count": 0}
    if run.ledger.has("transcript_usage"):
        [row] = run.ledger.query("SELECT coalesce(sum(input_tokens + cache_creation_input_tokens"
                                 " + cache_read_input_tokens), 0) AS p, coalesce(sum(output_tokens), 0) AS c"
                                 " FROM transcript_usage WHERE session_id = ?", (session_id,))
        out.update(prompt_tokens=row["p"], completion_tokens=row["c"])
    if run.ledger.has("hook_events"):
        out["tool_calls_count"] = run.ledger.query(
            "SELECT count(*) AS n FROM hook_events WHERE session_id = ? AND event_type IN"
            " ('PostToolUse', 'PostToolUseFailure')", (session_id,))[0]["n"]
    return out


def _run_row(run: Run, w: Writer, s: dict[str, Any], started: int, *, only_insert: bool) -> str:
    """The session as one Team-X run (LLM telemetry): tool_calls hang from it. Cost is not
    priced here: '0' as a decimal string, as Team-X stores money."""
    ended = unix_ms(s.get("ended_at"))
    row = {"id": run_id(s["session_id"]), "employee_id": run.cache["employee_id"], "provider": "anthropic",
           "model": s.get("model") or "unknown", **_usage(run, s["session_id"]), "latency_ms": 0, "cost_usd": "0",
           "started_at": started, "ended_at": ended, "status": RUN_STATUS.get(s.get("status") or "", "running"),
           "kind": "agentic"}
    if only_insert:
        w.insert("runs", row, ("id",))
    else:
        w.upsert("runs", row, ("id",), ("model", "prompt_tokens", "completion_tokens", "tool_calls_count", "ended_at",
                                        "status"))
    return row["id"]


def _session_status(run: Run, s: dict[str, Any]) -> str:
    """ended / stale from the ledger; a live session is what its latest heartbeat says
    (idle after Stop, waiting for the user; working otherwise)."""
    if s.get("status") in SESSION_STATUS and s.get("status") != "active":
        return SESSION_STATUS[s["status"]]
    if not run.ledger.has("hook_events"):
        return "working"
    marks = ", ".join("?" for _ in HEARTBEAT_STATUS)
    last = run.ledger.query(f"SELECT event_type FROM hook_events WHERE session_id = ? AND event_type IN ({marks})"
                            " ORDER BY rowid DESC LIMIT 1", (s["session_id"], *HEARTBEAT_STATUS))
    status = HEARTBEAT_STATUS[last[0]["event_type"]] if last else "working"
    return "idle" if status == "ended" else status  # a SessionEnd the ledger has not closed the session for


def _runtime_session(run: Run, w: Writer, s: dict[str, Any], *, only_insert: bool = False) -> str:
    started = unix_ms(s.get("started_at")) or unix_ms(s.get("last_event_at")) or int(run.now * 1000)
    last = unix_ms(s.get("last_event_at")) or started
    _run_row(run, w, s, started, only_insert=only_insert)
    row = {"id": runtime_session_id(s["session_id"]), "company_id": run.cache["company_id"],
           "employee_id": run.cache["employee_id"], "adapter_kind": ADAPTER_KIND,
           "status": _session_status(run, s),
           "workspace_path": s.get("project_dir") or run.project_dir or None, "capabilities_json": "{}",
           "last_heartbeat_at": last, "started_at": started, "ended_at": unix_ms(s.get("ended_at")),
           "failure_reason": "session abandoned without SessionEnd" if s.get("status") == "abandoned" else None,
           "created_at": started, "updated_at": max(last, unix_ms(s.get("ended_at")) or 0)}
    if only_insert:
        w.insert("runtime_sessions", row, ("id",))
    else:
        w.upsert("runtime_sessions", row, ("id",),
                 ("status", "last_heartbeat_at", "ended_at", "failure_reason", "updated_at"))
    return row["id"]


def _ensure_runtime_session(run: Run, w: Writer, session_id: str) -> str:
    if w.known("runtime_sessions", {"id": runtime_session_id(session_id)}):
        return runtime_session_id(session_id)  # ensured earlier in this run: not built again per event
    return _runtime_session(run, w, run.ledger.session(session_id), only_insert=True)


def _session(run: Run, w: Writer, row: dict[str, Any]) -> None:
    """A sessions row, completed by the reader (the transcript's model when SessionStart had none)."""
    _runtime_session(run, w, {**row, **run.ledger.session(row["session_id"])})


# ---------------------------------------------------------------- hook events


def _event(run: Run, w: Writer, e: dict[str, Any]) -> None:
    sid = e.get("session_id")
    if not sid:
        w.skip("events")
        return
    rts = _ensure_runtime_session(run, w, sid)
    ref = e.get("event_uid") or e["_rowid"]
    created = unix_ms(e.get("timestamp")) or int(run.now * 1000)
    summary = loads(e.get("payload_summary"))
    payload = {"session_id": sid, "runtime_session_id": rts, "agent_id": e.get("agent_id"),
               "tool_name": e.get("tool_name"), "tool_use_id": e.get("tool_use_id"), "outcome": e.get("outcome"),
               "error": e.get("error"), "exit_code": e.get("exit_code"), "duration_ms": e.get("duration_ms"),
               "summary": summary if summary is not None else e.get("payload_summary")}
    w.insert("events", {"id": stable_id("evt", sid, ref), "company_id": run.cache["company_id"],
                        "actor_id": run.cache["employee_id"], "actor_kind": "employee",
                        "event_type": f"claude_code.{snake(e.get('event_type') or 'unknown')}",
                        "payload_json": clean_json({k: v for k, v in payload.items() if v is not None}),
                        "created_at": created}, ("id",))
    status = HEARTBEAT_STATUS.get(e.get("event_type") or "")
    if status:
        w.insert("runtime_heartbeats", {"id": stable_id("hb", sid, ref), "session_id": rts,
                                        "company_id": run.cache["company_id"], "employee_id": run.cache["employee_id"],
                                        "status": status, "cost_delta_json": "{}", "message": e.get("event_type"),
                                        "created_at": created}, ("id",))
    _tool_call(run, w, e, summary if isinstance(summary, dict) else {}, created)


TOOL_STATUS = {"PostToolUse": "success", "PostToolUseFailure": "error"}


def _latency_ms(run: Run, e: dict[str, Any], summary: dict[str, Any], created: int) -> int:
    """The tool's own duration when Claude Code reports it, else PreToolUse to this event."""
    reported = summary.get("duration_ms")
    if isinstance(reported, (int, float)) and not isinstance(reported, bool) and reported >= 0:
        return int(reported)
    if not e.get("tool_use_id") or e.get("event_type") == "PreToolUse":
        return 0
    pre = run.ledger.query("SELECT timestamp FROM hook_events WHERE session_id = ? AND tool_use_id = ?"
                           " AND event_type = 'PreToolUse' ORDER BY rowid LIMIT 1", (e["session_id"], e["tool_use_id"]))
    started = unix_ms(pre[0]["timestamp"]) if pre else None
    return max(0, created - started) if started else 0


def _tool_call(run: Run, w: Writer, e: dict[str, Any], summary: dict[str, Any], created: int) -> None:
    """A finished (or denied) tool call: its input and output as JSON, its error, its latency."""
    event = e.get("event_type")
    status = TOOL_STATUS.get(event or "") or ("denied" if event == "PreToolUse" and e.get("outcome") == "blocked" else None)
    if status is None:
        return
    tool_input = summary.get("tool_input", {})
    output = summary.get("tool_response") if event == "PostToolUse" else None
    error = summary.get("error") if status == "error" else None
    w.insert("tool_calls", {"id": stable_id("tool", e["session_id"], e.get("tool_use_id") or e.get("event_uid") or e["_rowid"]),
                            "run_id": run_id(e["session_id"]), "tool_name": e.get("tool_name") or "unknown",
                            "input_json": clean_json(tool_input, TOOL_JSON_MAX),
                            "output_json": None if output is None else clean_json(output, TOOL_JSON_MAX),
                            "latency_ms": _latency_ms(run, e, summary, created), "status": status,
                            "error": clean(error if isinstance(error, str) else e.get("error")),
                            "created_at": created}, ("id",))


# ---------------------------------------------------------------- ticket checkouts


def _ticket_for(run: Run, w: Writer, task: dict[str, Any]) -> dict[str, Any] | None:
    """The ticket a task maps to: configured, same id, or same title as the task's subject."""
    mapping = run.config.get("tickets") or {}
    wanted = mapping.get(f"{task['session_id']}:{task['task_id']}") or mapping.get(task.get("subject") or "") \
        or mapping.get(task["task_id"])
    if wanted:
        return w.find("tickets", {"id": wanted})
    return w.find("tickets", {"id": task["task_id"]}) or (
        w.find("tickets", {"title": task["subject"]}) if task.get("subject") else None)


def _task(run: Run, w: Writer, t: dict[str, Any]) -> None:
    status = t.get("status")
    if status not in ("in_progress", "completed", "deleted") or not w.target.has_table("tickets"):
        return
    ticket = _ticket_for(run, w, t)
    if ticket is None:
        return
    session = run.ledger.session(t["session_id"])
    rts = _ensure_runtime_session(run, w, t["session_id"])
    claimed = unix_ms(t.get("created_at")) or int(run.now * 1000)
    touched = unix_ms(t.get("updated_at") or t.get("completed_at")) or claimed
    if status == "in_progress":
        # a lease outlives neither its session nor its term
        state = "active" if session.get("status") == "active" and touched + LEASE_MS > run.now * 1000 else "expired"
    else:
        state = "completed" if status == "completed" else "released"
    checkout_id = stable_id("checkout", t["session_id"], t["task_id"], ticket["id"])
    if state == "active":
        held = w.conn.execute("SELECT 1 FROM ticket_checkouts WHERE ticket_id = ? AND status = 'active' AND id != ?",
                              (ticket["id"], checkout_id)).fetchone()
        if held:
            w.skip("ticket_checkouts")  # another run holds the ticket: one active checkout per ticket
            return
    ended = unix_ms(t.get("completed_at")) or touched
    w.upsert("ticket_checkouts", {
        "id": checkout_id, "company_id": ticket.get("company_id") or run.cache["company_id"], "ticket_id": ticket["id"],
        "employee_id": run.cache["employee_id"], "runtime_session_id": rts, "run_id": run_id(t["session_id"]),
        "status": state, "claimed_at": claimed,
        "last_heartbeat_at": touched, "expires_at": touched + LEASE_MS,
        "released_at": None if state == "active" else ended,
        "release_reason": {"active": None, "expired": "session ended", "completed": "task completed",
                           "released": "task deleted"}[state],
        "created_at": claimed, "updated_at": touched,
    }, ("id",), ("status", "last_heartbeat_at", "expires_at", "released_at", "release_reason", "updated_at"))


def steps(run: Run) -> list[tuple[str, Any, bool]]:
    return [
        ("sessions", _session, True),
        ("hook_events", _event, False),
        ("tasks", _task, True),
    ]
