"""A throwaway PostgreSQL cluster for the warehouse tests and benchmark.

initdb + pg_ctl into a fresh temporary directory, listening on a free loopback port (and a
Unix socket in that directory), password authentication over TCP, fsync off. initdb refuses
to run as root: as root, the cluster belongs to the `postgres` system user (the Debian package
creates it) or `nobody`, with a directory that user owns. `PostgresUnavailable` says why a
cluster could not be had (no server binaries, no unprivileged user, start failed).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "hl_admin"
PASSWORD = "throwaway-admin-pw"


class PostgresUnavailable(Exception):
    """No PostgreSQL server can be started here (the message says why)."""


def bindir() -> Path:
    """The newest installed server's bin directory (Debian layout, then pg_config, then PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresUnavailable("no PostgreSQL server binaries (initdb) found; install the `postgresql` package")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> list[str]:
    """The command prefix that runs the server as an unprivileged user ([] when we are one)."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailable("running as root and no runuser to drop privileges for initdb")
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return [runuser, "-u", user, "--"]
    raise PostgresUnavailable("running as root and no unprivileged user (postgres, nobody) to own the cluster")


@dataclass
class Cluster:
    root: Path
    port: int
    bin: Path
    as_user: list[str]
    user: str | None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def url(self, db: str = "postgres", user: str = SUPERUSER, password: str | None = PASSWORD) -> str:
        auth = f"{user}:{password}" if password is not None else user
        return f"postgresql://{auth}@{self.host}:{self.port}/{db}"

    def _pg(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, *argv], capture_output=True, text=True, check=check, timeout=120)

    def stop(self) -> None:
        self._pg(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def binary(self, name: str) -> str:
        return str(self.bin / name)

    def cpu_seconds(self) -> float | None:
        """CPU time the server has used (postmaster and its exited backends; Linux /proc), or None."""
        try:
            pid = int((self.root / "data" / "postmaster.pid").read_text().split()[0])
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError, IndexError):
            return None
        return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime


def start(extra_conf: dict[str, str] | None = None) -> Cluster:
    """initdb + start a cluster in a new temporary directory; the caller stops it."""
    pg_bin = bindir()
    as_user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="hl-pg-"))
    owner = None
    if as_user:
        owner = as_user[2]
        entry = pwd.getpwnam(owner)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    os.chmod(root, 0o700)
    cluster = Cluster(root=root, port=free_port(), bin=pg_bin, as_user=as_user, user=owner)
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if owner:
        os.chown(pwfile, pwd.getpwnam(owner).pw_uid, -1)
    try:
        init = cluster._pg(str(pg_bin / "initdb"), "-D", str(root / "data"), "-U", SUPERUSER, "--pwfile", str(pwfile),
                           "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                           "--no-sync", check=False)
        if init.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
        conf = {"listen_addresses": "'127.0.0.1'", "port": str(cluster.port), "unix_socket_directories": f"'{root}'",
                "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "60",
                "shared_buffers": "128MB", **(extra_conf or {})}
        with open(root / "data" / "postgresql.auto.conf", "a") as f:
            f.writelines(f"{k} = {v}\n" for k, v in conf.items())
        started = cluster._pg(str(pg_bin / "pg_ctl"), "-D", str(root / "data"), "-w", "-t", "60",
                              "-l", str(root / "server.log"), "start", check=False)
        if started.returncode != 0:
            log = (root / "server.log").read_text()[-800:] if (root / "server.log").exists() else ""
            raise PostgresUnavailable(f"pg_ctl start failed: {started.stderr.strip()[-300:]} {log}")
    except BaseException:
        cluster.stop()
        raise
    pwfile.unlink()
    return cluster


def wait_ready(cluster: Cluster, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ok = subprocess.run([cluster.binary("pg_isready"), "-h", cluster.host, "-p", str(cluster.port)],
                            capture_output=True).returncode == 0
        if ok:
            return
        time.sleep(0.1)
    raise PostgresUnavailable("server did not accept connections in time")
