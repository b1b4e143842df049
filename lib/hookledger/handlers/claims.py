"""File claims: which agent changes which file, and no two live agents overwriting one file blind.

PreToolUse of a file-changing tool (Write, Edit, MultiEdit, NotebookEdit, and the evident
writes of Bash) checks, per file, whether another agent that is still running claimed it
within `claims.window_seconds`. If not, this agent takes the claim (status `held`) in the
same BEGIN IMMEDIATE transaction as the check, so of agents racing for one file exactly one
holds it. If so, the conflict is recorded in claim_conflicts and answered by `claims.policy`:
warn (the call goes ahead; the model is told who holds the file and for what task), ask, or
deny. PostToolUse marks the claim done (recording a `shared` claim for a write that went
ahead despite a holder) and adds the file to the agent's files_changed.
"""

from __future__ import annotations

import json
import os

from hookledger.hotpath.decisions import Decision
from hookledger.handlers.context import Context
from hookledger.knowledge.project_paths import identity
from hookledger.hotpath.timeutil import parse_utc, seconds_before

PATH_KEYS = {"Write": "file_path", "Edit": "file_path", "MultiEdit": "file_path", "NotebookEdit": "notebook_path"}
POLICIES = ("warn", "ask", "deny")
DEFAULT_WINDOW = 600


def targets(ctx: Context) -> list[tuple[str, str]]:
    """(operation, real path) for each file this tool call changes, each path once: symlinks
    resolved, relative to the project's real root when inside it."""
    tool = ctx.event.tool_name or ""
    tool_input = ctx.event.tool_input
    cwd = ctx.event.cwd
    raw: list[tuple[str, str, str | None]] = []
    if tool in PATH_KEYS:
        path = tool_input.get(PATH_KEYS[tool])
        if isinstance(path, str):
            raw.append((tool, path, cwd))
    elif tool == "Bash":
        from hookledger.knowledge.bash_writes import evident_writes  # shlex: only for Bash calls

        command = tool_input.get("command")
        for op, path, cd in evident_writes(command if isinstance(command, str) else ""):
            base = cwd or ctx.project_dir
            raw.append((op, path, os.path.join(base, os.path.expanduser(cd)) if cd else base))
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for op, path, base in raw:
        rel = identity(path, ctx.project_dir, base)  # the real file: a link and its target conflict
        if rel and rel not in seen:
            seen.add(rel)
            out.append((op, rel))
    return out


def _settings(ctx: Context) -> tuple[str, float]:
    from hookledger.hotpath.config import get

    policy = get(ctx.config, "claims.policy")
    window = get(ctx.config, "claims.window_seconds")
    return (policy if policy in POLICIES else "warn",
            float(window) if isinstance(window, (int, float)) and window >= 0 else DEFAULT_WINDOW)


def live_holder(ctx: Context, path: str, window: float) -> tuple | None:
    """(agent_id, claimed_at, agent_type, task) of another running agent's live claim on
    `path` within the window; a claim taken without conflict beats a shared one."""
    return ctx.conn.execute(
        "SELECT c.agent_id, c.timestamp, a.agent_type, a.task_description FROM file_claims c"
        " JOIN agent_registry a ON a.id = c.agent_id"
        " WHERE c.file_path = ? AND c.timestamp >= ? AND c.agent_id != ? AND c.released_at IS NULL"
        " AND coalesce(c.status, 'held') IN ('held', 'shared') AND a.status = 'running'"
        " ORDER BY coalesce(c.status, 'held') = 'held' DESC, c.timestamp DESC LIMIT 1",
        (path, seconds_before(ctx.now, window), ctx.event.actor_id),
    ).fetchone()


def _who(agent_id: str, agent_type: str | None, task: str | None) -> str:
    who = f"the main thread ({agent_id})" if agent_type == "main" else f"agent {agent_id} ({agent_type or 'unknown type'})"
    return who + (f', working on "{task}"' if task else "")


def _ago(now: str, then: str) -> str:
    a, b = parse_utc(now), parse_utc(then)
    return f"{max(0, int(a - b))} s ago" if a is not None and b is not None else "recently"


