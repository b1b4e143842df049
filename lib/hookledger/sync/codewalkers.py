"""Codewalkers: agents and agent_log_chunks (each agent's event log as raw JSONL chunks).

Column names are the seed's own (camelCase). `agents.name` is a unique human-readable alias
(adjective-animal), `worktreeId` is NOT NULL (the project directory Claude worked in),
timestamps are Drizzle `integer/timestamp` values (unix seconds). `agent_log_chunks` has no
foreign key, so chunks outlive their agent. See docs/sync.md for the column mapping.
"""

from __future__ import annotations

import bisect
import hashlib
from typing import Any

from hookledger.hotpath.events import main_agent_id
from hookledger.sync.base import Run, Writer, clean, clean_json, stable_id, unix_s
from hookledger.sync.source import AGENTS, loads

NAME = "codewalkers"

DDL: dict[str, str] = {
    # Parents of agents' foreign keys: SQLite refuses inserts that reference a missing table.
    "initiatives": """
CREATE TABLE IF NOT EXISTS initiatives (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT DEFAULT 'active',
    mergeRequiresApproval INTEGER DEFAULT 1,
    branch TEXT,
    createdAt INTEGER,
    updatedAt INTEGER
);
""",
    "phases": """
CREATE TABLE IF NOT EXISTS phases (
    id TEXT PRIMARY KEY,
    initiativeId TEXT REFERENCES initiatives(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    content TEXT,
    status TEXT,
    createdAt INTEGER,
    updatedAt INTEGER
);
""",
    "tasks": """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    phaseId TEXT REFERENCES phases(id) ON DELETE CASCADE,
    initiativeId TEXT REFERENCES initiatives(id) ON DELETE CASCADE,
    parentTaskId TEXT REFERENCES tasks(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    type TEXT,
    category TEXT,
    priority TEXT,
    status TEXT,
    requiresApproval INTEGER,
    "order" INTEGER DEFAULT 0,
    summary TEXT,
    createdAt INTEGER,
    updatedAt INTEGER
);
""",
    "accounts": """
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    provider TEXT NOT NULL DEFAULT 'claude',
    configJson TEXT,
    credentials TEXT,
    isExhausted INTEGER DEFAULT 0,
    exhaustedUntil INTEGER,
    lastUsedAt INTEGER,
    sortOrder INTEGER,
    createdAt INTEGER,
    updatedAt INTEGER
);
""",
    "agents": """
CREATE TABLE IF NOT EXISTS agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    taskId TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    initiativeId TEXT REFERENCES initiatives(id) ON DELETE SET NULL,
    sessionId TEXT,
    worktreeId TEXT NOT NULL,
    provider TEXT NOT NULL DEFAULT 'claude',
    accountId TEXT REFERENCES accounts(id) ON DELETE SET NULL,
    status TEXT DEFAULT 'idle',
    mode TEXT DEFAULT 'execute',
    pid INTEGER,
    exitCode INTEGER,
    outputFilePath TEXT,
    result TEXT,
    pendingQuestions TEXT,
    userDismissedAt INTEGER,
    createdAt INTEGER,
    updatedAt INTEGER
);
""",
    "conversations": """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    fromAgentId TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    toAgentId TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    initiativeId TEXT REFERENCES initiatives(id) ON DELETE SET NULL,
    phaseId TEXT REFERENCES phases(id) ON DELETE SET NULL,
    taskId TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    question TEXT NOT NULL,
    answer TEXT,
    status TEXT,
    createdAt INTEGER,
    updatedAt INTEGER
);
CREATE INDEX IF NOT EXISTS conversations_toAgentId_status_idx ON conversations(toAgentId, status);
CREATE INDEX IF NOT EXISTS conversations_fromAgentId_idx ON conversations(fromAgentId);
""",
    "agent_log_chunks": """
CREATE TABLE IF NOT EXISTS agent_log_chunks (
    id TEXT PRIMARY KEY,
    agentId TEXT NOT NULL,
    agentName TEXT NOT NULL,
    sessionNumber INTEGER,
    content TEXT NOT NULL,
    createdAt INTEGER
);
CREATE INDEX IF NOT EXISTS agent_log_chunks_agent_id_idx ON agent_log_chunks(agentId);
""",
}

STATUS = {"running": "running", "completed": "stopped", "failed": "crashed", "aborted_stale": "crashed"}
_ADJECTIVES = ("amber", "brave", "calm", "deft", "eager", "fleet", "gentle", "hardy", "keen", "lively",
               "mellow", "nimble", "plucky", "quiet", "rapid", "steady", "tidy", "vivid", "witty", "zesty")
_ANIMALS = ("badger", "crane", "dingo", "egret", "ferret", "gecko", "heron", "ibis", "jackal", "koala",
            "lemur", "marten", "newt", "otter", "puffin", "quokka", "raven", "stoat", "tapir", "walrus")


