"""One session as one self-contained HTML page: no network, inline CSS, JS and SVG.

The page embeds the session's data as JSON (with <, > and & escaped so nothing in the ledger
can close the script element) and its script draws the timeline (one lane per agent, file
changes, errors, conflicts and compactions marked) and the hook latency chart with DOM calls
that only ever set text, never markup. The few values written here go through html.escape.
A Content-Security-Policy forbids every fetch, so the page cannot reach the network.
"""

from __future__ import annotations

import html
import json
import os
import sqlite3
from typing import Any

from hookledger.faces.inspect import answers, queries, session_story
from hookledger.faces.inspect.format import agent_label, human_count, human_duration
from hookledger.faces.inspect.pricing import session_cost, usd
from hookledger.hotpath.timeutil import parse_utc

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
MAX_ITEMS = 20000  # moments beyond this are left out of the page (it says how many)
DETAIL_MAX = 400
# A compaction is announced by up to three hooks; a PostCompact or SessionStart(compact)
# within this many ms of the previous one belongs to the same compaction.
COMPACTION_GAP_MS = 10 * 60 * 1000
# Which family a hook run's mark belongs to: each family has its own shape and colour.
FAMILIES = {"SessionStart": "session", "SessionEnd": "session", "UserPromptSubmit": "prompt",
            "PreToolUse": "tool", "PostToolUse": "tool", "PostToolUseFailure": "tool", "PostToolBatch": "tool",
            "SubagentStart": "agent", "SubagentStop": "agent", "Stop": "stop", "TaskCreated": "task",
            "TaskCompleted": "task", "PreCompact": "compact", "PostCompact": "compact"}


