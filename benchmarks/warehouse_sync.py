"""Warehouse sync benchmark: a 1M-hook-event ledger into PostgreSQL, first and incremental.

    python benchmarks/warehouse_sync.py [--events 1000000] [--target-db URL] [--ledger PATH]

Builds the ledger once and keeps it at --ledger (reused while it has that many events): the
recorded demo sessions replayed through the real hooks, each made about 12 times longer, then
copied under new session ids until there are --events hook runs (tests/warehouse_support.py,
build_big_ledger). Then runs `hookledger sync --to postgres`
as a user does (a subprocess) into a fresh database: the first sync, a sync with nothing new,
and a sync after a few more events recorded by the real hooks. Without --target-db it starts
a throwaway PostgreSQL cluster (tests/pg_server.py). Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lib"))
sys.path.insert(0, str(ROOT / "tests"))

import pg_server  # noqa: E402
from warehouse_support import build_big_ledger  # noqa: E402

def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(str(path))
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    out = {n: conn.execute(f"SELECT count(*) FROM [{n}]").fetchone()[0] for n in names}
    conn.close()
    return out


def sync(ledger: Path, project: Path, url: str, cluster: pg_server.Cluster | None, label: str) -> None:
    """Run one `hookledger sync` and print its wall time, rows, and the CPU it and the server used
    (CPU seconds do not depend on what else the machine runs; wall time does)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "lib")}
    server = cluster.cpu_seconds() if cluster else None
    client = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "hookledger", "sync", "--to", "postgres", "--target-db", url,
                           "--db", str(ledger), "--project", str(project)], capture_output=True, text=True, env=env)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"sync failed: {proc.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - client.ru_utime + after.ru_stime - client.ru_stime
    time.sleep(0.5)  # the backend has exited and been reaped: its CPU is the postmaster's children's
    server_cpu = f"{cluster.cpu_seconds() - server:5.1f} s" if cluster and server is not None else "  n/a"
    n = written(proc.stdout)
    print(f"{label:<17}{took:7.2f} s wall  {n:>9,} rows  {n / took:>9,.0f} rows/s   cpu: sync {cpu:5.1f} s,"
          f" server {server_cpu}   load {os.getloadavg()[0]:.1f}")


def written(summary: str) -> int:
    total = 0
    for line in summary.splitlines():
        if " inserted, " in line:
            ins, upd = line.split(":", 1)[1].split(",")[:2]
            total += int(ins.split()[0]) + int(upd.split()[0])
    return total


def more_events(project: Path, ledger: Path, n: int) -> None:
    """`n` hook runs through the real hooks: a new session's start, prompts and tool calls."""
    from hookledger.faces.hookscripts import filename

    sid = f"bench-{int(time.time())}"
    base = {"session_id": sid, "transcript_path": str(project / "t.jsonl"), "cwd": str(project)}
    calls = [("SessionStart", {**base, "hook_event_name": "SessionStart", "source": "startup"})]
    while len(calls) < n:
        i = len(calls)
        calls.append(("PreToolUse", {**base, "hook_event_name": "PreToolUse", "tool_name": "Bash",
                                     "tool_input": {"command": f"echo {i}"}, "tool_use_id": f"toolu_b{i}"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env.update(CLAUDE_PROJECT_DIR=str(project), HOOKLEDGER_DB=str(ledger))
    for event, payload in calls[:n]:
        subprocess.run([sys.executable, str(ROOT / "hooks" / filename(event))], input=json.dumps(payload) + "\n",
                       text=True, capture_output=True, env=env, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--ledger", type=Path, default=Path(tempfile.gettempdir()) / "hookledger-bench-ledger.db")
    parser.add_argument("--target-db", help="an empty PostgreSQL database (default: a throwaway cluster)")
    parser.add_argument("--new-events", type=int, default=5)
    args = parser.parse_args()

    if not args.ledger.exists() or counts(args.ledger).get("hook_events", 0) < args.events:
        started = time.perf_counter()
        build_big_ledger(args.ledger, args.events)
        print(f"built {args.ledger} in {time.perf_counter() - started:.0f} s")
    work = Path(tempfile.mkdtemp(prefix="hl-bench-run-"))
    ledger, project = work / "ledger.db", work / "acme-app"
    project.mkdir()
    shutil.copy(args.ledger, ledger)  # the cached ledger stays as built (the sync stores its ledger_id)
    rows = counts(ledger)
    print(f"ledger: {rows['hook_events']:,} hook events, {sum(rows.values()):,} rows in all,"
          f" {ledger.stat().st_size / 1e6:.0f} MB")

    cluster = None
    if args.target_db:
        url = args.target_db
    else:
        cluster = pg_server.start()
        url = cluster.url()
    print(f"machine: {os.cpu_count()} cores; wall times include the interpreter's start (~0.3 s) and"
          " whatever else runs here (load = runnable processes, 1-minute average)")
    try:
        sync(ledger, project, url, cluster, "first sync:")
        sync(ledger, project, url, cluster, "nothing new:")
        more_events(project, ledger, args.new_events)
        sync(ledger, project, url, cluster, f"{args.new_events} new events:")
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
