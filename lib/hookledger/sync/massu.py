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

from hookledger.sync.base import Run, Writer, clean, clean_json, iso_z, unix_s
from hookledger.sync.source import claim_done, claim_settled, error_settled, loads

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

VR_CATEGORIES = ("lint", "type", "test", "build")  # a failed verification step
SESSION_STATUS = {"active": "active", "ended": "completed", "abandoned": "abandoned"}
_OBS_KEY = ("session_id", "type", "title", "created_at_epoch", "created_at")
_SUMMARY_KEY = ("session_id", "created_at_epoch", "created_at", "request", "completed", "failed_attempts")
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
    if w.known("sessions", {"session_id": session_id}):
        return True  # ensured earlier in this run
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
        "files_involved": clean_json([f for f in files if f]), "vr_type": vr_type,
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
    """A completed change (phase done) is a file_change observation and a code_change audit row;
    a change whose tool call failed is neither. A `shared` claim went ahead despite a holder."""
    if not claim_done(c):
        return
    agent = run.ledger.agent(c.get("session_id"), c.get("agent_id"))
    shared = " (while another agent held it)" if c.get("status") == "shared" else ""
    _observation(run, w, c, type_="file_change", title=f"{c.get('operation') or 'Change'} {c['file_path']}",
                 text=f"{agent['id']} ({agent.get('agent_type') or 'agent'}) changed {c['file_path']}{shared}",
                 importance=3 if shared else 2, files=[c["file_path"]])
    _audit(run, w, c, event_type="code_change", actor="ai" if agent.get("is_main") else "agent",
           file_path=c["file_path"], change_type=change_type(c.get("operation")), approval_status="auto_approved",
           metadata=clean_json({"source": "hookledger", "agent_id": agent["id"], "operation": c.get("operation"),
                             "claim": c.get("status") or "held"}))


def _failed_path(run: Run, w: Writer, f: dict[str, Any]) -> None:
    text = "\n\n".join(x for x in (f.get("reason_failed"), f.get("context")) if x)
    _observation(run, w, f, type_="failed_attempt", title=f"Failed approach: {f.get('approach') or f.get('file_path')}",
                 text=text or None, importance=4 if f.get("still_relevant", 1) else 2, files=[f.get("file_path")])


def error_importance(e: dict[str, Any]) -> int:
    """1-5 from how far the error was escalated (fixed when it happened, unlike resolution)."""
    level = e.get("escalation") if "escalation" in e else e.get("resolution")
    if level == "escalated_user":
        return 5
    if level == "escalated_research":
        return 4
    return 4 if (e.get("attempt_number") or 1) >= 3 else 3


def _error_title(e: dict[str, Any]) -> str:
    what = e.get("command") or e.get("tool_name")
    title = f"{e.get('error_category') or 'runtime'} error" + (f": {what}" if what else "")
    return title + (f" in {e['file_path']}" if e.get("file_path") else "")


def _error(run: Run, w: Writer, e: dict[str, Any]) -> None:
    """The failure when it happened, and, once auto-fixed, the fix as a bugfix observation.

    The error's observation carries only what never changes (its type comes from the
    category, its importance from the escalation reached), so an error synced while open and
    again after its fix stays one observation.
    """
    category = e.get("error_category") or "runtime"
    type_, vr = ("vr_check", category) if category in VR_CATEGORIES else ("incident_near_miss", None)
    title = _error_title(e)
    _observation(run, w, e, type_=type_, title=title, text=e.get("error_message"), importance=error_importance(e),
                 files=[e.get("file_path")], vr_type=vr)
    if e.get("resolution") == "auto_fixed":
        fixed = {**e, "timestamp": e.get("resolved_at") or e.get("timestamp")}
        _observation(run, w, fixed, type_="bugfix", title=f"Fixed {title}",
                     text=f"The next run of the same call succeeded after {e.get('attempt_number') or 1} failed attempt(s).",
                     importance=2, files=[e.get("file_path")])


