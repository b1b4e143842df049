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
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hookledger.hotpath.events import snake
from hookledger.sync.base import Run, Writer, clean, clean_json, stable_id, unix_ms
from hookledger.sync.source import AGENTS, claim_released, claim_settled, loads, open_task_line, snapshot_facts

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
    "thread_members": """
CREATE TABLE IF NOT EXISTS thread_members (
    thread_id TEXT NOT NULL REFERENCES threads(id),
    member_id TEXT NOT NULL,
    member_kind TEXT NOT NULL,
    role_in_thread TEXT,
    PRIMARY KEY (thread_id, member_id, member_kind)
);
""",
    "org_edges": """
CREATE TABLE IF NOT EXISTS org_edges (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    manager_id TEXT NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
    report_id TEXT NOT NULL UNIQUE REFERENCES employees(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
""",
    "messages": """
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES threads(id),
    author_id TEXT NOT NULL,
    author_kind TEXT NOT NULL,
    content TEXT NOT NULL,
    tool_calls_json TEXT,
    parent_id TEXT,
    is_agent_initiated INTEGER DEFAULT 0,
    created_at INTEGER NOT NULL
);
""",
    "approval_items": """
CREATE TABLE IF NOT EXISTS approval_items (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    priority TEXT NOT NULL DEFAULT 'medium',
    requested_by_operator_id TEXT,
    requested_by_employee_id TEXT,
    subject_ref_kind TEXT NOT NULL,
    subject_ref_id TEXT NOT NULL,
    summary TEXT NOT NULL,
    payload_json TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    resolved_at INTEGER
);
""",
    "approval_decisions": """
CREATE TABLE IF NOT EXISTS approval_decisions (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    approval_kind TEXT NOT NULL,
    approval_ref_id TEXT NOT NULL,
    decision TEXT NOT NULL,
    decided_by_operator_id TEXT,
    rationale TEXT,
    payload_json TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
""",
    "thread_digests": """
CREATE TABLE IF NOT EXISTS thread_digests (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    thread_id TEXT NOT NULL UNIQUE REFERENCES threads(id) ON DELETE CASCADE,
    summary TEXT NOT NULL,
    pinned_facts_json TEXT NOT NULL DEFAULT '[]',
    last_summarized_message_id TEXT REFERENCES messages(id),
    estimated_tokens INTEGER NOT NULL DEFAULT 0,
    freshness TEXT NOT NULL DEFAULT 'stale',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
""",
    "run_checkpoints": """
CREATE TABLE IF NOT EXISTS run_checkpoints (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    thread_id TEXT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    run_id TEXT REFERENCES runs(id),
    employee_id TEXT REFERENCES employees(id),
    checkpoint_kind TEXT NOT NULL,
    objective TEXT,
    progress_summary TEXT NOT NULL,
    blockers_json TEXT NOT NULL DEFAULT '[]',
    next_action TEXT,
    active_artifact_refs_json TEXT NOT NULL DEFAULT '[]',
    unresolved_approval_refs_json TEXT NOT NULL DEFAULT '[]',
    resume_origin_json TEXT,
    created_at INTEGER NOT NULL
);
""",
    "budget_policies": """
CREATE TABLE IF NOT EXISTS budget_policies (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    scope_kind TEXT NOT NULL,
    scope_ref_id TEXT NOT NULL,
    period TEXT NOT NULL DEFAULT 'monthly',
    hard_cap_usd TEXT NOT NULL,
    warning_threshold_pct INTEGER NOT NULL DEFAULT 80,
    auto_pause INTEGER NOT NULL DEFAULT 0,
    require_approval_above_usd TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (company_id, scope_kind, scope_ref_id, period)
);
""",
    "budget_ledger_entries": """
CREATE TABLE IF NOT EXISTS budget_ledger_entries (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    budget_policy_id TEXT REFERENCES budget_policies(id),
    scope_kind TEXT NOT NULL,
    scope_ref_id TEXT NOT NULL,
    run_id TEXT NOT NULL REFERENCES runs(id),
    run_kind TEXT NOT NULL,
    thread_id TEXT,
    employee_id TEXT NOT NULL,
    runtime_profile_id TEXT,
    routine_id TEXT,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    amount_usd TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (scope_kind, scope_ref_id, run_id)
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
    """The session as one Team-X run (LLM telemetry): tool_calls hang from it. cost_usd is the
    transcript's responses priced (knowledge.costs), a decimal string as Team-X stores money."""
    ended = unix_ms(s.get("ended_at"))
    # the run's wall time: to its end, or so far (to its last recorded event) while it runs
    latency = max(0, (ended or unix_ms(s.get("last_event_at")) or started) - started)
    row = {"id": run_id(s["session_id"]), "employee_id": run.cache["employee_id"], "thread_id": _thread(run, w, s),
           "provider": "anthropic",
           "model": s.get("model") or "unknown", **_usage(run, s["session_id"]), "latency_ms": latency,
           "cost_usd": usd_text(run.ledger.cost(s["session_id"]).usd),
           "started_at": started, "ended_at": ended, "status": RUN_STATUS.get(s.get("status") or "", "running"),
           "error": "session abandoned without SessionEnd" if s.get("status") == "abandoned" else None,
           "kind": "agentic"}
    if only_insert:
        w.insert("runs", row, ("id",))
    else:
        w.upsert("runs", row, ("id",), ("model", "prompt_tokens", "completion_tokens", "tool_calls_count", "ended_at",
                                        "status", "latency_ms", "thread_id", "error", "cost_usd"))
    return row["id"]


