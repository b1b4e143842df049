"""`hookledger demo`: replay recorded Claude Code sessions into a fresh project and show
what the ledger recorded."""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from dataclasses import dataclass, field

from hookledger.hotpath import paths
from hookledger.faces.hookscripts import checkout_hooks_dir, filename, write_all
from hookledger.knowledge.percentiles import percentile
from hookledger.faces.replay import ReplayResult, demo_sessions, replay


@dataclass
class DemoRun:
    project: str
    db: str
    results: dict[str, ReplayResult] = field(default_factory=dict)


def hooks_dir_for_demo(scratch: str) -> str:
    """The checkout's hooks/, else the installed ones, else freshly rendered ones."""
    checkout = checkout_hooks_dir()
    if checkout:
        return checkout
    installed = os.path.join(paths.home(), "hooks")
    if os.path.isfile(os.path.join(installed, filename("PreToolUse"))):
        return installed
    return os.path.dirname(next(iter(write_all(os.path.join(scratch, "hooks")).values())))


def run(sessions: list[str] | None = None, project: str | None = None) -> DemoRun:
    """Replay the named recorded sessions (all by default) into `project` (a new temp dir)."""
    available = demo_sessions()
    chosen = sessions or list(available)
    unknown = [s for s in chosen if s not in available]
    if unknown:
        raise ValueError(f"unknown session(s) {', '.join(unknown)}; available: {', '.join(available)}")
    project = project or tempfile.mkdtemp(prefix="hookledger-demo-")
    os.makedirs(project, exist_ok=True)
    hooks_dir = hooks_dir_for_demo(project)
    demo = DemoRun(project=project, db=os.path.join(project, paths.DB_NAME))
    env = {"HOOKLEDGER_DB": demo.db}
    for name in chosen:
        demo.results[name] = replay(available[name], project, hooks_dir, python=sys.executable, extra_env=env)
    return demo


def _table(title: str, header: tuple[str, ...], body: list[tuple]) -> str:
    cells = [tuple("" if v is None else str(v) for v in row) for row in body]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [title, "  " + fmt.format(*header), "  " + fmt.format(*("-" * w for w in widths))]
    lines += ["  " + fmt.format(*r) for r in cells] or ["  (none)"]
    return "\n".join(lines)


def report(demo: DemoRun) -> str:
    """What was recorded: events per type, agents, claims, errors, snapshots, latency."""
    conn = sqlite3.connect(demo.db)
    q = lambda sql: conn.execute(sql).fetchall()  # noqa: E731
    calls = [c for r in demo.results.values() for c in r.calls]
    walls = [c.wall_ms for c in calls]
    failed = [c for c in calls if c.exit_code != 0 or c.stderr.strip()]
    parts = [
        f"Replayed {len(calls)} hook calls (skipping {sum(r.skipped for r in demo.results.values())} "
        f"events hookledger does not hook) from {len(demo.results)} recorded Claude Code session(s) "
        f"({', '.join(demo.results)}) into {demo.project}",
        f"Ledger: {demo.db}",
        "",
        _table("Events per type", ("event", "rows", "answered", "errors"), q(
            "SELECT event_type, count(*), sum(outcome = 'answered'), sum(outcome IN ('error', 'bad_input'))"
            " FROM hook_events GROUP BY event_type ORDER BY count(*) DESC")),
        "",
        _table("Agents", ("id", "type", "status", "task"), q(
            "SELECT id, agent_type, status, substr(coalesce(task_description, ''), 1, 40) FROM agent_registry ORDER BY spawn_time")),
        "",
        _table("File claims", ("agent", "file", "operation"), q(
            "SELECT agent_id, file_path, operation FROM file_claims ORDER BY id")),
        "",
        _table("Errors", ("category", "attempt", "resolution", "message"), q(
            "SELECT error_category, attempt_number, resolution, substr(replace(error_message, char(10), ' '), 1, 50)"
            " FROM error_log ORDER BY id")),
        "",
        _table("Tasks", ("session", "task", "subject", "status"), q(
            "SELECT substr(session_id, 1, 8), task_id, substr(coalesce(subject, ''), 1, 40), status FROM tasks"
            " ORDER BY created_at")),
        "",
        _table("Task verdicts", ("task", "event", "source", "decision", "reason"), q(
            "SELECT task_id, hook_event, source, decision, substr(replace(reason, char(10), ' '), 1, 50)"
            " FROM llm_verdicts ORDER BY id")),
        "",
        _table("Context snapshots", ("session", "type", "bytes"), q(
            "SELECT substr(session_id, 1, 8), snapshot_type, length(content) FROM context_snapshots ORDER BY id")),
        "",
        _table("Hook latency (ms)", ("measure", "p50", "p95", "max"), [
            ("process wall time (spawn to exit)", *_pcts(walls)),
            ("recorded duration_ms (in-hook)", *_pcts([r[0] for r in q("SELECT duration_ms FROM hook_events")])),
        ]),
    ]
    if failed:
        parts += ["", f"{len(failed)} hook call(s) exited non-zero or wrote to stderr: "
                  + "; ".join(f"{c.event} exit {c.exit_code}: {c.stderr.strip()[:120]}" for c in failed[:5])]
    conn.close()
    parts += ["", f"Inspect it:  sqlite-utils tables {demo.db} --counts"]
    return "\n".join(parts)


def _pcts(values: list[float]) -> tuple[str, str, str]:
    fmt = lambda v: "-" if v is None else f"{v:.0f}"  # noqa: E731
    return fmt(percentile(values, 50)), fmt(percentile(values, 95)), fmt(max(values) if values else None)
