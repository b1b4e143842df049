"""File paths as the ledger stores them: relative to the project root when inside it,
absolute (normalised) when outside. Hot path: stdlib only. `normalise` touches the
filesystem only to expand `~`; `identity` also resolves links (file claims)."""

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


MAX_PATH_CHARS = 4096  # PATH_MAX: longer input is not a path worth resolving


def identity(path: str, project_dir: str, cwd: str | None = None) -> str | None:
    """As `normalise`, but the file's real path: symlinks resolved (a link and its target, or
    a file reached through a linked folder, are one file). Bounded: input longer than
    PATH_MAX is not resolved, and a link loop leaves the path as far as it resolved."""
    if not isinstance(path, str) or len(path) > MAX_PATH_CHARS:
        return normalise(path, project_dir, cwd) if isinstance(path, str) else None
    if not path.strip() or "\x00" in path:
        return None
    path = os.path.expanduser(path.strip())
    base = cwd if cwd and os.path.isabs(cwd) else (project_dir or os.getcwd())
    full = path if os.path.isabs(path) else os.path.join(base, path)
    try:
        real = os.path.realpath(full)
        root = _real_root(project_dir) if project_dir else ""
    except (OSError, ValueError):
        return normalise(path, project_dir, cwd)
    return normalise(real, root or project_dir, None)


_roots: dict[str, str] = {}


def _real_root(project_dir: str) -> str:
    real = _roots.get(project_dir)
    if real is None:
        real = _roots[project_dir] = os.path.realpath(project_dir)
    return real
