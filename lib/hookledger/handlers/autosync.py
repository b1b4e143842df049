"""SessionEnd: start the configured automatic syncs (`sync.auto`), detached (issue 7).

Stdlib only, no database access: spawning takes milliseconds, so SessionEnd's budget is never
at risk. The children (`hookledger sync`, started by hotpath.detached) wait for the hook to
exit, so SessionEnd's own rows are committed and synced. Replayed (spooled) events do not
spawn: the next live SessionEnd syncs everything anyway.
"""

from __future__ import annotations

import os
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

from hookledger.handlers.context import Context
from hookledger.hotpath.config import SYNC_TARGETS
from hookledger.hotpath.detached import spawn

if TYPE_CHECKING:
    from typing import Any

WAREHOUSE = "postgres"  # target_db is a libpq URL, not a file


def _carries_password(url: str) -> bool:
    """A password written into a warehouse URL (`user:pw@` or `password=`): never passed on a
    command line (visible in `ps`) nor kept in settings; libpq finds it in ~/.pgpass instead."""
    head = url.split("?", 1)[0]
    userinfo = head.split("://", 1)[1].rsplit("@", 1)[0] if "://" in head and "@" in head else ""
    return ":" in userinfo or "password=" in url.lower()


def auto_targets(config: dict[str, Any]) -> list[dict[str, str]]:
    """The valid `sync.auto` entries of a project config: [{"to": ..., "target_db": ...}]."""
    entries = (config.get("sync") or {}).get("auto") if isinstance(config.get("sync"), dict) else None
    out = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("to") in SYNC_TARGETS and isinstance(entry.get("target_db"), str):
            if entry["to"] == WAREHOUSE and _carries_password(entry["target_db"]):
                continue
            out.append({"to": entry["to"], "target_db": entry["target_db"]})
    return out


def spawn_auto_sync(project_dir: str, db_path: str, config: dict[str, Any], *, after_pid: int | None = -1) -> int:
    """Start one detached `hookledger sync` per configured target; returns how many started.

    Each child waits for `after_pid` to exit first (default: this process, the hook; None: no wait).
    """
    started = 0
    for entry in auto_targets(config):
        target = entry["target_db"]
        if entry["to"] != WAREHOUSE and not os.path.isabs(target):
            target = os.path.join(project_dir, target)
        args = ["sync", "--to", entry["to"], "--target-db", target, "--project", project_dir, "--db", db_path,
                "--quiet"]
        started += spawn(args, project_dir, after_pid=after_pid)
    return started


def session_end(ctx: Context) -> None:
    if not ctx.replay and auto_targets(ctx.config):
        spawn_auto_sync(ctx.project_dir, ctx.db_path, ctx.config)
    return None
