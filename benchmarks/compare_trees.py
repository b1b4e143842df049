"""Two checkouts' hooks side by side, interleaved, by CPU time: is a change cheaper or dearer?

    python benchmarks/compare_trees.py OTHER_CHECKOUT [--rounds 20]
    (e.g. `git archive main | tar -x -C /tmp/main-tree`, then compare_trees.py /tmp/main-tree)

Wall time on a shared machine swings with everyone else's load; CPU time (user + system of
`sh -c` and the hook) much less. Each round runs, for each case, this checkout's hook, the
other checkout's hook and a bare `python -c "import sqlite3, json"`, alternating the order
from round to round, each against its own warm ledger; medians per case, and each hook's ratio
to the bare interpreter of the same rounds. Bytecode is compiled first in both trees (an
environment with PYTHONDONTWRITEBYTECODE would otherwise recompile every changed module on
every run). Also prints each ledger's mean in-hook duration_ms. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "events"
CASES = [("PreToolUse", "PreToolUse__Write"), ("PreToolUse", "PreToolUse__Bash"), ("PostToolUse", "PostToolUse__Edit"),
         ("PostToolUse", "PostToolUse__Bash"), ("PostToolUseFailure", "PostToolUseFailure__Bash"),
         ("UserPromptSubmit", "UserPromptSubmit__default"), ("SessionEnd", "SessionEnd__other")]


def snake(event: str) -> str:
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(event))


def cpu_ms(argv: list[str], stdin: bytes, env: dict[str, str], cwd: str) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, input=stdin, capture_output=True, env=env, cwd=cwd, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000


def payload(name: str, project: str) -> bytes:
    data = json.loads((FIXTURES / f"{name}.json").read_text())["stdin"]
    return (json.dumps(data).replace("/home/dev/acme-app", project) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", help="the other checkout (its hooks/ and lib/)")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    py = sys.executable
    trees = {"other": Path(args.other).resolve(), "this": ROOT}
    for tree in trees.values():
        compileall.compile_dir(str(tree / "lib"), quiet=1)
    projects, envs = {}, {}
    for name in trees:
        projects[name] = tempfile.mkdtemp(prefix=f"compare-{name}-")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HOOKLEDGER"))}
        env.update(CLAUDE_PROJECT_DIR=projects[name], HOOKLEDGER_HOME=projects[name] + "-home")
        envs[name] = env
        cpu_ms(["/bin/sh", "-c", f"{py} {trees[name] / 'hooks' / 'session_start.py'}"],
               payload("SessionStart__startup", projects[name]), env, projects[name])  # create + migrate
    found: dict[tuple[str, str], list[float]] = {}
    for n in range(args.rounds):
        for event, fixture in CASES:
            order = ["this", "other", "bare"] if n % 2 == 0 else ["bare", "other", "this"]
            for who in order:
                if who == "bare":
                    value = cpu_ms(["/bin/sh", "-c", f"{py} -c 'import sqlite3, json'"], b"", envs["this"], projects["this"])
                else:
                    hook = trees[who] / "hooks" / f"{snake(event)}.py"
                    value = cpu_ms(["/bin/sh", "-c", f"{py} {hook}"], payload(fixture, projects[who]), envs[who],
                                   projects[who])
                found.setdefault((who, fixture), []).append(value)
    print(f"{args.rounds} interleaved rounds; medians of CPU ms (user + system); ratio = hook / bare python")
    print(f"  this:  {ROOT}\n  other: {trees['other']}")
    print(f"  {'case':<30}{'bare':>8}{'other':>8}{'ratio':>7}{'this':>8}{'ratio':>7}")
    for _, fixture in CASES:
        bare = statistics.median(found[("bare", fixture)])
        other = statistics.median(found[("other", fixture)])
        this = statistics.median(found[("this", fixture)])
        print(f"  {fixture:<30}{bare:8.1f}{other:8.1f}{other / bare:7.2f}{this:8.1f}{this / bare:7.2f}")
    for name, project in projects.items():
        conn = sqlite3.connect(os.path.join(project, ".claude-session.db"))
        means = conn.execute("SELECT event_type, avg(duration_ms) FROM hook_events GROUP BY 1 ORDER BY 1").fetchall()
        conn.close()
        print(f"  {name} in-hook duration_ms (mean): " + ", ".join(f"{e} {m:.1f}" for e, m in means))


if __name__ == "__main__":
    main()
