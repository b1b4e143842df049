"""The coordination server's database ("flightdeck"): agent_roster, file_locks, activity_log,
decisions.

Its conventions: ISO-8601 UTC text ending in 'Z' for every timestamp, `team_id` 'default',
file locks that expire (300 s unless configured) and belong to one agent. A live lock held by
another agent is never taken over (nor a live `dir/*` lock covering the file: the server's
FileLockRegistry treats those as conflicts too); an expired one is free, as the server itself
treats it. `action_type` stays within the server's ActionType enum.
See docs/sync.md for the column mapping.
"""

from __future__ import annotations

import os
from typing import Any

from hookledger.hotpath.events import main_agent_id
from hookledger.sync.base import (Run, Writer, clean, clean_json, iso_z, iso_z_at, seconds, stable_id,
                                  upsert_where_keyed)
from hookledger.sync.source import (AGENTS, claim_done, claim_released, error_settled, open_task_line,
                                    snapshot_facts)

NAME = "flightdeck"
LOCK_TTL_S = 300

_NOW_Z = "(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"  # the server's own utcNow default

DDL: dict[str, str] = {
    "agent_roster": f"""
CREATE TABLE IF NOT EXISTS agent_roster (
    agent_id TEXT NOT NULL PRIMARY KEY,
    role TEXT NOT NULL,
    model TEXT NOT NULL,
    session_id TEXT,
    project_id TEXT,
    provider TEXT,
    team_id TEXT NOT NULL DEFAULT 'default',
    created_at TEXT NOT NULL DEFAULT {_NOW_Z},
    updated_at TEXT NOT NULL DEFAULT {_NOW_Z},
    last_task_summary TEXT
);
CREATE INDEX IF NOT EXISTS idx_agent_roster_project ON agent_roster(project_id);
CREATE INDEX IF NOT EXISTS idx_agent_roster_project_team ON agent_roster(project_id, team_id);
CREATE INDEX IF NOT EXISTS idx_agent_roster_team ON agent_roster(team_id);
CREATE INDEX IF NOT EXISTS idx_agent_roster_session ON agent_roster(session_id);
""",
    "file_locks": f"""
CREATE TABLE IF NOT EXISTS file_locks (
    file_path TEXT NOT NULL PRIMARY KEY,
    agent_id TEXT NOT NULL,
    agent_role TEXT NOT NULL,
    reason TEXT,
    acquired_at TEXT DEFAULT {_NOW_Z},
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_file_locks_agent ON file_locks(agent_id);
""",
    "activity_log": f"""
CREATE TABLE IF NOT EXISTS activity_log (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    agent_id TEXT NOT NULL,
    agent_role TEXT NOT NULL,
    action_type TEXT NOT NULL,
    summary TEXT NOT NULL,
    details TEXT DEFAULT '{{}}',
    timestamp TEXT DEFAULT {_NOW_Z}
);
CREATE INDEX IF NOT EXISTS idx_activity_agent ON activity_log(agent_id);
CREATE INDEX IF NOT EXISTS idx_activity_type ON activity_log(action_type);
""",
    "decisions": """
CREATE TABLE IF NOT EXISTS decisions (
    id TEXT NOT NULL PRIMARY KEY,
    agent_id TEXT NOT NULL,
    agent_role TEXT NOT NULL,
    lead_id TEXT,
    project_id TEXT,
    title TEXT NOT NULL,
    rationale TEXT,
    needs_confirmation INTEGER DEFAULT 0,
    status TEXT DEFAULT 'recorded',
    auto_approved INTEGER DEFAULT 0,
    confirmed_at TEXT
);
CREATE INDEX IF NOT EXISTS idx_decisions_status ON decisions(status);
CREATE INDEX IF NOT EXISTS idx_decisions_needs_confirmation ON decisions(needs_confirmation);
CREATE INDEX IF NOT EXISTS idx_decisions_lead_id ON decisions(lead_id);
CREATE INDEX IF NOT EXISTS idx_decisions_project_id ON decisions(project_id);
""",
    "conversations": """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY NOT NULL,
    agent_id TEXT NOT NULL,
    task_id TEXT
);
CREATE INDEX IF NOT EXISTS idx_conversations_agent ON conversations(agent_id);
""",
    "messages": """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    sender TEXT NOT NULL,
    content TEXT NOT NULL,
    from_role TEXT
);
CREATE INDEX IF NOT EXISTS idx_messages_conversation ON messages(conversation_id);
""",
    "dag_tasks": f"""
CREATE TABLE IF NOT EXISTS dag_tasks (
    id TEXT NOT NULL,
    lead_id TEXT NOT NULL,
    project_id TEXT,
    team_id TEXT NOT NULL DEFAULT 'default',
    role TEXT NOT NULL,
    title TEXT,
    description TEXT NOT NULL,
    files TEXT DEFAULT '[]',
    depends_on TEXT DEFAULT '[]',
    dag_status TEXT DEFAULT 'pending',
    priority INTEGER DEFAULT 0,
    model TEXT,
    assigned_agent_id TEXT,
    failure_reason TEXT,
    created_at TEXT DEFAULT {_NOW_Z},
    started_at TEXT,
    completed_at TEXT,
    archived_at TEXT,
    PRIMARY KEY (id, lead_id)
);
CREATE INDEX IF NOT EXISTS idx_dag_tasks_lead ON dag_tasks(lead_id);
CREATE INDEX IF NOT EXISTS idx_dag_tasks_status ON dag_tasks(dag_status);
CREATE INDEX IF NOT EXISTS idx_dag_tasks_project ON dag_tasks(project_id);
CREATE INDEX IF NOT EXISTS idx_dag_tasks_team ON dag_tasks(team_id);
CREATE INDEX IF NOT EXISTS idx_dag_tasks_id_team ON dag_tasks(id, team_id);
""",
    "projects": f"""
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    cwd TEXT,
    created_at TEXT DEFAULT {_NOW_Z}
);
""",
    "project_sessions": f"""
CREATE TABLE IF NOT EXISTS project_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id TEXT NOT NULL REFERENCES projects(id),
    task TEXT,
    started_at TEXT DEFAULT {_NOW_Z}
);
CREATE INDEX IF NOT EXISTS idx_project_sessions_project ON project_sessions(project_id);
""",
    "active_delegations": f"""
CREATE TABLE IF NOT EXISTS active_delegations (
    delegation_id TEXT PRIMARY KEY NOT NULL,
    agent_id TEXT NOT NULL REFERENCES agent_roster(agent_id),
    task TEXT NOT NULL,
    context TEXT,
    dag_task_id TEXT,
    team_id TEXT NOT NULL DEFAULT 'default',
    created_at TEXT NOT NULL DEFAULT {_NOW_Z},
    completed_at TEXT
);
CREATE INDEX IF NOT EXISTS idx_ad_dag_task ON active_delegations(dag_task_id);
CREATE INDEX IF NOT EXISTS idx_ad_team ON active_delegations(team_id);
""",
    "agent_file_history": f"""
CREATE TABLE IF NOT EXISTS agent_file_history (
    agent_id TEXT NOT NULL,
    agent_role TEXT NOT NULL,
    lead_id TEXT NOT NULL,
    file_path TEXT NOT NULL,
    first_touched_at TEXT DEFAULT {_NOW_Z},
    last_touched_at TEXT DEFAULT {_NOW_Z},
    PRIMARY KEY (agent_id, lead_id, file_path)
);
CREATE INDEX IF NOT EXISTS idx_file_history_file ON agent_file_history(file_path, lead_id);
CREATE INDEX IF NOT EXISTS idx_file_history_agent ON agent_file_history(agent_id, lead_id);
""",
    "task_cost_records": f"""
CREATE TABLE IF NOT EXISTS task_cost_records (
    agent_id TEXT NOT NULL,
    dag_task_id TEXT NOT NULL,
    lead_id TEXT NOT NULL,
    project_id TEXT,
    input_tokens INTEGER DEFAULT 0,
    output_tokens INTEGER DEFAULT 0,
    cache_read_tokens INTEGER DEFAULT 0,
    cache_write_tokens INTEGER DEFAULT 0,
    cost_usd REAL DEFAULT 0,
    created_at TEXT DEFAULT {_NOW_Z},
    PRIMARY KEY (agent_id, dag_task_id, lead_id)
);
CREATE INDEX IF NOT EXISTS idx_task_cost_agent ON task_cost_records(agent_id);
CREATE INDEX IF NOT EXISTS idx_task_cost_task ON task_cost_records(dag_task_id, lead_id);
CREATE INDEX IF NOT EXISTS idx_task_cost_project ON task_cost_records(project_id);
""",
    "session_retros": """
CREATE TABLE IF NOT EXISTS session_retros (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_session_retros_lead ON session_retros(lead_id);
""",
}

