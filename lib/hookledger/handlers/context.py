"""What a handler gets: the open write transaction, the event, and where it happened."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from hookledger.events import Event


@dataclass
class Context:
    conn: sqlite3.Connection  # inside a BEGIN IMMEDIATE transaction
    event: Event
    now: str  # when the event was received (not when a spooled copy is replayed)
    project_dir: str
    db_path: str
    replay: bool = False  # True when replayed from the spool: answers are discarded
    _config: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def config(self) -> dict[str, Any]:
        """The project's `.claude/hookledger.json` over the defaults (read once per run)."""
        if self._config is None:
            from hookledger.config import load

            self._config = load(self.project_dir)
        return self._config

    @property
    def session_id(self) -> str:
        return self.event.session_id or ""
