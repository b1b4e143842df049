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
from hookledger.handlers.agents import AGENT_TOOLS, DEFAULT_SUBAGENT_TYPE, FAILED_RESULTS, MAX_PROMPT, MAX_TASK, spawn_task
from hookledger.handlers.context import Context
from hookledger.handlers.prompts import MAX_PROMPT_CHARS
from hookledger.handlers.tool_errors import escalation_thresholds
from hookledger.handlers.tool_errors import bash_exit_code
from hookledger.history.errors import ROW, Errors, event_for, is_interrupt, view
from hookledger.handlers.tasks import TASK_TOOLS
from hookledger.history.session import Agent, SessionFacts
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


SQL = {
    "sessions":
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
    "events":
        "INSERT OR IGNORE INTO hook_events (event_uid, session_id, timestamp, event_type, dispatcher, payload_summary,"
        " exit_code, duration_ms, agent_id, tool_name, tool_use_id, outcome, replayed, origin)"
        " VALUES (?, ?, ?, ?, ?, ?, 0, NULL, ?, ?, ?, 'ok', 0, 'import')",
    "claims":
        "INSERT INTO file_claims (session_id, agent_id, file_path, operation, timestamp, tool_use_id, status, phase,"
        " released_at, origin) VALUES (?, ?, ?, ?, ?, ?, 'held', ?, ?, 'import')",
    "errors":
        "INSERT OR IGNORE INTO error_log (session_id, timestamp, task_id, agent_id, file_path, error_category,"
        " error_message, attempt_number, resolution, signature, tool_name, command, tool_use_id, escalation,"
        " resolved_at, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'import')",
    "error_updates": "UPDATE error_log SET resolution = ?, resolved_at = ? WHERE id = ? AND resolved_at IS NULL",
    "prompts":
        "INSERT OR IGNORE INTO prompts (session_id, prompt_id, agent_id, created_at, text, chars, truncated, source)"
        " VALUES (?, ?, NULL, ?, ?, ?, ?, 'import')",
    "usage": metrics.UPSERT_USAGE,
    "spawns":
        "INSERT INTO agent_spawns (tool_use_id, session_id, parent_agent_id, subagent_type, description, prompt,"
        " requested_at, agent_id, status, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'import')"
        " ON CONFLICT(tool_use_id) DO NOTHING",
    "agents":
        "INSERT INTO agent_registry (id, session_id, agent_type, task_description, spawn_time, end_time, status,"
        " files_changed, last_event_at, unattributed, tool_use_id, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?,"
        " 'import') ON CONFLICT(id) DO UPDATE SET"
        " task_description = coalesce(task_description, excluded.task_description),"
        " tool_use_id = coalesce(tool_use_id, excluded.tool_use_id),"
        " status = CASE WHEN origin = 'import' THEN excluded.status ELSE status END,"
        " end_time = CASE WHEN origin = 'import' THEN excluded.end_time ELSE end_time END,"
        " last_event_at = max(coalesce(last_event_at, ''), coalesce(excluded.last_event_at, ''))",
    "import_files":  # the per-file cursors (history/run.py): written with the rows they account for
        "INSERT INTO import_files (path, session_id, agent_id, size, mtime_ns, offset, head, lines, bad_lines,"
        " unknown_records, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET"
        " session_id = excluded.session_id, agent_id = excluded.agent_id, size = excluded.size,"
        " mtime_ns = excluded.mtime_ns, offset = excluded.offset, head = excluded.head,"
        " lines = CASE WHEN excluded.offset < import_files.offset THEN excluded.lines"
        " ELSE import_files.lines + excluded.lines END,"
        " bad_lines = import_files.bad_lines + excluded.bad_lines,"
        " unknown_records = import_files.unknown_records + excluded.unknown_records,"
        " imported_at = excluded.imported_at",
    "metrics":  # as metrics.put
        "INSERT INTO session_metrics (session_id, event_type, key, value, timestamp) VALUES (?, 'summary', ?, ?, ?)"
        " ON CONFLICT(session_id, key) WHERE event_type = 'summary' DO UPDATE SET value = excluded.value,"
        " timestamp = excluded.timestamp",
}


