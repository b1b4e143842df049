"""The coordination server's database ("flightdeck"): agent_roster, file_locks, activity_log,
decisions.

Its conventions: ISO-8601 UTC text ending in 'Z' for every timestamp, `team_id` 'default',
file locks that expire (300 s unless configured) and belong to one agent. A live lock held by
another agent is never taken over; an expired one is free, as the server itself treats it.
See docs/sync.md for the column mapping.
"""

from __future__ import annotations

import os
from typing import Any

from hookledger.events import main_agent_id
from hookledger.sync.base import Run, Writer, clean, iso_z, iso_z_at, per_session_main_agent, seconds, stable_id, to_json
from hookledger.sync.source import claim_done, claim_released, error_settled

NAME = "flightdeck"
LOCK_TTL_S = 300

_NOW_Z = "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"

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
CREATE INDEX IF NOT EXISTS idx_decisions_lead_id ON decisions(lead_id);
CREATE INDEX IF NOT EXISTS idx_decisions_project_id ON decisions(project_id);
""",
}

_ACTIVITY_KEY = ("agent_id", "action_type", "timestamp", "summary")


def role(agent: dict[str, Any]) -> str:
    return "lead" if agent.get("is_main") else (agent.get("agent_type") or "agent")


def project_id(run: Run) -> str | None:
    configured = run.config.get("project_id")
    if configured:
        return str(configured)
    return os.path.basename(run.project_dir.rstrip("/")) or None if run.project_dir else None


def _roster_row(run: Run, agent: dict[str, Any]) -> dict[str, Any]:
    session = run.ledger.session(agent.get("session_id") or "")
    created = agent.get("spawn_time") or session.get("started_at")
    updated = agent.get("end_time") or (session.get("last_event_at") if agent.get("is_main") else None) or created
    return {"agent_id": agent["id"], "role": role(agent), "model": agent.get("model") or "unknown",
            "session_id": agent.get("session_id"), "project_id": project_id(run), "provider": "anthropic",
            "team_id": "default", "created_at": iso_z(created), "updated_at": iso_z(updated),
            "last_task_summary": clean(agent.get("task_description"), 500)}


def _agent(run: Run, w: Writer, a: dict[str, Any]) -> None:
    agent = run.ledger.agents().get(a.get("id") or "") or a
    w.upsert("agent_roster", _roster_row(run, agent), ("agent_id",), ("updated_at", "last_task_summary", "model"))
    if not agent.get("is_main"):
        _activity(run, w, agent, "sub_agent_spawned", agent.get("spawn_time"),
                  f"Spawned {agent.get('agent_type') or 'agent'}: {agent.get('task_description') or agent['id']}",
                  {"agent_type": agent.get("agent_type")})
        if agent.get("end_time") and agent.get("status") in ("completed", "failed", "aborted_stale"):
            action = "task_completed" if agent["status"] == "completed" else "agent_terminated"
            _activity(run, w, agent, action, agent["end_time"], f"Agent {agent['id']} {agent['status']}",
                      {"status": agent["status"], "files_changed": agent.get("files_changed")})


def _ensure_agent(run: Run, w: Writer, session_id: str | None, agent_id: str | None) -> dict[str, Any]:
    agent = run.ledger.agent(session_id, agent_id)
    w.insert("agent_roster", _roster_row(run, agent), ("agent_id",))
    return agent


def _activity(run: Run, w: Writer, agent: dict[str, Any], action: str, ts: str | None, summary: str,
              details: dict[str, Any]) -> None:
    w.insert("activity_log", {"agent_id": agent["id"], "agent_role": role(agent), "action_type": action,
                              "project_id": project_id(run),
                              "summary": clean(summary, 500), "timestamp": iso_z(ts),
                              "details": to_json({"source": "hookledger", "session_id": agent.get("session_id"),
                                                  **details})}, _ACTIVITY_KEY)


def claim_window(run: Run) -> float:
    """How long a claim stays live without its agent ending: the project's claims.window_seconds."""
    if "claim_window" not in run.cache:
        from hookledger.config import get, load

        window = get(load(run.project_dir), "claims.window_seconds") if run.project_dir else None
        run.cache["claim_window"] = float(window) if isinstance(window, (int, float)) and window >= 0 else 600.0
    return run.cache["claim_window"]