def usd_text(usd: Decimal | None) -> str:
    """Team-X's money: a decimal string to the micro-dollar. A session with a model the price
    table cannot price stays '0' (the column has no "unknown"; docs/sync.md says so)."""
    return "0" if usd is None else str(usd.quantize(Decimal("0.000001"), ROUND_HALF_UP))


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
           "status": _session_status(run, s), "current_run_id": run_id(s["session_id"]), "pid": s.get("claude_pid"),
           "workspace_path": s.get("project_dir") or run.project_dir or None, "capabilities_json": "{}",
           "last_heartbeat_at": last, "started_at": started, "ended_at": unix_ms(s.get("ended_at")),
           "failure_reason": "session abandoned without SessionEnd" if s.get("status") == "abandoned" else None,
           "created_at": started, "updated_at": max(last, unix_ms(s.get("ended_at")) or 0)}
    if only_insert:
        w.insert("runtime_sessions", row, ("id",))
    else:
        w.upsert("runtime_sessions", row, ("id",),
                 ("status", "last_heartbeat_at", "ended_at", "failure_reason", "updated_at", "current_run_id", "pid"))
    return row["id"]


def _ensure_runtime_session(run: Run, w: Writer, session_id: str) -> str:
    if w.known("runtime_sessions", {"id": runtime_session_id(session_id)}):
        return runtime_session_id(session_id)  # ensured earlier in this run: not built again per event
    return _runtime_session(run, w, run.ledger.session(session_id), only_insert=True)


def _session(run: Run, w: Writer, row: dict[str, Any]) -> None:
    """A sessions row, completed by the reader (the transcript's model when SessionStart had none),
    and its conversation: the user's prompts and Claude's replies as messages of its thread."""
    s = {**row, **run.ledger.session(row["session_id"])}
    _runtime_session(run, w, s)
    _spend(run, w, s)
    thread = _thread(run, w, s)
    sid, last = s["session_id"], None
    for p in run.ledger.prompts(sid):
        if p["text"]:  # a prompt whose text was not kept is no message (its length is not its text)
            last = _message(run, w, thread, "user", "user", p["text"], p["created_at"],
                            ("prompt", sid, p.get("prompt_id") or p["created_at"]))
    for r in run.ledger.last_messages(sid):
        if r["message"]:
            last = _message(run, w, thread, run.cache["employee_id"], "employee", r["message"], r["timestamp"],
                            ("reply", sid, r["id"]))
    if last is not None:
        w.upsert("threads", {**_thread_row(run, s), "last_message_at": last}, ("id",), ("last_message_at", "subject"))


