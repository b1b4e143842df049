"""`hookledger demo`: replay recorded Claude Code sessions into a demo project and show what
the ledger recorded, with the commands to explore it.

The demo project is `~/hookledger-demo` unless told otherwise (replaced on each run; a marker
file says it is ours): hookledger's hooks are registered in its `.claude/settings.json` as
`hookledger install` does it, so `hookledger doctor` there checks a real installation, and the
sessions are then replayed through the real hook executables.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import sys
from dataclasses import dataclass, field

from hookledger.faces.hookscripts import checkout_hooks_dir, filename, write_all
from hookledger.faces.replay import ReplayResult, demo_sessions, replay
from hookledger.hotpath import paths
from hookledger.knowledge.percentiles import percentile

MARKER = ".hookledger-demo"  # in a folder the demo made, so a later run may replace it
DEFAULT_DIR = "hookledger-demo"  # under the home directory


@dataclass
class DemoRun:
    project: str
    db: str
    results: dict[str, ReplayResult] = field(default_factory=dict)
    install_note: str = ""


def hooks_dir_for_demo(scratch: str) -> str:
    """The checkout's hooks/, else the installed ones, else freshly rendered ones."""
    checkout = checkout_hooks_dir()
    if checkout:
        return checkout
    installed = os.path.join(paths.home(), "hooks")
    if os.path.isfile(os.path.join(installed, filename("PreToolUse"))):
        return installed
    return os.path.dirname(next(iter(write_all(os.path.join(scratch, ".hookledger-hooks")).values())))


def default_project() -> str:
    return os.path.join(os.path.expanduser("~"), DEFAULT_DIR)


def fresh_project(project: str | None) -> str:
    """The demo folder, empty but for our marker. A folder the demo made before is replaced;
    any other non-empty folder is refused, never overwritten."""
    path = os.path.abspath(project or default_project())
    if os.path.islink(path):
        raise ValueError(f"{path} is a symbolic link: choose another folder with --project")
    if os.path.isdir(path) and os.listdir(path):
        if not os.path.isfile(os.path.join(path, MARKER)):
            raise ValueError(f"{path} exists and was not made by hookledger demo: choose another folder with --project")
        shutil.rmtree(path)
    os.makedirs(path, mode=0o700, exist_ok=True)
    with open(os.path.join(path, MARKER), "w", encoding="utf-8") as fh:
        fh.write("made by `hookledger demo`, which replaces this folder on its next run\n")
    return path


def run(sessions: list[str] | None = None, project: str | None = None) -> DemoRun:
    """Register the hooks in a fresh demo project, then replay the named recorded sessions
    (all by default) into it through the real hook executables."""
    from hookledger.faces import install

    available = demo_sessions()
    chosen = sessions or list(available)
    unknown = [s for s in chosen if s not in available]
    if unknown:
        raise ValueError(f"unknown session(s) {', '.join(unknown)}; available: {', '.join(available)}")
    project = fresh_project(project)
    hooks_dir = hooks_dir_for_demo(project)
    demo = DemoRun(project=project, db=os.path.join(project, paths.DB_NAME))
    demo.install_note = install.describe(install.apply(project, sys.executable, hooks_dir), False)
    env = {"HOOKLEDGER_DB": demo.db}
    for name in chosen:
        demo.results[name] = replay(available[name], project, hooks_dir, python=sys.executable, extra_env=env)
    return demo


def command_name(name: str) -> str:
    """How to type one of our commands in a new shell: its bare name when the PATH finds this
    installation's, else its full path."""
    ours = os.path.join(os.path.dirname(sys.executable), name)
    found = shutil.which(name)
    if found and (not os.path.exists(ours) or os.path.realpath(found) == os.path.realpath(ours)
                  or name == "sqlite-utils"):
        return name
    return shlex.quote(ours if os.path.exists(ours) else name)


def shown_path(path: str) -> str:
    """`path` as typed in a shell: ~/... under the home directory, else quoted."""
    home = os.path.expanduser("~")
    if path == home or path.startswith(home + os.sep):
        rest = path[len(home):]
        if rest == shlex.quote(rest):
            return "~" + rest
    return shlex.quote(path)