class Batch:
    """Rows of many sessions, written with one executemany per table (in SQL's order) at flush."""

    def __init__(self, conn: sqlite3.Connection, project_dir: str, config: dict[str, Any], now: str) -> None:
        self.conn, self.project_dir, self.config, self.now = conn, project_dir, config, now
        self.thresholds = escalation_thresholds(SimpleNamespace(config=config))
        self.keep_text = (config.get("capture") or {}).get("prompts") is not False
        self.rows: dict[str, list[tuple | list]] = {name: [] for name in SQL}

    def flush(self) -> None:
        for name, sql in SQL.items():
            if self.rows[name]:
                self.conn.executemany(sql, self.rows[name])
                self.rows[name] = []


@dataclass
class _Known:
    """What the ledger already holds of a session (nothing, for a session new to it)."""

    hooked: set[str]     # tool_use_ids with a PostToolUse/PostToolUseFailure row
    claimed: set[str]    # tool_use_ids with file claims
    prompts: set[str]
    usage: set[str]      # message keys
    agents: set[str]
    metrics: dict[str, object]
    hook_recorded: bool  # any hook_events row written by a hook

    @classmethod
    def load(cls, conn: sqlite3.Connection, sid: str) -> _Known:
        def ids(sql: str) -> set[str]:
            return {r[0] for r in conn.execute(sql, (sid,)) if r[0] is not None}

        return cls(ids("SELECT tool_use_id FROM hook_events WHERE session_id = ? AND event_type IN"
                       " ('PostToolUse', 'PostToolUseFailure') AND tool_use_id IS NOT NULL"),
                   ids("SELECT DISTINCT tool_use_id FROM file_claims WHERE session_id = ?"),
                   ids("SELECT prompt_id FROM prompts WHERE session_id = ?"),
                   ids("SELECT message_key FROM transcript_usage WHERE session_id = ?"),
                   ids("SELECT id FROM agent_registry WHERE session_id = ?"),
                   metrics.read_all(conn, sid),
                   conn.execute("SELECT 1 FROM hook_events WHERE session_id = ? AND origin IS NULL LIMIT 1",
                                (sid,)).fetchone() is not None)


NOTHING = _Known(set(), set(), set(), set(), set(), {}, False)


