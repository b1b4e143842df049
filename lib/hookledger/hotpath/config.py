"""Per-project settings from `.claude/hookledger.json`, merged over documented defaults.

Every key is optional; a missing or unreadable file means the defaults. Values of the
wrong type fall back to the default rather than failing a hook.
"""

from __future__ import annotations

import json
import os
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

if TYPE_CHECKING:
    from typing import Any

from hookledger.hotpath.paths import config_path

DEFAULTS: dict[str, Any] = {
    "claims": {"policy": "warn", "window_seconds": 600},
    "agents": {"stale_seconds": 1800},
    "errors": {"research_after": 3, "ask_user_after": 5},
    "brief": {"max_chars": 8000, "resume_max_age_hours": 24},
    "gate": {"mode": "observe", "commands": [], "timeout_seconds": 120, "max_blocks": 3},
    "audit": {"summary_max_chars": 2048},
    "retention": {"days": 90, "max_mb": 200, "auto": True, "every_hours": 24},
    "sync": {"auto": []},
}


def _merge(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in overrides.items():
        base = defaults.get(key)
        if isinstance(base, dict) and isinstance(value, dict):
            merged[key] = _merge(base, value)
        elif base is None or isinstance(value, type(base)) or (isinstance(base, (int, float)) and isinstance(value, (int, float)) and not isinstance(value, bool)):
            merged[key] = value
    return merged


def load(project: str) -> dict[str, Any]:
    """The project's configuration (defaults for anything unset or invalid)."""
    try:
        with open(config_path(project), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        data = {}
    return _merge(DEFAULTS, data if isinstance(data, dict) else {})


def get(config: dict[str, Any], dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