_ACTIVITY_KEY = ("agent_id", "action_type", "timestamp", "summary")
# agent_registry status -> agent_roster.status ('idle' | 'running' | 'terminated' on the server)
ROSTER_STATUS = {"running": "running"}
ENDED = ("completed", "failed", "aborted_stale")


def role(agent: dict[str, Any]) -> str:
    return "lead" if agent.get("is_main") else (agent.get("agent_type") or "agent")


def project_id(run: Run) -> str | None:
    configured = run.config.get("project_id")
    if configured:
        return str(configured)
    return (os.path.basename(run.project_dir.rstrip("/")) or None) if run.project_dir else None


def _roster_row(run: Run, agent: dict[str, Any]) -> dict[str, Any]:
    session = run.ledger.session(agent.get("session_id") or "")
    created = agent.get("spawn_time") or session.get("started_at")
    updated = agent.get("end_time") or (session.get("last_event_at") if agent.get("is_main") else None) or created
    return {"agent_id": agent["id"], "role": role(agent), "model": agent.get("model") or "unknown",
            "status": ROSTER_STATUS.get(agent.get("status") or "", "terminated"),
            "session_id": agent.get("session_id"), "project_id": project_id(run), "provider": "anthropic",
            "team_id": "default", "created_at": iso_z(created), "updated_at": iso_z(updated),
            "last_task_summary": clean(agent.get("task_description"), 500)}


