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

from hookledger.sync.base import Run, Writer, clean, clean_json, iso_z, unix_s, upsert_where_keyed
from hookledger.sync.source import (AGENTS, claim_done, claim_settled, error_settled, loads, open_task_line,
                                    snapshot_facts)

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
    "user_prompts": """
CREATE TABLE IF NOT EXISTS user_prompts (
    session_id TEXT REFERENCES sessions(session_id),
    prompt_number INTEGER,
    prompt_text TEXT
);
""",
    "conversation_turns": """
CREATE TABLE IF NOT EXISTS conversation_turns (
    session_id TEXT REFERENCES sessions(session_id),
    turn_number INTEGER,
    user_prompt TEXT,
    assistant_response TEXT,
    tool_calls_summary TEXT,
    tool_call_count INTEGER
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
# One observation per recorded fact: whole-second epochs collide (five failed attempts in one
# second), so the key also holds what tells facts apart (the attempt is in an error's title).
_OBS_KEY = ("session_id", "type", "title", "created_at_epoch", "created_at", "importance", "description", "detail")
_SUMMARY_KEY = ("session_id", "created_at_epoch", "created_at", "request", "completed", "failed_attempts", "next_steps")
_AUDIT_KEY = ("session_id", "event_type", "actor", "file_path", "timestamp", "metadata")
_PROMPT_KEY = ("session_id", "prompt_number")
_TURN_KEY = ("session_id", "turn_number")
TURN_RESPONSE_MAX = 10_000  # Massu keeps an assistant response to 10K characters


def _session_task(run: Run, s: dict[str, Any]) -> str | None:
    """The session's linked task: the one open at its last activity, else its latest task."""
    last = s.get("ended_at") or s.get("last_event_at")
    task = run.ledger.task_at(s["session_id"], None, last) if last else None
    if task is None and run.ledger.has("tasks"):
        rows = run.ledger.query("SELECT task_id FROM tasks WHERE session_id = ? AND status != 'deleted'"
                                " ORDER BY created_at DESC, rowid DESC LIMIT 1", (s["session_id"],))
        return rows[0]["task_id"] if rows else None
    return task["task_id"] if task else None


def _session_row(run: Run, s: dict[str, Any]) -> dict[str, Any]:
    project = s.get("project_dir") or run.project_dir
    branch = run.ledger.branch(s["session_id"])
    return {
        "session_id": s["session_id"],
        "status": SESSION_STATUS.get(s.get("status") or "", "active"),
        "created_at": iso_z(s.get("started_at")),
        "branch": branch, "git_branch": branch, "task_id": _session_task(run, s),
        # columns of the real memory.db beyond the docs; written only where they exist
        "started_at": iso_z(s.get("started_at")),
        "started_at_epoch": unix_s(s.get("started_at")),
        "ended_at": iso_z(s.get("ended_at")),
        "ended_at_epoch": unix_s(s.get("ended_at")),
        "project": os.path.basename(project.rstrip("/")) if project else None,
    }