def _spend(run: Run, w: Writer, s: dict[str, Any]) -> None:
    """An ended session's priced cost, ledgered once as the employee's spend on its run (under
    the employee's budget policy when the company has one). A live session's spend is not
    final and an unpriced one is not known: neither is ledgered."""
    usd = run.ledger.cost(s["session_id"]).usd
    if s.get("status") == "active" or usd is None or not w.target.has_table("budget_ledger_entries"):
        return
    employee = run.cache["employee_id"]
    policy = w.find("budget_policies", {"company_id": run.cache["company_id"], "scope_kind": "employee",
                                        "scope_ref_id": employee}) if w.target.has_table("budget_policies") else None
    at = unix_ms(s.get("ended_at")) or unix_ms(s.get("last_event_at")) or int(run.now * 1000)
    w.insert("budget_ledger_entries", {
        "id": stable_id("spend", s["session_id"]), "company_id": run.cache["company_id"],
        "budget_policy_id": policy["id"] if policy else None, "scope_kind": "employee", "scope_ref_id": employee,
        "run_id": run_id(s["session_id"]), "run_kind": "agentic", "thread_id": thread_id(s["session_id"]),
        "employee_id": employee, "provider": "anthropic", "model": s.get("model") or "unknown",
        "amount_usd": usd_text(usd), "occurred_at": at, "created_at": at,
    }, ("scope_kind", "scope_ref_id", "run_id"))


def _message(run: Run, w: Writer, thread: str, author: str, kind: str, text: str, ts: str | None,
             ref: tuple[Any, ...]) -> int:
    created = unix_ms(ts) or int(run.now * 1000)
    w.insert("messages", {"id": stable_id("msg", *ref), "thread_id": thread, "author_id": author, "author_kind": kind,
                          "content": clean(text), "is_agent_initiated": 0, "created_at": created}, ("id",))
    return created


def thread_id(session_id: str) -> str:
    return stable_id("thread", session_id)


def _thread_row(run: Run, s: dict[str, Any]) -> dict[str, Any]:
    first = run.ledger.first_prompt(s["session_id"])
    return {"id": thread_id(s["session_id"]), "company_id": run.cache["company_id"], "kind": "dm",
            "subject": clean(first or f"Claude Code session {s['session_id'][:8]}", 200),
            "created_by": run.cache["employee_id"],
            "created_at": unix_ms(s.get("started_at")) or unix_ms(s.get("last_event_at")) or int(run.now * 1000)}


def _thread(run: Run, w: Writer, s: dict[str, Any]) -> str | None:
    """The session's conversation thread (a direct thread between the user and Claude Code)."""
    if not w.target.has_table("threads"):
        return None
    row = _thread_row(run, s)
    w.insert("threads", row, ("id",))
    if w.target.has_table("thread_members"):
        w.insert("thread_members", {"thread_id": row["id"], "member_id": run.cache["employee_id"],
                                    "member_kind": "employee", "role_in_thread": "assignee"},
                 ("thread_id", "member_id", "member_kind"))
    return row["id"]


# ---------------------------------------------------------------- subagents, claims


def _subagent_employee(run: Run, w: Writer, agent_type: str) -> str:
    """One employee per kind of subagent (general-purpose, Explore...): who its runtime sessions are."""
    employee = stable_id("employee", run.cache["company_id"], ADAPTER_KIND, "subagent", agent_type)
    w.insert("employees", {"id": employee, "company_id": run.cache["company_id"], "role_pack_id": "hookledger",
                           "role_id": f"{ADAPTER_KIND}:{agent_type}",
                           "role_md_sha": hashlib.sha256(f"hookledger:claude-code:{agent_type}".encode()).hexdigest(),
                           "level": "IC", "name": f"Claude Code {agent_type}", "title": "Subagent", "status": "offline",
                           "tools_allowed_json": "[]", "tools_denied_json": "[]", "is_system": 0,
                           "created_at": int(run.now * 1000)}, ("id",))
    if w.target.has_table("org_edges"):  # subagents work for the main thread that launched them
        w.insert("org_edges", {"id": stable_id("org", employee), "company_id": run.cache["company_id"],
                               "manager_id": run.cache["employee_id"], "report_id": employee,
                               "created_at": int(run.now * 1000)}, ("report_id",))  # one manager each
    return employee


AGENT_STATUS = {"running": "working", "completed": "ended", "failed": "failed", "aborted_stale": "stale"}