def alias(agent_id: str) -> str:
    """A stable adjective-animal name for an agent id (Codewalkers' naming style)."""
    h = int(hashlib.sha1(agent_id.encode("utf-8")).hexdigest(), 16)
    return f"{_ADJECTIVES[h % len(_ADJECTIVES)]}-{_ANIMALS[(h // len(_ADJECTIVES)) % len(_ANIMALS)]}"


def _name(w: Writer, agent_id: str) -> str:
    """The agent's name in the target: the one it already has, else a free alias (unique)."""
    existing = w.find("agents", {"id": agent_id})
    if existing is not None:
        return existing["name"]
    base = alias(agent_id)
    name, n = base, 1
    while w.find("agents", {"name": name}) is not None:
        n += 1
        name = f"{base}-{n}"
    return name


def _known_name(run: Run, w: Writer, agent_id: str) -> str:
    """_name, asked of the target once per agent per run: every log chunk names its agent, and
    a lookup per hook run was a tenth of a large first sync. (The agent row exists by then and
    keeps its name; a retried batch computes the same name again.)"""
    names: dict[str, str] = run.cache.setdefault("agent_names", {})
    name = names.get(agent_id)
    if name is None:
        name = names[agent_id] = _name(w, agent_id)
    return name


def _agent_row(run: Run, w: Writer, agent: dict[str, Any]) -> dict[str, Any]:
    """The agent: its task (the one it was on last), the Claude Code process it ran in, its
    transcript as the output file, its last message as the result once it ended."""
    sid = agent.get("session_id") or ""
    session = run.ledger.session(sid)
    created = agent.get("spawn_time") or session.get("started_at")
    updated = agent.get("end_time") or session.get("last_event_at") or created
    stops = run.ledger.last_messages(sid, None if agent.get("is_main") else agent["id"]) if sid else []
    ended = agent.get("status") != "running"
    task = run.ledger.task_at(sid, None if agent.get("is_main") else agent["id"], agent.get("end_time")
                              or session.get("last_event_at"), or_last=True)
    task_id = task_ref(sid, task["task_id"]) if task else None
    return {"id": agent["id"], "name": _name(w, agent["id"]), "sessionId": agent.get("session_id"),
            "taskId": task_id if task_id and w.find("tasks", {"id": task_id}) else None,
            "worktreeId": session.get("project_dir") or run.project_dir or ".", "provider": "claude",
            "status": STATUS.get(agent.get("status") or "", "running"), "mode": "execute",
            "pid": session.get("claude_pid"),
            "outputFilePath": next((s["transcript"] for s in reversed(stops) if s["transcript"]), None)
            or (session.get("transcript_path") if agent.get("is_main") else None),
            "result": clean(next((s["message"] for s in reversed(stops) if s["message"]), None)) if ended else None,
            "createdAt": unix_s(created), "updatedAt": unix_s(updated)}


def _agent(run: Run, w: Writer, agent: dict[str, Any]) -> None:
    w.upsert("agents", _agent_row(run, w, agent), ("id",),
             ("status", "updatedAt", "taskId", "pid", "outputFilePath", "result"))
    if not agent.get("is_main"):
        _conversation(run, w, agent)


def _conversation(run: Run, w: Writer, agent: dict[str, Any]) -> None:
    """The delegation as Codewalkers' inter-agent conversation: the parent asked (the prompt it
    gave the subagent), the subagent answered (its last message) when it stopped."""
    sid = agent.get("session_id") or ""
    spawn = run.ledger.spawn(agent) or {}
    question = spawn.get("prompt") or spawn.get("description") or agent.get("task_description")
    if not question:
        w.skip("conversations")
        return
    parent = run.ledger.agent(sid, spawn.get("parent_agent_id") or main_agent_id(sid))
    w.insert("agents", _agent_row(run, w, parent), ("id",))  # both ends exist first (foreign keys)
    stops = run.ledger.last_messages(sid, agent["id"])
    answer = next((s["message"] for s in reversed(stops) if s["message"]), None)
    ended = agent.get("status") != "running"
    task = run.ledger.task_at(sid, agent["id"], agent.get("end_time"), or_last=True)
    task_id = task_ref(sid, task["task_id"]) if task else None
    w.upsert("conversations", {
        "id": stable_id("conversation", sid, agent["id"]), "fromAgentId": parent["id"], "toAgentId": agent["id"],
        "taskId": task_id if task_id and w.find("tasks", {"id": task_id}) else None,
        "question": clean(question), "answer": clean(answer) if ended else None,
        "status": "answered" if ended else "pending",
        "createdAt": unix_s(spawn.get("requested_at") or agent.get("spawn_time")),
        "updatedAt": unix_s(agent.get("end_time") or agent.get("spawn_time")),
    }, ("id",), ("question", "answer", "status", "updatedAt", "taskId"))


def task_ref(session_id: str, task_id: str) -> str:
    """A ledger task's id in Codewalkers (task ids repeat across sessions: "1", "2"...)."""
    return stable_id("task", session_id, task_id)


TASK_STATUS = {"pending": "pending", "in_progress": "in_progress", "completed": "completed"}