def _message(ctx: Context, path: str, holder: tuple, policy: str) -> str:
    agent_id, claimed_at, agent_type, task = holder
    head = (f"hookledger: {path} is held by {_who(agent_id, agent_type, task)}, which is still running"
            f" and claimed it {_ago(ctx.now, claimed_at)}.")
    if policy == "deny":
        return head + " Policy claims.policy=deny: wait until that agent finishes, or change another file."
    if policy == "ask":
        return head + " Policy claims.policy=ask: allow this change anyway?"
    return head + " Its work may be overwritten: re-read the file before changing it, and coordinate."


def _claim(ctx: Context, path: str, operation: str, status: str, phase: str) -> None:
    ctx.conn.execute(
        "INSERT INTO file_claims (session_id, agent_id, file_path, operation, timestamp, tool_use_id, status, phase)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (ctx.session_id, ctx.event.actor_id, path, operation, ctx.now, ctx.event.tool_use_id, status, phase),
    )


def pre_tool_use(ctx: Context) -> Decision | None:
    wanted = targets(ctx)
    if not wanted:
        return None
    policy, window = _settings(ctx)
    messages: list[str] = []
    for operation, path in wanted:
        holder = live_holder(ctx, path, window)
        if holder is None:
            _claim(ctx, path, operation, "held", "requested")
            continue
        ctx.conn.execute(
            "INSERT INTO claim_conflicts (timestamp, session_id, file_path, agent_id, tool_name, tool_use_id,"
            " operation, holder_agent_id, holder_task, holder_claimed_at, policy, answer)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ctx.now, ctx.session_id, path, ctx.event.actor_id, ctx.event.tool_name, ctx.event.tool_use_id,
             operation, holder[0], holder[3], holder[1], policy, policy),
        )
        messages.append(_message(ctx, path, holder, policy))
    if not messages:
        return None
    text = "\n".join(messages)
    # warn must not answer permissionDecision "allow": that would skip the user's own
    # permission rules. Saying nothing lets the call proceed as it otherwise would.
    return Decision(context=text) if policy == "warn" else Decision(permission=policy, reason=text)


def _add_files_changed(ctx: Context, paths: list[str]) -> None:
    row = ctx.conn.execute("SELECT files_changed FROM agent_registry WHERE id = ?", (ctx.event.actor_id,)).fetchone()
    if row is None:
        return
    try:
        current = json.loads(row[0]) if row[0] else []
    except ValueError:
        current = []
    if not isinstance(current, list):
        current = []
    added = [p for p in paths if p not in current]
    if added:
        ctx.conn.execute("UPDATE agent_registry SET files_changed = ? WHERE id = ?",
                         (json.dumps(current + added, ensure_ascii=False), ctx.event.actor_id))


def post_tool_use(ctx: Context) -> None:
    done = targets(ctx)
    if not done:
        return
    tool_use_id = ctx.event.tool_use_id
    for operation, path in done:
        updated = ctx.conn.execute(
            "UPDATE file_claims SET phase = 'done' WHERE tool_use_id = ? AND file_path = ? AND agent_id = ?",
            (tool_use_id, path, ctx.event.actor_id),
        ).rowcount if tool_use_id else 0
        if not updated:  # went ahead despite a holder, or its PreToolUse was never recorded
            contested = tool_use_id and ctx.conn.execute(
                "SELECT 1 FROM claim_conflicts WHERE tool_use_id = ? AND file_path = ?", (tool_use_id, path)).fetchone()
            _claim(ctx, path, operation, "shared" if contested else "held", "done")
    _add_files_changed(ctx, [p for _, p in done])


def post_tool_use_failure(ctx: Context) -> None:
    tool_use_id = ctx.event.tool_use_id
    if tool_use_id and (ctx.event.tool_name in PATH_KEYS or ctx.event.tool_name == "Bash"):
        ctx.conn.execute("UPDATE file_claims SET phase = 'failed' WHERE tool_use_id = ? AND agent_id = ?",
                         (tool_use_id, ctx.event.actor_id))