def _lock(run: Run, w: Writer, agent: dict[str, Any], claim: dict[str, Any]) -> None:
    """A live claim becomes the agent's lock; another agent's live lock is never taken.

    Live means what hookledger itself means (claims.v_file_owners): a `held` claim, not yet
    released, of an agent still running, within the claim window; the lock then expires
    the target's TTL after it was taken. When the claim is released (its agent ended), the
    lock we wrote ends then too: its expires_at moves back to the release time, which the
    server reads as free. Nothing is deleted.
    """
    if claim.get("status") not in (None, "held") or claim.get("phase") == "failed":
        w.skip("file_locks")  # shared claims and failed calls never held the file
        return
    path, acquired = claim["file_path"], seconds(claim.get("timestamp"))
    existing = w.find("file_locks", {"file_path": path})
    ours = existing is not None and existing.get("agent_id") == agent["id"]
    if acquired is None:
        w.skip("file_locks")
        return
    released = seconds(claim.get("released_at")) if claim.get("released_at") else None
    if released is not None or agent.get("status") != "running":
        end = released if released is not None else seconds(agent.get("end_time"))
        held_until = seconds(existing.get("expires_at")) if ours else None
        if ours and end is not None and held_until is not None and held_until > end \
                and (seconds(existing.get("acquired_at")) or 0) <= end:
            w.conn.execute("UPDATE file_locks SET expires_at = ? WHERE file_path = ? AND agent_id = ?",
                           (iso_z_at(end), path, agent["id"]))
            w.count("updated", "file_locks")
        return
    ttl = float(run.config.get("lock_ttl_seconds") or LOCK_TTL_S)
    if acquired + claim_window(run) <= run.now or acquired + ttl <= run.now:
        w.skip("file_locks")  # out of its window: nothing to hold
        return
    row = w.fit("file_locks", {"file_path": path, "agent_id": agent["id"], "agent_role": role(agent),
                               "project_id": project_id(run),
                               "reason": clean(f"{claim.get('operation') or 'Edit'} (hookledger claim)"),
                               "acquired_at": iso_z(claim["timestamp"]), "expires_at": iso_z_at(acquired + ttl)})
    if existing is None:
        w.insert("file_locks", row, ("file_path",))
        return
    held_until = seconds(existing.get("expires_at"))
    if not ours and (held_until is None or held_until > run.now):
        w.skip("file_locks")  # another agent's live lock
        return
    if ours and (seconds(existing.get("acquired_at")) or 0) >= acquired:
        return  # already ours from this claim or a newer one
    sets = ", ".join(f"[{k}] = ?" for k in row if k != "file_path")
    w.conn.execute(f"UPDATE file_locks SET {sets} WHERE file_path = ?",
                   [v for k, v in row.items() if k != "file_path"] + [path])
    w.count("updated", "file_locks")


def _claim(run: Run, w: Writer, c: dict[str, Any]) -> None:
    agent = _ensure_agent(run, w, c.get("session_id"), c.get("agent_id"))
    if claim_done(c):
        _activity(run, w, agent, "file_edit", c.get("timestamp"), f"{c.get('operation') or 'Edit'} {c['file_path']}",
                  {"file_path": c["file_path"], "operation": c.get("operation"), "claim": c.get("status") or "held"})
    _lock(run, w, agent, c)


def _error(run: Run, w: Writer, e: dict[str, Any]) -> None:
    """The error when it happened (with the escalation it reached then), and its resolution
    as a second entry once it is fixed or abandoned."""
    agent = _ensure_agent(run, w, e.get("session_id"), e.get("agent_id"))
    what = e.get("command") or e.get("tool_name")
    where = f" in {e['file_path']}" if e.get("file_path") else ""
    label = f"{e.get('error_category') or 'runtime'} error" + (f" ({what})" if what else "") + where
    escalation = e.get("escalation") if "escalation" in e else None
    _activity(run, w, agent, "error", e.get("timestamp"), f"{label}: {e.get('error_message') or ''}",
              {"file_path": e.get("file_path"), "category": e.get("error_category"), "tool_name": e.get("tool_name"),
               "command": e.get("command"), "signature": e.get("signature"), "attempt": e.get("attempt_number"),
               "escalation": escalation})
    resolution = e.get("resolution")
    if resolution in ("auto_fixed", "abandoned"):
        _activity(run, w, agent, "error_resolved" if resolution == "auto_fixed" else "error_abandoned",
                  e.get("resolved_at") or e.get("timestamp"), f"{label}: {resolution.replace('_', ' ')}",
                  {"resolution": resolution, "attempt": e.get("attempt_number"), "signature": e.get("signature")})


def _task(run: Run, w: Writer, t: dict[str, Any]) -> None:
    if t.get("status") != "completed":
        return
    agent = _ensure_agent(run, w, t.get("session_id"), t.get("agent_id"))
    _activity(run, w, agent, "task_completed", t.get("completed_at") or t.get("updated_at"),
              f"Completed task {t['task_id']}: {t.get('subject') or ''}", {"task_id": t["task_id"]})


def _verdict(run: Run, w: Writer, v: dict[str, Any]) -> None:
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
        "confirmed_at": iso_z(v.get("timestamp")) if allowed else None, "created_at": iso_z(v.get("timestamp")),
    }, ("id",))


def steps(run: Run) -> list[tuple[str, Any, bool]]:
    return [
        ("sessions", per_session_main_agent(_agent), True),
        ("agent_registry", _agent, True),
        ("file_claims", _claim, False, claim_released),
        ("error_log", _error, False, error_settled),
        ("tasks", _task, True),
        ("llm_verdicts", _verdict, False),
    ]