def _agent(run: Run, w: Writer, agent: dict[str, Any]) -> None:
    """An agent's roster row; a subagent's spawn, and its end once it ended."""
    w.upsert("agent_roster", _roster_row(run, agent), ("agent_id",),
             ("updated_at", "last_task_summary", "model", "status"))
    _conversation(run, w, agent)
    if agent.get("is_main"):
        return
    _delegation(run, w, agent)
    _activity(run, w, agent, "sub_agent_spawned", agent.get("spawn_time"),
              f"Spawned {agent.get('agent_type') or 'agent'}: {agent.get('task_description') or agent['id']}",
              {"agent_type": agent.get("agent_type")})
    if agent.get("end_time") and agent.get("status") in ENDED:
        action = "task_completed" if agent["status"] == "completed" else "agent_terminated"
        _activity(run, w, agent, action, agent["end_time"], f"Agent {agent['id']} {agent['status']}",
                  {"status": agent["status"], "files_changed": agent.get("files_changed")})


def _conversation(run: Run, w: Writer, agent: dict[str, Any]) -> None:
    """The agent's conversation: for a lead the user's prompts and its replies (the message it
    stopped on), for a subagent the lead's instructions (the spawn prompt) and its last message."""
    sid = agent.get("session_id") or ""
    if not sid:
        return
    task = run.ledger.task_at(sid, None if agent.get("is_main") else agent["id"], None, or_last=True)
    said: list[tuple[str, str, str | None, str | None]] = []  # (sender, from_role, content, time)
    if agent.get("is_main"):
        said += [("user", "user", p["text"], p["created_at"]) for p in run.ledger.prompts(sid)]
    else:
        spawn = run.ledger.spawn(agent) or {}
        said.append(("agent", "lead", spawn.get("prompt") or spawn.get("description"), spawn.get("requested_at")))
    said += [("agent", role(agent), r["message"], r["timestamp"])
             for r in run.ledger.last_messages(sid, None if agent.get("is_main") else agent["id"])]
    said = [x for x in said if x[2]]
    if not said:
        return
    conversation = stable_id("conversation", sid, agent["id"])
    w.upsert("conversations", {"id": conversation, "agent_id": agent["id"],
                               "task_id": task["task_id"] if task else None}, ("id",), ("task_id",))
    for sender, from_role, content, ts in said:
        w.insert("messages", {"conversation_id": conversation, "sender": sender, "content": clean(content),
                              "from_role": from_role, "timestamp": iso_z(ts), "created_at": iso_z(ts)},
                 ("conversation_id", "sender", "content", "timestamp", "created_at"))