def write_session(batch: Batch, facts: SessionFacts, *, known: bool, ended: bool, compactions_read: int,
                  from_start: bool) -> Written:
    """Record `facts` (the session's newly read records). `known`: the ledger has the session
    (its rows are looked up, and it is flushed and recounted at once); `ended`: the session is
    over (nothing happened for agents.stale_seconds); `compactions_read`: boundaries in the
    lines consumed for good by this read (`from_start`: the main file was read from its start)."""
    conn, sid, now = batch.conn, facts.session_id, batch.now
    have = _Known.load(conn, sid) if known else NOTHING
    out = Written(new_session=not known)
    first, last = facts.first_at or now, facts.last_at or facts.first_at or now
    rows = batch.rows
    rows["sessions"].append((sid, batch.project_dir, first, last if ended else None, facts.main_model(),
                             facts.main_path, last, "ended" if ended else "active", facts.cwd, facts.git_branch))
    errors = Errors(conn, sid, batch.project_dir, batch.thresholds, known=known)
    claimed: list[tuple] = []
    by_tool: dict[str, int] = {}
    order = {tid: i for i, tid in enumerate(facts.order)}
    tracked = known and conn.execute("SELECT 1 FROM tasks WHERE session_id = ? LIMIT 1", (sid,)).fetchone() is not None
    calls = sorted((c for c in facts.calls.values() if c.finished and c.tool_use_id not in have.hooked),
                   key=lambda c: (c.done_at or "", order[c.tool_use_id]))
    for call in calls:
        agent = None if call.agent_id == facts.main else call.agent_id
        event = event_for(sid, call.name, call.tool_input, call.cwd, call.tool_use_id, agent)
        failed = call.is_error
        name = "PostToolUseFailure" if failed else "PostToolUse"
        # What the views read of a payload (its tool_input, error); the ids have their own columns.
        payload = {"hook_event_name": name, "tool_name": call.name, "tool_input": call.tool_input}
        if failed:
            payload["error"] = call.error_text[:2000]
        rows["events"].append((f"import:{sid}:{call.tool_use_id}", sid, call.done_at, name, name, summarize(payload),
                               agent, call.name, call.tool_use_id))
        by_tool[call.name] = by_tool.get(call.name, 0) + 1
        if call.tool_use_id not in have.claimed:
            claimed += [(sid, event.actor_id, path, operation, call.at or call.done_at, call.tool_use_id,
                         "failed" if failed else "done") for operation, path in claims.targets(view(event, batch.project_dir))]
        task = None
        # the task list as the hooks keep it, and the task in progress when a call fails
        may_fail = failed or (call.name in ("Bash", "PowerShell") and bash_exit_code(call.response) is not None)
        if call.name in TASK_TOOLS or (tracked and may_fail):
            tracked = True
            task = _tasks(batch, sid, event, call, failed)
        if failed:
            if not is_interrupt(call.error_text):
                errors.failed(event, call.error_text or f"{call.name} failed", call.done_at or now, task)
        else:
            errors.succeeded(event, call.response, call.done_at or now, task)
        if call.name in AGENT_TOOLS:
            _spawn(batch, facts, call, failed)
    if ended:
        errors.abandon(last)
    rows["errors"] += errors.new
    rows["error_updates"] += errors.updates
    out.tool_calls, out.errors, out.file_changes = len(calls), len(errors.new), len(claimed)
    ends = _agents(batch, facts, have, first, last, ended, claimed)
    rows["claims"] += [r + (ends.get(r[1]),) for r in claimed]
    out.prompts = _prompts(batch, facts, have)
    usage = [(sid, key, model, u.input, u.output, u.cache_creation, u.cache_read, u.cache_5m, u.cache_1h, at, agent,
              "import") for key, (model, at, agent, u) in facts.usage.items()]
    rows["usage"] += usage
    out.responses = sum(1 for r in usage if r[1] not in have.usage)
    out.subagents = sum(1 for a in facts.agents if a not in have.agents)
    if not have.hook_recorded:  # the PreCompact a hook would have recorded for each boundary
        rows["events"] += [(f"import:{sid}:compact:{uuid}", sid, at or now, "PreCompact", "PreCompact",
                            summarize({"hook_event_name": "PreCompact", "trigger": trigger or "auto"}),
                            None, None, None) for _, _, uuid, at, trigger in facts.compactions]
    out.compactions = compactions_read
    seen = have.metrics.get(IMPORTED_COMPACTIONS, 0)
    counted = (0 if from_start else seen if isinstance(seen, int) else 0) + compactions_read
    hooks_saw = have.metrics.get(metrics.BOUNDARIES, 0)
    known_models = have.metrics.get("models")
    extra: dict[str, object] = {IMPORTED_COMPACTIONS: counted,
                                metrics.BOUNDARIES: max(counted, hooks_saw if isinstance(hooks_saw, int) else 0)}
    if facts.version:
        from hookledger.knowledge.claude_code import METRIC

        extra[METRIC] = facts.version
    if facts.models:
        extra["models"] = sorted(set(facts.models) | set(known_models if isinstance(known_models, list) else []))
    if tracked and not known:
        conn.execute("UPDATE tasks SET origin = 'import' WHERE session_id = ?", (sid,))
    if known:  # recount from the ledger as the hooks do
        batch.flush()
        _settle_known(batch, facts, ended, last, {r[1] for r in claimed})
        ctx = Context(conn, Event("Import", {"session_id": sid}), now, batch.project_dir, "", replay=True, _config={})
        for key, value in extra.items():
            metrics.put(ctx, sid, key, value)
        metrics.refresh(ctx, sid, transcript=False)
    else:
        _summary(batch, facts, first, last, by_tool, errors, claimed, extra)
    return out


