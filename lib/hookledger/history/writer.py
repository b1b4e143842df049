"""One session's facts into the ledger, in the caller's transaction, in batches.

What the hooks recorded stays as they recorded it; the import adds only what they missed,
keyed by tool_use_id (a tool call: its hook_events row, file claims, error), message id (a
response's tokens) and prompt id. Rows it adds are marked origin 'import' (source 'import' in
transcript_usage and prompts). A call gets the rows its hooks would have written: a
PostToolUse / PostToolUseFailure hook_events row (no duration: no hook ran), the file claims of
what it changed (claims.targets: Write/Edit/MultiEdit/NotebookEdit and evident Bash writes),
an error for a failure (history/errors.py), an agent_spawns row for an Agent call.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, fields
from types import SimpleNamespace
from typing import Any

from hookledger.handlers import claims, metrics
from hookledger.handlers.agents import DEFAULT_SUBAGENT_TYPE, FAILED_RESULTS, MAX_PROMPT, MAX_TASK, _task
from hookledger.handlers.context import Context
from hookledger.handlers.prompts import MAX_PROMPT_CHARS
from hookledger.handlers.tool_errors import _thresholds as thresholds
from hookledger.history.errors import Errors, event_for, is_interrupt, view
from hookledger.history.session import AGENT_TOOLS, Agent, SessionFacts
from hookledger.hotpath.audit import summarize
from hookledger.hotpath.events import Event
from hookledger.hotpath.redact import redact_clip

IMPORTED_COMPACTIONS = "import_compactions"  # session_metrics: boundaries the import has counted


@dataclass
class Counts:
    """What an import added: per session (Written) and in all (run.ImportReport)."""

    tool_calls: int = 0
    errors: int = 0
    file_changes: int = 0
    prompts: int = 0
    responses: int = 0
    subagents: int = 0
    compactions: int = 0

    def add(self, other: Counts) -> None:
        for name in COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNTED = tuple(f.name for f in fields(Counts))


@dataclass
class Written(Counts):
    """What one session's import added."""

    new_session: bool = False


def _ids(conn: sqlite3.Connection, sql: str, sid: str) -> set[str]:
    return {r[0] for r in conn.execute(sql, (sid,)) if r[0] is not None}


def write_session(conn: sqlite3.Connection, facts: SessionFacts, *, project_dir: str, config: dict[str, Any],
                  now: str, ended: bool, compactions_read: int, from_start: bool) -> Written:
    """Record `facts` (the session's newly read records). `ended`: the session is over (its
    last record is older than agents.stale_seconds); `compactions_read`: boundaries in the
    lines consumed for good by this read (`from_start`: the main file was read from its start)."""
    sid = facts.session_id
    out = Written()
    known = conn.execute("SELECT status FROM sessions WHERE session_id = ?", (sid,)).fetchone()
    out.new_session = known is None
    hooked = _ids(conn, "SELECT tool_use_id FROM hook_events WHERE session_id = ?"
                        " AND event_type IN ('PostToolUse', 'PostToolUseFailure') AND tool_use_id IS NOT NULL", sid)
    first, last = facts.first_at or now, facts.last_at or facts.first_at or now
    _session(conn, facts, project_dir, first, last, ended)
    events: list[tuple] = []
    claim_rows: list[tuple] = []
    errors = Errors(conn, sid, project_dir, thresholds(SimpleNamespace(config=config)))
    calls = sorted((c for c in facts.calls.values() if c.finished and c.tool_use_id not in hooked),
                   key=lambda c: (c.done_at or "", facts.order.index(c.tool_use_id) if len(facts.order) < 5000 else 0))
    for call in calls:
        agent = None if call.agent_id == facts.main else call.agent_id
        event = event_for(sid, call.name, call.tool_input, call.cwd, call.tool_use_id, agent)
        failed = call.is_error
        name = "PostToolUseFailure" if failed else "PostToolUse"
        payload = dict(event.data, hook_event_name=name)
        if failed:
            payload["error"] = call.error_text[:2000]
        events.append((f"import:{sid}:{call.tool_use_id}", sid, call.done_at, name, name, summarize(payload),
                       agent, call.name, call.tool_use_id))
        for operation, path in claims.targets(view(event, project_dir)):
            claim_rows.append((sid, event.actor_id, path, operation, call.at or call.done_at, call.tool_use_id,
                               "failed" if failed else "done"))
        if failed:
            if not is_interrupt(call.error_text):
                errors.failed(event, call.error_text or f"{call.name} failed", call.done_at or now)
        else:
            errors.succeeded(event, call.response, call.done_at or now)
        if call.name in AGENT_TOOLS:
            _spawn(conn, facts, call, failed)
    conn.executemany(
        "INSERT OR IGNORE INTO hook_events (event_uid, session_id, timestamp, event_type, dispatcher, payload_summary,"
        " exit_code, duration_ms, agent_id, tool_name, tool_use_id, outcome, replayed, origin)"
        " VALUES (?, ?, ?, ?, ?, ?, 0, NULL, ?, ?, ?, 'ok', 0, 'import')", events)
    out.tool_calls = len(events)
    out.errors = errors.written
    with_claims = _ids(conn, "SELECT DISTINCT tool_use_id FROM file_claims WHERE session_id = ?", sid)
    claim_rows = [r for r in claim_rows if r[5] not in with_claims]
    conn.executemany(
        "INSERT INTO file_claims (session_id, agent_id, file_path, operation, timestamp, tool_use_id, status, phase,"
        " origin) VALUES (?, ?, ?, ?, ?, ?, 'held', ?, 'import')", claim_rows)
    out.file_changes = len(claim_rows)
    out.prompts = _prompts(conn, facts, config, hooked_session=bool(hooked) or not out.new_session)
    out.responses = _usage(conn, facts)
    out.subagents = _agents(conn, facts, first, last, ended, {r[1] for r in claim_rows})
    out.compactions = _compactions(conn, facts, compactions_read, from_start, now, new_session=out.new_session)
    if ended:
        errors.abandon(last)
    _summary(conn, facts, project_dir, now)
    return out


