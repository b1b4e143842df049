"""SessionEnd: start the configured automatic syncs (`sync.auto`), detached (issue 7).

Stdlib only; spawning takes milliseconds, so SessionEnd's budget is never at risk. Replayed
(spooled) events do not spawn: the next live SessionEnd syncs everything anyway.
"""

from __future__ import annotations

from hookledger.handlers.context import Context


def session_end(ctx: Context) -> None:
    if ctx.replay:
        return None
    from hookledger.sync.auto import auto_targets, spawn_auto_sync

    if auto_targets(ctx.config):
        spawn_auto_sync(ctx.project_dir, ctx.db_path, ctx.config)
    return None
