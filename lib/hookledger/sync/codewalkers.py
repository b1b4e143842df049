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

from hookledger.sync.base import Run, Writer, clean_json, stable_id, unix_s
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


def _agent_row(run: Run, w: Writer, agent: dict[str, Any]) -> dict[str, Any]:
    session = run.ledger.session(agent.get("session_id") or "")
    created = agent.get("spawn_time") or session.get("started_at")
    updated = agent.get("end_time") or session.get("last_event_at") or created
    return {"id": agent["id"], "name": _name(w, agent["id"]), "sessionId": agent.get("session_id"),
            "worktreeId": session.get("project_dir") or run.project_dir or ".", "provider": "claude",
            "status": STATUS.get(agent.get("status") or "", "running"), "mode": "execute",
            "createdAt": unix_s(created), "updatedAt": unix_s(updated)}


def _agent(run: Run, w: Writer, agent: dict[str, Any]) -> None:
    w.upsert("agents", _agent_row(run, w, agent), ("id",), ("status", "updatedAt"))


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
        "agentId": agent["id"], "agentName": _name(w, agent["id"]), "sessionNumber": _session_number(run, e, agent),
        "content": clean_json({k: v for k, v in line.items() if v is not None}, end="\n"),
        "createdAt": unix_s(e.get("timestamp")),
    }, ("id",))


def steps(run: Run) -> list[tuple[str, Any, bool]]:
    return [
        (AGENTS, _agent, True),
        ("hook_events", _event, False),
    ]
