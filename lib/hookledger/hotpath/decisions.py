"""What a handler answers, and the one place that turns answers into Claude Code's contract.

Handlers return `Decision`s; only `emit()` knows exit codes and JSON shapes. stdout stays
empty unless an event accepts what we have to say, in exactly the shape it accepts.
"""

from __future__ import annotations

import json

MAX_CONTEXT = 9500  # Claude Code caps output strings at 10,000 chars; keep margin

# Events whose hookSpecificOutput carries additionalContext that the model reads.
# (Stop/SubagentStop also accept it, but there it makes Claude keep going: never used.)
CONTEXT_EVENTS = frozenset(
    {"PreToolUse", "PostToolUse", "PostToolUseFailure", "PostToolBatch", "UserPromptSubmit",
     "SessionStart", "SubagentStart"}
)
# Events where exit 2 is a deliberate block whose stderr reaches the model.
BLOCKABLE_EVENTS = frozenset({"TaskCompleted", "TaskCreated", "PreCompact"})
_PERMISSION_RANK = {"allow": 1, "ask": 2, "deny": 3}


class Decision:
    """A handler's answer. (A plain class: dataclasses pulls in inspect, ~8 ms per hook.)"""

    __slots__ = ("context", "permission", "reason", "block")

    def __init__(self, context: str | None = None, permission: str | None = None,
                 reason: str | None = None, block: bool = False) -> None:
        self.context = context  # additionalContext for the model
        self.permission = permission  # PreToolUse: allow | ask | deny
        self.reason = reason  # permissionDecisionReason, or the block message
        self.block = block  # exit 2 with `reason` on stderr (TaskCompleted gate)

    def __repr__(self) -> str:
        return f"Decision(context={self.context!r}, permission={self.permission!r}, reason={self.reason!r}, block={self.block!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Decision) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)


class Output:
    """What the hook process writes and exits with."""

    __slots__ = ("exit_code", "stdout", "stderr")

    def __init__(self, exit_code: int = 0, stdout: str = "", stderr: str = "") -> None:
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr


def merge(decisions: list[Decision]) -> Decision:
    """Combine several handlers' answers: contexts joined, the strictest permission wins."""
    merged = Decision()
    contexts: list[str] = []
    for d in decisions:
        if d.context and d.context not in contexts:
            contexts.append(d.context)
        if d.permission and _PERMISSION_RANK.get(d.permission, 0) > _PERMISSION_RANK.get(merged.permission or "", 0):
            merged.permission, merged.reason = d.permission, d.reason
        if d.block and not merged.block:
            merged.block, merged.reason = True, d.reason
    merged.context = "\n\n".join(contexts) or None
    return merged


def _cap(text: str, limit: int = MAX_CONTEXT) -> str:
    return text if len(text) <= limit else text[: limit - 20].rstrip() + "\n[...truncated]"


def emit(event: str, decision: Decision | None) -> Output:
    """The exit code, stdout and stderr for `decision` on `event`."""
    if decision is None:
        return Output()
    if decision.block and event in BLOCKABLE_EVENTS:
        return Output(exit_code=2, stderr=_cap(decision.reason or "blocked by hookledger", 4000) + "\n")
    specific: dict[str, str] = {}
    if event == "PreToolUse" and decision.permission in ("allow", "ask", "deny"):
        specific["permissionDecision"] = decision.permission
        if decision.reason:
            specific["permissionDecisionReason"] = _cap(decision.reason, 2000)
    if decision.context and event in CONTEXT_EVENTS:
        specific["additionalContext"] = _cap(decision.context)
    if not specific:
        return Output()
    body = {"hookSpecificOutput": {"hookEventName": event, **specific}}
    return Output(stdout=json.dumps(body, ensure_ascii=False))