def _delegation(run: Run, w: Writer, agent: dict[str, Any]) -> None:
    """The lead's delegation of work to a subagent: open while it runs, completed_at when it ended."""
    spawn = run.ledger.spawn(agent) or {}
    task = run.ledger.task_at(agent.get("session_id"), agent["id"], agent.get("end_time") or None)
    ended = agent.get("end_time") if agent.get("status") in ENDED else None
    w.upsert("active_delegations", {
        "delegation_id": stable_id("delegation", agent.get("session_id"), agent["id"]), "agent_id": agent["id"],
        "task": clean(agent.get("task_description") or spawn.get("description") or agent.get("agent_type")
                      or agent["id"], 500),
        "context": clean(spawn.get("prompt")), "dag_task_id": task["task_id"] if task else None,
        "lead_id": main_agent_id(agent.get("session_id") or ""), "team_id": "default",
        "status": "active" if ended is None else ("completed" if agent["status"] == "completed" else "failed"),
        "created_at": iso_z(agent.get("spawn_time")), "completed_at": iso_z(ended),
    }, ("delegation_id",), ("task", "context", "completed_at", "status", "dag_task_id"))


def _ensure_agent(run: Run, w: Writer, session_id: str | None, agent_id: str | None) -> dict[str, Any]:
    agent = run.ledger.agent(session_id, agent_id)
    if not w.known("agent_roster", {"agent_id": agent["id"]}):  # else ensured earlier in this run
        w.insert("agent_roster", _roster_row(run, agent), ("agent_id",))
    return agent


def _activity(run: Run, w: Writer, agent: dict[str, Any], action: str, ts: str | None, summary: str,
              details: dict[str, Any]) -> None:
    w.insert("activity_log", {"agent_id": agent["id"], "agent_role": role(agent), "action_type": action,
                              "project_id": project_id(run),
                              "summary": clean(summary, 500), "timestamp": iso_z(ts),
                              "details": clean_json({"source": "hookledger", "session_id": agent.get("session_id"),
                                                     **details})}, _ACTIVITY_KEY)


def claim_window(run: Run) -> float:
    """How long a claim stays live without its agent ending: the project's claims.window_seconds."""
    if "claim_window" not in run.cache:
        from hookledger.hotpath.config import get, load

        window = get(load(run.project_dir), "claims.window_seconds") if run.project_dir else None
        run.cache["claim_window"] = float(window) if isinstance(window, (int, float)) and window >= 0 else 600.0
    return run.cache["claim_window"]


def paths_conflict(held: str, wanted: str) -> bool:
    """The server's own rule: the same path, or a `dir/*` lock covering the other path."""
    if held == wanted:
        return True
    if held.endswith("/*") and wanted.startswith(held[:-1]):
        return True
    return wanted.endswith("/*") and held.startswith(wanted[:-1])


