"""What a handler gets: the open write transaction, the event, and where it happened."""

from __future__ import annotations

import sqlite3
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

if TYPE_CHECKING:
    from typing import Any

    from hookledger.hotpath.events import Event


class Context:
    """Handler input. (A plain class: dataclasses pulls in inspect, ~8 ms per hook.)"""

    def __init__(self, conn: sqlite3.Connection, event: Event, now: str, project_dir: str, db_path: str,
                 replay: bool = False, _config: dict[str, Any] | None = None,
                 prepared: dict[str, Any] | None = None, config_problems: list[str] | None = None) -> None:
        self.conn = conn  # inside a BEGIN IMMEDIATE transaction
        self.event = event
        self.now = now  # when the event was received (not when a spooled copy is replayed)
        self.project_dir = project_dir
        self.db_path = db_path
        self.replay = replay  # True when replayed from the spool: answers are discarded
        self._config = _config
        self.config_problems = config_problems or []  # what config validation replaced by defaults
        # module name -> what its prepare_<event> returned before the transaction (handlers/__init__)
        self.prepared = prepared if prepared is not None else {}

    @property
    def config(self) -> dict[str, Any]:
        """The project's `.claude/hookledger.json` over the defaults (read once per run)."""
        if self._config is None:
            from hookledger.hotpath.config import load_checked

            self._config, self.config_problems = load_checked(self.project_dir)
        return self._config

    @property
    def session_id(self) -> str:
        return self.event.session_id or ""
