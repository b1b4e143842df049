"""One session as one self-contained HTML page: no network, inline CSS, JS and SVG.

The page embeds the session's data as JSON (with <, > and & escaped so nothing in the ledger
can close the script element) and its script draws the timeline (one lane per agent, file
changes, errors and compactions marked) and the hook latency chart with DOM calls that
only ever set text, never markup. The few values written here go through html.escape.
"""

from __future__ import annotations

import html
import json
import os
import sqlite3
from datetime import datetime
from typing import Any

from hookledger.inspect import queries

STATIC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "static")
MAX_ITEMS = 20000  # markers beyond this are dropped (a browser copes; the page says so)


def parse_time(text: Any) -> datetime | None:
    """A ledger timestamp ('YYYY-MM-DD HH:MM:SS[.mmm]', SQLite's or ours) or None."""
    if not isinstance(text, str):
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text[:26].rstrip("Z"), fmt)
        except ValueError:
            continue
    return None


def agent_label(agent: dict[str, Any], session_id: str) -> str:
    if agent["agent_id"] == f"main:{session_id}":
        return "main thread"
    kind = agent.get("agent_type") or "agent"
    return f"{kind} {agent['agent_id'][:8]}"


def report_data(conn: sqlite3.Connection, session_id: str) -> dict[str, Any]:
    """Everything the page draws, with times as milliseconds from the session's first moment."""
    items = queries.timeline(conn, session_id)
    agents = queries.session_agents(conn, session_id)
    session = queries.session_row(conn, session_id)
    times = [t for t in (parse_time(i["at"]) for i in items) if t]
    for key in ("started_at", "ended_at"):
        if parse_time(session.get(key)):
            times.append(parse_time(session.get(key)))
    t0 = min(times) if times else None
    offset = lambda text: None if t0 is None or parse_time(text) is None else \
        round((parse_time(text) - t0).total_seconds() * 1000)  # noqa: E731
    lane = {a["agent_id"]: n for n, a in enumerate(agents)}
    out_items = []
    for item in items[:MAX_ITEMS]:
        out_items.append({"t": offset(item["at"]), "at": item["at"], "lane": lane.get(item["agent_id"], 0),
                          "kind": item["kind"], "event": item["event"], "tool": item["tool_name"],
                          "detail": (item["detail"] or "")[:400], "ms": item["duration_ms"],
                          "outcome": item["outcome"]})
    end = max([i["t"] for i in out_items if i["t"] is not None] + [offset(session.get("ended_at")) or 0, 1])
    return {
        "session": session,
        "span_ms": end,
        "agents": [{"id": a["agent_id"], "label": agent_label(a, session_id), "type": a["agent_type"],
                    "task": a["task_description"], "status": a["status"],
                    "start": offset(a["spawn_time"]), "end": offset(a["end_time"])} for a in agents],
        "items": out_items,
        "truncated": max(0, len(items) - MAX_ITEMS),
        "latency": queries.latency_by_event(conn, session_id),
        "metrics": queries.session_metrics(conn, session_id),
    }


def script_json(data: Any) -> str:
    """JSON safe inside <script>: no '</script>', '<!--' or entity can be formed from the data."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _static(name: str) -> str:
    with open(os.path.join(STATIC, name), encoding="utf-8") as fh:
        return fh.read()


def render(data: dict[str, Any]) -> str:
    """The page for report_data(...)."""
    s = data["session"]
    esc = lambda v: html.escape("" if v is None else str(v))  # noqa: E731
    facts = [("status", s.get("status")), ("started", s.get("started_at")), ("ended", s.get("ended_at")),
             ("start source", s.get("source")), ("end reason", s.get("end_reason")), ("model", s.get("model")),
             ("hook events", s.get("events")), ("subagents", s.get("subagents")),
             ("files changed", s.get("files_changed")), ("errors", s.get("errors")),
             ("compactions", s.get("compactions"))]
    facts_html = "".join(f"<div class='fact'><span>{esc(k)}</span><b>{esc(v if v not in (None, '') else '-')}</b></div>"
                         for k, v in facts)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>hookledger session {esc(s.get('session_id', ''))[:8]}</title>
<style>{_static('report.css')}</style>
</head>
<body>
<div id="js-errors" class="js-errors" hidden></div>
<header>
  <h1>Claude Code session <code>{esc(s.get('session_id'))}</code></h1>
  <p class="sub">{esc(s.get('project_dir'))}</p>
  <div class="facts">{facts_html}</div>
</header>
<noscript><p class="warn">This report draws its charts with JavaScript; the tables below need none.</p></noscript>
<section>
  <h2>Timeline</h2>
  <p class="hint">One lane per agent. Hover a mark for details; click a legend entry to hide or show that kind.</p>
  <div id="legend" class="legend"></div>
  <div id="timeline" class="chart"></div>
  <div id="tooltip" class="tooltip" hidden></div>
</section>
<section>
  <h2>Hook latency</h2>
  <p class="hint">Time spent inside each hook (duration_ms): p50 and p95 bars, max as a tick.</p>
  <div id="latency" class="chart"></div>
</section>
<section class="cols">
  <div><h2>Files changed</h2><table id="files"></table></div>
  <div><h2>Errors</h2><table id="errors"></table></div>
</section>
<section>
  <details><summary>Every recorded moment (<span id="item-count"></span>)</summary><table id="events"></table></details>
</section>
<footer>Generated by hookledger from {esc(s.get('session_id'))}. Self-contained: no network requests.</footer>
<script type="application/json" id="report-data">{script_json(data)}</script>
<script>{_static('report.js')}</script>
</body>
</html>
"""


def build(conn: sqlite3.Connection, session_id: str) -> str:
    return render(report_data(conn, session_id))
