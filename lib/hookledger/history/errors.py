"""Failed tool calls as the hooks record them (handlers/tool_errors.py), for calls the hooks
did not see: the same signature, category, file and message (knowledge/error_kinds), attempts
counted among the session's open errors (those the hooks recorded included), escalation at the
same thresholds with its failed path, auto-fix by a later success of the same thing, and
abandoned when the session is over. Calls are taken in the order they finished.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from hookledger.handlers import failed_paths
from hookledger.handlers.tool_errors import ASK_USER, MAX_COMMAND, RESEARCH, _command, _subject, bash_exit_code
from hookledger.hotpath.events import Event
from hookledger.hotpath.redact import redact
from hookledger.knowledge.error_kinds import (categorize, command_category, file_involved, first_lines, same_thing,
                                              telling_line)

INTERRUPTED = "[Request interrupted by user"


@dataclass
class Open:
    row_id: int | None  # error_log id once written
    signature: str | None
    category: str | None
    file_path: str | None
    attempt: int


def event_for(session_id: str, name: str, tool_input: dict[str, Any], cwd: str | None, tool_use_id: str,
              agent_id: str | None) -> Event:
    """The hook event this call would have been (what tool_errors and claims read)."""
    data: dict[str, Any] = {"session_id": session_id, "tool_name": name, "tool_input": tool_input,
                            "tool_use_id": tool_use_id, "cwd": cwd}
    if agent_id:
        data["agent_id"] = agent_id
    return Event("PostToolUse", data)


def view(event: Event, project_dir: str) -> Any:
    """What tool_errors' and claims' helpers read of a handler Context: the event and the project."""
    return SimpleNamespace(event=event, project_dir=project_dir)


class Errors:
    """One session's failures, written into error_log in the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection, session_id: str, project_dir: str, thresholds: tuple[int, int]):
        self.conn, self.session_id, self.project_dir = conn, session_id, project_dir
        self.research_after, self.ask_after = thresholds
        self.open = [Open(*row) for row in conn.execute(
            "SELECT id, signature, error_category, file_path, attempt_number FROM error_log"
            " WHERE session_id = ? AND resolved_at IS NULL", (session_id,))]
        self.written = 0

    def failed(self, event: Event, text: str, at: str) -> None:
        """A failed call (PostToolUseFailure, or a Bash success with a non-zero exit)."""
        ctx = view(event, self.project_dir)
        command = _command(ctx)
        sig, subject_file = _subject(ctx)
        category = categorize(command, text) if command else "runtime"
        file_path = file_involved(command, text, self.project_dir, event.cwd) if command else subject_file
        prior = [o.attempt for o in self.open
                 if o.signature == sig or (file_path is not None and o.file_path == file_path and o.category == category)]
        attempt = max(prior, default=0) + 1
        resolution = ASK_USER if attempt >= self.ask_after else RESEARCH if attempt >= self.research_after else None
        message = first_lines(text)
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO error_log (session_id, timestamp, task_id, agent_id, file_path, error_category,"
            " error_message, attempt_number, resolution, signature, tool_name, command, tool_use_id, escalation,"
            " origin) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'import')",
            (self.session_id, at, event.actor_id, file_path, category, message, attempt, resolution, sig,
             event.tool_name, redact(command)[:MAX_COMMAND] if command else None, event.tool_use_id, resolution))
        if not cur.rowcount:
            return
        self.written += 1
        self.open.append(Open(cur.lastrowid, sig, category, file_path, attempt))
        if resolution:
            what = f"`{command.strip()[:300]}`" if command else f"{event.tool_name} on {file_path or sig}"
            failed_paths.record(self.conn, session_id=self.session_id, now=at, approach=f"Running {what} again",
                                reason=f"{category} error, {attempt} failed attempts: {telling_line(message) or 'no error text'}",
                                file_path=file_path, context=f"recorded by hookledger when the error was {resolution}",
                                signature=sig)

    def succeeded(self, event: Event, response: Any, at: str) -> None:
        """A successful call: a Bash exit code makes it a failure; else it may fix open errors."""
        ctx = view(event, self.project_dir)
        command = _command(ctx)
        if command is not None:
            code = bash_exit_code(response)
            if code is not None:
                parts = [response.get(k) for k in ("stderr", "stdout")] if isinstance(response, dict) else []
                self.failed(event, f"Exit code {code}\n" + "\n".join(p for p in parts if isinstance(p, str) and p.strip()),
                            at)
                return
        if not self.open:
            return
        sig, subject_file = _subject(ctx)
        category = command_category(command) if command else None
        file_path = file_involved(command, None, self.project_dir, event.cwd) if command else subject_file
        fixed = [o for o in self.open if same_thing((sig, category, file_path), (o.signature, o.category, o.file_path))]
        if not fixed:
            return
        ids = [o.row_id for o in fixed]
        self.conn.execute(f"UPDATE error_log SET resolution = 'auto_fixed', resolved_at = ? WHERE id IN"
                          f" ({','.join('?' * len(ids))})", (at, *ids))
        failed_paths.clear_for_signatures(self.conn, sorted({o.signature for o in fixed if o.signature}))
        self.open = [o for o in self.open if o not in fixed]

    def abandon(self, at: str) -> None:
        """The session is over: what is still open was abandoned (as at SessionEnd)."""
        ids = [o.row_id for o in self.open]
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            self.conn.execute(f"UPDATE error_log SET resolution = 'abandoned', resolved_at = ? WHERE id IN"
                              f" ({','.join('?' * len(part))}) AND resolved_at IS NULL", (at, *part))
        self.open = []


def is_interrupt(text: str) -> bool:
    """The user stopped the call: not a failure of the approach (as PostToolUseFailure's is_interrupt)."""
    return text.lstrip().startswith(INTERRUPTED)
