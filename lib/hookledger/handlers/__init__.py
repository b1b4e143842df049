"""Which handler modules run for which event, in order.

A module listed for an event defines a function named after the event in snake case
(`pre_tool_use(ctx)`), returning a Decision or None. Modules are imported only when
their event fires, so each hook pays only for its own handlers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator

from hookledger.decisions import Decision
from hookledger.handlers.context import Context

Handler = Callable[[Context], "Decision | None"]

ROUTES: dict[str, tuple[str, ...]] = {
    "SessionStart": ("sessions", "project_state", "agents", "tool_errors", "snapshots", "metrics"),
    "UserPromptSubmit": ("sessions",),
    "PreToolUse": ("sessions", "agents", "claims"),
    "PostToolUse": ("sessions", "agents", "claims", "tasks", "tool_errors", "metrics"),
    "PostToolUseFailure": ("sessions", "agents", "claims", "tool_errors"),
    "PostToolBatch": ("sessions", "agents"),
    "SubagentStart": ("sessions", "agents"),
    "SubagentStop": ("sessions", "agents"),
    "Stop": ("sessions", "metrics"),
    "PreCompact": ("sessions", "snapshots"),
    "PostCompact": ("sessions",),
    "SessionEnd": ("sessions", "agents", "tool_errors", "metrics", "snapshots", "autosync"),
    "TaskCreated": ("sessions", "agents", "tasks"),
    "TaskCompleted": ("sessions", "agents", "tasks", "task_gate"),
}

EVENTS: tuple[str, ...] = tuple(ROUTES)


def snake(event: str) -> str:
    """PreToolUse -> pre_tool_use."""
    out = []
    for i, ch in enumerate(event):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def handlers_for(event: str) -> Iterator[Handler]:
    name = snake(event)
    for module_name in ROUTES.get(event, ()):
        module = importlib.import_module(f"hookledger.handlers.{module_name}")
        yield getattr(module, name)