def _agent(run: Run, w: Writer, agent: dict[str, Any]) -> None:
    """A subagent (agent registry) as its own runtime session, under its kind's employee, in its
    session's run; its end (failed or stale) says why."""
    if agent.get("is_main") or not agent.get("session_id"):
        return
    parent = _ensure_runtime_session(run, w, agent["session_id"])
    employee = _subagent_employee(run, w, agent.get("agent_type") or "agent")
    session = run.ledger.session(agent["session_id"])
    started = unix_ms(agent.get("spawn_time")) or unix_ms(session.get("started_at")) or int(run.now * 1000)
    ended = unix_ms(agent.get("end_time"))
    last = unix_ms(agent.get("last_event_at")) or ended or started
    status = AGENT_STATUS.get(agent.get("status") or "", "working")
    w.upsert("runtime_sessions", {
        "id": stable_id("rts", agent["session_id"], agent["id"]), "company_id": run.cache["company_id"],
        "employee_id": employee, "adapter_kind": ADAPTER_KIND, "status": status,
        "current_run_id": run_id(agent["session_id"]), "pid": session.get("claude_pid"),
        "workspace_path": session.get("project_dir") or run.project_dir or None,
        "capabilities_json": clean_json({"subagent": agent["id"], "agent_type": agent.get("agent_type"),
                                         "parent_runtime_session": parent,
                                         "task": agent.get("task_description")}),
        "last_heartbeat_at": last, "started_at": started, "ended_at": ended,
        "failure_reason": {"failed": "subagent failed", "stale": "subagent went stale (never stopped)"}.get(status),
        "created_at": started, "updated_at": max(last, ended or 0),
    }, ("id",), ("status", "last_heartbeat_at", "ended_at", "failure_reason", "updated_at", "capabilities_json"))


def _claim_final(c: dict[str, Any]) -> bool:
    """Its tool call finished and the claim ended: its events (insert-only) say the last word."""
    return claim_settled(c) and claim_released(c)


def _claim(run: Run, w: Writer, c: dict[str, Any]) -> None:
    """A file claim as events of the acting agent's runtime session: claimed (once its call
    ran, or was refused), and released when the claim ended."""
    sid = c.get("session_id")
    if not sid or c.get("phase") == "requested" and c.get("released_at") is None:
        return  # its call is still running: the next sync reads it again (the cursor waits)
    rts = _ensure_runtime_session(run, w, sid)
    payload = {"session_id": sid, "runtime_session_id": rts, "agent_id": c.get("agent_id"), "file": c["file_path"],
               "operation": c.get("operation"), "claim": c.get("status") or "held", "phase": c.get("phase"),
               "tool_use_id": c.get("tool_use_id")}
    for kind, ts in (("file_claimed", c.get("timestamp")), ("file_released", c.get("released_at"))):
        if ts:
            w.insert("events", {"id": stable_id("evt-claim", sid, c["_rowid"], kind),
                                "company_id": run.cache["company_id"],
                                "actor_id": run.cache["employee_id"], "actor_kind": "employee",
                                "event_type": f"claude_code.{kind}", "payload_json": clean_json(payload),
                                "created_at": unix_ms(ts) or int(run.now * 1000)}, ("id",))


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
                                        "status": status, "current_run_id": run_id(sid), "cost_delta_json": "{}",
                                        "message": e.get("event_type"),
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


def ticket_ref(session_id: str, task_id: str) -> str:
    return stable_id("ticket", session_id, task_id)


def _ticket_for(run: Run, w: Writer, task: dict[str, Any]) -> dict[str, Any] | None:
    """The ticket a task maps to: configured, same id, or same title as the task's subject
    among the company's own tickets (never one hookledger made for another session's task)."""
    mapping = run.config.get("tickets") or {}
    wanted = mapping.get(f"{task['session_id']}:{task['task_id']}") or mapping.get(task.get("subject") or "") \
        or mapping.get(task["task_id"])
    if wanted:
        return w.find("tickets", {"id": wanted})
    found = w.find("tickets", {"id": task["task_id"]})
    if found is None and task.get("subject"):
        cur = w.conn.execute("SELECT * FROM tickets WHERE title = ? AND id NOT LIKE 'hl-ticket-%' LIMIT 1",
                             (task["subject"],))
        row = cur.fetchone()
        found = dict(zip([d[0] for d in cur.description], row)) if row else None
    return found


TICKET_STATUS = {"pending": "open", "in_progress": "in-progress", "completed": "done"}


