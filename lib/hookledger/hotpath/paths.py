"""Where things live: the project, its ledger database, the spool, hookledger's home.

Hot path: stdlib only.
"""

from __future__ import annotations

import os
import zlib

DB_NAME = ".claude-session.db"
CONFIG_RELPATH = os.path.join(".claude", "hookledger.json")


def project_dir(payload_cwd: str | None = None) -> str:
    """`$CLAUDE_PROJECT_DIR`, else the payload's `cwd`, else the process's cwd.

    Claude Code keeps `CLAUDE_PROJECT_DIR` at the project root while `cwd` follows `cd`,
    so the variable wins.
    """
    env = os.environ.get("CLAUDE_PROJECT_DIR")
    if env:
        return env
    if payload_cwd and os.path.isabs(payload_cwd):
        return payload_cwd
    return os.getcwd()


def db_path(payload_cwd: str | None = None) -> str:
    """`$HOOKLEDGER_DB` overrides; otherwise `<project>/.claude-session.db`."""
    override = os.environ.get("HOOKLEDGER_DB")
    if override:
        return override
    return os.path.join(project_dir(payload_cwd), DB_NAME)


def home() -> str:
    """hookledger's own directory (venv, installed hooks, fallback spool)."""
    env = os.environ.get("HOOKLEDGER_HOME")
    if env:
        return env
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "hookledger")


def spool_dirs(db: str) -> list[str]:
    """Spool directories for a ledger, in order of preference.

    Beside the database first; a per-user fallback for when the project directory
    itself cannot be written (read-only checkout, full disk on that mount).
    """
    key = os.path.abspath(db).encode("utf-8", "surrogateescape")
    digest = f"{zlib.crc32(key):08x}{zlib.adler32(key):08x}"  # zlib: hashlib costs ~3 ms to import
    return [db + ".spool", os.path.join(home(), "spool", digest)]


def config_path(project: str) -> str:
    return os.path.join(project, CONFIG_RELPATH)
