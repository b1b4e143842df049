"""Massu AI memory database (memory.db): sessions, observations, audit_log, session_summaries.

Massu runs with foreign keys ON and no busy timeout, so its session row is written before
anything that references it and batches stay short (base.BATCH_SIZE). Text timestamps are
ISO-8601 UTC ('...Z'), `*_epoch` columns unix seconds. Enumerations are the ones Massu's code
enforces (the issue's corrections to the docs): importance 1-5, not 1-10.
See docs/sync.md for the column mapping.
"""

from __future__ import annotations

import os
from typing import Any

from hookledger.sync.base import Run, Writer, clean, iso_z, to_json, unix_s
from hookledger.sync.source import loads

NAME = "massu"

_OBS_TYPES = ("'decision','bugfix','feature','refactor','discovery','cr_violation','vr_check',"
              "'pattern_compliance','failed_attempt','file_change','incident_near_miss'")

DDL: dict[str, str] = {
    "sessions": """
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'abandoned')),
    branch TEXT,
    plan_file TEXT,
    task_id TEXT,
    created_at TEXT
);
""",
    "observations": f"""
CREATE TABLE IF NOT EXISTS observations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(session_id),
    type TEXT NOT NULL CHECK (type IN ({_OBS_TYPES})),
    title TEXT NOT NULL,
    description TEXT,
    importance INTEGER NOT NULL DEFAULT 3 CHECK (importance BETWEEN 1 AND 5),
    files_involved TEXT DEFAULT '[]',
    plan_item TEXT,
    vr_type TEXT,
    created_at_epoch INTEGER
);
CREATE INDEX IF NOT EXISTS idx_observations_session ON observations(session_id);
CREATE VIRTUAL TABLE IF NOT EXISTS observations_fts USING fts5(
    title, description, content='observations', content_rowid='id'
);
CREATE TRIGGER IF NOT EXISTS observations_ai AFTER INSERT ON observations BEGIN
    INSERT INTO observations_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
END;
CREATE TRIGGER IF NOT EXISTS observations_ad AFTER DELETE ON observations BEGIN
    INSERT INTO observations_fts(observations_fts, rowid, title, description)
    VALUES ('delete', old.id, old.title, old.description);
END;
CREATE TRIGGER IF NOT EXISTS observations_au AFTER UPDATE ON observations BEGIN
    INSERT INTO observations_fts(observations_fts, rowid, title, description)
    VALUES ('delete', old.id, old.title, old.description);
    INSERT INTO observations_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
END;
""",
    "session_summaries": """
CREATE TABLE IF NOT EXISTS session_summaries (
    session_id TEXT NOT NULL REFERENCES sessions(session_id),
    request TEXT,
    completed TEXT,
    failed_attempts TEXT,
    plan_progress TEXT DEFAULT '{}'
);
""",
    "audit_log": """
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT REFERENCES sessions(session_id),
    event_type TEXT NOT NULL CHECK (event_type IN
        ('code_change', 'rule_enforced', 'approval', 'review', 'commit', 'compaction')),
    actor TEXT NOT NULL DEFAULT 'ai' CHECK (actor IN ('ai', 'human', 'hook', 'agent')),
    model_id TEXT,
    file_path TEXT,
    change_type TEXT CHECK (change_type IN ('create', 'edit', 'delete')),
    approval_status TEXT CHECK (approval_status IN ('auto_approved', 'human_approved', 'pending', 'denied')),
    timestamp TEXT
);
CREATE INDEX IF NOT EXISTS idx_audit_log_session ON audit_log(session_id);
""",
}

SESSION_STATUS = {"active": "active", "ended": "completed", "abandoned": "abandoned"}
_OBS_KEY = ("session_id", "type", "title", "created_at_epoch", "created_at")
_AUDIT_KEY = ("session_id", "event_type", "actor", "file_path", "timestamp", "metadata")


def _session_row(run: Run, s: dict[str, Any]) -> dict[str, Any]:
    project = s.get("project_dir") or run.project_dir
    return {
        "session_id": s["session_id"],
        "status": SESSION_STATUS.get(s.get("status") or "", "active"),
        "created_at": iso_z(s.get("started_at")),
        # columns of the real memory.db beyond the docs; written only where they exist
        "started_at": iso_z(s.get("started_at")),
        "started_at_epoch": unix_s(s.get("started_at")),
        "ended_at": iso_z(s.get("ended_at")),
        "ended_at_epoch": unix_s(s.get("ended_at")),
        "project": os.path.basename(project.rstrip("/")) if project else None,
    }


def _session(run: Run, w: Writer, s: dict[str, Any]) -> None:
    w.upsert("sessions", _session_row(run, s), ("session_id",), ("status", "ended_at", "ended_at_epoch"))


def _ensure_session(run: Run, w: Writer, session_id: str | None) -> bool:
    """Parent first: Massu's foreign keys reject an observation for an unknown session."""
    if not session_id:
        return False
    w.insert("sessions", _session_row(run, run.ledger.session(session_id)), ("session_id",))
    return True


def _observation(run: Run, w: Writer, row: dict[str, Any], *, type_: str, title: str, text: str | None,
                 importance: int, files: list[str], vr_type: str | None = None) -> None:
    if not _ensure_session(run, w, row.get("session_id")):
        w.skip("observations")
        return
    w.insert("observations", {
        "session_id": row["session_id"], "type": type_, "title": clean(title, 200),
        "description": clean(text), "detail": clean(text), "importance": max(1, min(5, importance)),
        "files_involved": to_json([f for f in files if f]), "vr_type": vr_type,
        "created_at": iso_z(row.get("timestamp")), "created_at_epoch": unix_s(row.get("timestamp")),
    }, _OBS_KEY)