def _session(conn: sqlite3.Connection, facts: SessionFacts, project_dir: str, first: str, last: str,
             ended: bool) -> None:
    conn.execute(
        "INSERT INTO sessions (session_id, project_dir, started_at, ended_at, model, transcript_path, last_event_at,"
        " status, cwd, git_branch, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'import')"
        " ON CONFLICT(session_id) DO UPDATE SET model = coalesce(model, excluded.model),"
        " transcript_path = coalesce(transcript_path, excluded.transcript_path),"
        " cwd = coalesce(cwd, excluded.cwd), git_branch = coalesce(git_branch, excluded.git_branch),"
        " last_event_at = CASE WHEN origin = 'import' THEN max(coalesce(last_event_at, ''), excluded.last_event_at)"
        " ELSE last_event_at END,"
        # an import-made session follows its transcript; a recorded one still 'active' long after its
        # transcript's last record missed its SessionEnd (hooks off, a crash): ended as it would have been
        " ended_at = CASE WHEN excluded.status = 'ended' AND (origin = 'import' OR status = 'active')"
        " THEN coalesce(ended_at, excluded.ended_at) ELSE ended_at END,"
        " status = CASE WHEN origin = 'import' OR (status = 'active' AND excluded.status = 'ended')"
        " THEN excluded.status ELSE status END",
        (facts.session_id, project_dir, first, last if ended else None, facts.main_model(), facts.main_path, last,
         "ended" if ended else "active", facts.cwd, facts.git_branch))


def _spawn(conn: sqlite3.Connection, facts: SessionFacts, call: Any, failed: bool) -> None:
    """The Agent call in agent_spawns, linked to the agent its result names."""
    response = call.response if isinstance(call.response, dict) else {}
    agent_id = response.get("agentId") if isinstance(response.get("agentId"), str) else None
    status = response.get("status") if isinstance(response.get("status"), str) else None
    kind = call.tool_input.get("subagent_type")
    kind = kind if isinstance(kind, str) and kind else DEFAULT_SUBAGENT_TYPE
    conn.execute(
        "INSERT INTO agent_spawns (tool_use_id, session_id, parent_agent_id, subagent_type, description, prompt,"
        " requested_at, agent_id, status, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'import')"
        " ON CONFLICT(tool_use_id) DO NOTHING",
        (call.tool_use_id, facts.session_id, call.agent_id, kind, redact_clip(call.tool_input.get("description"), MAX_TASK),
         redact_clip(call.tool_input.get("prompt"), MAX_PROMPT), call.at, agent_id,
         "failed" if failed else status or "completed"))
    if agent_id:
        agent_type = response.get("agentType")
        a = facts.agents.setdefault(agent_id, Agent(agent_id))
        a.agent_type = agent_type if isinstance(agent_type, str) and agent_type else a.agent_type or kind
        a.first_at = a.first_at or call.at
        a.last_at = max(a.last_at or "", call.done_at or "") or None
        facts.spawned[agent_id] = (call.tool_use_id, _task(call.tool_input),
                                                 "failed" if failed or (status or "").lower() in FAILED_RESULTS
                                                 else "completed" if status == "completed" else None)


