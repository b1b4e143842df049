"""Scale benchmark: hooks, CLI and sync on ledgers of 10k, 100k and 1M hook events, side by side.

    ./dev bench --scale [--sizes 10k,100k,1M] [--runs 15] [--cli-runs 5] [--no-sync | --sync-only] [--cache-dir DIR]

Grows each ledger once from recorded sessions (benchmarks/grow_ledger.py; cached under
--cache-dir, rebuilt when the schema or the grower changes), then works on fresh copies and
prints, for every size in one table so they can be compared:
- each hook's p50, spawn to exit, started as Claude Code starts it (`/bin/sh -c`, captured
  payload on stdin) and its ratio to a bare `python -c "import sqlite3, json"`; the runs are
  interleaved (bare, then the hook on every size, in turn), so load on the machine falls on
  all sizes alike; the last column is the largest size's p50 over the smallest's;
- the CLI as a user runs it (`python -m hookledger ...`): status, sessions, sessions --limit 0,
  timeline and report of one session (the same PROBE session in every ledger), stats,
  prune --dry-run; median of interleaved runs;
- sync into each target (its documented schema, tests/fixtures/foreign/seed_<target>.sql):
  the first sync of the whole ledger, then an incremental one after new sessions were
  added; target rows written per second. Each sync runs in its own process, with a timeout.

Figures, not assertions. The machine may be shared: compare the columns of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import grow_ledger  # noqa: E402
from hook_latency import HOT, payload, sh, timed  # noqa: E402
from hookledger.faces.install import hook_command  # noqa: E402
from hookledger.knowledge.percentiles import percentile  # noqa: E402
from hookledger.sync import ADAPTERS  # noqa: E402

FOREIGN = ROOT / "tests" / "fixtures" / "foreign"
NEW_SESSIONS = 10  # sessions added before the incremental sync
# A grown ledger's sessions end shortly before it was grown, and hooks look at time (the brief
# of the previous session is offered when it is recent): older cached ledgers are grown again.
CACHE_MAX_AGE_S = 12 * 3600
SYNC_CHILD = """
import json, sys, time
from hookledger.sync import sync
target, ledger, target_db, project = sys.argv[1:5]
started, cpu = time.perf_counter(), time.process_time()
report = sync(target, ledger, target_db, project_dir=project)
print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu, "rows": report.written}))
"""


def parse_size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else \
        f"{n // 1000}k" if n % 1000 == 0 else str(n)


def default_cache() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hookledger", "scale")


class Ledger:
    """One size: its cached grown ledger and a working copy in its own project directory."""

    def __init__(self, events: int, cache: Path, template: str, work: Path) -> None:
        self.events, self.label = events, label(events)
        cached = cache / f"ledger-{self.label}-{grow_ledger.schema_key()}.db"
        self.grown_s = None
        if cached.exists() and time.time() - cached.stat().st_mtime > CACHE_MAX_AGE_S:
            cached.unlink()
        if not cached.exists():
            print(f"growing the {self.label} ledger (cached as {cached}) ...", file=sys.stderr)
            tmp = cached.with_suffix(".tmp")
            for stale in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                stale.unlink(missing_ok=True)
            started = time.perf_counter()
            grow_ledger.grow(str(tmp), events, template, progress=True)
            self.grown_s = time.perf_counter() - started
            tmp.rename(cached)
        self.project = work / self.label / "acme-app"
        self.project.mkdir(parents=True)
        self.db = self.project / ".claude-session.db"
        grow_ledger.copy_ledger(str(cached), str(self.db))
        conn = sqlite3.connect(self.db)
        self.facts = grow_ledger.describe(conn)
        grow_ledger.pruned_now(conn)
        conn.close()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HOOKLEDGER"))}
        self.env.update(CLAUDE_PROJECT_DIR=str(self.project), HOME=str(work / self.label / "home"),
                        HOOKLEDGER_HOME=str(work / self.label / "hookledger-home"))


def line(row: list, widths: list[int]) -> str:
    return "  " + "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths)))


def table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print(line(r, widths))


def describe(ledgers: list[Ledger]) -> None:
    print("ledgers, grown from recorded sessions (benchmarks/grow_ledger.py):")
    rows = [[lg.label, lg.facts["sessions"], lg.facts["events"], lg.facts["claims"], lg.facts["errors"],
             lg.facts["subagents"], lg.facts["snapshots"], lg.facts["conflicts"],
             f"{lg.db.stat().st_size / 1048576:.0f}", f"{lg.grown_s:.0f} s" if lg.grown_s else "cached"]
            for lg in ledgers]
    table(["size", "sessions", "hook events", "claims", "errors", "subagents", "snapshots", "conflicts", "MB",
           "grown"], rows)


def hooks(ledgers: list[Ledger], runs: int) -> None:
    py = sys.executable
    bare: list[float] = []
    times = {(lg.label, hook): [] for lg in ledgers for hook in HOT}
    for _ in range(runs):
        for hook in HOT:
            event, fixture = hook
            bare.append(timed(sh(f"{shlex.quote(py)} -c 'import sqlite3, json'")))
            for lg in ledgers:
                data = payload(fixture, str(lg.project))
                times[(lg.label, hook)].append(
                    timed(sh(hook_command(py, str(ROOT / "hooks"), event)), data, lg.env, str(lg.project)))
    base = percentile(bare, 50)
    print(f"\nhooks: p50 ms spawn to exit (ratio to bare python, p50 {base:.1f} ms), {runs} interleaved runs each")
    first, last = ledgers[0].label, ledgers[-1].label
    rows = []
    for hook in HOT:
        event, fixture = hook
        p50 = {lg.label: percentile(times[(lg.label, hook)], 50) for lg in ledgers}
        rows.append([f"{event} ({fixture.split('__')[1]})"] + [f"{p50[lg.label]:.1f} ({p50[lg.label] / base:.2f})"
                                                               for lg in ledgers] + [f"{p50[last] / p50[first]:.2f}"])
    table(["hook"] + [lg.label for lg in ledgers] + [f"{last}/{first}"], rows)


def cli_commands(lg: Ledger, out: Path) -> list[tuple[str, list[str]]]:
    probe = lg.facts["probe_session"]
    at = ["--project", str(lg.project)]
    return [("status", ["status", *at]), ("sessions", ["sessions", *at]),
            ("sessions --limit 0", ["sessions", "--limit", "0", *at]),
            ("timeline (one session)", ["timeline", "--session", probe, *at]),
            ("report (one session)", ["report", "--session", probe, "-o", str(out / f"{lg.label}.html"), *at]),
            ("stats", ["stats", *at]), ("prune --dry-run", ["prune", "--dry-run", *at])]


def cli(ledgers: list[Ledger], runs: int, out: Path) -> None:
    names = [name for name, _ in cli_commands(ledgers[0], out)]
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(runs):
        for lg in ledgers:
            for name, args in cli_commands(lg, out):
                started = time.perf_counter()
                proc = subprocess.run([sys.executable, "-m", "hookledger", *args], capture_output=True, env=lg.env,
                                      cwd=str(lg.project), timeout=600)
                times.setdefault((lg.label, name), []).append((time.perf_counter() - started) * 1000)
                if proc.returncode != 0:
                    print(f"  {name} failed on {lg.label}: {proc.stderr.decode()[-300:]}", file=sys.stderr)
    first, last = ledgers[0].label, ledgers[-1].label
    print(f"\nCLI: median ms of {runs} interleaved runs (python -m hookledger ..., start-up included)")
    rows = []
    for name in names:
        med = {lg.label: percentile(times[(lg.label, name)], 50) for lg in ledgers}
        rows.append([name] + [f"{med[lg.label]:.0f}" for lg in ledgers] + [f"{med[last] / med[first]:.2f}"])
    table(["command"] + [lg.label for lg in ledgers] + [f"{last}/{first}"], rows)


def new_target(target: str, path: Path) -> None:
    seed = FOREIGN / f"seed_{target}.sql"
    conn = sqlite3.connect(path)
    if seed.exists():
        conn.executescript(seed.read_text())
    conn.commit()
    conn.close()


def one_sync(lg: Ledger, target: str, target_db: Path, timeout: float) -> tuple[int, float, float] | None:
    try:
        proc = subprocess.run([sys.executable, "-c", SYNC_CHILD, target, str(lg.db), str(target_db), str(lg.project)],
                              capture_output=True, env={**lg.env, "PYTHONPATH": str(ROOT / "lib")}, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        print(f"  sync {target} failed on {lg.label}: {proc.stderr.decode()[-400:]}", file=sys.stderr)
        return None
    found = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    return found["rows"], found["seconds"], found["cpu"]


def rate(result: tuple[int, float, float] | None, timeout: float, ran: bool = True) -> list[str]:
    if not ran:
        return ["-", "not run", "-", "-"]
    if result is None:
        return ["-", f"> {timeout:.0f}", "-", "-"]
    rows, seconds, cpu = result
    return [str(rows), f"{seconds:.2f}", f"{cpu:.2f}", f"{rows / seconds:,.0f}" if seconds > 0 else "-"]


def sync(ledgers: list[Ledger], targets: list[str], timeout: float, template: str, work: Path) -> None:
    print(f"\nsync: target rows written, seconds (wall, and CPU of the sync process), rows/s (wall);"
          f" first = the whole ledger into an empty target,"
          f" incremental = after {NEW_SESSIONS} new sessions (timeout {timeout:.0f} s)")
    header = ["target", "size", "first rows", "s", "cpu s", "rows/s", "new events", "incr rows", "s", "cpu s",
              "rows/s"]
    widths = [11, 4, 10, 7, 7, 9, 10, 9, 7, 7, 8]  # rows are printed as each size is done (syncs take long)
    print(line(header, widths))
    for lg in ledgers:
        firsts = {}
        for target in targets:
            target_db = work / lg.label / f"{target}.db"
            new_target(target, target_db)
            firsts[target] = one_sync(lg, target, target_db, timeout)
        added = grow_ledger.add_sessions(str(lg.db), template, NEW_SESSIONS)
        for target in targets:
            again = one_sync(lg, target, work / lg.label / f"{target}.db", timeout) if firsts[target] else None
            print(line([target, lg.label, *rate(firsts[target], timeout), str(added),
                        *rate(again, timeout, ran=firsts[target] is not None)], widths), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M", help="hook events per ledger, comma separated (10k,100k,1M)")
    parser.add_argument("--runs", type=int, default=15, help="runs of each hook per size")
    parser.add_argument("--cli-runs", type=int, default=5, help="runs of each CLI command per size")
    parser.add_argument("--cache-dir", default=default_cache(), help="where grown ledgers are kept between runs")
    parser.add_argument("--no-sync", action="store_true", help="skip the sync figures")
    parser.add_argument("--sync-only", action="store_true", help="only the sync figures (no hooks, no CLI)")
    parser.add_argument("--targets", default=",".join(ADAPTERS), help="sync targets (default: all)")
    parser.add_argument("--sync-timeout", type=float, default=600.0, help="seconds before one sync is given up")
    args = parser.parse_args()
    import compileall

    compileall.compile_dir(str(ROOT / "lib"), quiet=1)
    sizes = sorted(parse_size(s) for s in args.sizes.split(","))
    cache = Path(args.cache_dir)
    template = grow_ledger.template(cache)
    print(f"hookledger scale benchmark: python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="hookledger-scale-") as tmp:
        work = Path(tmp)
        ledgers = [Ledger(n, cache, template, work) for n in sizes]
        describe(ledgers)
        if not args.sync_only:
            hooks(ledgers, args.runs)
            cli(ledgers, args.cli_runs, work)
        if not args.no_sync:
            sync(ledgers, [t.strip() for t in args.targets.split(",") if t.strip()], args.sync_timeout, template, work)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
