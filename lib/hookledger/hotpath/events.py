"""A tolerant, typed view of one hook payload.

Accessors never raise: a missing field or one of an unexpected type reads as None (or an
empty dict), so a new Claude Code field or shape never breaks a handler.
"""

from __future__ import annotations

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

if TYPE_CHECKING:
    from typing import Any


# The events hookledger dispatches, one hooks/<snake name>.py executable each: the one list
# (handlers route them, install registers them, hookscripts renders them, doctor checks them).
EVENTS: tuple[str, ...] = (
    "SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "PostToolUseFailure", "PostToolBatch",
    "SubagentStart", "SubagentStop", "Stop", "PreCompact", "PostCompact", "SessionEnd", "TaskCreated",
    "TaskCompleted",
)

MAIN_AGENT_PREFIX = "main:"


def snake(event: str) -> str:
    """PreToolUse -> pre_tool_use: the name of the event's hook file and handler functions."""
    out = []
    for i, ch in enumerate(event):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def main_agent_id(session_id: str) -> str:
    """The main thread is an agent too: `main:<session_id>` owns its claims and errors."""
    return MAIN_AGENT_PREFIX + session_id


class Event:
    __slots__ = ("name", "data")

    def __init__(self, name: str, data: dict[str, Any]) -> None:
        self.name = name
        self.data = data

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        return value if isinstance(value, str) else None

    def obj(self, key: str) -> dict[str, Any]:
        value = self.data.get(key)
        return value if isinstance(value, dict) else {}

    @property
    def session_id(self) -> str | None:
        return self.text("session_id")

    @property
    def agent_id(self) -> str | None:
        """The subagent's id; None on the main thread."""
        return self.text("agent_id") or None

    @property
    def actor_id(self) -> str:
        """Who acted: the subagent's id, or the session's main-thread agent id."""
        return self.agent_id or main_agent_id(self.session_id or "")

    @property
    def agent_type(self) -> str | None:
        return self.text("agent_type") or None

    @property
    def tool_name(self) -> str | None:
        return self.text("tool_name")

    @property
    def tool_input(self) -> dict[str, Any]:
        return self.obj("tool_input")

    @property
    def tool_response(self) -> Any:
        return self.data.get("tool_response")

    @property
    def tool_use_id(self) -> str | None:
        return self.text("tool_use_id")

    @property
    def cwd(self) -> str | None:
        return self.text("cwd")

    def task_id(self) -> str | None:
        value = self.data.get("task_id")
        if isinstance(value, bool) or value is None:
            return None
        return str(value) if isinstance(value, (str, int)) else None