def _session(run: Run, w: Writer, s: dict[str, Any]) -> None:
    """The session, then its prompts (user_prompts) and turns (conversation_turns): a turn is
    a prompt with what followed until the next one (tool calls, the assistant's last message)."""
    s = {**s, **run.ledger.session(s["session_id"])}
    # branch and task_id are mutable too: rows an older hookledger wrote lack them, and stay ours
    w.upsert("sessions", _session_row(run, s), ("session_id",),
             ("status", "ended_at", "ended_at_epoch", "task_id", "branch", "git_branch"))
    prompts = run.ledger.prompts(s["session_id"])
    if not prompts:
        return
    ends = [p["created_at"] for p in prompts[1:]] + [None]
    replies = run.ledger.last_messages(s["session_id"])
    for n, (p, end) in enumerate(zip(prompts, ends), start=1):
        text = clean(p["text"]) if p["text"] else None
        # a prompt whose text was not kept (capture off, or a long one before m012) stays NULL:
        # its length is not its text; the text arrives once the ledger has it
        upsert_where_keyed(w, "user_prompts", {"session_id": s["session_id"], "prompt_number": n, "prompt_text": text,
                                  "created_at": iso_z(p["created_at"]), "created_at_epoch": unix_s(p["created_at"])},
                 _PROMPT_KEY, ("prompt_text",))
        tools = _turn_tools(run, s["session_id"], p["created_at"], end)
        reply = next((r["message"] for r in reversed(replies) if r["timestamp"] >= (p["created_at"] or "")
                      and (end is None or r["timestamp"] < end)), None)
        upsert_where_keyed(w, "conversation_turns", {
            "session_id": s["session_id"], "turn_number": n, "user_prompt": text,
            "assistant_response": clean(reply, TURN_RESPONSE_MAX),
            "tool_calls_summary": clean_json([{"tool": k, "calls": v} for k, v in tools.items()]),
            "tool_call_count": sum(tools.values()),
            "created_at": iso_z(p["created_at"]), "created_at_epoch": unix_s(p["created_at"]),
        }, _TURN_KEY, ("user_prompt", "assistant_response", "tool_calls_summary", "tool_call_count"))


def _turn_tools(run: Run, session_id: str, start: str | None, end: str | None) -> dict[str, int]:
    """Tool calls (finished, by any agent of the session) between a prompt and the next: name -> count."""
    if not run.ledger.has("hook_events") or not start:
        return {}
    rows = run.ledger.query(
        "SELECT tool_name, count(*) AS n FROM hook_events WHERE session_id = ? AND event_type IN"
        " ('PostToolUse', 'PostToolUseFailure') AND timestamp >= ? AND (? IS NULL OR timestamp < ?)"
        " GROUP BY tool_name ORDER BY min(rowid)", (session_id, start, end, end))
    return {r["tool_name"] or "unknown": r["n"] for r in rows}


def _ensure_session(run: Run, w: Writer, session_id: str | None) -> bool:
    """Parent first: Massu's foreign keys reject an observation for an unknown session."""
    if not session_id:
        return False
    if w.known("sessions", {"session_id": session_id}):
        return True  # ensured earlier in this run
    w.insert("sessions", _session_row(run, run.ledger.session(session_id)), ("session_id",))
    return True


def _observation(run: Run, w: Writer, row: dict[str, Any], *, type_: str, title: str, text: str | None,
                 importance: int, files: list[str], vr_type: str | None = None, plan_item: str | None = None) -> None:
    if not _ensure_session(run, w, row.get("session_id")):
        w.skip("observations")
        return
    w.insert("observations", {
        "session_id": row["session_id"], "type": type_, "title": clean(title, 200),
        "description": clean(text), "detail": clean(text), "importance": max(1, min(5, importance)),
        "files_involved": clean_json([f for f in files if f]), "vr_type": vr_type, "plan_item": plan_item,
        "created_at": iso_z(row.get("timestamp")), "created_at_epoch": unix_s(row.get("timestamp")),
    }, _OBS_KEY)


def _audit(run: Run, w: Writer, row: dict[str, Any], **fields: Any) -> None:
    if not _ensure_session(run, w, row.get("session_id")):
        w.skip("audit_log")
        return
    w.insert("audit_log", {"session_id": row["session_id"], "timestamp": iso_z(row.get("timestamp")),
                           "model_id": run.ledger.session(row["session_id"]).get("model"), **fields}, _AUDIT_KEY)


def _plan_item(run: Run, row: dict[str, Any]) -> str | None:
    """The task (plan item) the acting agent was on when the fact was recorded."""
    task = run.ledger.task_at(row.get("session_id"), row.get("agent_id"), row.get("timestamp"), row.get("task_id"))
    return task["task_id"] if task else None


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
                 importance=3 if shared else 2, files=[c["file_path"]], plan_item=_plan_item(run, c))
    _audit(run, w, c, event_type="code_change", actor="ai" if agent.get("is_main") else "agent",
           file_path=c["file_path"], change_type=change_type(c.get("operation")), approval_status="auto_approved",
           metadata=clean_json({"source": "hookledger", "agent_id": agent["id"], "operation": c.get("operation"),
                             "claim": c.get("status") or "held"}))


