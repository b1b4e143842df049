"""session_metrics: per-session aggregates, one row per (session, key), event_type 'summary'.

Counts are recomputed from what the ledger already holds (error_log, snapshots, file_claims, and
the per-session counters m011's triggers keep from hook_events), so a duplicated or replayed
event never double-counts; each read is bounded by the session. Token usage comes from
the transcript, read incrementally from a stored byte offset on Stop, PreCompact and
SessionEnd only (never per tool call). The only per-tool-call work is noting the first
passing test run, until it is known.
"""

from __future__ import annotations

import json
import os

from hookledger.handlers.context import Context
from hookledger.hotpath.timeutil import parse_utc

SUMMARY = "summary"
# Transcript bytes read per event: SessionEnd must stay far inside its 1.5 s budget.
READ_BUDGET = {"SessionEnd": 4 << 20, "PreCompact": 16 << 20, "Stop": 16 << 20}
FIRST_TEST = "first_passing_test_at"
FIRST_CHANGE = "first_file_change_at"
BOUNDARIES = "transcript_compactions"


def put(ctx: Context, session_id: str, key: str, value: object, *, keep_first: bool = False) -> None:
    """Set one summary metric (or only set it once, for 'first ...' facts)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    ctx.conn.execute(
        "INSERT INTO session_metrics (session_id, event_type, key, value, timestamp) VALUES (?, 'summary', ?, ?, ?)"
        " ON CONFLICT(session_id, key) WHERE event_type = 'summary' DO "
        + ("NOTHING" if keep_first else "UPDATE SET value = excluded.value, timestamp = excluded.timestamp"),
        (session_id, key, text, ctx.now))


def read_all(conn, session_id: str) -> dict[str, object]:
    """The session's summary metrics, values decoded."""
    out: dict[str, object] = {}
    for key, value in conn.execute(
            "SELECT key, value FROM session_metrics WHERE session_id = ? AND event_type = 'summary' ORDER BY key",
            (session_id,)):
        try:
            out[key] = json.loads(value)
        except (TypeError, ValueError):
            out[key] = value
    return out


def _known(conn, session_id: str, key: str) -> bool:
    return conn.execute("SELECT 1 FROM session_metrics WHERE session_id = ? AND event_type = 'summary' AND key = ?",
                        (session_id, key)).fetchone() is not None


UPSERT_USAGE = (
    "INSERT INTO transcript_usage (session_id, message_key, model, input_tokens, output_tokens,"
    " cache_creation_input_tokens, cache_read_input_tokens, cache_creation_5m_tokens, cache_creation_1h_tokens,"
    " timestamp, agent_id, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(session_id, message_key) DO UPDATE SET model = coalesce(excluded.model, model),"
    " input_tokens = max(input_tokens, excluded.input_tokens),"
    " output_tokens = max(output_tokens, excluded.output_tokens),"
    " cache_creation_input_tokens = max(cache_creation_input_tokens, excluded.cache_creation_input_tokens),"
    " cache_read_input_tokens = max(cache_read_input_tokens, excluded.cache_read_input_tokens),"
    " cache_creation_5m_tokens = max(cache_creation_5m_tokens, excluded.cache_creation_5m_tokens),"
    " cache_creation_1h_tokens = max(cache_creation_1h_tokens, excluded.cache_creation_1h_tokens),"
    " timestamp = coalesce(timestamp, excluded.timestamp), agent_id = coalesce(agent_id, excluded.agent_id)")


def _read_transcript(ctx: Context, session_id: str, path: str | None, agent_id: str | None = None) -> None:
    """Consume the transcript's new complete lines into transcript_usage (max per message).
    `agent_id`: whose transcript it is (a subagent's, at SubagentStop; else the main thread)."""
    from hookledger.knowledge.transcript import read_usage

    if not path:
        return
    row = ctx.conn.execute("SELECT offset FROM transcript_cursors WHERE session_id = ? AND path = ?",
                           (session_id, path)).fetchone()
    chunk = read_usage(path, row[0] if row else 0, READ_BUDGET.get(ctx.event.name, 16 << 20))
    if chunk is None:
        return  # not written yet, or gone: the next read catches up
    agent = agent_id or f"main:{session_id}"
    for key, (inp, out, cc, cr, c5, c1) in chunk.usage.items():
        ctx.conn.execute(UPSERT_USAGE, (session_id, key, chunk.models.get(key), inp, out, cc, cr, c5, c1,
                                        chunk.times.get(key), agent, "hook"))
    if chunk.version:
        from hookledger.knowledge.claude_code import METRIC

        put(ctx, session_id, METRIC, chunk.version)
    if agent_id is None and (chunk.boundaries or not chunk.start):  # compactions even without any hook
        seen = 0 if not chunk.start else read_all(ctx.conn, session_id).get(BOUNDARIES, 0)
        put(ctx, session_id, BOUNDARIES, (seen if isinstance(seen, int) else 0) + chunk.boundaries)
    ctx.conn.execute(
        "INSERT INTO transcript_cursors (session_id, path, offset, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(session_id, path) DO UPDATE SET offset = excluded.offset, updated_at = excluded.updated_at",
        (session_id, path, chunk.offset, ctx.now))