def _own_ticket(run: Run, w: Writer, t: dict[str, Any]) -> dict[str, Any] | None:
    """A task no ticket maps to becomes a ticket of its own (assigned to Claude Code, in its
    session's thread). A deleted task has no Team-X status: never written, left as it was."""
    status = TICKET_STATUS.get(t.get("status") or "")
    ref = ticket_ref(t["session_id"], t["task_id"])
    if status is None:
        return w.find("tickets", {"id": ref})
    created = unix_ms(t.get("created_at")) or int(run.now * 1000)
    updated = unix_ms(t.get("completed_at") or t.get("updated_at")) or created
    w.upsert("tickets", {
        "id": ref, "company_id": run.cache["company_id"],
        "title": clean(t.get("subject") or f"Task {t['task_id']}", 200),
        "description": clean(t.get("description") or "") or "", "status": status, "priority": "medium",
        "assignee_id": run.cache["employee_id"], "reporter_id": run.cache["employee_id"], "reporter_kind": "employee",
        "labels_json": clean_json(["claude-code", f"task:{t['task_id']}"]), "dependencies_json": "[]",
        "thread_id": _thread(run, w, run.ledger.session(t["session_id"])),
        "created_at": created, "updated_at": updated,
        "closed_at": unix_ms(t.get("completed_at")) if status == "done" else None,
    }, ("id",), ("title", "description", "status", "updated_at", "closed_at"))
    return w.find("tickets", {"id": ref})


def _task(run: Run, w: Writer, t: dict[str, Any]) -> None:
    status = t.get("status")
    if not w.target.has_table("tickets"):
        return
    ours = w.find("tickets", {"id": ticket_ref(t["session_id"], t["task_id"])})
    ticket = _ticket_for(run, w, t) if ours is None else None
    if ticket is None:
        _ensure_runtime_session(run, w, t["session_id"])  # the thread and run it hangs from
        ticket = _own_ticket(run, w, t)
    if ticket is None or status not in ("in_progress", "completed", "deleted"):
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
    _current_ticket(w, rts, ticket["id"], state == "active")


def _current_ticket(w: Writer, rts: str, ticket: str, active: bool) -> None:
    """The runtime session (ours: its id is minted) works on the ticket it holds an active
    checkout of; once that checkout ends it works on none."""
    row = w.find("runtime_sessions", {"id": rts})
    if row is None or "current_ticket_id" not in row:
        return
    wanted = ticket if active else (None if row["current_ticket_id"] == ticket else row["current_ticket_id"])
    if row["current_ticket_id"] != wanted:
        w.conn.execute("UPDATE runtime_sessions SET current_ticket_id = ? WHERE id = ?", (wanted, rts))
        w.count("updated", "runtime_sessions")


# ---------------------------------------------------------------- verdicts and snapshots


def _verdict(run: Run, w: Writer, v: dict[str, Any]) -> None:
    """A task-gate verdict as a deliverable review already decided: the approval item (resolved
    when decided) and its decision (approved for allow, denied for block), the rationale its reason."""
    sid = v.get("session_id")
    if not sid:
        w.skip("approval_items")
        return
    _ensure_runtime_session(run, w, sid)
    allowed = (v.get("decision") or "").lower() == "allow"
    created = unix_ms(v.get("timestamp")) or int(run.now * 1000)
    task = run.ledger.task_at(sid, None, None, v.get("task_id")) if v.get("task_id") else None
    ticket = None
    if task is not None and w.target.has_table("tickets"):
        ticket = _ticket_for(run, w, task) or w.find("tickets", {"id": ticket_ref(sid, task["task_id"])})
    item = stable_id("approval", sid, v["_rowid"], v.get("timestamp"))
    payload = {"source": "hookledger", "session_id": sid, "hook_event": v.get("hook_event"),
               "task_id": v.get("task_id"),
               "ticket_id": ticket["id"] if ticket else None, "run_id": run_id(sid), "verdict_source": v.get("source")}
    w.insert("approval_items", {
        "id": item, "company_id": run.cache["company_id"], "kind": "deliverable-review",
        "status": "approved" if allowed else "denied", "priority": "medium",
        "requested_by_employee_id": run.cache["employee_id"], "subject_ref_kind": "deliverable",
        "subject_ref_id": ticket["id"] if ticket else f"{sid}:{v.get('task_id') or v['_rowid']}",
        "summary": clean(f"{v.get('hook_event') or 'Review'}: task {v.get('task_id') or '?'}"
                         + (f" ({task.get('subject')})" if task and task.get("subject") else ""), 500),
        "payload_json": clean_json(payload), "created_at": created, "resolved_at": created}, ("id",))
    w.insert("approval_decisions", {
        "id": stable_id("approval-decision", sid, v["_rowid"], v.get("timestamp")),
        "company_id": run.cache["company_id"],
        "approval_kind": "deliverable-review", "approval_ref_id": item, "decision": "approved" if allowed else "denied",
        "rationale": clean(v.get("reason")),
        "payload_json": clean_json({**payload, "decided_by": "hookledger task gate"}),
        "created_at": created}, ("id",))


