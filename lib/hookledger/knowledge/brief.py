"""The continuity brief: a snapshot turned into factual statements for the model.

Most important first (open errors, failed approaches, unfinished tasks, other live agents,
claimed files, files touched, metrics, project checks), every line once, whole lines only,
at most `max_chars` characters. Pure: takes the snapshot dict built by handlers.snapshots.
"""

from __future__ import annotations

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

if TYPE_CHECKING:
    from typing import Any

HEADERS = {
    "compact": "after the context compaction of this session",
    "resume": "of this session before it was resumed",
    "previous": "of the previous session in this project",
}
MAX_ERROR_TEXT = 300
# First-pass budget share of the sections that matter most (by heading's first word).
SHARES = {"Errors": 0.45, "Approaches": 0.25, "Unfinished": 0.15}


def _one_line(text: object, limit: int) -> str:
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def _error_line(e: dict[str, Any]) -> str:
    what = f"`{_one_line(e.get('command'), 200)}`" if e.get("command") else _one_line(e.get("signature") or e.get("tool"), 200)
    where = f" in {e['file_path']}" if e.get("file_path") else ""
    state = {"escalated_research": "; escalated for research", "escalated_user": "; escalated to the user",
             "abandoned": "; still open when the session ended"}.get(e.get("resolution") or "", "")
    attempts = e.get("attempts") or 1
    times = "once" if attempts == 1 else f"{attempts} times"
    return (f"- {what} failed {times} ({e.get('category') or 'runtime'} error{where}{state}), last at "
            f"{e.get('last_at', '?')}. Last error: {_one_line(e.get('message'), MAX_ERROR_TEXT)}")


def _failed_path_line(f: dict[str, Any]) -> str:
    where = f" [{f['file_path']}]" if f.get("file_path") else ""
    why = f" Why it failed: {_one_line(f.get('reason'), 300)}" if f.get("reason") else ""
    return f"- {_one_line(f.get('approach'), 300)}{where}.{why}"


def _metrics_line(m: dict[str, Any]) -> str | None:
    if not m:
        return None
    parts = [f"{m.get('tool_calls', 0)} tool calls", f"{m.get('failures', 0)} failed"]
    if m.get("failures_auto_fixed"):
        parts.append(f"{m['failures_auto_fixed']} later fixed")
    if m.get("compactions"):
        parts.append(f"{m['compactions']} compaction(s)")
    if m.get("tokens_output"):
        parts.append(f"{m['tokens_output']} output tokens over {m.get('assistant_messages', 0)} model responses")
    if m.get("first_passing_test_at"):
        parts.append(f"first passing test run at {m['first_passing_test_at']}")
    return "Session so far: " + ", ".join(parts) + "."


def _project_line(p: dict[str, Any]) -> str | None:
    checks = [f"{label} `{p[key]}`" for label, key in (("tests", "test_command"), ("lint", "lint_command"),
                                                      ("type check", "typecheck_command")) if p.get(key)]
    langs = ", ".join(p.get("languages") or [])
    if not checks and not langs:
        return None
    return f"Project: {langs or 'unknown language'}" + (f"; checks detected: {'; '.join(checks)}." if checks else ".")


def sections(snap: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(heading, lines) in order of importance; empty sections left out."""
    tasks = snap.get("tasks") or []
    agents = snap.get("live_agents") or []
    claims = snap.get("open_claims") or []
    files = snap.get("files_touched") or []
    out = [
        ("Errors still unresolved (most attempts first):", [_error_line(e) for e in snap.get("unresolved_errors") or []]),
        ("Approaches already tried that failed (still relevant, newest first):",
         [_failed_path_line(f) for f in snap.get("failed_paths") or []]),
        ("Unfinished tasks:", [f"- #{t.get('task_id')} [{t.get('status') or 'pending'}] {_one_line(t.get('subject'), 200)}"
                               for t in tasks]),
        ("Other agents still running:", [f"- {a.get('agent_id')} ({a.get('agent_type') or 'agent'}): "
                                         f"{_one_line(a.get('task_description'), 200) or 'no task recorded'}" for a in agents]),
        ("Files currently claimed by running agents:", [f"- {c.get('file_path')} (held by {c.get('holder_agent_id')})"
                                                        for c in claims]),
        ("Files changed in this session (most recent first):", [", ".join(files)] if files else []),
        ("", [line for line in (_metrics_line(snap.get("metrics") or {}), _project_line(snap.get("project") or {}))
              if line]),
    ]
    return [(heading, lines) for heading, lines in out if lines]


def has_substance(snap: dict[str, Any]) -> bool:
    """Is there anything a fresh context needs to know (beyond counts)?"""
    return any(snap.get(k) for k in ("unresolved_errors", "failed_paths", "tasks", "live_agents", "open_claims"))


def build(snap: dict[str, Any], kind: str = "compact", max_chars: int = 8000) -> str:
    """The brief text, at most `max_chars` characters, whole lines only.

    Each section first gets at most its share of the budget (so a flood of errors cannot
    push out the failed paths), then what is left is filled in order of importance.
    """
    sid = str(snap.get("session_id") or "")[:8]
    head = (f"hookledger continuity brief: facts recorded in the session ledger {HEADERS.get(kind, HEADERS['compact'])}"
            f" (session {sid}, as of {snap.get('taken_at', '?')}).")
    seen: set[str] = {head}
    blocks: list[tuple[str, list[str]]] = []
    for heading, body in sections(snap):
        unique = []
        for line in body:
            if line not in seen:
                seen.add(line)
                unique.append(line)
        if unique:
            blocks.append((heading, unique))
    chosen: list[list[str]] = [[] for _ in blocks]
    used = len(head)

    def fill(index: int, limit: int) -> None:
        nonlocal used
        heading, body = blocks[index]
        spent = 0
        for line in body:
            if line in chosen[index]:
                continue
            cost = 1 + len(line) + (1 + len(heading) if heading and not chosen[index] else 0)
            if used + cost > max_chars or spent + cost > limit:
                continue  # a shorter, later line may still fit
            chosen[index].append(line)
            used += cost
            spent += cost

    for index, (heading, _) in enumerate(blocks):
        fill(index, int(max_chars * SHARES.get(heading.split(" ", 1)[0], 1.0)))
    for index in range(len(blocks)):
        fill(index, max_chars)
    lines = [head]
    for (heading, body), picked in zip(blocks, chosen):
        if picked:
            lines += ([heading] if heading else []) + [line for line in body if line in picked]
    return "\n".join(lines)[:max_chars]