def _agents(conn: sqlite3.Connection, facts: SessionFacts, first: str, last: str, ended: bool,
            touched: set[str]) -> int:
    """The main thread and each subagent in agent_registry (new ones; known ones keep what the
    hooks recorded), then files_changed of the agents whose claims the import added."""
    rows = [(facts.main, facts.session_id, "main", None, first, last if ended else None,
             "completed" if ended else "running", last, None)]
    for agent_id, a in facts.agents.items():
        call, task, status = facts.spawned.get(agent_id, (None, None, None))
        done = status or ("completed" if ended or call else "running")
        rows.append((agent_id, facts.session_id, a.agent_type or DEFAULT_SUBAGENT_TYPE, task, a.first_at or first,
                     (a.last_at or last) if done != "running" else None, done, a.last_at or last, call))
    before = conn.execute("SELECT count(*) FROM agent_registry WHERE session_id = ?", (facts.session_id,)).fetchone()[0]
    conn.executemany(
        "INSERT INTO agent_registry (id, session_id, agent_type, task_description, spawn_time, end_time, status,"
        " last_event_at, unattributed, tool_use_id, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'import')"
        " ON CONFLICT(id) DO UPDATE SET"
        " task_description = coalesce(task_description, excluded.task_description),"
        " tool_use_id = coalesce(tool_use_id, excluded.tool_use_id),"
        " status = CASE WHEN origin = 'import' THEN excluded.status ELSE status END,"
        " end_time = CASE WHEN origin = 'import' THEN excluded.end_time ELSE end_time END,"
        " last_event_at = max(coalesce(last_event_at, ''), coalesce(excluded.last_event_at, ''))", rows)
    after = conn.execute("SELECT count(*) FROM agent_registry WHERE session_id = ?", (facts.session_id,)).fetchone()[0]
    if ended:  # as SessionEnd ends the main thread (and the agents' own stops ended theirs)
        conn.execute("UPDATE agent_registry SET status = 'completed', end_time = coalesce(end_time, last_event_at, ?)"
                     " WHERE session_id = ? AND status = 'running'", (last, facts.session_id))
    for agent_id in touched:
        files = [r[0] for r in conn.execute(
            "SELECT file_path FROM file_claims WHERE agent_id = ? AND session_id = ? AND phase = 'done'"
            " GROUP BY file_path ORDER BY min(id)", (agent_id, facts.session_id))]
        conn.execute("UPDATE agent_registry SET files_changed = ? WHERE id = ?",
                     (json.dumps(files, ensure_ascii=False) if files else None, agent_id))
    # Claims of agents that are over are released, as end_agent does.
    conn.execute("UPDATE file_claims SET released_at = (SELECT end_time FROM agent_registry a WHERE a.id ="
                 " file_claims.agent_id) WHERE session_id = ? AND released_at IS NULL"
                 " AND agent_id IN (SELECT id FROM agent_registry WHERE session_id = ? AND end_time IS NOT NULL)",
                 (facts.session_id, facts.session_id))
    return after - before - (1 if before == 0 else 0)


