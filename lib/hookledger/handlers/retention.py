"""SessionStart: keep the ledger bounded without anyone having to run `hookledger prune`.

At most once every `retention.every_hours` (24) per ledger, start `hookledger prune` detached
with the project's `retention.days` / `retention.max_mb` (90 days, 200 MB), without VACUUM:
freed pages are reused by new rows, so the file stops growing, and no hook waits behind a
VACUUM. The time of the last start lives in project_state (`retention_pruned_at`), written in
this hook's BEGIN IMMEDIATE transaction, so sessions starting at once start one prune.
`retention.auto: false` turns it off. Stdlib only; the check is one indexed read.
"""

from __future__ import annotations

import json

from hookledger.handlers.context import Context
from hookledger.hotpath.timeutil import parse_utc

KEY = "retention_pruned_at"


def session_start(ctx: Context) -> None:
    settings = ctx.config.get("retention") or {}
    if ctx.replay or settings.get("auto") is False:
        return None
    every = settings.get("every_hours", 24)
    every_s = float(every) * 3600 if isinstance(every, (int, float)) and every > 0 else 86400.0
    row = ctx.conn.execute("SELECT value FROM project_state WHERE key = ?", (KEY,)).fetchone()
    now = parse_utc(ctx.now) or 0.0
    last = parse_utc(_decoded(row[0])) if row else None
    if last is not None and now - last < every_s:
        return None
    ctx.conn.execute(
        "INSERT INTO project_state (key, value, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (KEY, json.dumps(ctx.now), ctx.now))
    if row is None:
        return None  # a new ledger holds nothing old: the first prune is a day away
    from hookledger.hotpath.detached import spawn

    spawn(["prune", "--project", ctx.project_dir, "--db", ctx.db_path, "--no-vacuum", "--quiet"], ctx.project_dir)
    return None


def _decoded(value: object) -> str | None:
    try:
        decoded = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return decoded if isinstance(decoded, str) else None
