"""The sessions table: one row per Claude Code session id, touched by every event."""

from __future__ import annotations

from hookledger.handlers.context import Context


def _touch(ctx: Context) -> None:
    ctx.conn.execute(
        "INSERT INTO sessions (session_id, project_dir, started_at, transcript_path, last_event_at, status)"
        " VALUES (?, ?, ?, ?, ?, 'active')"
        " ON CONFLICT(session_id) DO UPDATE SET last_event_at = max(coalesce(last_event_at, ''), excluded.last_event_at),"
        " transcript_path = coalesce(excluded.transcript_path, transcript_path)",
        (ctx.session_id, ctx.project_dir, ctx.now, ctx.event.text("transcript_path"), ctx.now),
    )


def session_start(ctx: Context) -> None:
    _touch(ctx)
    # A resumed or compacted session is live again, whatever an earlier SessionEnd said.
    from hookledger.hotpath.process import claude_pid

    pid = None if ctx.replay else claude_pid()  # a replayed event's process is long gone
    ctx.conn.execute(
        "UPDATE sessions SET source = ?, model = coalesce(?, model), status = 'active',"
        " ended_at = NULL, end_reason = NULL, claude_pid = coalesce(?, claude_pid) WHERE session_id = ?",
        (ctx.event.text("source"), ctx.event.text("model"), pid, ctx.session_id),
    )


def session_end(ctx: Context) -> None:
    _touch(ctx)
    ctx.conn.execute(
        "UPDATE sessions SET ended_at = ?, end_reason = ?, status = 'ended' WHERE session_id = ?",
        (ctx.now, ctx.event.text("reason"), ctx.session_id),
    )


user_prompt_submit = pre_tool_use = post_tool_use = post_tool_use_failure = post_tool_batch = _touch
subagent_start = subagent_stop = stop = pre_compact = post_compact = _touch
task_created = task_completed = _touch
