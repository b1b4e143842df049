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
from hookledger.handlers.tool_errors import ASK_USER, MAX_COMMAND, RESEARCH, error_command, error_subject, bash_exit_code
from hookledger.hotpath.events import Event
from hookledger.hotpath.redact import redact
from hookledger.knowledge.error_kinds import (categorize, command_category, file_involved, first_lines, same_thing,
                                              telling_line)

INTERRUPTED = "[Request interrupted by user"


@dataclass
class Open:
    row_id: int | None  # error_log id of a recorded row
    signature: str | None
    category: str | None
    file_path: str | None
    attempt: int
    row: list[Any] | None = None  # a row found by this import, not written yet


# error_log columns of Errors.new rows, in order
ROW = ("session_id", "timestamp", "task_id", "agent_id", "file_path", "error_category", "error_message", "attempt_number",
       "resolution", "signature", "tool_name", "command", "tool_use_id", "escalation", "resolved_at")


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
    """One session's failures. Attempts are counted among the session's open errors (those the
    hooks recorded, read from the ledger when the session is known, and those found here); new
    rows are kept until `rows()` with their final resolution, changes to recorded rows in
    `updates`. Failed paths are written at once (rare: escalations and their fixes)."""

    def __init__(self, conn: sqlite3.Connection, session_id: str, project_dir: str, thresholds: tuple[int, int],
                 *, known: bool):
        self.conn, self.session_id, self.project_dir = conn, session_id, project_dir
        self.research_after, self.ask_after = thresholds
        self.open = [Open(row_id, sig, cat, path, attempt) for row_id, sig, cat, path, attempt in conn.execute(
            "SELECT id, signature, error_category, file_path, attempt_number FROM error_log"
            " WHERE session_id = ? AND resolved_at IS NULL", (session_id,))] if known else []
        self.new: list[list[Any]] = []  # error_log rows to insert (see ROW)
        self.updates: list[tuple[str, str, int]] = []  # (resolution, resolved_at, id) of recorded rows

    def failed(self, event: Event, text: str, at: str, task_id: str | None = None) -> None:
        """A failed call (PostToolUseFailure, or a Bash success with a non-zero exit), during the
        task `task_id` (the one in progress then)."""
        ctx = view(event, self.project_dir)
        command = error_command(ctx)
        sig, subject_file = error_subject(ctx)
        category = categorize(command, text) if command else "runtime"
        file_path = file_involved(command, text, self.project_dir, event.cwd) if command else subject_file
        prior = [o.attempt for o in self.open
                 if o.signature == sig or (file_path is not None and o.file_path == file_path and o.category == category)]
        attempt = max(prior, default=0) + 1
        resolution = ASK_USER if attempt >= self.ask_after else RESEARCH if attempt >= self.research_after else None
        message = first_lines(text)
        row = [self.session_id, at, task_id, event.actor_id, file_path, category, message, attempt, resolution, sig,
               event.tool_name, redact(command)[:MAX_COMMAND] if command else None, event.tool_use_id, resolution, None]
        self.new.append(row)
        self.open.append(Open(None, sig, category, file_path, attempt, row))
        if resolution:
            what = f"`{command.strip()[:300]}`" if command else f"{event.tool_name} on {file_path or sig}"
            failed_paths.record(self.conn, session_id=self.session_id, now=at, approach=f"Running {what} again",
                                reason=f"{category} error, {attempt} failed attempts: {telling_line(message) or 'no error text'}",
                                file_path=file_path, context=f"recorded by hookledger when the error was {resolution}",
                                signature=sig)

    def succeeded(self, event: Event, response: Any, at: str, task_id: str | None = None) -> None:
        """A successful call: a Bash exit code makes it a failure; else it may fix open errors."""
        ctx = view(event, self.project_dir)
        command = error_command(ctx)
        if command is not None:
            code = bash_exit_code(response)
            if code is not None:
                parts = [response.get(k) for k in ("stderr", "stdout")] if isinstance(response, dict) else []
                self.failed(event, f"Exit code {code}\n" + "\n".join(p for p in parts if isinstance(p, str) and p.strip()),
                            at, task_id)
                return
        if not self.open:
            return
        sig, subject_file = error_subject(ctx)
        category = command_category(command) if command else None
        file_path = file_involved(command, None, self.project_dir, event.cwd) if command else subject_file
        fixed = [o for o in self.open if same_thing((sig, category, file_path), (o.signature, o.category, o.file_path))]
        if not fixed:
            return
        self._resolve(fixed, "auto_fixed", at)
        failed_paths.clear_for_signatures(self.conn, sorted({o.signature for o in fixed if o.signature}))

    def abandon(self, at: str) -> None:
        """The session is over: what is still open was abandoned (as at SessionEnd)."""
        self._resolve(self.open, "abandoned", at)

    def _resolve(self, which: list[Open], resolution: str, at: str) -> None:
        for o in which:
            if o.row is not None:
                o.row[ROW.index("resolution")], o.row[ROW.index("resolved_at")] = resolution, at
            else:
                self.updates.append((resolution, at, o.row_id))
        gone = {id(o) for o in which}
        self.open = [o for o in self.open if id(o) not in gone]


def is_interrupt(text: str) -> bool:
    """The user stopped the call: not a failure of the approach (as PostToolUseFailure's is_interrupt)."""
    return text.lstrip().startswith(INTERRUPTED)