def _audit(run: Run, w: Writer, row: dict[str, Any], **fields: Any) -> None:
    if not _ensure_session(run, w, row.get("session_id")):
        w.skip("audit_log")
        return
    w.insert("audit_log", {"session_id": row["session_id"], "timestamp": iso_z(row.get("timestamp")),
                           "model_id": run.ledger.session(row["session_id"]).get("model"), **fields}, _AUDIT_KEY)


def change_type(operation: str | None) -> str:
    op = (operation or "").lower()
    if "delete" in op or op in ("rm", "remove"):
        return "delete"
    return "create" if op == "write" else "edit"


def _claim(run: Run, w: Writer, c: dict[str, Any]) -> None:
    agent = run.ledger.agent(c.get("session_id"), c.get("agent_id"))
    _observation(run, w, c, type_="file_change", title=f"{c.get('operation') or 'Change'} {c['file_path']}",
                 text=f"{agent['id']} ({agent.get('agent_type') or 'agent'}) changed {c['file_path']}",
                 importance=2, files=[c["file_path"]])
    _audit(run, w, c, event_type="code_change", actor="ai" if agent.get("is_main") else "agent",
           file_path=c["file_path"], change_type=change_type(c.get("operation")), approval_status="auto_approved",
           metadata=to_json({"source": "hookledger", "agent_id": agent["id"], "operation": c.get("operation")}))


def _failed_path(run: Run, w: Writer, f: dict[str, Any]) -> None:
    text = "\n\n".join(x for x in (f.get("reason_failed"), f.get("context")) if x)
    _observation(run, w, f, type_="failed_attempt", title=f"Failed approach: {f.get('approach') or f.get('file_path')}",
                 text=text or None, importance=4 if f.get("still_relevant", 1) else 2, files=[f.get("file_path")])


def error_importance(e: dict[str, Any]) -> int:
    """1-5: escalations matter most, a fixed first-attempt error least."""
    resolution = e.get("resolution") or ""
    if resolution == "escalated_user":
        return 5
    if resolution in ("escalated_research", "abandoned"):
        return 4
    if resolution == "auto_fixed":
        return 2
    return 3 + (1 if (e.get("attempt_number") or 1) >= 3 else 0)


def _error(run: Run, w: Writer, e: dict[str, Any]) -> None:
    category = e.get("error_category") or "error"
    if e.get("resolution") == "auto_fixed":
        type_, vr = "bugfix", None
    elif category in ("lint", "type", "test", "build"):
        type_, vr = "vr_check", category  # a failed verification step
    else:
        type_, vr = "incident_near_miss", None
    _observation(run, w, e, type_=type_, title=f"{category} error" + (f" in {e['file_path']}" if e.get("file_path") else ""),
                 text=e.get("error_message"), importance=error_importance(e), files=[e.get("file_path")], vr_type=vr)


def _verdict(run: Run, w: Writer, v: dict[str, Any]) -> None:
    allowed = (v.get("decision") or "").lower() == "allow"
    _audit(run, w, v, event_type="review", actor="hook", approval_status="auto_approved" if allowed else "denied",
           evidence=clean(v.get("reason")),
           metadata=to_json({"source": "hookledger", "hook_event": v.get("hook_event"), "task_id": v.get("task_id"),
                             "decision": v.get("decision")}))


def _snapshot(run: Run, w: Writer, snap: dict[str, Any]) -> None:
    sid = snap.get("session_id")
    if not _ensure_session(run, w, sid):
        w.skip("session_summaries")
        return
    content = loads(snap.get("content"))
    content = content if isinstance(content, dict) else {}
    ts = snap.get("timestamp") or ""
    tasks = run.ledger.query("SELECT task_id, subject, status FROM tasks WHERE session_id = ? AND "
                             "coalesce(created_at, '') <= ? ORDER BY rowid", (sid, ts)) if run.ledger.has("tasks") else []
    failed = run.ledger.query("SELECT approach FROM failed_paths WHERE session_id = ? AND coalesce(timestamp, '') <= ?"
                              " ORDER BY id", (sid, ts)) if run.ledger.has("failed_paths") else []
    request = next((content[k] for k in ("request", "last_prompt", "prompt", "goal") if content.get(k)), None)
    completed = "\n".join(t["subject"] or t["task_id"] for t in tasks if t["status"] == "completed")
    w.insert("session_summaries", {
        "session_id": sid, "request": clean(request if isinstance(request, str) else None if request is None else to_json(request)),
        "completed": clean(completed or content.get("completed")),
        "failed_attempts": clean("\n".join(f["approach"] for f in failed if f["approach"])) or None,
        "plan_progress": to_json({t["task_id"]: t["status"] for t in tasks}),
        "created_at": iso_z(ts), "created_at_epoch": unix_s(ts),
    }, ("session_id", "created_at_epoch", "created_at", "request", "failed_attempts"))  # stable on a replay
    if snap.get("snapshot_type") == "pre_compact":
        _audit(run, w, snap, event_type="compaction", actor="hook",
               metadata=to_json({"source": "hookledger", "snapshot_type": "pre_compact"}))


def steps(run: Run) -> list[tuple[str, Any, bool]]:
    return [
        ("sessions", _session, True),
        ("file_claims", _claim, False),
        ("failed_paths", _failed_path, False),
        ("error_log", _error, False),
        ("llm_verdicts", _verdict, False),
        ("context_snapshots", _snapshot, False),
    ]