def _snapshot(run: Run, w: Writer, snap: dict[str, Any]) -> None:
    """A context snapshot as a run checkpoint of the session's run (in its thread), and the
    thread's digest brought up to it (one digest per thread, the latest snapshot's)."""
    sid = snap.get("session_id")
    if not sid or not w.target.has_table("threads"):
        w.skip("run_checkpoints")
        return
    _ensure_runtime_session(run, w, sid)
    session = run.ledger.session(sid)
    thread = _thread(run, w, session)
    facts = snapshot_facts(snap)
    files, open_tasks, kind = facts.files, facts.tasks, facts.kind
    blockers = facts.errors + [f"failed approach: {f}" for f in facts.failed]
    progress = "; ".join(x for x in (
        f"{len(files)} file(s) changed: {', '.join(files[:20])}" if files else "no file changed",
        f"{len(open_tasks)} task(s) open" if open_tasks else "no task open",
        f"{len(blockers)} blocker(s)" if blockers else "")
        if x)
    created = unix_ms(snap.get("timestamp")) or int(run.now * 1000)
    if kind == "session_end":
        checkpoint = "completion" if not open_tasks and not blockers else "stopped"
    else:
        checkpoint = "manual"  # a compaction: Claude Code's own context checkpoint
    nxt = next((open_task_line(x) for x in open_tasks), None)
    w.insert("run_checkpoints", {
        "id": stable_id("checkpoint", sid, snap["_rowid"], snap.get("timestamp")),
        "company_id": run.cache["company_id"], "thread_id": thread, "run_id": run_id(sid),
        "employee_id": run.cache["employee_id"], "checkpoint_kind": checkpoint,
        "objective": clean(run.ledger.first_prompt(sid), 2000), "progress_summary": clean(f"{kind}: {progress}"),
        "blockers_json": clean_json(blockers), "next_action": clean(nxt),
        "active_artifact_refs_json": clean_json(files), "unresolved_approval_refs_json": "[]",
        "resume_origin_json": clean_json({"source": "hookledger", "snapshot_type": kind, "session_id": sid}),
        "created_at": created}, ("id",))
    summary = clean(f"As of the {kind.replace('_', ' ')} snapshot: {progress}."
                    + (f" Next: {nxt}." if nxt else "") + (" Blockers: " + "; ".join(blockers) if blockers else ""))
    digest = w.find("thread_digests", {"thread_id": thread})
    if digest is not None and (digest.get("updated_at") or 0) > created:
        return  # a newer snapshot already summarised the thread
    said = w.conn.execute("SELECT id FROM messages WHERE thread_id = ? AND created_at <= ? ORDER BY created_at DESC, id"
                          " LIMIT 1", (thread, created)).fetchone() \
        if {"thread_id", "created_at"} <= set(w.target.columns("messages")) else None
    row = {"id": stable_id("digest", sid), "company_id": run.cache["company_id"], "thread_id": thread,
           "summary": summary,
           "last_summarized_message_id": said[0] if said else None,
           "pinned_facts_json": clean_json(blockers + [f"changed {f}" for f in files[:20]]),
           "estimated_tokens": len(summary or "") // 4, "freshness": "fresh" if kind == "session_end" else "stale",
           "created_at": created if digest is None else digest.get("created_at"), "updated_at": created}
    w.upsert("thread_digests", row, ("thread_id",),
             ("summary", "pinned_facts_json", "estimated_tokens", "freshness", "updated_at",
              "last_summarized_message_id"))


def steps(run: Run) -> list[tuple[str, Any, bool]]:
    return [
        ("sessions", _session, True),
        (AGENTS, _agent, True),
        ("hook_events", _event, False),
        ("file_claims", _claim, False, _claim_final),
        ("tasks", _task, True),
        ("llm_verdicts", _verdict, False),
        ("context_snapshots", _snapshot, False),
    ]
