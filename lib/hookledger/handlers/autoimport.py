"""SessionStart: import the previous session's transcript, detached (`import.auto: true`).

Whatever the hooks missed of the session before this one (hooks off, settings rewritten by
Claude Code, HOOKLEDGER_OFF, a crash) is filled in from its transcript. The child
(`hookledger import --previous-of <this session>`) waits for this hook to exit, finds the
newest transcript of the project other than this session's and imports it; its per-file cursor
makes that cheap when the hooks saw everything. Stdlib only, no database access here.
"""

from __future__ import annotations

from hookledger.handlers.context import Context
from hookledger.hotpath.detached import spawn


def session_start(ctx: Context) -> None:
    if ctx.replay or not (ctx.config.get("import") or {}).get("auto"):
        return None
    spawn(["import", "--project", ctx.project_dir, "--db", ctx.db_path, "--previous-of", ctx.session_id, "--quiet"],
          ctx.project_dir)
    return None
