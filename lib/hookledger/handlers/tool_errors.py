"""error_log: every failed tool call, repeated attempts counted, escalation, auto-fix.

A failure is "the same thing" as an earlier open one in the session when it has the same
signature (normalised command, or tool:file), or the same file and category. Its
attempt_number continues the count; at errors.research_after it is escalated_research, at
errors.ask_user_after escalated_user, a failed path is recorded, and the model is told the
facts through additionalContext. A later success of the same thing marks every open attempt
auto_fixed (and clears its failed paths); SessionEnd marks what is still open abandoned.
"""

from __future__ import annotations

import sqlite3

from hookledger.hotpath.decisions import Decision
from hookledger.handlers.context import Context
from hookledger.hotpath.redact import redact

RESEARCH = "escalated_research"
ASK_USER = "escalated_user"
OPEN = "resolved_at IS NULL"
MAX_COMMAND = 1000
# Tool inputs that name what a non-Bash tool call was about.
_SUBJECT_KEYS = ("file_path", "notebook_path", "path", "url", "pattern", "query")


def escalation_thresholds(ctx: Context) -> tuple[int, int]:
    from hookledger.hotpath.config import get

    research, ask = get(ctx.config, "errors.research_after"), get(ctx.config, "errors.ask_user_after")
    research = research if isinstance(research, int) and research > 0 else 3
    ask = ask if isinstance(ask, int) and ask > 0 else 5
    return research, max(ask, research)


def error_command(ctx: Context) -> str | None:
    """The Bash command, redacted before anything is derived from it: the signature reorders
    words, which would part `--password` from its value before the ledger could redact it."""
    command = ctx.event.tool_input.get("command") if ctx.event.tool_name in ("Bash", "PowerShell") else None
    return redact(command) if isinstance(command, str) and command.strip() else None


def error_subject(ctx: Context) -> tuple[str, str | None]:
    """(signature, file) of a call: the normalised command for Bash, tool:target otherwise."""
    from hookledger.knowledge.error_kinds import signature
    from hookledger.knowledge.project_paths import normalise

    command = error_command(ctx)  # redacted: the signature reorders its words
    if command:
        return signature(command), None
    tool_input = ctx.event.tool_input
    for key in _SUBJECT_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value.strip():
            path = normalise(value, ctx.project_dir, ctx.event.cwd) if key in ("file_path", "notebook_path", "path") else None
            return f"{ctx.event.tool_name}:{path or value.strip()[:200]}", path
    return f"{ctx.event.tool_name}", None


def bash_exit_code(response: object) -> int | None:
    """A non-zero exit visible in a PostToolUse Bash response (some versions report it there)."""
    if not isinstance(response, dict):
        return None
    for key in ("exitCode", "exit_code", "returnCode", "returncode"):
        value = response.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value != 0:
            return value
    return None


def _failure_text(response: dict) -> str:
    parts = [response.get(k) for k in ("stderr", "stdout")]
    return "\n".join(p for p in parts if isinstance(p, str) and p.strip())


def _current_task(ctx: Context) -> str | None:
    """The task in progress when it failed (the acting agent's first), if tasks are tracked."""
    try:
        row = ctx.conn.execute(
            "SELECT task_id FROM tasks WHERE session_id = ? AND status = 'in_progress'"
            " ORDER BY (agent_id IS ?) DESC, coalesce(updated_at, created_at) DESC LIMIT 1",
            (ctx.session_id, ctx.event.actor_id)).fetchone()
    except sqlite3.OperationalError:
        return None  # an old ledger without the tasks table
    return row[0] if row else None


def _record_failure(ctx: Context, error_text: str) -> Decision | None:
    from hookledger.knowledge.error_kinds import categorize, file_involved, first_lines

    command = error_command(ctx)
    sig, subject_file = error_subject(ctx)
    category = categorize(command, error_text) if command else "runtime"
    file_path = file_involved(command, error_text, ctx.project_dir, ctx.event.cwd) if command else subject_file
    prior = ctx.conn.execute(
        f"SELECT max(attempt_number), max(escalation) FROM error_log WHERE session_id = ? AND {OPEN}"
        " AND (signature = ? OR (file_path = ? AND error_category = ?))",
        (ctx.session_id, sig, file_path, category)).fetchone()
    attempt = (prior[0] or 0) + 1 if prior else 1
    research_after, ask_after = escalation_thresholds(ctx)
    resolution = ASK_USER if attempt >= ask_after else RESEARCH if attempt >= research_after else None
    message = first_lines(error_text)  # redacted before it is cut
    cur = ctx.conn.execute(
        "INSERT OR IGNORE INTO error_log (session_id, timestamp, task_id, agent_id, file_path, error_category,"
        " error_message, attempt_number, resolution, signature, tool_name, command, tool_use_id, escalation)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ctx.session_id, ctx.now, _current_task(ctx), ctx.event.actor_id, file_path, category, message, attempt, resolution, sig,
         ctx.event.tool_name, redact(command)[:MAX_COMMAND] if command else None, ctx.event.tool_use_id, resolution))
    if not cur.rowcount or resolution is None:
        return None  # a duplicate delivery, or not escalated yet
    return Decision(context=_escalate(ctx, sig, command, category, file_path, message, attempt, resolution))


