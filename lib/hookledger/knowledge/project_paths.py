"""File paths as the ledger stores them: relative to the project root when inside it,
absolute (normalised) when outside. Hot path: stdlib only, no filesystem access beyond
expanding `~`."""

from __future__ import annotations

import os


def normalise(path: str, project_dir: str, cwd: str | None = None) -> str | None:
    """`path` relative to `project_dir` ('src/a.py'), or absolute if it lies outside.

    Relative paths are taken from `cwd` (the tool call's working directory), else the
    project root. Returns None for an empty or unusable path.
    """
    if not isinstance(path, str) or not path.strip() or "\x00" in path:
        return None
    path = os.path.expanduser(path.strip())
    root = os.path.normpath(os.path.abspath(project_dir)) if project_dir else ""
    base = cwd if cwd and os.path.isabs(cwd) else (root or os.getcwd())
    full = os.path.normpath(path if os.path.isabs(path) else os.path.join(base, path))
    if root and (full == root or full.startswith(root.rstrip(os.sep) + os.sep)):
        rel = os.path.relpath(full, root)
        return rel.replace(os.sep, "/")
    return full