def _held_by_other(run: Run, w: Writer, path: str, agent_id: str) -> bool:
    """Another agent holds a live lock on `path`, exactly or through a `dir/*` pattern."""
    for row in w.conn.execute("SELECT file_path, agent_id, expires_at FROM file_locks WHERE agent_id != ?"
                              " AND (file_path = ? OR file_path LIKE '%/*')", (agent_id, path)):
        until = seconds(row[2])
        if paths_conflict(row[0], path) and (until is None or until > run.now):
            return True
    return False


def _release(w: Writer, agent: dict[str, Any], claim: dict[str, Any], existing: dict[str, Any] | None) -> None:
    """The claim ended (released, or its agent ended): the lock we wrote for it ends then too.

    Its expires_at moves back to the release time, which the server reads as free (and
    cleans up itself). Nothing is deleted; a lock that is not ours is never touched.
    """
    if existing is None or existing.get("agent_id") != agent["id"]:
        return
    end = seconds(claim.get("released_at")) if claim.get("released_at") else seconds(agent.get("end_time"))
    held_until = seconds(existing.get("expires_at"))
    if end is None or held_until is None or held_until <= end or (seconds(existing.get("acquired_at")) or 0) > end:
        return
    w.conn.execute("UPDATE file_locks SET expires_at = ? WHERE file_path = ? AND agent_id = ?",
                   (iso_z_at(end), claim["file_path"], agent["id"]))
    w.count("updated", "file_locks")


def _lock(run: Run, w: Writer, agent: dict[str, Any], claim: dict[str, Any]) -> None:
    """A live claim becomes the agent's lock; another agent's live lock is never taken.

    Live means what hookledger itself means (claims.v_file_owners): a `held` claim, not yet
    released, of an agent still running, within the claim window; the lock then expires
    the target's TTL after it was taken.
    """
    if claim.get("status") not in (None, "held") or claim.get("phase") == "failed":
        w.skip("file_locks")  # shared claims and failed calls never held the file
        return
    path, acquired = claim["file_path"], seconds(claim.get("timestamp"))
    if acquired is None:
        w.skip("file_locks")
        return
    existing = w.find("file_locks", {"file_path": path})
    if claim.get("released_at") or agent.get("status") != "running":
        _release(w, agent, claim, existing)
        return
    ttl = float(run.config.get("lock_ttl_seconds") or LOCK_TTL_S)
    if acquired + claim_window(run) <= run.now or acquired + ttl <= run.now:
        w.skip("file_locks")  # out of its window: nothing to hold
        return
    if _held_by_other(run, w, path, agent["id"]):
        w.skip("file_locks")  # another agent's live lock
        return
    ours = existing is not None and existing.get("agent_id") == agent["id"]
    if ours and (seconds(existing.get("acquired_at")) or 0) >= acquired:
        return  # already ours from this claim or a newer one
    row = w.fit("file_locks", {"file_path": path, "agent_id": agent["id"], "agent_role": role(agent),
                               "project_id": project_id(run),
                               "reason": clean(f"{claim.get('operation') or 'Edit'} (hookledger claim)"),
                               "acquired_at": iso_z(claim["timestamp"]), "expires_at": iso_z_at(acquired + ttl)})
    if existing is None:
        w.insert("file_locks", row, ("file_path",))
        return
    # an expired lock (of any agent) or an older lock of ours: this claim takes it
    sets = ", ".join(f"[{k}] = ?" for k in row if k != "file_path")
    w.conn.execute(f"UPDATE file_locks SET {sets} WHERE file_path = ?",
                   [v for k, v in row.items() if k != "file_path"] + [path])
    w.count("updated", "file_locks")


def _claim(run: Run, w: Writer, c: dict[str, Any]) -> None:
    agent = _ensure_agent(run, w, c.get("session_id"), c.get("agent_id"))
    if claim_done(c):
        # `file` is the key the server's activity summary reads a file_edit's path from
        _activity(run, w, agent, "file_edit", c.get("timestamp"), f"{c.get('operation') or 'Edit'} {c['file_path']}",
                  {"file": c["file_path"], "operation": c.get("operation"), "claim": c.get("status") or "held"})
        _file_history(run, w, agent, c)
    _lock(run, w, agent, c)