def _failed_path(run: Run, w: Writer, f: dict[str, Any]) -> None:
    text = "\n\n".join(x for x in (f.get("reason_failed"), f.get("context")) if x)
    _observation(run, w, f, type_="failed_attempt", title=f"Failed approach: {f.get('approach') or f.get('file_path')}",
                 text=text or None, importance=4 if f.get("still_relevant", 1) else 2, files=[f.get("file_path")],
                 plan_item=_plan_item(run, f))


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
    attempt = e.get("attempt_number") or 1
    escalated = {"escalated_user": ", escalated to the user", "escalated_research": ", escalated for research"}.get(
        e.get("escalation") or "", "")
    plan = _plan_item(run, e)
    _observation(run, w, e, type_=type_, title=f"{title} (attempt {attempt}{escalated})", text=e.get("error_message"),
                 importance=error_importance(e), files=[e.get("file_path")], vr_type=vr, plan_item=plan)
    if e.get("resolution") == "auto_fixed" and _last_attempt(run, e):
        fixed = {**e, "timestamp": e.get("resolved_at") or e.get("timestamp")}
        _observation(run, w, fixed, type_="bugfix", title=f"Fixed {title}",
                     text=f"The next run of the same call succeeded after {e.get('attempt_number') or 1} failed attempt(s).",
                     importance=2, files=[e.get("file_path")], plan_item=plan)


def _last_attempt(run: Run, e: dict[str, Any]) -> bool:
    """The fix is one fact: told once, with the last attempt it fixed."""
    if not e.get("signature") or not e.get("resolved_at"):
        return True
    later = run.ledger.query("SELECT 1 FROM error_log WHERE session_id IS ? AND signature = ? AND resolved_at = ?"
                             " AND rowid > ? LIMIT 1", (e.get("session_id"), e["signature"], e["resolved_at"], e["_rowid"]))
    return not later


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


def _summary_row(run: Run, snap: dict[str, Any]) -> dict[str, Any]:
    """A session summary from one snapshot.

    Everything comes from the snapshot itself or from ledger facts fixed before it was taken
    (the first prompt, tasks completed by then), so re-reading it yields the same row.
    """
    sid, ts = snap["session_id"], snap.get("timestamp") or ""
    facts = snapshot_facts(snap)
    done = _completed_tasks(run, sid, ts)
    progress = {t["task_id"]: "completed" for t in done}
    progress.update({str(t.get("task_id")): t.get("status") or "pending" for t in facts.tasks if t.get("task_id")})
    return {
        "session_id": sid, "request": clean(run.ledger.first_prompt(sid), 10_000),
        "completed": _lines([f"Task {t['task_id']}: {t['subject'] or ''}".strip() for t in done]
                            + [f"Changed {f}" for f in facts.files]),
        "failed_attempts": _lines(facts.failed + facts.errors),
        "next_steps": _lines([open_task_line(t) for t in facts.tasks]),
        "files_modified": clean_json(facts.files),
        "plan_progress": clean_json(progress),
        "created_at": iso_z(ts), "created_at_epoch": unix_s(ts),
    }


def _snapshot(run: Run, w: Writer, snap: dict[str, Any]) -> None:
    """Each snapshot (pre-compaction, post-compaction, session end) becomes a session summary
    as of its time; a pre_compact snapshot is also the session's compaction in the audit log."""
    sid = snap.get("session_id")
    if not _ensure_session(run, w, sid):
        w.skip("session_summaries")
        return
    w.insert("session_summaries", _summary_row(run, snap), _SUMMARY_KEY)
    if snap.get("snapshot_type") == "pre_compact":
        _audit(run, w, snap, event_type="compaction", actor="hook",
               metadata=clean_json({"source": "hookledger", "snapshot_type": "pre_compact"}))