def _tasks(batch: Batch, sid: str, event: Event, call: Any, failed: bool) -> str | None:
    """A Task tool call through handlers/tasks (as its PostToolUse / PostToolUseFailure hook), at
    once: the table is small and the next failure asks which task was in progress."""
    from hookledger.handlers import tasks, tool_errors

    data = dict(event.data, tool_response=call.response, error=call.error_text if failed else None)
    ctx = Context(batch.conn, Event("PostToolUseFailure" if failed else "PostToolUse", data), call.done_at or batch.now,
                  batch.project_dir, "", replay=True, _config=batch.config)
    if call.name == "TaskCreate" and failed and tasks.feedback_text(call.error_text, tasks.CREATE_FEEDBACK):
        _refused_creation(ctx)
    if call.name in TASK_TOOLS:
        (tasks.post_tool_use_failure if failed else tasks.post_tool_use)(ctx)
    return tool_errors._current_task(ctx)


def _refused_creation(ctx: Context) -> None:
    """A task a TaskCreated hook refused: the hooks saw it created (TaskCreated names its id)
    before it was deleted; the transcript shows only the refusal. Claude Code numbers a list's
    tasks in order, so it had the next id."""
    from hookledger.handlers.task_records import upsert

    ids = [int(r[0]) for r in ctx.conn.execute("SELECT task_id FROM tasks WHERE session_id = ?", (ctx.session_id,))
           if str(r[0]).isdigit()]
    given = ctx.event.tool_input
    upsert(ctx, str(max(ids, default=0) + 1), subject=given.get("subject"), description=given.get("description"))


def _spawn(batch: Batch, facts: SessionFacts, call: Any, failed: bool) -> None:
    """The Agent call in agent_spawns, linked to the agent its result names."""
    response = call.response if isinstance(call.response, dict) else {}
    agent_id = response.get("agentId") if isinstance(response.get("agentId"), str) else None
    status = response.get("status") if isinstance(response.get("status"), str) else None
    kind = call.tool_input.get("subagent_type")
    kind = kind if isinstance(kind, str) and kind else DEFAULT_SUBAGENT_TYPE
    batch.rows["spawns"].append((
        call.tool_use_id, facts.session_id, call.agent_id, kind, redact_clip(call.tool_input.get("description"), MAX_TASK),
        redact_clip(call.tool_input.get("prompt"), MAX_PROMPT), call.at, agent_id,
        "failed" if failed else status or "completed"))
    if agent_id:
        agent_type = response.get("agentType")
        a = facts.agents.setdefault(agent_id, Agent(agent_id))
        a.agent_type = agent_type if isinstance(agent_type, str) and agent_type else a.agent_type or kind
        a.first_at = a.first_at or call.at
        a.last_at = max(a.last_at or "", call.done_at or "") or None
        facts.spawned[agent_id] = (call.tool_use_id, spawn_task(call.tool_input),
                                   "failed" if failed or (status or "").lower() in FAILED_RESULTS
                                   else "completed" if status == "completed" else None)


def _agents(batch: Batch, facts: SessionFacts, have: _Known, first: str, last: str, ended: bool,
            claimed: list[tuple]) -> dict[str, str | None]:
    """The main thread and each subagent in agent_registry (new ones; known ones keep what the
    hooks recorded) with the files they changed; returns each agent's end (its claims' release)."""
    changed: dict[str, list[str]] = {}
    for r in claimed:
        if r[6] == "done" and r[2] not in changed.setdefault(r[1], []):
            changed[r[1]].append(r[2])
    main_status = "completed" if ended else "running"
    ends: dict[str, str | None] = {facts.main: last if ended else None}
    rows = [(facts.main, facts.session_id, "main", None, first, ends[facts.main], main_status,
             _files(changed.get(facts.main)), last, None)]
    for agent_id, a in facts.agents.items():
        call, task, status = facts.spawned.get(agent_id, (None, None, None))
        done = status or ("completed" if ended or call else "running")
        ends[agent_id] = (a.last_at or last) if done != "running" else None
        rows.append((agent_id, facts.session_id, a.agent_type or DEFAULT_SUBAGENT_TYPE, task, a.first_at or first,
                     ends[agent_id], done, _files(changed.get(agent_id)), a.last_at or last, call))
    batch.rows["agents"] += rows
    return ends


