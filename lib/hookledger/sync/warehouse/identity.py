"""Who a ledger is: its ledger_id, and the machine, person and project it records.

The ledger_id is a random UUID kept inside the ledger (project_state key `ledger_id`, a row in
an existing key-value table: no migration), so it survives renames and moves of the file and
every run finds the same one. A copy of the file carries it too: two copies synced as one
ledger would merge (docs/warehouse.md). The rest is looked up at each sync and recorded in
hookledger.ledgers: host, OS user, person (sync.postgres.person in the project config,
$HOOKLEDGER_PERSON, `git config user.email`, else the OS user), project (the git remote
without scheme, credentials and `.git`, else the directory name).
"""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import sqlite3
import subprocess
import uuid
from typing import Any

from hookledger import __version__
from hookledger.hotpath.redact import redact
from hookledger.hotpath.timeutil import utc_now

KEY = "ledger_id"
_GIT_TIMEOUT_S = 3


def _stored(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM project_state WHERE key = ?", (KEY,)).fetchone()
    if row is None:
        return None
    try:
        return str(uuid.UUID(json.loads(row[0])))
    except (TypeError, ValueError):
        return None


def ledger_id(conn: sqlite3.Connection, *, create: bool = True) -> str | None:
    """This ledger's id, minted and stored on first use (concurrent first uses agree)."""
    found = _stored(conn)
    if found is not None or not create:
        return found
    from hookledger.store.conn import write_txn

    with write_txn(conn):
        if _stored(conn) is None:  # checked again under the write lock: the first writer's id stays
            conn.execute("INSERT OR REPLACE INTO project_state (key, value, updated_at) VALUES (?, ?, ?)",
                         (KEY, json.dumps(str(uuid.uuid4())), utc_now()))
    return _stored(conn)


def _git(project_dir: str, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", project_dir, *args], capture_output=True, text=True,
                             timeout=_GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    value = out.stdout.strip()
    return value if out.returncode == 0 and value else None


def plain_remote(url: str | None) -> str | None:
    """A git remote without credentials: `https://user:token@host/x` -> `https://host/x`."""
    if not url:
        return None
    url = re.sub(r"^([a-z][a-z0-9+.\-]*://)[^/@]*@", r"\1", url.strip(), flags=re.I)
    return redact(url)


def project_key(remote: str | None, project_dir: str) -> str:
    """`host/owner/repo` from a git remote (https, ssh or scp-like), else the directory's name."""
    if remote:
        m = re.match(r"^(?:[a-z][a-z0-9+.\-]*://)?(?:[^@/]*@)?([^/:]+)(?::\d+)?[:/]+(.+?)(?:\.git)?/*$", remote, re.I)
        if m:
            return f"{m.group(1).lower()}/{m.group(2)}"
    return os.path.basename(os.path.normpath(project_dir)) or project_dir


def describe(project_dir: str, ledger_path: str, config: dict[str, Any], schema_version: int | None) -> dict[str, Any]:
    """The hookledger.ledgers columns for this ledger, as of now."""
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):
        os_user = None
    remote = plain_remote(_git(project_dir, "config", "--get", "remote.origin.url")) if os.path.isdir(project_dir) else None
    configured = config.get("person") if isinstance(config.get("person"), str) else None
    person = configured or os.environ.get("HOOKLEDGER_PERSON") or (
        _git(project_dir, "config", "--get", "user.email") if os.path.isdir(project_dir) else None) or os_user
    host = config.get("host") if isinstance(config.get("host"), str) else None
    project = config.get("project") if isinstance(config.get("project"), str) else None
    return {
        "host": redact(host or os.environ.get("HOOKLEDGER_HOST") or socket.gethostname()),
        "os_user": os_user,
        "person": redact(person) if person else None,
        "project": redact(project or project_key(remote, project_dir)),
        "project_dir": redact(project_dir),
        "git_remote": remote,
        "ledger_path": redact(os.path.abspath(ledger_path)),
        "hookledger_version": __version__,
        "ledger_schema": schema_version,
    }
