"""The TaskCompleted quality gate: decide, record a verdict, settle the task.

Every TaskCompleted gets one llm_verdicts row (decision, reason, verdict_json: the mode, the
task, what was checked). Modes, `gate.mode` in .claude/hookledger.json:
- observe (default): record, always allow.
- checks: the project's test/lint commands (`gate.commands`, else project_state, else detected)
  run in prepare_task_completed, before the write transaction, within `gate.timeout_seconds`;
  a failed or timed-out check blocks (exit 2, the failures on stderr for the model).
- judge: a standing verdict recorded for the task (`hookledger verdict record`) is applied; with
  none, allow. A Claude Code prompt/agent hook judges beside this gate: Claude Code enforces its
  answer, and completion_result records it from the TaskUpdate result.
Loop guard: after `gate.max_blocks` consecutive blocks of the same task by this gate, the next
completion is allowed and the verdict says why.
"""

from __future__ import annotations

from hookledger.handlers import verdicts
from hookledger.hotpath.config import DEFAULTS, get
from hookledger.hotpath.decisions import Decision
from hookledger.handlers.context import Context
from hookledger.handlers.task_records import task_status, upsert

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

if TYPE_CHECKING:
    from typing import Any

    from hookledger.hotpath.events import Event

    Verdict = tuple[str, str, "str | None"]  # decision, reason for the ledger, feedback for the model

MODES = ("observe", "checks", "judge")
DEFAULT_MAX_BLOCKS: int = DEFAULTS["gate"]["max_blocks"]
REFUSED = "completion refused by a TaskCompleted hook: "


class Settings:
    """`gate.*`, validated by hotpath/config (a bad value is its default there); the
    configuration problems about the gate are noted in the verdict."""

    def __init__(self, config: dict[str, Any], problems: list[str] | None = None) -> None:
        self.notes = [p for p in problems or [] if p.startswith("gate.")]
        mode = get(config, "gate.mode")
        self.mode = mode if mode in MODES else "observe"
        blocks = get(config, "gate.max_blocks")
        self.max_blocks = blocks if isinstance(blocks, int) and not isinstance(blocks, bool) else DEFAULT_MAX_BLOCKS
        self.commands = get(config, "gate.commands")
        self.timeout = get(config, "gate.timeout_seconds")


