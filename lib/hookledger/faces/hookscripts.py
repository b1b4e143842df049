"""The per-event hook executables: one template, rendered into hooks/ and into installs.

The repository's `hooks/` directory is this template's output (a test keeps them equal);
`hookledger install` writes the same files under HOOKLEDGER_HOME so a project's settings
never point into a source checkout that may move.
"""

from __future__ import annotations

import os

from hookledger.hotpath.events import EVENTS, snake

TEMPLATE = '''#!/usr/bin/env python3
"""Claude Code {event} hook: hookledger's dispatcher (all logic lives in lib/hookledger)."""
import os, sys; sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "lib"))
from hookledger.handlers import run
run("{event}")
'''


def render(event: str) -> str:
    return TEMPLATE.format(event=event)


def filename(event: str) -> str:
    return f"{snake(event)}.py"


def write_all(directory: str) -> dict[str, str]:
    """Write every event's executable into `directory`; returns {event: path}."""
    os.makedirs(directory, exist_ok=True)
    written = {}
    for event in EVENTS:
        path = os.path.join(directory, filename(event))
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(render(event))
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
        written[event] = path
    return written


def checkout_hooks_dir() -> str | None:
    """`hooks/` of the source checkout this package runs from, if it is one."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidate = os.path.normpath(os.path.join(here, "..", "..", "..", "hooks"))
    return candidate if os.path.isfile(os.path.join(candidate, filename("PreToolUse"))) else None