def _task(run: Run, w: Writer, t: dict[str, Any]) -> None:
    """A ledger task as a Codewalkers task. A deleted task has no Codewalkers status: it is not
    written, and one written before stays as it was."""
    status = TASK_STATUS.get(t.get("status") or "")
    if status is None:
        return
    created = unix_s(t.get("created_at"))
    updated = unix_s(t.get("completed_at") or t.get("updated_at") or t.get("created_at"))
    order = int(t["task_id"]) if str(t["task_id"]).isdigit() else 0
    w.upsert("tasks", {"id": task_ref(t["session_id"], t["task_id"]),
                       "name": clean(t.get("subject") or f"Task {t['task_id']}", 200),
                       "description": clean(t.get("description")), "type": "auto", "category": "execute",
                       "priority": "medium", "status": status, "requiresApproval": 0, "order": order,
                       "summary": clean(t.get("status_reason")), "createdAt": created, "updatedAt": updated},
             ("id",), ("name", "description", "status", "summary", "updatedAt"))


def _snapshot(run: Run, w: Writer, snap: dict[str, Any]) -> None:
    """A context snapshot (pre/post compaction, session end) as a chunk of the main thread's log."""
    sid = snap.get("session_id")
    if not sid:
        w.skip("agent_log_chunks")
        return
    agent = run.ledger.agent(sid, None)
    w.insert("agents", _agent_row(run, w, agent), ("id",))
    content = loads(snap.get("content"))
    line = {"timestamp": snap.get("timestamp"), "type": "context_snapshot", "snapshot_type": snap.get("snapshot_type"),
            "session_id": sid, "snapshot": content if content is not None else snap.get("content")}
    w.insert("agent_log_chunks", {
        "id": stable_id("chunk-snapshot", sid, snap["_rowid"], snap.get("timestamp")),
        "agentId": agent["id"], "agentName": _name(w, agent["id"]),
        "sessionNumber": _session_number(run, {"session_id": sid,
                                                "_rowid": _event_rowid_at(run, sid, snap.get("timestamp"))}, agent),
        "content": clean_json(line) + "\n", "createdAt": unix_s(snap.get("timestamp")),
    }, ("id",))


def _event_rowid_at(run: Run, session_id: str, ts: str | None) -> int:
    """The last hook event of the session at or before `ts` (to number the session resume)."""
    rows = run.ledger.query("SELECT max(rowid) AS id FROM hook_events WHERE session_id = ? AND timestamp <= ?",
                            (session_id, ts or "")) if run.ledger.has("hook_events") else []
    return (rows[0]["id"] if rows else None) or 0


def _resumes(run: Run, session_id: str) -> list[int]:
    """Rowids of the session's SessionStart events that resumed it (read once per run)."""
    cache = run.cache.setdefault("resumes", {})
    if session_id not in cache:
        starts = run.ledger.query("SELECT rowid AS id, payload_summary FROM hook_events WHERE session_id = ?"
                                  " AND event_type = 'SessionStart' ORDER BY rowid", (session_id,))
        cache[session_id] = [r["id"] for r in starts
                             if (loads(r["payload_summary"]) or {}).get("source") == "resume"]
    return cache[session_id]


def _session_number(run: Run, event: dict[str, Any], agent: dict[str, Any]) -> int:
    """spawn = 1, each resume of the session +1 (subagents are never resumed)."""
    if not agent.get("is_main") or not event.get("session_id"):
        return 1
    return 1 + bisect.bisect_right(_resumes(run, event["session_id"]), event["_rowid"])


def _event(run: Run, w: Writer, e: dict[str, Any]) -> None:
    agent = run.ledger.agent(e.get("session_id"), e.get("agent_id"))
    if not w.known("agents", {"id": agent["id"]}):  # parent first (no FK, but a name to show)
        w.insert("agents", _agent_row(run, w, agent), ("id",))
    line = {"timestamp": e.get("timestamp"), "type": e.get("event_type"), "session_id": e.get("session_id"),
            "tool_name": e.get("tool_name"), "tool_use_id": e.get("tool_use_id"), "outcome": e.get("outcome"),
            "error": e.get("error"), "duration_ms": e.get("duration_ms"),
            "payload": loads(e.get("payload_summary")) or e.get("payload_summary")}
    w.insert("agent_log_chunks", {
        "id": stable_id("chunk", e.get("session_id"), e.get("event_uid") or e["_rowid"]),
        "agentId": agent["id"], "agentName": _known_name(run, w, agent["id"]),
        "sessionNumber": _session_number(run, e, agent),
        "content": clean_json({k: v for k, v in line.items() if v is not None}, end="\n"),
        "createdAt": unix_s(e.get("timestamp")),
    }, ("id",))


def steps(run: Run) -> list[tuple[str, Any, bool]]:
    return [
        ("tasks", _task, True),
        (AGENTS, _agent, True),
        ("hook_events", _event, False),
        ("context_snapshots", _snapshot, False),
    ]