def _file_history(run: Run, w: Writer, agent: dict[str, Any], c: dict[str, Any]) -> None:
    """Which agent changed which file under which lead: first and last time (claims come in order)."""
    key = {"agent_id": agent["id"], "lead_id": main_agent_id(c.get("session_id") or ""), "file_path": c["file_path"]}
    existing = w.find("agent_file_history", key)
    touched = iso_z(c.get("timestamp"))
    if existing is None:
        w.insert("agent_file_history", {**key, "agent_role": role(agent), "first_touched_at": touched,
                                        "last_touched_at": touched}, tuple(key))
    elif (existing.get("last_touched_at") or "") < (touched or ""):
        w.upsert("agent_file_history", {**key, "agent_role": role(agent), "last_touched_at": touched,
                                        "first_touched_at": existing.get("first_touched_at")},
                 tuple(key), ("last_touched_at",))


def _error(run: Run, w: Writer, e: dict[str, Any]) -> None:
    """The error when it happened (with the escalation it reached then), and its resolution
    as a `status_change` entry once it is fixed or abandoned (the server has no action type
    for a resolved error)."""
    agent = _ensure_agent(run, w, e.get("session_id"), e.get("agent_id"))
    what = e.get("command") or e.get("tool_name")
    where = f" in {e['file_path']}" if e.get("file_path") else ""
    label = f"{e.get('error_category') or 'runtime'} error" + (f" ({what})" if what else "") + where
    escalation = e.get("escalation") if "escalation" in e else None
    _activity(run, w, agent, "error", e.get("timestamp"), f"{label}: {e.get('error_message') or ''}",
              {"file": e.get("file_path"), "category": e.get("error_category"), "tool_name": e.get("tool_name"),
               "command": e.get("command"), "signature": e.get("signature"), "attempt": e.get("attempt_number"),
               "escalation": escalation})
    resolution = e.get("resolution")
    if resolution in ("auto_fixed", "abandoned"):
        _activity(run, w, agent, "status_change", e.get("resolved_at") or e.get("timestamp"),
                  f"{label}: {resolution.replace('_', ' ')}",
                  {"error_resolution": resolution, "attempt": e.get("attempt_number"), "signature": e.get("signature")})


DAG_STATUS = {"pending": "pending", "in_progress": "running", "completed": "done", "deleted": "skipped"}


def _task(run: Run, w: Writer, t: dict[str, Any]) -> None:
    """Each task is a DAG task of its session's lead; a completed one also an activity."""
    agent = _ensure_agent(run, w, t.get("session_id"), t.get("agent_id"))
    status = DAG_STATUS.get(t.get("status") or "", "pending")
    gated = (t.get("status_reason") or "") if "blocked" in (t.get("status_reason") or "") else None
    files = run.ledger.query("SELECT DISTINCT file_path FROM file_claims WHERE session_id = ? AND agent_id IS ?"
                             " AND timestamp >= ? AND (? IS NULL OR timestamp <= ?) ORDER BY file_path",
                             (t["session_id"], agent["id"], t.get("created_at") or "", t.get("completed_at"),
                              t.get("completed_at"))) if run.ledger.has("file_claims") else []
    w.upsert("dag_tasks", {
        "id": str(t["task_id"]), "lead_id": main_agent_id(t["session_id"]), "project_id": project_id(run),
        "team_id": "default", "role": role(agent), "title": clean(t.get("subject"), 200),
        "description": clean(t.get("description") or t.get("subject") or f"Task {t['task_id']}"),
        "files": clean_json([f["file_path"] for f in files]), "depends_on": "[]", "dag_status": status,
        "model": agent.get("model"), "assigned_agent_id": agent["id"], "failure_reason": clean(gated),
        "created_at": iso_z(t.get("created_at")),
        "started_at": iso_z(t.get("created_at")) if status != "pending" else None,
        "completed_at": iso_z(t.get("completed_at")) if status == "done" else None,
        "archived_at": iso_z(t.get("updated_at")) if status == "skipped" else None,
    }, ("id", "lead_id"), ("title", "description", "files", "dag_status", "model", "assigned_agent_id",
                           "failure_reason", "started_at", "completed_at", "archived_at", "role"))
    if t.get("status") != "completed":
        return
    _activity(run, w, agent, "task_completed", t.get("completed_at") or t.get("updated_at"),
              f"Completed task {t['task_id']}: {t.get('subject') or ''}", {"task_id": t["task_id"]})