def group_compactions(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per compaction from its PreCompact / PostCompact / SessionStart(compact)
    moments. Claude Code skips PreCompact on some paths, so a compaction may start with either
    of the others; `pre_compact` says whether PreCompact fired."""
    found: list[dict[str, Any]] = []
    for item in items:
        if item["kind"] != "compaction" or item["t"] is None:
            continue
        last = found[-1] if found else None
        same = (last is not None and item["event"] != "PreCompact" and item["event"] not in last["events"]
                and item["t"] - last["end"] <= COMPACTION_GAP_MS)
        trigger = item["detail"] if item["event"] != "SessionStart" else None  # manual or auto
        if same:
            last["events"].append(item["event"])
            last["end"] = item["t"]
            last["trigger"] = last["trigger"] or trigger
            continue
        found.append({"t": item["t"], "end": item["t"], "at": item["at"], "events": [item["event"]],
                      "trigger": trigger})
    for entry in found:
        entry["pre_compact"] = "PreCompact" in entry["events"]
    return found


def _lanes(agents: list[dict[str, Any]], session_id: str, offset: Any) -> list[dict[str, Any]]:
    """Lanes with their bars: an agent that is over but has no end time (aborted, or its stop
    never recorded) ends when it was last heard from, not at the end of the session."""
    lanes = []
    for a in agents:
        end = a["end_time"] or (a["last_event_at"] if a["status"] not in (None, "running") else None)
        lanes.append({"id": a["agent_id"], "label": agent_label(a["agent_id"], a["agent_type"], session_id),
                      "type": a["agent_type"], "task": a["task_description"], "status": a["status"],
                      "unattributed": bool(a.get("unattributed")), "spawn_time": a["spawn_time"],
                      "end_time": a["end_time"], "start": offset(a["spawn_time"]), "end": offset(end)})
    return lanes


def report_data(conn: sqlite3.Connection, session_id: str) -> dict[str, Any]:
    """Everything the page draws, with times as milliseconds from the session's first moment."""
    items = queries.timeline(conn, session_id)
    agents = queries.session_agents(conn, session_id)
    session = queries.session_row(conn, session_id)
    stamps = [parse_utc(i["at"]) for i in items] + [parse_utc(session.get("started_at"))]
    known = [s for s in stamps if s is not None]
    t0 = min(known) if known else None

    def offset(text: Any) -> int | None:
        at = parse_utc(text) if t0 is not None else None
        return None if at is None else round((at - t0) * 1000)

    lane = {a["agent_id"]: n for n, a in enumerate(agents)}  # the main thread is lane 0
    main = f"main:{session_id}"
    out_items = [{"t": offset(i["at"]), "at": i["at"], "lane": lane.get(i["agent_id"], 0), "agent": i["agent_id"],
                  "kind": i["kind"], "event": i["event"], "tool": i["tool_name"],
                  "family": FAMILIES.get(i["event"] or "", "other") if i["kind"] in ("hook", "hook_error") else None,
                  "detail": (i["detail"] or "")[:DETAIL_MAX], "ms": i["duration_ms"], "outcome": i["outcome"]}
                 for i in items[:MAX_ITEMS]]
    ends = [i["t"] for i in out_items if i["t"] is not None] + [offset(session.get("ended_at")) or 0, 1]
    return {
        "session": session,
        "span_ms": max(ends),
        "agents": _lanes(agents, session_id, offset),
        "items": out_items,
        "truncated": max(0, len(items) - MAX_ITEMS),
        "compactions": group_compactions(out_items),
        "files": queries.session_files(conn, session_id),
        "latency": queries.latency_by_event(conn, session_id),
        "metrics": queries.session_metrics(conn, session_id),
        "prompts": session_story.session_prompts(conn, session_id),
        "tasks": session_story.session_tasks(conn, session_id),
        "answers": [{k: a[k] for k in ("id", "timestamp", "event", "tool_name", "agent_id", "outcome", "kind",
                                       "label", "source", "text")} | {"lane": lane.get(a["agent_id"] or main, 0)}
                    for a in answers.session_answers(conn, session_id)],
        "tokens": session_story.session_tokens(conn, session_id),
        "cost": session_cost(conn, session_id),
    }


def script_json(data: Any) -> str:
    """JSON safe inside <script>: no '</script>', '<!--' or entity can be formed from the data."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _static(name: str) -> str:
    with open(os.path.join(STATIC, name), encoding="utf-8") as fh:
        return fh.read()


def _facts(data: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(key, label, value) of the facts at the top of the page."""
    session, tokens = data["session"], data["tokens"] or {}
    errors = session.get("errors")
    if session.get("open_errors"):
        errors = f"{errors} ({session['open_errors']} open)"
    # no usage rows: the transcript was not read yet (it is read at Stop, PreCompact and SessionEnd)
    used = tokens.get("responses")
    count = lambda key: human_count(tokens.get(key)) if used else None  # noqa: E731
    return [("status", "status", session.get("status")), ("started", "started (UTC)", (session.get("started_at") or "")[:19]),
            ("duration", "duration", human_duration(session.get("duration_s"))),
            ("how", "start / end", f"{session.get('source') or '?'} / {session.get('end_reason') or '-'}"),
            ("model", "model", session.get("model")), ("events", "hook events", session.get("events")),
            ("tool_calls", "tool calls", session.get("tool_calls")), ("subagents", "subagents", session.get("subagents")),
            ("files", "files changed", session.get("files_changed")), ("errors", "errors", errors),
            ("compactions", "compactions", session.get("compactions")),
            ("tokens", "tokens in / out", f"{count('input_tokens')} / {count('output_tokens')}" if used else None),
            ("cache", "cache read / written",
             f"{count('cache_read_input_tokens')} / {count('cache_creation_input_tokens')}" if used else None),
            ("cost", "cost", usd(data["cost"]) or "not priced")]


def _head(title: str, *, scripts: bool) -> str:
    """The document's head: inline styles, and a Content-Security-Policy that forbids every
    request (and any script, unless the page draws with its own inline one)."""
    policy = "default-src 'none'; style-src 'unsafe-inline'" + ("; script-src 'unsafe-inline'; img-src data:" if scripts else "")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<title>{title}</title>
<style>{_static('report.css')}</style>
</head>"""


def render(data: dict[str, Any]) -> str:
    """The page for report_data(...)."""
    s = data["session"]
    esc = lambda v: html.escape("" if v is None else str(v))  # noqa: E731
    facts_html = "".join(f"<div class='fact' data-fact='{key}'><span>{esc(k)}</span><b>{esc(v if v not in (None, '') else '-')}</b></div>"
                         for key, k, v in _facts(data))
    return f"""{_head(f"hookledger session {esc(s.get('session_id', ''))[:8]}", scripts=True)}
<body>
<div id="js-errors" class="js-errors" hidden></div>
<header>
  <h1>Claude Code session <code>{esc(s.get('session_id'))}</code></h1>
  <p class="sub">{esc(s.get('project_dir'))}</p>
  <div class="facts">{facts_html}</div>
  <nav class="toc"><a href="#s-timeline">timeline</a><a href="#s-prompts">prompts</a><a href="#s-tasks">tasks and verdicts</a><a href="#s-answers">what hookledger answered</a><a href="#s-agents">agents</a><a href="#s-files">files, errors, conflicts</a><a href="#s-compactions">compactions</a><a href="#s-latency">hook latency</a></nav>
</header>
<noscript><p class="warn">This report draws its charts and tables with JavaScript.</p></noscript>
<section id="s-timeline">
  <h2>Timeline</h2>
  <p class="hint">One lane per agent, its bar from start to stop. Each kind of moment has its own shape and colour (legend below; click an entry to hide or show it); a ring marks a hook run that answered the model, a red ring one that blocked. Hover a mark for details. Times are from the session's first moment; tables give UTC.</p>
  <div id="legend" class="legend"></div>
  <div id="timeline" class="chart"></div>
  <div id="tooltip" class="tooltip" hidden></div>
</section>
<section id="s-prompts">
  <h2>Prompts <span class="count" id="prompt-count"></span></h2>
  <table id="prompts"></table>
</section>
<section id="s-tasks">
  <h2>Tasks and verdicts <span class="count" id="task-count"></span></h2>
  <p class="hint">Each task with the verdicts on its completions: the quality gate's decision (observe, checks with the commands it ran, or judge with the judge's reason) and what Claude Code did with it.</p>
  <div id="tasks"></div>
