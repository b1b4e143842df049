"""Hook latency benchmark: what a Claude Code user pays per hook call, spawn to exit.

    ./dev bench [--runs N]          (or: python benchmarks/hook_latency.py)

Prints, for this machine: the interpreter's own start-up cost, the import cost of the heavy
libraries kept off the hot path, then p50/p95/max wall time of each real hook executable fed
a captured Claude Code payload against a warm ledger, started as Claude Code starts it
(`/bin/sh -c` with the command install.sh registers), with the ratio of its p50 to that of a
bare `python -c "import sqlite3, json"` started the same way in the same run (1.0 is the
floor: the interpreter alone), and a burst of parallel hooks with the number of events that
reached the ledger. Figures, not assertions: compare runs by eye.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lib"))

from hookledger.faces.install import hook_command  # noqa: E402
from hookledger.knowledge.percentiles import percentile  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "events"
HOT = [("PreToolUse", "PreToolUse__Write"), ("PreToolUse", "PreToolUse__Bash"),
       ("PreToolUse", "PreToolUse__subagent_Write"), ("PostToolUse", "PostToolUse__Edit"),
       ("PostToolUse", "PostToolUse__Bash"), ("PostToolUse", "PostToolUse__subagent_Write"),
       ("PostToolUseFailure", "PostToolUseFailure__Bash"), ("UserPromptSubmit", "UserPromptSubmit__default"),
       ("Stop", "Stop__default"), ("SessionStart", "SessionStart__startup"), ("SessionEnd", "SessionEnd__other"),
       ("PreCompact", "PreCompact__manual"), ("SessionStart", "SessionStart__compact")]


def payload(name: str, project: str) -> bytes:
    data = json.loads((FIXTURES / f"{name}.json").read_text())["stdin"]
    return (json.dumps(data).replace("/home/dev/acme-app", project) + "\n").encode()


def timed(argv: list[str], stdin: bytes = b"", env: dict[str, str] | None = None, cwd: str | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(argv, input=stdin, capture_output=True, env=env, cwd=cwd, check=False)
    return (time.perf_counter() - started) * 1000


def sh(command: str) -> list[str]:
    """How Claude Code starts a command hook: `/bin/sh -c` with the registered command."""
    return ["/bin/sh", "-c", command]


def row(label: str, values: list[float], base: float | None = None) -> str:
    p50, p95 = percentile(values, 50), percentile(values, 95)
    ratio = f" {p50 / base:6.2f}" if base else ""
    return f"  {label:<34} {p50:7.1f} {p95:7.1f} {max(values):7.1f}{ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--parallel", type=int, default=16)
    args = parser.parse_args()
    py = sys.executable
    # An installed package has its bytecode compiled by pip; do the same for the checkout so
    # the figures do not include recompiling sources (PYTHONDONTWRITEBYTECODE may be set).
    import compileall

    compileall.compile_dir(str(ROOT / "lib"), quiet=1)
    print(f"hookledger hook latency, {args.runs} runs each, python {sys.version.split()[0]}, "
          f"sqlite {sqlite3.sqlite_version}, {os.cpu_count()} cores")
    print("Each process is started as Claude Code starts a hook: /bin/sh -c '<command>', JSON on stdin.")
    print(f"  {'ms (spawn to exit)':<34} {'p50':>7} {'p95':>7} {'max':>7} {'ratio':>6}")
    print("baseline (ratio = p50 / p50 of 'import sqlite3, json')")
    n_base = max(10, args.runs)
    bare = [timed(sh(f"{shlex.quote(py)} -c 'import sqlite3, json'")) for _ in range(n_base)]
    base = percentile(bare, 50)
    for label, code in [("python -c pass", "pass"), ("import sqlite3, json", None),
                        ("import orjson", "import orjson"), ("import jsonschema", "import jsonschema"),
                        ("import sqlite_utils", "import sqlite_utils")]:
        values = bare if code is None else [timed(sh(f"{shlex.quote(py)} -c {shlex.quote(code)}"))
                                            for _ in range(max(5, args.runs // 2))]
        print(row(label, values, base))

    with tempfile.TemporaryDirectory() as project:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
        env["CLAUDE_PROJECT_DIR"] = project
        hooks = str(ROOT / "hooks")

        def command(event: str) -> list[str]:
            return sh(hook_command(py, hooks, event))

        first = timed(command("SessionStart"), payload("SessionStart__startup", project), env, project)
        print("hooks (warm ledger)")
        print(f"  {'first run (creates + migrates)':<34} {first:7.1f}")
        for event, fixture in HOT:
            data = payload(fixture, project)
            values = [timed(command(event), data, env, project) for _ in range(args.runs)]
            print(row(f"{event} ({fixture.split('__')[1]})", values, base))

        conn = sqlite3.connect(os.path.join(project, ".claude-session.db"))
        before = conn.execute("SELECT count(*) FROM hook_events").fetchone()[0]
        data = payload("PostToolUse__Bash", project)
        started = time.perf_counter()
        procs = [subprocess.Popen(command("PostToolUse"), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, env=env, cwd=project) for _ in range(args.parallel)]
        for p in procs:
            p.communicate(data)
        burst = (time.perf_counter() - started) * 1000
        landed = conn.execute("SELECT count(*) FROM hook_events").fetchone()[0] - before
        spooled = len(list(Path(project, ".claude-session.db.spool").glob("*.event.json")))
        durations = [r[0] for r in conn.execute("SELECT duration_ms FROM hook_events")]
        print(f"burst of {args.parallel} parallel PostToolUse: {burst:.0f} ms wall, {landed} in the ledger, "
              f"{spooled} spooled, {args.parallel - landed - spooled} lost")
        print(row("in-hook duration_ms (all rows)", [float(d) for d in durations]))


if __name__ == "__main__":
    main()
