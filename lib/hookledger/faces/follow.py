"""`hookledger timeline --follow`: new moments as plain lines, for logs and pipes.

Every moment of the timeline is written by a hook run, in the run's transaction and with the
run's timestamp, so the new moments are those of the new hook runs: after each change of the
ledger (a cheap marker, see inspect.live) the runs past the last one seen are read, and the
timeline moments of their sessions at their timestamps printed. Read-only, short reads.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from typing import Any

from hookledger.faces.inspect.queries import fetch

BACKLOG = 10  # moments printed when following starts, as `tail -f` does
POLL_S = 0.25


def _line(moment: dict[str, Any], label: str, session_shown: bool, width: int | None) -> str:
    from hookledger.faces.inspect.format import event_name, outcome_word
    from hookledger.faces.inspect.format import local_time, one_line

    parts = [local_time(moment["at"])]
    if session_shown:
        parts.append(moment["session_id"][:8])
    parts += [label, event_name(moment["event"], moment["tool_name"], moment["kind"])]
    outcome = outcome_word(moment["kind"], moment["outcome"])
    if outcome:
        parts.append(f"[{outcome}]")
    text = "  ".join(parts)
    detail = " ".join(str(moment["detail"] or "").split())
    if detail:
        text += "  " + detail
    return one_line(text, width) if width else text


def _moments(conn: sqlite3.Connection, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The timeline moments recorded by these hook runs (same session, same timestamp)."""
    found: list[dict[str, Any]] = []
    for session_id, at in dict.fromkeys((r["session_id"], r["timestamp"]) for r in runs):
        found += fetch(conn, "SELECT session_id, at, agent_id, kind, event, tool_name, detail, duration_ms, outcome,"
                       " source_table, source_id FROM v_session_timeline WHERE session_id = ? AND at = ?"
                       " ORDER BY source_table = 'hook_events' DESC, source_id", (session_id, at))
    return found


def follow(db_path: str, session_id: str | None, kinds: list[str] | None, *, as_json: bool = False) -> None:
    """Print moments as they are recorded until Ctrl-C (or the reader goes away)."""
    from hookledger.faces.commands.common import connect_ledger, pick_session
    from hookledger.faces.inspect import live
    from hookledger.faces.inspect.format import agent_label
    from hookledger.faces.output import terminal_width, utc_times

    setup = connect_ledger(db_path)
    sid = pick_session(setup, session_id) if session_id else None
    setup.close()
    conn = live.open_readonly(db_path)
    width = terminal_width() if sys.stdout.isatty() else None
    where = "session_id = ?" if sid else "1 = 1"
    args: list[Any] = [sid] if sid else []
    last = (fetch(conn, f"SELECT id FROM hook_events WHERE {where} ORDER BY id DESC LIMIT 1 OFFSET ?",
                  [*args, BACKLOG]) or [{"id": 0}])[0]["id"]
    types: dict[str, str | None] = {}
    seen: set[tuple[str, int, str]] = set()
    marker: Any = None
    try:
        while True:
            now_marker = live.change_marker(conn)
            if now_marker != marker:
                marker = now_marker
                runs = fetch(conn, f"SELECT id, session_id, timestamp FROM hook_events WHERE {where} AND id > ?"
                             " ORDER BY id", [*args, last])
                if runs:
                    last = runs[-1]["id"]
                    types.update({r[0]: r[1] for r in conn.execute("SELECT id, agent_type FROM agent_registry"
                                                                   " WHERE last_event_at >= ?", (runs[0]["timestamp"],))})
                for m in _moments(conn, runs):
                    key = (m["source_table"], m["source_id"], m["kind"])
                    if key in seen or (kinds and m["kind"] not in kinds):
                        continue
                    seen.add(key)
                    if as_json:
                        sys.stdout.write(json.dumps(utc_times(m), ensure_ascii=False) + "\n")
                    else:
                        label = agent_label(m["agent_id"], types.get(m["agent_id"]), m["session_id"])
                        sys.stdout.write(_line(m, label, sid is None, width) + "\n")
                sys.stdout.flush()
            time.sleep(POLL_S)
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        sys.stderr.close()
    finally:
        conn.close()