def _verdict(run: Run, w: Writer, v: dict[str, Any]) -> None:
    allowed = (v.get("decision") or "").lower() == "allow"
    _audit(run, w, v, event_type="review", actor="hook", approval_status="auto_approved" if allowed else "denied",
           evidence=clean(v.get("reason")),
           metadata=clean_json({"source": "hookledger", "hook_event": v.get("hook_event"), "task_id": v.get("task_id"),
                             "decision": v.get("decision")}))


def _lines(items: list[str]) -> str | None:
    return clean("\n".join(i for i in items if i)) or None


def _completed_tasks(run: Run, session_id: str, ts: str) -> list[dict[str, Any]]:
    if not run.ledger.has("tasks"):
        return []
    return run.ledger.query("SELECT task_id, subject FROM tasks WHERE session_id = ? AND status = 'completed'"
                            " AND coalesce(completed_at, updated_at, created_at, '') <= ? ORDER BY rowid", (session_id, ts))


def _summary_row(run: Run, snap: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
    """A session summary from one snapshot (the JSON snapshots.collect writes).

    Everything comes from the snapshot itself or from ledger facts fixed before it was taken
    (the first prompt, tasks completed by then), so re-reading it yields the same row.
    """
    sid, ts = snap["session_id"], snap.get("timestamp") or ""
    listed = lambda key: [x for x in content.get(key) or [] if isinstance(x, dict)]  # noqa: E731
    done = _completed_tasks(run, sid, ts)
    open_tasks = listed("tasks")
    files = [f for f in content.get("files_touched") or [] if isinstance(f, str)]
    failed = [f"{f.get('approach')}: {f.get('reason')}" if f.get("reason") else str(f.get("approach"))
              for f in listed("failed_paths") if f.get("approach") and f.get("session_id") in (sid, None)]
    errors = [f"{e.get('category') or 'runtime'} error ({e.get('command') or e.get('tool') or e.get('file_path') or '?'}):"
              f" {e.get('message') or ''}".strip() for e in listed("unresolved_errors")]
    progress = {t["task_id"]: "completed" for t in done}
    progress.update({str(t.get("task_id")): t.get("status") or "pending" for t in open_tasks if t.get("task_id")})
    return {
        "session_id": sid, "request": clean(run.ledger.first_prompt(sid), 10_000),
        "completed": _lines([f"Task {t['task_id']}: {t['subject'] or ''}".strip() for t in done]
                            + [f"Changed {f}" for f in files]),
        "failed_attempts": _lines(failed + errors),
        "next_steps": _lines([f"Task {t.get('task_id')} ({t.get('status') or 'pending'}): {t.get('subject') or ''}"
                              for t in open_tasks]),
        "files_modified": clean_json(files),
        "plan_progress": clean_json(progress),
        "created_at": iso_z(ts), "created_at_epoch": unix_s(ts),
    }


def _snapshot(run: Run, w: Writer, snap: dict[str, Any]) -> None:
    """Each snapshot becomes a session summary (post_compact repeats its pre_compact: skipped);
    a pre_compact snapshot is also the session's compaction in the audit log."""
    sid = snap.get("session_id")
    if not _ensure_session(run, w, sid):
        w.skip("session_summaries")
        return
    kind = snap.get("snapshot_type")
    if kind != "post_compact":
        content = loads(snap.get("content"))
        row = _summary_row(run, snap, content if isinstance(content, dict) else {})
        w.insert("session_summaries", row, _SUMMARY_KEY)
    if kind == "pre_compact":
        _audit(run, w, snap, event_type="compaction", actor="hook",
               metadata=clean_json({"source": "hookledger", "snapshot_type": "pre_compact"}))


def steps(run: Run) -> list[tuple[str, Any, bool]]:
    return [
        ("sessions", _session, True),
        ("file_claims", _claim, False, claim_settled),
        ("failed_paths", _failed_path, False),
        ("error_log", _error, False, error_settled),
        ("llm_verdicts", _verdict, False),
        ("context_snapshots", _snapshot, False),
    ]