def _escalate(ctx: Context, sig: str, command: str | None, category: str, file_path: str | None, message: str,
              attempt: int, resolution: str) -> str:
    """Record the failing approach and say what happened, as facts."""
    from hookledger.handlers import failed_paths

    from hookledger.knowledge.error_kinds import telling_line

    what = f"`{redact(command).strip()[:300]}`" if command else f"{ctx.event.tool_name} on {file_path or sig}"
    telling = telling_line(message) or "no error text"
    failed_paths.record(ctx.conn, session_id=ctx.session_id, now=ctx.now, approach=f"Running {what} again",
                        reason=f"{category} error, {attempt} failed attempts: {telling}", file_path=file_path,
                        context=f"recorded by hookledger when the error was {resolution}", signature=sig)
    tried = failed_paths.relevant_for(ctx.conn, sig, file_path)
    lines = [f"hookledger: {what} has failed {attempt} times in this session "
             f"({category} error{f' in {file_path}' if file_path else ''}).",
             f"Latest error: {message[:800]}"]
    if tried:
        lines.append("Already tried without success (failed paths recorded in the ledger):")
        lines += [f"- {a}" + (f" (why it failed: {r[:200]})" if r else "") for a, r in tried]
    if resolution == ASK_USER:
        lines.append(f"This is attempt {attempt}; the project's errors.ask_user_after threshold is reached. "
                     "The ledger suggests stopping retries and asking the user how to proceed, with a summary "
                     "of the attempts above.")
    else:
        lines.append(f"This is attempt {attempt}; the project's errors.research_after threshold is reached. "
                     "The ledger suggests investigating the cause (the full error output, the code involved, the "
                     "documentation of the tool or library) before another attempt, and trying a different "
                     "approach from the ones listed.")
    lines.append("A further failed approach can be recorded with: "
                 "hookledger failed-path add --approach \"...\" --reason \"...\"")
    return "\n".join(lines)


def _auto_fix(ctx: Context) -> None:
    """A success of something that failed before: its open attempts are auto_fixed."""
    open_rows = ctx.conn.execute(
        f"SELECT id, signature, error_category, file_path FROM error_log WHERE session_id = ? AND {OPEN}",
        (ctx.session_id,)).fetchall()
    if not open_rows:
        return
    from hookledger.handlers import failed_paths
    from hookledger.knowledge.error_kinds import command_category, file_involved, same_thing

    sig, subject_file = error_subject(ctx)
    command = error_command(ctx)
    category = command_category(command) if command else None
    file_path = file_involved(command, None, ctx.project_dir, ctx.event.cwd) if command else subject_file
    fixed = [(row_id, row_sig) for row_id, row_sig, row_cat, row_file in open_rows
             if same_thing((sig, category, file_path), (row_sig, row_cat, row_file))]
    if not fixed:
        return
    ctx.conn.execute(
        f"UPDATE error_log SET resolution = 'auto_fixed', resolved_at = ? WHERE id IN ({','.join('?' * len(fixed))})",
        (ctx.now, *[row_id for row_id, _ in fixed]))
    failed_paths.clear_for_signatures(ctx.conn, sorted({s for _, s in fixed if s}))


def reopen_abandoned(ctx: Context) -> None:
    """The session is live again (resumed, or heard from after being closed out): errors it
    left open are open again, at the escalation they had reached."""
    ctx.conn.execute(
        "UPDATE error_log SET resolution = escalation, resolved_at = NULL"
        " WHERE session_id = ? AND resolution = 'abandoned'", (ctx.session_id,))


def abandon_open(ctx: Context, session_id: str) -> int:
    """The session ended with these errors open."""
    return ctx.conn.execute(
        f"UPDATE error_log SET resolution = 'abandoned', resolved_at = ? WHERE session_id = ? AND {OPEN}",
        (ctx.now, session_id)).rowcount


def _revive(ctx: Context) -> None:
    """A session closed out as abandoned by another session's start that is evidently still
    running (it used a tool): live again."""
    cur = ctx.conn.execute(
        "UPDATE sessions SET status = 'active', ended_at = NULL, end_reason = NULL"
        " WHERE session_id = ? AND status = 'abandoned'", (ctx.session_id,))
    if cur.rowcount:
        reopen_abandoned(ctx)


def post_tool_use_failure(ctx: Context) -> Decision | None:
    _revive(ctx)
    if ctx.event.data.get("is_interrupt") is True:
        return None  # the user stopped it: not a failure of the approach
    error = ctx.event.text("error") or ""
    return _record_failure(ctx, error or f"{ctx.event.tool_name} failed")


def post_tool_use(ctx: Context) -> Decision | None:
    _revive(ctx)
    if error_command(ctx) is not None:
        response = ctx.event.tool_response
        code = bash_exit_code(response)
        if code is not None:
            return _record_failure(ctx, f"Exit code {code}\n{_failure_text(response)}")
    _auto_fix(ctx)
    return None


def session_start(ctx: Context) -> None:
    reopen_abandoned(ctx)


def session_end(ctx: Context) -> None:
    abandon_open(ctx, ctx.session_id)
