"""The agent registry: one row per agent (subagents and each session's main thread).

Lifecycle: a row appears on SubagentStart, or on the first event carrying an unknown
`agent_id` (marked `unattributed`: Claude Code sometimes reports tool calls under an id that
never had a SubagentStart). Its task comes from the `Agent` (legacy `Task`) tool call that
launched it: the call is kept in agent_spawns and matched to the agent by tool_use_id once
PostToolUse(Agent) names the agentId; from the agent's first tool call by the call id in the
meta file Claude Code keeps beside the transcript; until then by subagent type and order
(agents launched together start in the order of their calls). Status is
running, then completed (SubagentStop, or the Agent result `completed`) or failed; agents
silent for `agents.stale_seconds` become `aborted_stale` at SessionEnd or the next
SessionStart. The SubagentStop that compaction fires (empty agent_type) is not an agent.
"""

from __future__ import annotations

import json
import os
import re

from hookledger.hotpath.events import main_agent_id
from hookledger.handlers.context import Context
from hookledger.hotpath.redact import redact_clip
from hookledger.hotpath.timeutil import seconds_before

AGENT_TOOLS = frozenset({"Agent", "Task"})
MAIN_TYPE = "main"
DEFAULT_SUBAGENT_TYPE = "general-purpose"  # what the Agent tool runs when no type is given
TERMINAL = ("completed", "failed", "aborted_stale")
FAILED_RESULTS = frozenset({"failed", "error", "errored", "cancelled", "canceled", "killed", "interrupted"})
SPAWN_MATCH_SECONDS = 120  # a SubagentStart seen before its Agent call must be this recent
MAX_TASK = 500
MAX_PROMPT = 4000
STARTED = "started"  # agent_spawns.status: its agent is known from Claude Code's meta file
MAX_META = 65_536
_AGENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def touch(ctx: Context) -> None:
    """Make sure the acting agent has a row and note that it was heard from.

    An unknown subagent id is created unattributed; an agent marked aborted_stale that
    speaks again is evidently alive and goes back to running.
    """
    ev = ctx.event
    agent_id = ev.agent_id
    if agent_id:
        agent_type, orphan = ev.agent_type, 0 if ev.name == "SubagentStart" else 1
    else:
        agent_id, agent_type, orphan = main_agent_id(ctx.session_id), MAIN_TYPE, 0
    ctx.conn.execute(
        "INSERT INTO agent_registry (id, session_id, agent_type, spawn_time, status, last_event_at, unattributed)"
        " VALUES (?, ?, ?, ?, 'running', ?, ?)"
        " ON CONFLICT(id) DO UPDATE SET last_event_at = max(coalesce(last_event_at, ''), excluded.last_event_at),"
        " agent_type = coalesce(agent_type, excluded.agent_type),"
        " end_time = CASE WHEN status = 'aborted_stale' THEN NULL ELSE end_time END,"
        " status = CASE WHEN status = 'aborted_stale' THEN 'running' ELSE status END",
        (agent_id, ctx.session_id, agent_type, ctx.now, ctx.now, orphan),
    )


def end_agent(ctx: Context, agent_id: str, status: str, *, only_running: bool = False) -> None:
    """Move an agent to a final status and release the files it held."""
    cur = ctx.conn.execute(
        "UPDATE agent_registry SET status = ?, end_time = coalesce(end_time, ?) WHERE id = ?"
        + (" AND status = 'running'" if only_running else ""),
        (status, ctx.now, agent_id),
    )
    if cur.rowcount:
        ctx.conn.execute("UPDATE file_claims SET released_at = ? WHERE agent_id = ? AND released_at IS NULL",
                         (ctx.now, agent_id))


def mark_stale(ctx: Context, keep: str | None = None) -> None:
    """Running agents with no event for agents.stale_seconds become aborted_stale."""
    from hookledger.hotpath.config import get

    stale = get(ctx.config, "agents.stale_seconds")
    cutoff = seconds_before(ctx.now, stale if isinstance(stale, (int, float)) else 1800)
    stale_ids = [r[0] for r in ctx.conn.execute(
        "SELECT id FROM agent_registry WHERE status = 'running'"
        " AND coalesce(last_event_at, spawn_time, '') < ? AND id IS NOT ?", (cutoff, keep))]
    for agent_id in stale_ids:
        end_agent(ctx, agent_id, "aborted_stale")


def _subagent_type(tool_input: dict) -> str:
    value = tool_input.get("subagent_type")
    return value if isinstance(value, str) and value else DEFAULT_SUBAGENT_TYPE


def spawn_task(tool_input: dict) -> str | None:
    """What the agent was asked to do: the call's description, else its prompt's first line."""
    for key in ("description", "prompt"):
        value = tool_input.get(key)
        if isinstance(value, str) and value.strip():
            return redact_clip(value.strip().splitlines()[0], MAX_TASK)
    return None