def refresh(ctx: Context, session_id: str | None = None, *, transcript: bool = True) -> dict[str, object]:
    """Recompute the session's summary metrics; returns them."""
    sid = session_id if session_id is not None else ctx.session_id
    conn = ctx.conn
    session = conn.execute("SELECT started_at, ended_at, last_event_at, transcript_path FROM sessions"
                           " WHERE session_id = ?", (sid,)).fetchone()
    if transcript and session:
        _read_transcript(ctx, sid, session[3])
    # session_tool_calls is kept by a trigger on hook_events (m011): no count over the session's runs
    by_tool = {tool: n for tool, n in conn.execute(
        "SELECT tool_name, calls FROM session_tool_calls WHERE session_id = ? AND calls > 0", (sid,))}
    if ctx.event.name in ("PostToolUse", "PostToolUseFailure") and ctx.event.tool_name and sid == ctx.session_id:
        by_tool[ctx.event.tool_name] = by_tool.get(ctx.event.tool_name, 0) + 1  # this event's row comes after
    errors = conn.execute("SELECT count(*), sum(resolution = 'auto_fixed'), sum(escalation IS NOT NULL)"
                          " FROM error_log WHERE session_id = ?", (sid,)).fetchone()
    compactions = conn.execute("SELECT count(*) FROM context_snapshots WHERE session_id = ?"
                               " AND snapshot_type = 'post_compact'", (sid,)).fetchone()[0]
    in_transcript = conn.execute("SELECT value FROM session_metrics WHERE session_id = ? AND event_type = 'summary'"
                                 " AND key = ?", (sid, BOUNDARIES)).fetchone()
    if in_transcript and in_transcript[0].isdigit():  # SessionStart(compact) may not have fired yet
        compactions = max(compactions, int(in_transcript[0]))
    # Once known it stays: not looked for again among the session's changes at every Stop.
    first_change = None if _known(conn, sid, FIRST_CHANGE) else conn.execute(
        "SELECT min(timestamp) FROM file_claims WHERE session_id = ? AND phase = 'done'", (sid,)).fetchone()[0]
    tokens = conn.execute(
        "SELECT count(*), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),"
        " coalesce(sum(cache_creation_input_tokens), 0), coalesce(sum(cache_read_input_tokens), 0)"
        " FROM transcript_usage WHERE session_id = ?", (sid,)).fetchone()
    values: dict[str, object] = {
        "tool_calls": sum(by_tool.values()),
        "tool_calls_by_tool": by_tool,
        "failures": errors[0] or 0,
        "failures_auto_fixed": errors[1] or 0,
        "failures_escalated": errors[2] or 0,
        "compactions": compactions,
        "assistant_messages": tokens[0],
        "tokens_input": tokens[1],
        "tokens_output": tokens[2],
        "tokens_cache_creation": tokens[3],
        "tokens_cache_read": tokens[4],
    }
    if session:
        start, end = parse_utc(session[0]), parse_utc(session[1] or session[2] or ctx.now)
        if start is not None and end is not None:
            values["duration_seconds"] = round(max(0.0, end - start), 3)
        values["started_at"] = session[0]
    if first_change:
        values[FIRST_CHANGE] = first_change
    for key, value in values.items():
        put(ctx, sid, key, value)
    values.update({k: v for k, v in read_all(conn, sid).items() if k not in values})
    return values


def post_tool_use(ctx: Context) -> None:
    """Note the first passing test run (a Bash test command that succeeded)."""
    command = ctx.event.tool_input.get("command") if ctx.event.tool_name == "Bash" else None
    if not isinstance(command, str) or not command.strip():
        return
    if _known(ctx.conn, ctx.session_id, FIRST_TEST):
        return
    from hookledger.knowledge.error_kinds import command_category
    from hookledger.handlers.tool_errors import bash_exit_code

    if command_category(command) == "test" and bash_exit_code(ctx.event.tool_response) is None:
        put(ctx, ctx.session_id, FIRST_TEST, ctx.now, keep_first=True)


def stop(ctx: Context) -> None:
    refresh(ctx)


def session_end(ctx: Context) -> None:
    refresh(ctx)


def subagent_stop(ctx: Context) -> None:
    """A subagent's tokens, from its own transcript (the main transcript does not hold them)."""
    agent_id = ctx.event.agent_id
    path = ctx.event.text("agent_transcript_path")
    if agent_id and path and ctx.event.data.get("agent_type") != "":
        _read_transcript(ctx, ctx.session_id, path, agent_id)


def session_start(ctx: Context) -> None:
    """Counts only (compactions change here); the transcript is read at Stop/PreCompact/SessionEnd.
    The Claude Code version that started the session, as its environment says (not for an event
    replayed from the spool: this process may run under another version)."""
    refresh(ctx, transcript=False)
    if not ctx.replay:
        from hookledger.knowledge.claude_code import AGENT_ENV, METRIC, from_agent_env

        version = from_agent_env(os.environ.get(AGENT_ENV))
        if version:
            put(ctx, ctx.session_id, METRIC, version)
