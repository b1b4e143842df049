"""Reading the session ledger for sync: rows after a cursor, sessions, agents, cursors.

The ledger is read as it is: tables a older ledger lacks read as empty, and sessions or agents
that only appear as ids in other tables are synthesised, so every target gets its parent rows.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hookledger.hotpath.events import main_agent_id
from hookledger.hotpath.timeutil import utc_now
from hookledger.store.ddl import CURSOR_DDL, STATE_DIGEST_DDL
from hookledger.store.migrations.m015_sync_incremental import SUBAGENT_INDEX

_LENGTH_ONLY = re.compile(r"<\d+ chars>")  # what the audit summary keeps of a long text


def _length(text: Any) -> int | None:
    m = re.fullmatch(r"<(\d+) chars>", text) if isinstance(text, str) else None
    return int(m.group(1)) if m else None


_BRANCH_LINES = 50  # transcript lines read to find the session's git branch

def _prompt(row: dict[str, Any], event_rowid: int | None) -> dict[str, Any]:
    return {"prompt_id": row.get("prompt_id"), "created_at": row.get("created_at"), "text": row.get("text"),
            "chars": row.get("chars"), "event_rowid": event_rowid}


AGENTS = "agents"  # the source of every agent: main threads, agent_registry, agents seen only in events

# Tables whose ids name a session; used to find sessions missing from `sessions`.
_SESSION_TABLES = ("agent_registry", "file_claims", "failed_paths", "error_log", "context_snapshots",
                   "hook_events", "llm_verdicts", "tasks")


def agent_status_of_session(status: str | None) -> str:
    """The main thread's agent status (agent_registry vocabulary) from the session status."""
    return {"ended": "completed", "abandoned": "aborted_stale"}.get(status or "", "running")