def _verdict(run: Run, w: Writer, v: dict[str, Any]) -> None:
    """A verdict is a decision already taken: confirmed (allow) or rejected (block), with
    confirmed_at the time it was taken, as the server stamps either resolution."""
    sid = v.get("session_id") or ""
    task = run.ledger.query("SELECT agent_id FROM tasks WHERE session_id = ? AND task_id = ?",
                            (sid, v.get("task_id"))) if run.ledger.has("tasks") and v.get("task_id") else []
    agent = _ensure_agent(run, w, sid, task[0]["agent_id"] if task else None)
    allowed = (v.get("decision") or "").lower() == "allow"
    w.insert("decisions", {
        "id": stable_id("decision", sid, v["_rowid"], v.get("timestamp")), "agent_id": agent["id"],
        "agent_role": role(agent), "lead_id": main_agent_id(sid), "project_id": project_id(run),
        "title": clean(f"{v.get('hook_event') or 'Verdict'} task {v.get('task_id') or '?'}: {v.get('decision') or '?'}", 200),
        "rationale": clean(v.get("reason")), "needs_confirmation": 0,
        "status": "confirmed" if allowed else "rejected", "auto_approved": 1 if allowed else 0,
        "confirmed_at": iso_z(v.get("timestamp")), "created_at": iso_z(v.get("timestamp")), "category": "general",
    }, ("id",))


def _asked(run: Run, w: Writer, c: dict[str, Any]) -> None:
    """A claim conflict under `claims.policy: ask` was a decision put to the user: needs
    confirmation, confirmed once the tool call went ahead, rejected when the session ended
    without it, recorded (pending) until then."""
    if c.get("answer") != "ask" or not c.get("session_id"):
        return
    sid = c["session_id"]
    agent = _ensure_agent(run, w, sid, c.get("agent_id"))
    ran = run.ledger.query(
        "SELECT timestamp FROM hook_events WHERE session_id = ? AND tool_use_id = ? AND event_type IN"
        " ('PostToolUse', 'PostToolUseFailure') ORDER BY rowid LIMIT 1",
        (sid, c.get("tool_use_id"))) if c.get("tool_use_id") and run.ledger.has("hook_events") else []
    session = run.ledger.session(sid)
    status, decided = ("confirmed", ran[0]["timestamp"]) if ran else (
        ("rejected", session.get("ended_at")) if session.get("status") != "active" else ("recorded", None))
    w.upsert("decisions", {
        "id": stable_id("decision-claim", sid, c["_rowid"]), "agent_id": agent["id"], "agent_role": role(agent),
        "lead_id": main_agent_id(sid), "project_id": project_id(run),
        "title": clean(f"{c.get('operation') or c.get('tool_name') or 'Change'} {c['file_path']} while"
                       f" {c.get('holder_agent_id') or 'another agent'} holds it?", 200),
        "rationale": clean(f"{c.get('holder_agent_id')} claimed it at {c.get('holder_claimed_at')}"
                           + (f" for: {c['holder_task']}" if c.get("holder_task") else "")),
        "needs_confirmation": 1, "status": status, "auto_approved": 0, "confirmed_at": iso_z(decided),
        "created_at": iso_z(c.get("timestamp")), "category": "general",
    }, ("id",), ("status", "confirmed_at"))


