"""Which handler modules run for which event, in order.

A module listed for an event defines a function named after the event in snake case
(`pre_tool_use(ctx)`), returning a Decision or None. Modules are imported only when
their event fires, so each hook pays only for its own handlers.

A module may also define `prepare_<event>(event, project_dir, db_path, config)`: runtime calls
it before opening the write transaction (for slow work such as running a test suite) and
hands its result to the handler as `ctx.prepared[<module name>]`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator

from hookledger.handlers.context import Context
from hookledger.hotpath.decisions import Decision
from hookledger.hotpath.events import snake

Handler = Callable[[Context], "Decision | None"]

ROUTES: dict[str, tuple[str, ...]] = {
    "SessionStart": ("sessions", "project_state", "agents", "tool_errors", "snapshots", "metrics", "retention",
                     "autoimport"),
    "UserPromptSubmit": ("sessions", "prompts"),
    "PreToolUse": ("sessions", "agents", "claims"),
    "PostToolUse": ("sessions", "agents", "claims", "tasks", "tool_errors", "metrics"),
    "PostToolUseFailure": ("sessions", "agents", "claims", "tool_errors", "tasks"),
    "PostToolBatch": ("sessions", "agents"),
    "SubagentStart": ("sessions", "agents"),
    "SubagentStop": ("sessions", "agents", "metrics"),
    "Stop": ("sessions", "metrics"),
    "PreCompact": ("sessions", "snapshots"),
    "PostCompact": ("sessions",),
    "SessionEnd": ("sessions", "agents", "tool_errors", "metrics", "snapshots", "autosync"),
    "TaskCreated": ("sessions", "agents", "tasks"),
    "TaskCompleted": ("sessions", "agents", "tasks", "task_gate"),
}



def run(event: str) -> None:
    """The entry point of every hooks/<event>.py: the hook runtime, routed to these handlers."""
    from hookledger.hotpath import runtime

    runtime.run(event, sys.modules[__name__])


def handlers_for(event: str) -> Iterator[Handler]:
    name = snake(event)
    for module_name in ROUTES.get(event, ()):
        module = importlib.import_module(f"hookledger.handlers.{module_name}")
        yield getattr(module, name)


def preparers_for(event: str) -> Iterator[tuple[str, Callable[..., object]]]:
    """(module name, prepare function) for the event's modules that define one."""
    name = "prepare_" + snake(event)
    for module_name in ROUTES.get(event, ()):
        module = importlib.import_module(f"hookledger.handlers.{module_name}")
        fn = module.__dict__.get(name)  # not getattr: a module-level __getattr__ must not invent one
        if callable(fn):
            yield module_name, fn