class Ledger:
    """Read access to one session database, plus the sync cursor table it keeps."""

    def __init__(self, conn: sqlite3.Connection, path: str = "") -> None:
        conn.row_factory = sqlite3.Row
        self.conn = conn
        self.path = path
        self.conn.execute(CURSOR_DDL)  # the migrations m007, m015 make them too; older ledgers need them here
        self.conn.execute(STATE_DIGEST_DDL)
        self._tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        self._sessions: dict[str, dict[str, Any]] | None = None
        self._agents: dict[str, dict[str, Any]] | None = None
        self._memo: dict[str, dict[Any, Any]] = {}  # per-run caches of per-session reads

    @classmethod
    def open(cls, path: str) -> Ledger:
        if not os.path.exists(path):
            raise FileNotFoundError(path)
        from hookledger.store.conn import connect  # open means migrate

        return cls(connect(path, 5000), path)

    def close(self) -> None:
        self.conn.close()

    def has(self, table: str) -> bool:
        return table in self._tables

    # -- raw rows

    def rows(self, table: str, after: int = 0) -> Iterator[dict[str, Any]]:
        """Rows of `table` with rowid > `after`, in rowid order, as dicts with `_rowid`.

        `agents` is not a table: it is every agent the ledger knows of (see agents()), re-read
        in full each time (state, not log).
        """
        if table == AGENTS:
            yield from self.agents().values()
            return
        if not self.has(table):
            return
        cur = self.conn.execute(f"SELECT rowid AS _rowid, * FROM [{table}] WHERE rowid > ? ORDER BY rowid", (after,))
        for row in cur:
            yield dict(row)

    def count(self, table: str, after: int = 0) -> int:
        if table == AGENTS:
            return len(self.agents())
        if not self.has(table):
            return 0
        return self.conn.execute(f"SELECT count(*) FROM [{table}] WHERE rowid > ?", (after,)).fetchone()[0]

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql, params)]

    # -- sessions and agents

    def sessions(self) -> dict[str, dict[str, Any]]:
        """session_id -> sessions row; ids seen only elsewhere get a synthesised row."""
        if self._sessions is None:
            found = {r["session_id"]: r for r in self.rows("sessions")}
            for table in _SESSION_TABLES:
                if not self.has(table):
                    continue
                ts = "created_at" if table == "tasks" else ("spawn_time" if table == "agent_registry" else "timestamp")
                for sid in self._session_ids(table):
                    if sid in found and found[sid].get("started_at"):
                        continue
                    first, last = self.conn.execute(f"SELECT min({ts}), max({ts}) FROM [{table}] WHERE session_id = ?",
                                                    (sid,)).fetchone()
                    if sid not in found:
                        found[sid] = {"session_id": sid, "project_dir": None, "started_at": first,
                                      "ended_at": None, "end_reason": None, "source": None, "model": None,
                                      "transcript_path": None, "last_event_at": last, "status": "active",
                                      "_rowid": 0}
                    else:
                        found[sid]["started_at"] = first
            for sid, model in self._transcript_models().items():
                if sid in found and not found[sid].get("model"):
                    found[sid] = {**found[sid], "model": model}  # SessionStart often omits it
            self._sessions = found
        return self._sessions

    def _session_ids(self, table: str) -> Iterator[str]:
        """The distinct session ids of `table`, one index seek each (every ledger table that
        names a session has an index led by session_id): not a scan of its rows."""
        return self._distinct(table, "session_id")

    def _distinct(self, table: str, column: str) -> Iterator[str]:
        """The distinct non-empty text values of an indexed `column`, in order, by seeking the
        next one after each (a skip scan: as many seeks as values, whatever the rows)."""
        # One range term per seek: given a second one (`> ''`), SQLite may seek from that and
        # filter, reading the whole index each time.
        col = f"[{column}]"
        cur = self.conn.execute(
            f"WITH RECURSIVE v(x) AS (SELECT min({col}) FROM [{table}] WHERE {col} > ''"
            f" UNION ALL SELECT (SELECT {col} FROM [{table}] WHERE {col} > x ORDER BY {col} LIMIT 1)"
            " FROM v WHERE x IS NOT NULL) SELECT x FROM v WHERE x IS NOT NULL")
        for (value,) in cur:
            yield value

    def _transcript_models(self) -> dict[str, str]:
        """session_id -> the model most of its transcript's messages came from (m004)."""
        if not self.has("transcript_usage"):
            return {}
        out: dict[str, str] = {}
        for r in self.conn.execute("SELECT session_id, model, count(*) AS n FROM transcript_usage"
                                   " WHERE model IS NOT NULL AND model != '' AND model NOT LIKE '<%'"
                                   " GROUP BY session_id, model ORDER BY session_id, n DESC, model"):
            out.setdefault(r["session_id"], r["model"])
        return out

    def first_prompt(self, session_id: str) -> str | None:
        """The text of the session's first user prompt, if it was recorded."""
        return next((p["text"] for p in self.prompts(session_id) if p["text"]), None)

    def prompts(self, session_id: str) -> list[dict[str, Any]]:
        """The session's prompts to its main thread in order: created_at, text (None when only
        its length was kept), chars, prompt_id, event_rowid (its UserPromptSubmit audit row).

        Each UserPromptSubmit the hooks recorded, its text from the prompts table (m012,
        redacted, full up to its cap) matched by prompt id or time, else from the audit
        summary, which keeps short prompts only (a longer one is "<147 chars>": a length,
        never used as the text); then the prompts table's rows no hook saw (imports).
        """
        cache = self._memo.setdefault("by_session", {})
        if session_id in cache:
            return cache[session_id]
        events = self.query("SELECT rowid AS id, timestamp, payload_summary FROM hook_events WHERE session_id = ?"
                            " AND event_type = 'UserPromptSubmit' ORDER BY rowid", (session_id,)) \
            if self.has("hook_events") else []
        rows: list[dict[str, Any]] = []
        if self.has("prompts"):
            cols = {r[1] for r in self.conn.execute("PRAGMA table_info(prompts)")}
            agent = "agent_id IS NULL AND " if "agent_id" in cols else ""
            rows = self.query(f"SELECT rowid AS id, * FROM prompts WHERE {agent}session_id = ?"
                              " ORDER BY created_at, rowid", (session_id,))
        by_id = {r.get("prompt_id"): r for r in rows}
        by_time = {r.get("created_at"): r for r in rows}
        used: set[int] = set()
        out: list[dict[str, Any]] = []
        for e in events:  # each prompt the hooks saw, its text from the prompts table when it has it
            summary = loads(e["payload_summary"])
            summary = summary if isinstance(summary, dict) else {}
            row = by_id.get(summary.get("prompt_id")) or by_time.get(e["timestamp"])
            if row is not None and row["id"] not in used:
                used.add(row["id"])
                out.append(_prompt(row, e["id"]))
                continue
            text = summary.get("prompt")
            known = isinstance(text, str) and bool(text.strip()) and not _LENGTH_ONLY.fullmatch(text)
            out.append({"prompt_id": summary.get("prompt_id"), "created_at": e["timestamp"],
                        "text": text if known else None, "chars": len(text) if known else _length(text),
                        "event_rowid": e["id"]})
        # prompts the hooks missed (`hookledger import` fills them from the transcript)
        out += [_prompt(r, None) for r in rows if r["id"] not in used]
        out.sort(key=lambda p: p["created_at"] or "")
        cache[session_id] = out
        return out

    def task_at(self, session_id: str | None, agent_id: str | None, ts: str | None,
                task_id: str | None = None, *, or_last: bool = False) -> dict[str, Any] | None:
        """The task an agent was working on at `ts`: the named one, else its task that was
        open then (created before, not completed before), the latest such; with `or_last`,
        failing that, the last task it had that was not deleted."""
        if not self.has("tasks") or not session_id:
            return None
        tasks = self._memo.setdefault("tasks", {})
        if session_id not in tasks:
            tasks[session_id] = self.query("SELECT * FROM tasks WHERE session_id = ? ORDER BY created_at, rowid",
                                           (session_id,))
        if task_id:
            return next((t for t in tasks[session_id] if t["task_id"] == str(task_id)), None)
        main = main_agent_id(session_id)
        found = None
        for t in tasks[session_id]:
            owner = t.get("agent_id") or main
            if owner != (agent_id or main) or (ts and (t.get("created_at") or "") > ts):
                continue
            done = t.get("completed_at") if t.get("status") == "completed" else None
            if t.get("status") == "deleted" or (done and ts and done < ts):
                continue
            found = t
        if found is None and or_last:
            found = next((t for t in reversed(tasks[session_id]) if t.get("status") != "deleted"
                          and (t.get("agent_id") or main) == (agent_id or main)), None)
        return found

    def branch(self, session_id: str) -> str | None:
        """The git branch the session started on: sessions.git_branch where the ledger keeps it
        (m014, from the transcript import), else its transcript's first `gitBranch` (Claude
        Code stamps it on each line; the hooks' payloads do not carry it). None when the
        transcript is gone or names none. Read without following a symlink, first lines only."""
        cache = self._memo.setdefault("branch", {})
        if session_id in cache:
            return cache[session_id]
        session = self.session(session_id)
        path = session.get("transcript_path")
        found = session.get("git_branch") or None
        if found:
            path = None
        if isinstance(path, str) and path:
            try:
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as f:
                    for _, line in zip(range(_BRANCH_LINES), f):
                        entry = loads(line)
                        if isinstance(entry, dict) and isinstance(entry.get("gitBranch"), str) and entry["gitBranch"]:
                            found = entry["gitBranch"]
                            break
            except OSError:
                found = None
        cache[session_id] = found
        return found

    def prices(self) -> Any:
        """The price table as the project configures it (knowledge.prices), loaded once."""
        if "table" not in self._memo.setdefault("prices", {}):
            from hookledger.knowledge.prices import load_for_project

            self._memo["prices"]["table"] = load_for_project(self.project_dir() or None)
        return self._memo["prices"]["table"]

    def cost(self, session_id: str) -> Any:
        """knowledge.costs.Cost of the session's transcript responses (its usd None when a model
        could not be priced); read by the session's key, once per run."""
        cache = self._memo.setdefault("costs", {})
        if session_id not in cache:
            from hookledger.knowledge.costs import Cost, session_costs

            cache[session_id] = session_costs(self.conn, [session_id], table=self.prices())[session_id] \
                if self.has("transcript_usage") else Cost()
        return cache[session_id]

    def task_costs(self, session_id: str) -> dict[tuple[str, str], Any]:
        """(agent id, task id) -> Cost of the responses an agent gave while it had that task
        open (task_at at the response's time); responses outside any task are not counted."""
        from hookledger.knowledge.costs import Cost, usage_rows

        if not self.has("transcript_usage"):
            return {}
        table = self.prices()
        out: dict[tuple[str, str], Any] = {}
        for _sid, model, at, agent, usage in usage_rows(self.conn, [session_id]):
            agent = agent or main_agent_id(session_id)
            task = self.task_at(session_id, None if agent == main_agent_id(session_id) else agent, at)
            if task is not None:
                out.setdefault((agent, task["task_id"]), Cost()).add(table, model, usage, at)
        return out

    def spawn(self, agent: dict[str, Any]) -> dict[str, Any] | None:
        """The Agent tool call that launched a subagent (agent_spawns, m011+): parent, prompt.
        Looked up within its session (the table's index starts with session_id)."""
        if not self.has("agent_spawns") or not agent.get("session_id"):
            return None
        rows = self.query("SELECT * FROM agent_spawns WHERE session_id = ? AND agent_id = ? LIMIT 1",
                          (agent["session_id"], agent["id"]))
        return rows[0] if rows else None

    def last_messages(self, session_id: str, agent_id: str | None = None) -> list[dict[str, Any]]:
        """Stop (or a subagent's SubagentStop) events with the assistant's last message."""
        cache = self._memo.setdefault("stops", {})
        if (session_id, agent_id) in cache:
            return cache[(session_id, agent_id)]
        if not self.has("hook_events"):
            return []
        kind, who = ("SubagentStop", "agent_id = ?") if agent_id else ("Stop", "(agent_id IS NULL OR agent_id = '')")
        rows = self.query(f"SELECT rowid AS id, timestamp, payload_summary FROM hook_events WHERE session_id = ?"
                          f" AND event_type = ? AND {who} ORDER BY rowid",
                          (session_id, kind, *([agent_id] if agent_id else [])))
        for r in rows:
            summary = loads(r["payload_summary"])
            text = summary.get("last_assistant_message") if isinstance(summary, dict) else None
            r["message"] = text if isinstance(text, str) and not _LENGTH_ONLY.fullmatch(text) else None
            path = (summary.get("agent_transcript_path") if agent_id else summary.get("transcript_path")) \
                if isinstance(summary, dict) else None
            r["transcript"] = path if isinstance(path, str) else None
        cache[(session_id, agent_id)] = rows
        return rows

    def session(self, session_id: str) -> dict[str, Any]:
        return self.sessions().get(session_id) or {"session_id": session_id, "status": "active", "_rowid": 0}

    def agents(self) -> dict[str, dict[str, Any]]:
        """agent id -> agent: every session's main thread (`main:<sid>`) plus agent_registry rows."""
        if self._agents is None:
            agents: dict[str, dict[str, Any]] = {}
            for sid, s in self.sessions().items():
                agents[main_agent_id(sid)] = {
                    "id": main_agent_id(sid), "session_id": sid, "agent_type": "main", "is_main": True,
                    "task_description": None, "spawn_time": s.get("started_at"), "end_time": s.get("ended_at"),
                    "status": agent_status_of_session(s.get("status")), "files_changed": None,
                    "model": s.get("model"), "_rowid": 0}
            for r in self.rows("agent_registry"):
                main = agents.get(r["id"], {})
                agents[r["id"]] = {**main, **{k: v for k, v in r.items() if v is not None},
                                   "is_main": bool(main) or r.get("agent_type") == "main",
                                   "model": main.get("model") or self.session(r["session_id"]).get("model")}
            for agent in self._event_only_agents(agents):
                agents[agent["id"]] = agent
            self._agents = agents
        return self._agents

    def _event_only_agents(self, known: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        """Subagents that acted in hook_events but never reached agent_registry (a SubagentStop
        whose SubagentStart was not recorded): running only while nothing says they ended.
        The SubagentStop that compaction fires (empty agent_type, no other event) is the
        summariser, not an agent: the ledger ignores it, and so does the sync."""
        if not self.has("hook_events"):
            return []
        out = []
        for r in self._event_agent_rows(known):
            agent_type = self._agent_type(r)
            if not r["acted"] and agent_type is None:
                continue  # compaction's summariser
            session = self.session(r["session_id"])
            status = "completed" if r["stopped_at"] else agent_status_of_session(session.get("status"))
            end = r["stopped_at"] or (session.get("ended_at") or r["last"] if status != "running" else None)
            out.append({"id": r["agent_id"], "session_id": r["session_id"], "agent_type": agent_type,
                        "is_main": False, "task_description": None, "spawn_time": r["first"], "end_time": end,
                        "status": status, "files_changed": None, "model": session.get("model"), "_rowid": 0})
        return out

    def _event_agent_rows(self, known: dict[str, dict[str, Any]]) -> list[sqlite3.Row]:
        """Per (session, agent) of the subagents in hook_events that `known` lacks: first and
        last run, when it stopped, whether it acted; in the order they first acted.

        With m015's partial index the distinct subagent ids are one seek each and only the
        unknown ones (few: their SubagentStart went unrecorded) are aggregated; without it
        (a ledger opened without migrating), one pass over hook_events."""
        aggregate = ("SELECT session_id, agent_id, min(timestamp) AS first, max(timestamp) AS last,"
                     " max(CASE WHEN event_type = 'SubagentStop' THEN timestamp END) AS stopped_at,"
                     " sum(event_type != 'SubagentStop') AS acted, min(rowid) AS first_rowid FROM hook_events")
        indexed = self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                                    (SUBAGENT_INDEX,)).fetchone()
        if not indexed:
            rows = self.conn.execute(f"{aggregate} WHERE agent_id IS NOT NULL AND agent_id != ''"
                                     " GROUP BY session_id, agent_id ORDER BY min(rowid)")
            return [r for r in rows if r["agent_id"] not in known]
        found: list[sqlite3.Row] = []
        for aid in self._distinct("hook_events", "agent_id"):
            if aid not in known:
                found += self.conn.execute(f"{aggregate} WHERE agent_id = ? GROUP BY session_id", (aid,)).fetchall()
        return sorted(found, key=lambda r: r["first_rowid"])

    def _agent_type(self, r: sqlite3.Row) -> str | None:
        """The agent_type its payloads carry (SubagentStop has one), when not empty."""
        for (summary,) in self.conn.execute(
                "SELECT payload_summary FROM hook_events WHERE session_id = ? AND agent_id = ? ORDER BY rowid DESC",
                (r["session_id"], r["agent_id"])):
            found = loads(summary)
            if isinstance(found, dict) and isinstance(found.get("agent_type"), str) and found["agent_type"]:
                return found["agent_type"]
        return None

    def agent(self, session_id: str | None, agent_id: str | None) -> dict[str, Any]:
        """The acting agent of a row: its agent_id when known, else the session's main thread."""
        agents = self.agents()
        if agent_id and agent_id in agents:
            return agents[agent_id]
        main = agents.get(main_agent_id(session_id or ""))
        if main is not None:
            # no agent_id, or one the ledger does not count as an agent (compaction's
            # summariser): the session's main thread acted
            return main
        return {"id": agent_id or main_agent_id(session_id or ""), "session_id": session_id,
                "agent_type": "agent" if agent_id else "main", "is_main": not agent_id, "status": "running",
                "model": self.session(session_id or "").get("model"), "spawn_time": None, "end_time": None,
                "task_description": None, "files_changed": None}

    def project_dir(self, fallback: str = "") -> str:
        """The ledger's project: the directory its latest session recorded (CLAUDE_PROJECT_DIR
        when the hooks ran), else the directory holding the ledger file, else `fallback`;
        never the directory a sync happens to be run from."""
        if self.has("sessions"):
            row = self.conn.execute("SELECT project_dir FROM sessions WHERE project_dir IS NOT NULL"
                                    " AND project_dir != '' ORDER BY rowid DESC LIMIT 1").fetchone()
            if row:
                return str(row[0])
        if self.path:
            return os.path.dirname(os.path.abspath(self.path))
        return fallback

    # -- cursors

    def cursor(self, target: str, target_db: str, source_table: str) -> int:
        row = self.conn.execute("SELECT last_id FROM sync_cursors WHERE target=? AND target_db=? AND source_table=?",
                                (target, target_db, source_table)).fetchone()
        return int(row[0]) if row else 0

    def set_cursor(self, target: str, target_db: str, source_table: str, last_id: int) -> None:
        self.conn.execute(
            "INSERT INTO sync_cursors (target, target_db, source_table, last_id, updated_at) VALUES (?,?,?,?,?)"
            " ON CONFLICT(target, target_db, source_table) DO UPDATE SET last_id=excluded.last_id,"
            " updated_at=excluded.updated_at", (target, target_db, source_table, int(last_id), utc_now()))


    # -- state digests

    def digests(self, target: str, target_db: str, source_table: str) -> dict[str, str]:
        """row key -> digest of the state rows last synced from `source_table` into the target."""
        return {r[0]: r[1] for r in self.conn.execute(
            "SELECT row_key, digest FROM sync_state_digests WHERE target=? AND target_db=? AND source_table=?",
            (target, target_db, source_table))}

    def set_digests(self, target: str, target_db: str, source_table: str, digests: dict[str, str]) -> None:
        """Record the digests of state rows the target committed (one ledger transaction)."""
        if not digests:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany(
                "INSERT INTO sync_state_digests (target, target_db, source_table, row_key, digest) VALUES (?,?,?,?,?)"
                " ON CONFLICT(target, target_db, source_table, row_key) DO UPDATE SET digest=excluded.digest",
                [(target, target_db, source_table, k, d) for k, d in digests.items()])
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")