def _prompts(conn: sqlite3.Connection, facts: SessionFacts, config: dict[str, Any], *, hooked_session: bool) -> int:
    from hookledger.hotpath.config import get

    if not facts.prompts:
        return 0
    have = _ids(conn, "SELECT prompt_id FROM prompts WHERE session_id = ?", facts.session_id)
    keep_text = get(config, "capture.prompts") is not False
    new = [p for p in facts.prompts.values() if p.prompt_id not in have]
    conn.executemany(
        "INSERT OR IGNORE INTO prompts (session_id, prompt_id, agent_id, created_at, text, chars, truncated, source)"
        " VALUES (?, ?, NULL, ?, ?, ?, ?, 'import')",
        [(facts.session_id, p.prompt_id, p.at, redact_clip(p.text, MAX_PROMPT_CHARS) if keep_text else None,
          len(p.text), int(keep_text and len(p.text) > MAX_PROMPT_CHARS)) for p in new])
    # The UserPromptSubmit the hooks would have recorded (the timeline and the report read them).
    conn.executemany(
        "INSERT OR IGNORE INTO hook_events (event_uid, session_id, timestamp, event_type, dispatcher, payload_summary,"
        " exit_code, duration_ms, outcome, replayed, origin)"
        " VALUES (?, ?, ?, 'UserPromptSubmit', 'UserPromptSubmit', ?, 0, NULL, 'ok', 0, 'import')",
        [(f"import:{facts.session_id}:prompt:{p.prompt_id}", facts.session_id, p.at,
          summarize({"session_id": facts.session_id, "hook_event_name": "UserPromptSubmit", "prompt_id": p.prompt_id,
                     "prompt": p.text if keep_text else f"({len(p.text)} chars)"})) for p in new])
    return len(new)


def _usage(conn: sqlite3.Connection, facts: SessionFacts) -> int:
    before = conn.execute("SELECT count(*) FROM transcript_usage WHERE session_id = ?", (facts.session_id,)).fetchone()[0]
    conn.executemany(metrics.UPSERT_USAGE, [
        (facts.session_id, key, model, u.input, u.output, u.cache_creation, u.cache_read, u.cache_5m, u.cache_1h, at,
         agent, "import") for key, (model, at, agent, u) in facts.usage.items()])
    return conn.execute("SELECT count(*) FROM transcript_usage WHERE session_id = ?",
                        (facts.session_id,)).fetchone()[0] - before


def _compactions(conn: sqlite3.Connection, facts: SessionFacts, counted: int, from_start: bool, now: str, *,
                 new_session: bool) -> int:
    """Compact boundaries: counted in the session's metrics (as the hooks count them from the
    transcript), and for a session no hook recorded, a PreCompact in hook_events for each."""
    if new_session or not conn.execute("SELECT 1 FROM hook_events WHERE session_id = ? AND (origin IS NULL)"
                                       " LIMIT 1", (facts.session_id,)).fetchone():
        conn.executemany(
            "INSERT OR IGNORE INTO hook_events (event_uid, session_id, timestamp, event_type, dispatcher,"
            " payload_summary, exit_code, duration_ms, outcome, replayed, origin)"
            " VALUES (?, ?, ?, 'PreCompact', 'PreCompact', ?, 0, NULL, 'ok', 0, 'import')",
            [(f"import:{facts.session_id}:compact:{uuid}", facts.session_id, at or now,
              summarize({"session_id": facts.session_id, "hook_event_name": "PreCompact", "trigger": "transcript"}))
             for _, _, uuid, at in facts.compactions])
    stored = metrics.read_all(conn, facts.session_id)
    seen = stored.get(IMPORTED_COMPACTIONS, 0)
    total = (0 if from_start else seen if isinstance(seen, int) else 0) + counted
    hooks_saw = stored.get(metrics.BOUNDARIES, 0)
    ctx = _context(conn, facts.session_id, "", now)
    metrics.put(ctx, facts.session_id, IMPORTED_COMPACTIONS, total)
    metrics.put(ctx, facts.session_id, metrics.BOUNDARIES, max(total, hooks_saw if isinstance(hooks_saw, int) else 0))
    return counted


def _context(conn: sqlite3.Connection, session_id: str, project_dir: str, now: str) -> Context:
    return Context(conn, Event("Import", {"session_id": session_id}), now, project_dir, "", replay=True, _config={})


def _summary(conn: sqlite3.Connection, facts: SessionFacts, project_dir: str, now: str) -> None:
    """The session's summary metrics recomputed as the hooks compute them (metrics.refresh),
    with the Claude Code version and every model the transcript names."""
    ctx = _context(conn, facts.session_id, project_dir, now)
    if facts.version:
        from hookledger.knowledge.claude_code import METRIC

        metrics.put(ctx, facts.session_id, METRIC, facts.version)
    if facts.models:
        known = metrics.read_all(conn, facts.session_id).get("models")
        models = sorted(set(facts.models) | set(known if isinstance(known, list) else []))
        metrics.put(ctx, facts.session_id, "models", models)
    metrics.refresh(ctx, facts.session_id, transcript=False)