def _files(paths: list[str] | None) -> str | None:
    return json.dumps(paths, ensure_ascii=False) if paths else None


def _settle_known(batch: Batch, facts: SessionFacts, ended: bool, last: str, touched: set[str]) -> None:
    """A session the ledger had: its agents' files_changed from every claim, and closed out as
    SessionEnd would have when it is over."""
    conn, sid = batch.conn, facts.session_id
    if ended:
        conn.execute("UPDATE agent_registry SET status = 'completed', end_time = coalesce(end_time, last_event_at, ?)"
                     " WHERE session_id = ? AND status = 'running'", (last, sid))
    for agent_id in touched:
        files = [r[0] for r in conn.execute(
            "SELECT file_path FROM file_claims WHERE agent_id = ? AND session_id = ? AND phase = 'done'"
            " GROUP BY file_path ORDER BY min(id)", (agent_id, sid))]
        conn.execute("UPDATE agent_registry SET files_changed = ? WHERE id = ?", (_files(files), agent_id))
    conn.execute("UPDATE file_claims SET released_at = (SELECT end_time FROM agent_registry a WHERE a.id ="
                 " file_claims.agent_id) WHERE session_id = ? AND released_at IS NULL"
                 " AND agent_id IN (SELECT id FROM agent_registry WHERE session_id = ? AND end_time IS NOT NULL)",
                 (sid, sid))


def _prompts(batch: Batch, facts: SessionFacts, have: _Known) -> int:
    new = [p for p in facts.prompts.values() if p.prompt_id not in have.prompts]
    keep = batch.keep_text
    sid = facts.session_id
    batch.rows["prompts"] += [(sid, p.prompt_id, p.at, redact_clip(p.text, MAX_PROMPT_CHARS) if keep else None,
                               len(p.text), int(keep and len(p.text) > MAX_PROMPT_CHARS)) for p in new]
    # The UserPromptSubmit the hooks would have recorded (the timeline and the report read them).
    batch.rows["events"] += [
        (f"import:{sid}:prompt:{p.prompt_id}", sid, p.at, "UserPromptSubmit", "UserPromptSubmit",
         summarize({"hook_event_name": "UserPromptSubmit", "prompt_id": p.prompt_id,
                    "prompt": p.text if keep else f"({len(p.text)} chars)"}), None, None, None) for p in new]
    return len(new)


def _summary(batch: Batch, facts: SessionFacts, started: str, last: str, by_tool: dict[str, int],
             errors: Errors, claimed: list[tuple], extra: dict[str, object]) -> None:
    """A new session's summary metrics, as metrics.refresh computes them from the rows written."""
    from hookledger.hotpath.timeutil import parse_utc

    usage = [u for _, _, _, u in facts.usage.values()]
    compactions = extra[metrics.BOUNDARIES]
    values: dict[str, object] = {
        "tool_calls": sum(by_tool.values()),
        "tool_calls_by_tool": by_tool,
        "failures": len(errors.new),
        "failures_auto_fixed": sum(1 for r in errors.new if r[ROW.index("resolution")] == "auto_fixed"),
        "failures_escalated": sum(1 for r in errors.new if r[ROW.index("escalation")] is not None),
        "compactions": compactions,
        "assistant_messages": len(usage),
        "tokens_input": sum(u.input for u in usage),
        "tokens_output": sum(u.output for u in usage),
        "tokens_cache_creation": sum(u.cache_creation for u in usage),
        "tokens_cache_read": sum(u.cache_read for u in usage),
        "started_at": started,
    }
    start, end = parse_utc(started), parse_utc(last)  # ended_at, else last_event_at: both the last record
    if start is not None and end is not None:
        values["duration_seconds"] = round(max(0.0, end - start), 3)
    done = [r[4] for r in claimed if r[6] == "done" and r[4]]
    if done:
        values[metrics.FIRST_CHANGE] = min(done)
    values.update(extra)
    # encoded as metrics.put encodes (json.dumps of an int is its str)
    batch.rows["metrics"] += [(facts.session_id, key, value if isinstance(value, str) else str(value)
                               if type(value) is int else json.dumps(value, sort_keys=True), batch.now)
                              for key, value in values.items()]
