"""`hookledger verdict record`: put a judge's verdict on a task completion into the ledger.

The judge is anything that answers {"ok": true|false, "reason": "..."} (Claude Code's prompt
and agent hook shape) or {"decision": "allow"|"block", "reason": "..."}: a Claude Code agent
hook, a script, CI, a reviewer. Where the verdict goes depends on when it comes (--for):
- attempt: the completion in progress, i.e. a TaskCompleted whose TaskUpdate result has not
  arrived yet; that is where an agent hook running beside the gate is. Claude Code enforces the
  agent hook's own answer, so the verdict is recorded against that attempt and never carried
  over to a later one.
- next: a standing verdict, applied by the task's next TaskCompleted when gate.mode is judge.
- auto (default): attempt when one of the task is in progress, else next.
"""

from __future__ import annotations

import os
import sys

import click

from hookledger.faces.commands.common import ledger_options, open_ledger, pick_session, resolve_upward


@click.group(name="verdict")
def command() -> None:
    """Record a judge's verdict on a task completion (see `hookledger verdicts`)."""


@command.command(name="record")
@ledger_options
@click.argument("verdict", required=False)
@click.option("--session", "session_id", default=None,
              help="Session id or prefix (default: the JSON's session_id, else $CLAUDE_CODE_SESSION_ID, else the latest).")
@click.option("--task", "task_id", default=None,
              help="Task id (default: the JSON's task_id, else the session's one completion in progress).")
@click.option("--judge", default="external", show_default=True, help="Who judged; recorded as source judge:NAME.")
@click.option("--for", "applies", type=click.Choice(["auto", "attempt", "next"]), default="auto", show_default=True,
              help="The completion in progress (attempt), the task's next completion (next), or whichever fits (auto).")
def record(project: str | None, db_path: str | None, verdict: str | None, session_id: str | None,
           task_id: str | None, judge: str, applies: str) -> None:
    """Record VERDICT, a judge's JSON answer (an argument, or stdin when omitted or `-`), such as
    '{"ok": false, "reason": "the report has no totals"}'."""
    from hookledger.handlers import verdicts
    from hookledger.faces.cli import HookledgerError
    from hookledger.hotpath.config import get, load
    from hookledger.store.conn import write_txn
    from hookledger.hotpath.timeutil import utc_now

    text = _read(verdict)
    try:
        answer = verdicts.load_judge(text)
        decision, reason = verdicts.parse_judge(answer)
    except verdicts.BadVerdict as exc:
        raise HookledgerError(str(exc)) from exc
    project_dir, db = resolve_upward(project, db_path)
    ledger = open_ledger(db)
    sid = _session(ledger.conn, session_id, answer)
    name = judge.strip() or "external"
    now = utc_now()
    with write_txn(ledger.conn):
        attempts = verdicts.open_attempts(ledger.conn, sid, now)
        task = task_id or _answer_id(answer, "task_id") or _only_attempt(attempts)
        attempt = next((a for a in attempts if a["task_id"] == task), None)
        if applies == "attempt" and attempt is None:
            raise HookledgerError(f"no completion of task {task} is in progress in session {sid[:8]}")
        on_attempt = attempt is not None and applies != "next"
        row_id = verdicts.record(
            ledger.conn, session_id=sid, task_id=task, source=verdicts.JUDGE_PREFIX + name, decision=decision,
            reason=reason, now=now, hook_event=verdicts.GATE_EVENT if on_attempt else verdicts.JUDGE_EVENT,
            verdict={"judge": name, "verdict": answer, "applies_to": "attempt" if on_attempt else "next",
                     **({"attempt": attempt["id"]} if on_attempt else {})})
        known = ledger.conn.execute("SELECT 1 FROM tasks WHERE session_id = ? AND task_id = ?", (sid, task)).fetchone()
    where = (f"on the completion in progress (gate verdict #{attempt['id']})" if on_attempt
             else "for the task's next completion")
    from hookledger.faces.output import say

    say(f"recorded {decision} verdict #{row_id} from judge {name} for task {task} (session {sid[:8]}) {where}")
    if not known:
        say(f"note: task {task} is not in the ledger (yet)")
    mode = get(load(project_dir), "gate.mode")
    if not on_attempt and mode != "judge":
        say(f"note: gate.mode is {mode!r}: a waiting verdict is applied only in judge mode")


def _read(verdict: str | None) -> str:
    from hookledger.faces.cli import HookledgerError

    if verdict not in (None, "-"):
        return verdict
    if verdict is None and sys.stdin.isatty():
        raise HookledgerError("give the verdict JSON as an argument or on stdin")
    return sys.stdin.read()


def _answer_id(answer: object, key: str) -> str | None:
    from hookledger.handlers.task_records import as_task_id

    return as_task_id(answer.get(key)) if isinstance(answer, dict) else None


def _session(conn, wanted: str | None, answer: object) -> str:
    """--session (an id or prefix), the JSON's session_id, Claude Code's session, or the latest."""
    if wanted:
        return pick_session(conn, wanted)
    return _answer_id(answer, "session_id") or os.environ.get("CLAUDE_CODE_SESSION_ID") or pick_session(conn, None)


def _only_attempt(attempts: list[dict]) -> str:
    from hookledger.faces.cli import HookledgerError

    tasks = sorted({a["task_id"] for a in attempts})
    if len(tasks) == 1:
        return tasks[0]
    raise HookledgerError("no task given (--task ID)" if not tasks else
                          f"completions of several tasks are in progress ({', '.join(tasks)}): give --task ID")