# ---------------------------------------------------------------- settled rows
# Rows that still change in place hold a step's cursor back (base.Run.stream), so the next
# sync reads them again. Columns an older ledger lacks count as settled.


def claim_done(c: dict[str, Any]) -> bool:
    """The claimed change happened: its tool call completed (no phase before m003)."""
    return c.get("phase") in (None, "done")


def claim_settled(c: dict[str, Any]) -> bool:
    """Its tool call finished, or its agent ended (which releases the claim)."""
    return c.get("phase") != "requested" or c.get("released_at") is not None


def claim_released(c: dict[str, Any]) -> bool:
    """A `held` claim stays open until its agent ends; a shared one never was a lock."""
    return "released_at" not in c or c.get("released_at") is not None or c.get("status") not in (None, "held")


def error_settled(e: dict[str, Any]) -> bool:
    """Auto-fixed or abandoned (m004 sets resolved_at then); before m004 errors never changed."""
    return "resolved_at" not in e or e.get("resolution") in ("auto_fixed", "abandoned")


@dataclass(frozen=True)
class SnapshotFacts:
    """What a context snapshot (the JSON snapshots.collect writes) says, as every target reads it."""

    kind: str
    files: list[str]  # files touched in the session so far
    tasks: list[dict[str, Any]]  # tasks still open: task_id, subject, status
    failed: list[str]  # "approach: why it failed", this session's
    errors: list[str]  # "<category> error (<command or tool or file>): <message>", still unresolved