def _record_spawn(ctx: Context) -> str | None:
    """Keep the Agent tool call (once per tool_use_id); returns its tool_use_id."""
    tool_use_id = ctx.event.tool_use_id
    if not tool_use_id:
        return None
    tool_input = ctx.event.tool_input
    prompt = tool_input.get("prompt")
    description = tool_input.get("description")
    ctx.conn.execute(
        "INSERT INTO agent_spawns (tool_use_id, session_id, parent_agent_id, subagent_type, description, prompt,"
        " requested_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'requested') ON CONFLICT(tool_use_id) DO NOTHING",
        (tool_use_id, ctx.session_id, ctx.event.actor_id, _subagent_type(tool_input),
         redact_clip(description, MAX_TASK), redact_clip(prompt, MAX_PROMPT), ctx.now),
    )
    return tool_use_id


def _assign(ctx: Context, agent_id: str, tool_use_id: str) -> None:
    row = ctx.conn.execute("SELECT description, prompt FROM agent_spawns WHERE tool_use_id = ?",
                           (tool_use_id,)).fetchone()
    task = spawn_task({"description": row[0], "prompt": row[1]}) if row else None
    ctx.conn.execute("UPDATE agent_registry SET tool_use_id = ?, task_description = coalesce(?, task_description),"
                     " unattributed = 0 WHERE id = ?", (tool_use_id, task, agent_id))
    ctx.conn.execute("UPDATE agent_spawns SET agent_id = ? WHERE tool_use_id = ?", (agent_id, tool_use_id))


def _link(ctx: Context, agent_id: str, tool_use_id: str) -> None:
    """Agent `agent_id` was launched by Agent call `tool_use_id`: it takes that call's task.

    A guess made by order that this contradicts is undone: when two agents of one type were
    launched together and matched the wrong way round, they swap.
    """
    prev = ctx.conn.execute("SELECT tool_use_id FROM agent_registry WHERE id = ?", (agent_id,)).fetchone()
    prev_call = prev[0] if prev and prev[0] != tool_use_id else None
    displaced = [r[0] for r in ctx.conn.execute(
        "SELECT id FROM agent_registry WHERE tool_use_id = ? AND id != ?", (tool_use_id, agent_id))]
    if displaced:
        ctx.conn.execute("UPDATE agent_registry SET tool_use_id = NULL, task_description = NULL"
                         " WHERE tool_use_id = ? AND id != ?", (tool_use_id, agent_id))
    if prev_call:
        ctx.conn.execute("UPDATE agent_spawns SET agent_id = NULL WHERE tool_use_id = ?", (prev_call,))
    _assign(ctx, agent_id, tool_use_id)
    if displaced and prev_call:
        _assign(ctx, displaced[0], prev_call)


def _agent_result(ctx: Context, failed: bool) -> None:
    """PostToolUse / PostToolUseFailure of the Agent tool: link and settle the agent."""
    tool_use_id = _record_spawn(ctx)
    response = ctx.event.tool_response if isinstance(ctx.event.tool_response, dict) else {}
    agent_id = response.get("agentId") if isinstance(response.get("agentId"), str) else None
    status = response.get("status") if isinstance(response.get("status"), str) else None
    if tool_use_id:
        ctx.conn.execute("UPDATE agent_spawns SET status = ? WHERE tool_use_id = ?",
                         ("failed" if failed else status or "completed", tool_use_id))
    if agent_id:
        agent_type = response.get("agentType")
        ctx.conn.execute(
            "INSERT INTO agent_registry (id, session_id, agent_type, spawn_time, status, last_event_at, unattributed)"
            " VALUES (?, ?, ?, ?, 'running', ?, 0) ON CONFLICT(id) DO NOTHING",
            (agent_id, ctx.session_id, agent_type if isinstance(agent_type, str) and agent_type
             else _subagent_type(ctx.event.tool_input), ctx.now, ctx.now))
        if tool_use_id:
            _link(ctx, agent_id, tool_use_id)
    elif tool_use_id:
        row = ctx.conn.execute("SELECT id FROM agent_registry WHERE tool_use_id = ?", (tool_use_id,)).fetchone()
        agent_id = row[0] if row else None
    if not agent_id:
        return
    if failed or (status or "").lower() in FAILED_RESULTS:
        end_agent(ctx, agent_id, "failed", only_running=True)
    elif status == "completed":
        end_agent(ctx, agent_id, "completed", only_running=True)
    # async_launched: a background agent; SubagentStop will end it


def _meta_call(transcript_path: str | None, agent_id: str) -> str | None:
    """The Agent call named by `<transcript without .jsonl>/subagents/agent-<id>.meta.json`
    (`toolUseId`; written by the agent's first tool call in 2.1.197 and 2.1.332). A symlink is
    not followed."""
    if not transcript_path or not transcript_path.endswith(".jsonl") or not _AGENT_ID.match(agent_id):
        return None
    path = os.path.join(transcript_path[:-len(".jsonl")], "subagents", f"agent-{agent_id}.meta.json")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            meta = json.loads(fh.read(MAX_META))
    except (OSError, ValueError):
        return None
    call = meta.get("toolUseId") if isinstance(meta, dict) else None
    return call if isinstance(call, str) and call else None