def prepare(run: Run, w: Writer) -> None:
    """The project every roster row names (flightdeck's projects table)."""
    pid = project_id(run)
    if pid:
        first = min((s.get("started_at") or "" for s in run.ledger.sessions().values()), default="")
        w.insert("projects", {"id": pid, "name": os.path.basename(run.project_dir.rstrip("/")) or pid,
                              "description": "Claude Code sessions recorded by hookledger",
                              "cwd": run.project_dir or None, "created_at": iso_z(first or None)}, ("id",))


def _session(run: Run, w: Writer, s: dict[str, Any]) -> None:
    """One project session per Claude session, its task the first prompt (its lead the main
    thread); and what each agent's work on each task cost."""
    _task_costs(run, w, s["session_id"])
    pid = project_id(run)
    if not pid or w.find("projects", {"id": pid}) is None:
        w.skip("project_sessions")
        return
    s = {**s, **run.ledger.session(s["session_id"])}
    upsert_where_keyed(w, "project_sessions", {
        "project_id": pid, "lead_id": main_agent_id(s["session_id"]), "session_id": s["session_id"],
        "task": clean(run.ledger.first_prompt(s["session_id"]), 500), "started_at": iso_z(s.get("started_at")),
        "status": "active" if s.get("status") == "active" else "completed", "ended_at": iso_z(s.get("ended_at")),
    }, ("project_id", "lead_id", "session_id", "started_at"), ("task", "status", "ended_at"))


def _task_costs(run: Run, w: Writer, session_id: str) -> None:
    """task_cost_records: the tokens an agent's responses used while it had a task open, and
    their price (knowledge.costs; NULL when a model could not be priced, never a made-up 0)."""
    lead = main_agent_id(session_id)
    for (agent_id, task_id), cost in run.ledger.task_costs(session_id).items():
        usd = cost.usd
        w.upsert("task_cost_records", {
            "agent_id": agent_id, "dag_task_id": str(task_id), "lead_id": lead, "project_id": project_id(run),
            "input_tokens": cost.input, "output_tokens": cost.output, "cache_read_tokens": cost.cache_read,
            "cache_write_tokens": cost.cache_write, "cost_usd": None if usd is None else round(float(usd), 6),
            "created_at": iso_z(cost_started(run, session_id, agent_id, task_id)),
        }, ("agent_id", "dag_task_id", "lead_id"),
            ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd"))


def cost_started(run: Run, session_id: str, agent_id: str, task_id: str) -> str | None:
    """When the agent's work on the task began: the task's creation (as dag_tasks says)."""
    task = run.ledger.task_at(session_id, None, None, task_id)
    return task.get("created_at") if task else None

def _snapshot(run: Run, w: Writer, snap: dict[str, Any]) -> None:
    """A snapshot (pre/post compaction, session end) as the lead's session retro: what was done,
    what failed, what is still open, as of then."""
    facts = snapshot_facts(snap)
    data = {"source": "hookledger", "session_id": snap.get("session_id"), "kind": facts.kind,
            "files_touched": facts.files, "open_tasks": [open_task_line(t) for t in facts.tasks],
            "failed_approaches": facts.failed, "unresolved_errors": facts.errors}
    w.insert("session_retros", {"lead_id": main_agent_id(snap.get("session_id") or ""), "data": clean_json(data),
                                "created_at": iso_z(snap.get("timestamp"))}, ("lead_id", "created_at", "data"))


def steps(run: Run) -> list[tuple[str, Any, bool]]:
    return [
        ("sessions", _session, True),
        (AGENTS, _agent, True),
        ("file_claims", _claim, False, claim_released),
        ("error_log", _error, False, error_settled),
        ("tasks", _task, True),
        ("llm_verdicts", _verdict, False),
        ("claim_conflicts", _asked, True),
        ("context_snapshots", _snapshot, False),
    ]