def snapshot_facts(snap: dict[str, Any]) -> SnapshotFacts:
    content = loads(snap.get("content"))
    content = content if isinstance(content, dict) else {}
    listed = lambda key: [x for x in content.get(key) or [] if isinstance(x, dict)]  # noqa: E731
    return SnapshotFacts(
        kind=snap.get("snapshot_type") or "snapshot",
        files=[f for f in content.get("files_touched") or [] if isinstance(f, str)],
        tasks=listed("tasks"),
        failed=[f"{f.get('approach')}: {f.get('reason')}" if f.get("reason") else str(f.get("approach"))
                for f in listed("failed_paths")
                if f.get("approach") and f.get("session_id") in (snap.get("session_id"), None)],
        errors=[f"{e.get('category') or 'runtime'} error"
                f" ({e.get('command') or e.get('tool') or e.get('file_path') or '?'}): {e.get('message') or ''}".strip()
                for e in listed("unresolved_errors")])


def open_task_line(t: dict[str, Any]) -> str:
    """"Task 1 (in_progress): Ship the parser": an open task of a snapshot, in one line."""
    return f"Task {t.get('task_id')} ({t.get('status') or 'pending'}): {t.get('subject') or ''}".strip()


def loads(text: Any) -> Any:
    """JSON from a ledger column, or None when it is not JSON."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