def prepare_task_completed(event: Event, project_dir: str, db_path: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """checks mode: run the checks now, before runtime opens the write transaction (a test
    suite must never hold the ledger's write lock). Other modes: nothing to do."""
    settings = Settings(config)
    if settings.mode != "checks":
        return None
    from hookledger.knowledge import gate_checks

    budget = gate_checks.budget(settings.timeout)
    commands, source = gate_checks.commands_for(project_dir, db_path, settings.commands)
    return {"source": source, "budget_s": budget,
            "results": gate_checks.run_checks(commands, project_dir, budget) if commands else []}


def task_completed(ctx: Context) -> Decision | None:
    task_id = ctx.event.task_id()
    if not task_id:
        return None
    settings = Settings(ctx.config, ctx.config_problems)
    subject = ctx.event.text("task_subject")
    before = task_status(ctx, task_id)  # handlers/tasks ran first: the row exists
    verdict: dict[str, Any] = {"mode": settings.mode, "task": {
        "id": task_id, "subject": subject, "status_before": before, "agent_id": ctx.event.actor_id,
        "teammate": ctx.event.text("teammate_name")}}
    if settings.notes:
        verdict["config_notes"] = settings.notes
    decide = {"observe": _observe, "checks": _checks, "judge": _judge}[settings.mode]
    decision, reason, feedback = decide(ctx, task_id, subject, verdict)
    if decision == "block":
        decision, reason = _loop_guard(ctx, task_id, settings.max_blocks, reason, verdict)
    if ctx.replay and decision == "block":
        # Replayed from the spool: when it happened the hook could not reach the ledger and let
        # the completion through; record what happened, with what the gate would have said.
        decision, reason = "allow", "recorded late from the spool, so not gated; it would have been blocked: " + reason
        verdict["replayed"] = True
    verdicts.record(ctx.conn, session_id=ctx.session_id, task_id=task_id, hook_event=verdicts.GATE_EVENT,
                    source=settings.mode, decision=decision, reason=reason, verdict=verdict, now=ctx.now)
    if decision == "allow":
        upsert(ctx, task_id, status="completed", reason=None)
        return None
    upsert(ctx, task_id, reason=f"completion blocked by the gate ({settings.mode}): {reason}")
    return Decision(block=True, reason=feedback or reason)


def task_title(task_id: str, subject: str | None) -> str:
    """How the model's feedback names the task."""
    return f'task {task_id} "{subject}"' if subject else f"task {task_id}"


def _observe(ctx: Context, task_id: str, subject: str | None, verdict: dict[str, Any]) -> Verdict:
    return "allow", "observe mode: recorded, not gated", None


def _checks(ctx: Context, task_id: str, subject: str | None, verdict: dict[str, Any]) -> Verdict:
    from hookledger.knowledge import gate_checks

    prepared = ctx.prepared.get("task_gate")
    if not isinstance(prepared, dict):
        why = "the event was replayed from the spool" if ctx.replay else "the check runner failed (see hook_events.error)"
        verdict["checks"] = None
        return "allow", f"checks not run: {why}", None
    verdict["checks"] = prepared
    results, budget = prepared.get("results") or [], prepared.get("budget_s") or 0
    if not results:
        return "allow", "no checks to run: none in gate.commands, project_state or the project's manifests", None
    summary = "; ".join(gate_checks.describe(r, budget) for r in results)
    if gate_checks.failing(results):
        return "block", summary, gate_checks.feedback(task_title(task_id, subject), results, budget)
    return "allow", summary, None


def _judge(ctx: Context, task_id: str, subject: str | None, verdict: dict[str, Any]) -> Verdict:
    standing = verdicts.pending_judge(ctx.conn, ctx.session_id, task_id)
    if standing is None:
        return ("allow", "judge mode: no verdict was waiting for this task; a Claude Code prompt/agent hook's"
                " answer is recorded from the TaskUpdate result", None)
    judge = (standing.get("source") or "judge:external").split(":", 1)[-1]
    verdict["judge"] = {"verdict_id": standing["id"], "judge": judge, "recorded_at": standing.get("timestamp"),
                        "verdict": verdicts.verdict_json(standing).get("verdict")}
    said = standing.get("reason") or "no reason given"
    if standing.get("decision") != "block":
        return "allow", f"judge {judge} allowed it: {said}", None
    return ("block", f"judge {judge} blocked it: {said}",
            f"hookledger quality gate: {task_title(task_id, subject)} stays open: the judge ({judge}) did not accept it: {said}")


def _loop_guard(ctx: Context, task_id: str, max_blocks: int, reason: str, verdict: dict[str, Any]) -> tuple[str, str]:
    """Let the completion through after max_blocks consecutive blocks of this task: a gate
    that keeps failing must not trap the model in a loop."""
    blocks = verdicts.consecutive_blocks(ctx.conn, ctx.session_id, task_id, max_blocks)
    verdict["loop_guard"] = {"max_blocks": max_blocks, "consecutive_blocks": blocks, "overrode": blocks >= max_blocks}
    if blocks < max_blocks:
        return "block", reason
    return "allow", (f"loop guard: allowed after {blocks} consecutive block(s) of this task (gate.max_blocks ="
                     f" {max_blocks}); it would have been blocked again: {reason}")


def completion_result(ctx: Context, task_id: str, *, went_through: bool, feedback: str | None) -> None:
    """What the TaskUpdate result says about a completion (called by handlers/tasks before it
    updates the task). Refused by another TaskCompleted hook although this gate allowed it: the
    task is put back and a 'hooks' block verdict records the feedback. In judge mode, a
    completion that went through with no judge verdict on file gets an 'allow' verdict."""
    attempts = verdicts.open_attempts(ctx.conn, ctx.session_id, ctx.now, task_id)
    attempt = attempts[0] if attempts else None
    link = {"attempt": attempt["id"] if attempt else None, "gate_decision": attempt["decision"] if attempt else None}
    if went_through:
        if attempt and attempt["source"] == "judge" and not verdicts.judged_attempt(ctx.conn, attempt):
            verdicts.record(ctx.conn, session_id=ctx.session_id, task_id=task_id, hook_event=verdicts.OUTCOME_EVENT,
                            source=verdicts.OUTCOME_SOURCE, decision="allow", verdict=link, now=ctx.now,
                            reason="the completion went through: no TaskCompleted hook blocked it")
        return
    if attempt and attempt["decision"] == "block":
        upsert(ctx, task_id)  # this gate's own block, on file with its attempt; the TaskUpdate result closes it
        return
    verdicts.record(ctx.conn, session_id=ctx.session_id, task_id=task_id, hook_event=verdicts.OUTCOME_EVENT,
                    source=verdicts.OUTCOME_SOURCE, decision="block", reason=feedback, verdict=link, now=ctx.now)
    task = verdicts.verdict_json(attempt).get("task") if attempt else None
    before = task.get("status_before") if isinstance(task, dict) else None
    status = None
    if task_status(ctx, task_id) == "completed":  # this gate had let it through: it is not done after all
        status = before if before not in (None, "completed") else "in_progress"
    upsert(ctx, task_id, status=status, reason=REFUSED + (feedback or ""))