def try_commands(demo: DemoRun) -> list[tuple[str, str]]:
    """(command, what it shows): each runs as written in a new shell."""
    hl, su = command_name("hookledger"), command_name("sqlite-utils")
    where = f"--project {shown_path(demo.project)}"
    db = shown_path(demo.db)
    return [
        (f"{hl} sessions {where}", "the sessions, newest first"),
        (f"{hl} timeline {where}", "the latest session moment by moment"),
        (f"{hl} claims --conflicts {where}", "a claim conflict between two subagents"),
        (f"{hl} errors {where}", "the escalated error, still open"),
        (f"{hl} failed-path list {where}", "the approach that failed"),
        (f"{hl} verdicts {where}", "the quality gate refusing a task"),
        (f"{hl} brief {where}", "the brief the model got after the compaction"),
        (f"{hl} watch {where}", "the live view (q quits)"),
        (f"{hl} report {where} -o {shown_path(os.path.join(demo.project, 'report.html'))}", "the session as a page"),
        (f"{hl} doctor {where}", "health checks of the demo's installation"),
        (f"{su} tables {db} --counts", "the ledger's tables"),
    ]


def _rows(conn: sqlite3.Connection, sql: str, keys: tuple[str, ...]) -> list[dict]:
    return [dict(zip(keys, r)) for r in conn.execute(sql).fetchall()]


def show(demo: DemoRun) -> None:
    """Print what was recorded (tables that fit the terminal) and the commands to explore it."""
    from hookledger.faces.inspect.format import agent_label
    from hookledger.faces.output import console, say
    from hookledger.faces.table import Col, print_table

    calls = [c for r in demo.results.values() for c in r.calls]
    failed = [c for c in calls if c.exit_code not in (0, 2) or (c.stderr.strip() and c.exit_code != 2)]
    conn = sqlite3.connect(f"file:{demo.db}?mode=ro", uri=True)
    say(f"Replayed {len(calls)} hook calls from {len(demo.results)} recorded Claude Code session(s)"
        f" ({', '.join(demo.results)}) through the real hooks, skipping "
        f"{sum(r.skipped for r in demo.results.values())} events hookledger does not hook.")
    say(f"Demo project: {demo.project}   (hooks registered in .claude/settings.json)")
    say(f"Ledger:       {demo.db}")
    say()
    print_table(_rows(conn, "SELECT event_type, count(*), sum(outcome = 'answered'), sum(outcome = 'blocked'),"
                      " sum(outcome IN ('error', 'bad_input')) FROM hook_events GROUP BY event_type ORDER BY count(*) DESC",
                      ("event", "runs", "answered", "blocked", "errors")),
                [Col("event", "event", "id"), Col("runs", "runs", "num"), Col("answered", "answered", "num"),
                 Col("blocked", "blocked", "num"), Col("errors", "hook errors", "num")],
                empty="no hook runs", title="Hook runs per event")
    say()
    agents = _rows(conn, "SELECT id, agent_type, session_id, status, coalesce(task_description, '') FROM agent_registry"
                   " ORDER BY spawn_time", ("id", "type", "session", "status", "task"))
    for a in agents:
        a["agent"], a["session"] = agent_label(a["id"], a["type"]), a["session"][:8]
    print_table(agents, [Col("agent", "agent", "id"), Col("session", "session", "id"), Col("status", "status", "word"),
                         Col("task", "task", "text")], empty="no agents", title="Agents")
    say()
    said = _rows(conn, "SELECT substr(session_id, 1, 8), event_type, exit_code, answer FROM hook_events"
                 " WHERE answer IS NOT NULL ORDER BY id", ("session", "event", "exit_code", "answer"))
    from hookledger.faces.inspect.answers import LABELS, parse

    for row in said:
        kind, text = parse(row["event"], row["answer"], row["exit_code"])
        row["what"], row["text"] = LABELS.get(kind, kind), " ".join((text or "").split())[:160]
    print_table(said, [Col("session", "session", "id"), Col("event", "event", "word"), Col("what", "what", "word"),
                       Col("text", "what the model was told", "line")], empty="hookledger answered nothing",
                title="What hookledger told the model")
    conn.close()
    say()
    latency = [c.wall_ms for c in calls]
    p50, p95 = percentile(latency, 50), percentile(latency, 95)
    say(f"Hook process time, spawn to exit: p50 {p50:.0f} ms, p95 {p95:.0f} ms over {len(calls)} runs"
        " (replayed back to back on this machine).")
    if failed:
        say(f"{len(failed)} hook call(s) exited non-zero or wrote to stderr: "
            + "; ".join(f"{c.event} exit {c.exit_code}: {c.stderr.strip()[:120]}" for c in failed[:5]), style="red")
    say()
    say("Explore it: each command below runs as written, in any new shell.", style="bold")
    out = console()
    width = max(len(cmd) for cmd, _ in try_commands(demo))
    for cmd, what in try_commands(demo):
        # soft_wrap: a command is never broken by a newline, so it can be copied whole
        fits = 2 + width + 5 + len(what) <= out.width
        out.print(f"  {cmd:<{width}}   # {what}" if fits else f"  {cmd}", soft_wrap=True)