def _agent(run: Run, w: Writer, agent: dict[str, Any]) -> None:
    """The agent registry as Massu keeps facts: a subagent's delegation (a decision of the
    main thread), and its end when it failed or went stale (a near miss worth recalling)."""
    if agent.get("is_main") or not _ensure_session(run, w, agent.get("session_id")):
        return
    kind = agent.get("agent_type") or "agent"
    task = agent.get("task_description") or (run.ledger.spawn(agent) or {}).get("description")
    if task is None and agent.get("status") == "running":
        return  # its Agent call is not linked yet: written once its task is known (or it ended)
    row = {"session_id": agent["session_id"], "agent_id": agent["id"], "timestamp": agent.get("spawn_time")}
    _observation(run, w, row, type_="decision",
                 title=f"Delegated to {kind} agent {agent['id']}" + (f": {task}" if task else ""),
                 text=f"Subagent {agent['id']} ({kind}) spawned" + (f" to {task}" if task else ""), importance=2,
                 files=[], plan_item=_plan_item(run, row))
    if agent.get("status") in ("failed", "aborted_stale") and agent.get("end_time"):
        how = "failed" if agent["status"] == "failed" else "went stale (no activity, never stopped)"
        _observation(run, w, {**row, "timestamp": agent["end_time"]}, type_="incident_near_miss",
                     title=f"Subagent {agent['id']} ({kind}) {agent['status']}",
                     text=f"Subagent {agent['id']} ({kind}) {how}" + (f"; its task: {task}" if task else ""),
                     importance=4, files=_files(agent.get("files_changed")), plan_item=_plan_item(run, row))


def _files(value: Any) -> list[str]:
    found = loads(value) if isinstance(value, str) else value
    return [f for f in found if isinstance(f, str)] if isinstance(found, list) else []


def _blocked(run: Run, w: Writer, e: dict[str, Any]) -> None:
    """A hook run that refused something (exit 2 or a PreToolUse deny): a claim denied, the
    task gate blocking a completion, a guard. Massu's `rule_enforced`, actor hook, denied."""
    if e.get("outcome") != "blocked":
        return
    summary = loads(e.get("payload_summary"))
    tool_input = summary.get("tool_input") if isinstance(summary, dict) else None
    path = tool_input.get("file_path") if isinstance(tool_input, dict) else None
    conflict = _conflict(run, e)
    rule = "file claim" if conflict else ("task gate" if e.get("event_type") in _GATE_EVENTS else "hook")
    _audit(run, w, e, event_type="rule_enforced", actor="hook", approval_status="denied",
           file_path=clean(path or (conflict or {}).get("file_path")),
           rules_in_effect=clean_json([rule]), evidence=clean(e.get("answer") or e.get("error")),
           metadata=clean_json({"source": "hookledger", "hook_event": e.get("event_type"), "tool": e.get("tool_name"),
                                "tool_use_id": e.get("tool_use_id"), "agent_id": e.get("agent_id"),
                                "holder": (conflict or {}).get("holder_agent_id")}))


_GATE_EVENTS = ("TaskCompleted", "TaskCreated", "Stop", "SubagentStop")


def _conflict(run: Run, e: dict[str, Any]) -> dict[str, Any] | None:
    """The claim conflict this blocked tool call was denied for, if it was one."""
    if not e.get("tool_use_id") or not run.ledger.has("claim_conflicts"):
        return None
    rows = run.ledger.query("SELECT * FROM claim_conflicts WHERE tool_use_id = ? AND answer = 'deny' LIMIT 1",
                            (e["tool_use_id"],))
    return rows[0] if rows else None


def steps(run: Run) -> list[tuple[str, Any, bool]]:
    return [
        ("sessions", _session, True),
        (AGENTS, _agent, True),
        ("file_claims", _claim, False, claim_settled),
        ("failed_paths", _failed_path, False),
        ("error_log", _error, False, error_settled),
        ("llm_verdicts", _verdict, False),
        ("context_snapshots", _snapshot, False),
        ("hook_events", _blocked, False),
    ]
