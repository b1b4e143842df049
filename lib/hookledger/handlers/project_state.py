"""project_state: languages, package manager and check commands, detected from manifests.

On SessionStart only: one stat per known manifest file; the detection (knowledge/project: reading
pyproject.toml, package.json...) runs again only when a manifest appeared, vanished or changed
mtime. Keys: languages (JSON list), package_manager, test_command, lint_command, typecheck_command,
manifests (JSON {file: mtime}); each row has updated_at.
"""

from __future__ import annotations

import json

from hookledger.handlers.context import Context
from hookledger.knowledge.project import detect, stat


def session_start(ctx: Context) -> None:
    files = stat(ctx.project_dir)
    stamp = json.dumps(files, sort_keys=True)
    row = ctx.conn.execute("SELECT value FROM project_state WHERE key = 'manifests'").fetchone()
    if row is not None and row[0] == stamp:
        return  # nothing changed since the last detection
    state = {**detect(ctx.project_dir, files), "manifests": files}
    for key, value in state.items():
        ctx.conn.execute(
            "INSERT INTO project_state (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, json.dumps(value, sort_keys=True), ctx.now))