def _confirm(ctx: Context) -> None:
    """A subagent whose Agent call is still a guess by order (or unknown): Claude Code's meta
    file for the agent names the call; once read, the match is certain (status started)."""
    agent_id = ctx.event.agent_id
    if not agent_id:
        return
    row = ctx.conn.execute(
        "SELECT s.status FROM agent_registry r LEFT JOIN agent_spawns s ON s.tool_use_id = r.tool_use_id"
        " WHERE r.id = ?", (agent_id,)).fetchone()
    if row is None or row[0] not in (None, "requested"):
        return
    call = _meta_call(ctx.event.text("transcript_path"), agent_id)
    if call and ctx.conn.execute("SELECT 1 FROM agent_spawns WHERE tool_use_id = ? AND session_id = ?",
                                 (call, ctx.session_id)).fetchone():
        _link(ctx, agent_id, call)
        ctx.conn.execute("UPDATE agent_spawns SET status = ? WHERE tool_use_id = ? AND status = 'requested'",
                         (STARTED, call))


def pre_tool_use(ctx: Context) -> None:
    touch(ctx)
    _confirm(ctx)
    if ctx.event.tool_name not in AGENT_TOOLS:
        return
    tool_use_id = _record_spawn(ctx)
    if not tool_use_id:
        return
    # The agent's SubagentStart may already be here: the newest unlinked one of this type.
    row = ctx.conn.execute(
        "SELECT id FROM agent_registry WHERE session_id = ? AND agent_type = ? AND tool_use_id IS NULL"
        " AND unattributed = 0 AND status = 'running' AND spawn_time >= ? ORDER BY spawn_time DESC LIMIT 1",
        (ctx.session_id, _subagent_type(ctx.event.tool_input), seconds_before(ctx.now, SPAWN_MATCH_SECONDS)),
    ).fetchone()
    if row:
        _link(ctx, row[0], tool_use_id)


def post_tool_use(ctx: Context) -> None:
    touch(ctx)
    _confirm(ctx)
    if ctx.event.tool_name in AGENT_TOOLS:
        _agent_result(ctx, failed=False)


def post_tool_use_failure(ctx: Context) -> None:
    touch(ctx)
    if ctx.event.tool_name in AGENT_TOOLS:
        _agent_result(ctx, failed=True)


def subagent_start(ctx: Context) -> None:
    agent_id = ctx.event.agent_id
    if not agent_id:
        return
    touch(ctx)
    # Also a resumed agent (SendMessage): running again, and announced, so not an orphan.
    ctx.conn.execute(
        "UPDATE agent_registry SET status = 'running', end_time = NULL, unattributed = 0,"
        " agent_type = coalesce(?, agent_type) WHERE id = ?", (ctx.event.agent_type, agent_id))
    _pair_by_order(ctx, ctx.event.agent_type or DEFAULT_SUBAGENT_TYPE)


def _pair_by_order(ctx: Context, agent_type: str) -> None:
    """Until an Agent result names its agent, an agent's call is a guess by order. Agents of one
    type launched together start in the order of their calls, so the running agents not yet
    named by a result are paired, in order, with the latest calls of that type not yet
    answered (a call that never started an agent, e.g. a denied one, is left over at the front)."""
    since = seconds_before(ctx.now, SPAWN_MATCH_SECONDS)
    calls = [r[0] for r in ctx.conn.execute(
        "SELECT tool_use_id FROM agent_spawns WHERE session_id = ? AND subagent_type = ? AND status = 'requested'"
        " AND requested_at >= ? ORDER BY requested_at, rowid", (ctx.session_id, agent_type, since))]
    agents = ctx.conn.execute(
        "SELECT id, tool_use_id FROM agent_registry WHERE session_id = ? AND agent_type = ? AND status = 'running'"
        " AND unattributed = 0 AND spawn_time >= ? AND (tool_use_id IS NULL OR tool_use_id IN"
        " (SELECT tool_use_id FROM agent_spawns WHERE session_id = ? AND status = 'requested'))"
        " ORDER BY spawn_time, rowid", (ctx.session_id, agent_type, since, ctx.session_id)).fetchall()
    for (agent_id, linked), call in zip(reversed(agents), reversed(calls)):
        if linked != call:
            _link(ctx, agent_id, call)


def subagent_stop(ctx: Context) -> None:
    agent_id = ctx.event.agent_id
    if not agent_id or ctx.event.data.get("agent_type") == "":
        return  # compaction's summariser, not a subagent
    if ctx.event.agent_type:
        touch(ctx)
    end_agent(ctx, agent_id, "completed", only_running=True)


def session_start(ctx: Context) -> None:
    main = main_agent_id(ctx.session_id)
    mark_stale(ctx, keep=main)
    touch(ctx)
    # A resumed session's main thread is live again.
    ctx.conn.execute("UPDATE agent_registry SET status = 'running', end_time = NULL WHERE id = ?", (main,))


def session_end(ctx: Context) -> None:
    touch(ctx)
    end_agent(ctx, main_agent_id(ctx.session_id), "completed", only_running=True)
    mark_stale(ctx)


post_tool_batch = task_created = task_completed = touch