</section>
<section id="s-answers">
  <h2>What hookledger answered <span class="count" id="answer-count"></span></h2>
  <p class="hint">Everything the hooks told the model, word for word as it was sent: continuity briefs, escalations of repeated failures, claim-conflict warnings, denials, refused task completions.</p>
  <div id="answers"></div>
</section>
<section id="s-agents">
  <h2>Agents</h2>
  <table id="agents"></table>
</section>
<section class="cols" id="s-files">
  <div><h2>Files changed</h2><table id="files"></table></div>
  <div><h2>Errors and conflicts</h2><table id="errors"></table></div>
</section>
<section id="s-compactions">
  <h2>Compactions</h2>
  <table id="compactions"></table>
</section>
<section>
  <details><summary>Every recorded moment (<span id="item-count"></span>)</summary><table id="events"></table></details>
</section>
<section id="s-latency" class="small">
  <h2>Hook latency</h2>
  <p class="hint">Time spent inside each hook (duration_ms; the interpreter's start, some 20-30 ms, comes on top): p50 and p95 bars, max as a tick.</p>
  <table id="latency" class="latency"></table>
</section>
<footer>Generated by hookledger from session {esc(s.get('session_id'))}. Self-contained: no network requests.</footer>
<script type="application/json" id="report-data">{script_json(data)}</script>
<script>{_static('report.js')}</script>
</body>
</html>
"""


def render_index(sessions: list[dict[str, Any]], pages: dict[str, str]) -> str:
    """An index of session pages: one row per session (newest first) linking to its page."""
    esc = lambda v: html.escape("" if v is None else str(v))  # noqa: E731
    rows = "".join(
        f"<tr><td><a href='{esc(pages[r['session_id']])}'><code>{esc(r['session_id'][:8])}</code></a></td>"
        f"<td>{esc((r['started_at'] or '')[:19])}</td><td>{esc(human_duration(r['duration_s']))}</td>"
        f"<td>{esc(r['status'])}</td><td class='num'>{esc(r['tool_calls'])}</td><td class='num'>{esc(r['subagents'])}</td>"
        f"<td class='num'>{esc(r['files_changed'])}</td><td class='num'>{esc(r['errors'])}</td>"
        f"<td class='num'>{esc(r['compactions'])}</td><td>{esc(r['model'])}</td></tr>"
        for r in sessions if r["session_id"] in pages)
    return f"""{_head("hookledger sessions", scripts=False)}
<body>
<header><h1>hookledger sessions</h1><p class="sub">{len(pages)} session report(s), newest first. Times in UTC.</p></header>
<table id="sessions">
<thead><tr><th>session</th><th>started (UTC)</th><th>duration</th><th>status</th><th>tool calls</th><th>subagents</th><th>files</th><th>errors</th><th>compactions</th><th>model</th></tr></thead>
<tbody>{rows}</tbody>
</table>
<footer>Generated by hookledger. Self-contained: no network requests.</footer>
</body>
</html>
"""


def build(conn: sqlite3.Connection, session_id: str) -> str:
    """The page; every text in it redacted again (a ledger written by an older hookledger, or
    before a rule existed, may hold a secret)."""
    from hookledger.hotpath.redact import scrub

    return render(scrub(report_data(conn, session_id), by_name=False))
