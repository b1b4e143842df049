"""The hook process: read stdin, record the event, answer, never break Claude Code.

Every run ends in exactly one `hook_events` row, written in the same BEGIN IMMEDIATE
transaction as the handlers' effects. When the ledger cannot take it (locked past the
budget, read-only, unreachable) the event is spooled and a later run replays it. Bad input
and internal errors exit 0 with one line on stderr; only deliberate policy exits 2.

The runtime knows nothing of what handlers do: the caller passes the policy, an object with
`handlers_for(event)`, `preparers_for(event)` and `Context` (the `hookledger.handlers` package,
whose `run(event)` is what hooks/<event>.py calls).

Hot path: stdlib only (json, sqlite3, os, time); see benchmarks/hook_latency.py.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

from hookledger.hotpath import audit, paths, payload, spool
from hookledger.hotpath.decisions import Decision, Output, emit, merge
from hookledger.hotpath.events import Event, snake
from hookledger.hotpath.redact import redact
from hookledger.store.conn import LedgerUnavailable, UnsafeLedger, busy_ms_from_env, connect, set_busy, write_txn
from hookledger.hotpath.timeutil import utc_now

if TYPE_CHECKING:
    from typing import Any

# SessionEnd hooks share a 1.5 s budget in Claude Code; everything else has far more.
HARD_DEADLINE_S = {"SessionEnd": 1.2}
DEFAULT_DEADLINE_S = 8.0
# prepare_<event> steps (e.g. the TaskCompleted gate's checks) run under their own, longer
# watchdog: inside TaskCompleted's installed 600 s hook timeout; they bound themselves below it.
PREPARE_DEADLINE_S = 570.0
# A pending migration (an upgrade) may read a big ledger through once: it gets this long, kept
# below the hook timeouts install.py registers (30 s; UserPromptSubmit 10 s), so the watchdog
# still spools the event before Claude Code would kill the hook. SessionEnd keeps its own.
MIGRATION_DEADLINE_S = {"UserPromptSubmit": 8.0, "SessionEnd": HARD_DEADLINE_S["SessionEnd"]}
DEFAULT_MIGRATION_DEADLINE_S = 25.0
SESSION_END_BUSY_MS = 400
REPLAY_BUDGET_S = 0.25
REPLAY_BUSY_MS = 100  # a replay that finds the ledger locked gives up quickly; the event's own write waits
# Kept free before the deadline when capping a lock wait: spooling the event and exiting.
DEADLINE_MARGIN_S = 0.2
HUGE_INPUT = 4 << 20  # inputs this large are recorded, and noted in the debug log


def new_uid(wall: float) -> str:
    """Sortable, unique per run: hex nanoseconds, pid, random."""
    return f"{int(wall * 1e9):016x}-{os.getpid():x}-{os.urandom(4).hex()}"


class Run:
    """One hook invocation's state, shared by the normal path, the spool and the watchdog."""

    def __init__(self, event: str, policy: Any, started: float, wall: float) -> None:
        self.event = event
        self.policy = policy
        self.dispatcher = snake(event)
        self.started = started
        self.uid = new_uid(wall)
        self.now = utc_now(wall)
        self.data: dict[str, Any] | None = None
        self.raw = b""
        self.db = ""
        self.project = ""
        self.outcome = "ok"
        self.error: str | None = None
        self.summary = ""
        self.done = False
        self.deadline = DEFAULT_DEADLINE_S
        self.deadline_at = time.monotonic() + DEFAULT_DEADLINE_S  # when the watchdog fires
        self.watchdog = False  # True once _arm_watchdog installed the SIGALRM handler
        self.config: dict[str, Any] | None = None  # .claude/hookledger.json over the defaults, validated
        self.config_problems: list[str] = []  # what was wrong with it (said once per session)
        self.prepared: dict[str, Any] = {}
        self.prepare_failures: list[tuple[str, Exception]] = []

    def elapsed_ms(self) -> int:
        return int((time.perf_counter() - self.started) * 1000)

    def busy_ms(self, wanted: int) -> int:
        """A lock wait of at most `wanted` ms that still ends DEADLINE_MARGIN_S before the
        deadline: SQLite's busy wait cannot be interrupted by the watchdog."""
        left = (self.deadline_at - time.monotonic() - DEADLINE_MARGIN_S) * 1000
        return max(0, min(int(wanted), int(left)))

    def audit_row(self, out: Output) -> dict[str, Any]:
        ev = Event(self.event, self.data or {})
        return {
            "event_uid": self.uid,
            "session_id": ev.session_id or os.environ.get("CLAUDE_CODE_SESSION_ID"),
            "timestamp": self.now,
            "event_type": self.event,
            "dispatcher": self.dispatcher,
            "payload_summary": self.summary,
            "exit_code": out.exit_code,
            "duration_ms": self.elapsed_ms(),
            "agent_id": ev.agent_id,
            "tool_name": ev.tool_name,
            "tool_use_id": ev.tool_use_id,
            "outcome": self.outcome,
            "error": self.error,
            "answer": audit.answer_text(out.stdout, out.stderr, out.exit_code),
        }

    def spool_record(self, out: Output) -> dict[str, Any]:
        """What waits in the spool (spool.write redacts it): the payload is kept whenever it
        was read, also after an internal error or the deadline, so a replay still runs the
        handlers (each in its savepoint: one that fails again is recorded, not fatal)."""
        usable = self.outcome != "bad_input" and isinstance(self.data, dict)
        return {
            "event_uid": self.uid,
            "event": self.event,
            "received_at": self.now,
            "project_dir": self.project,
            "process": usable,
            "payload": self.data if usable else None,
            # what prepare steps found (e.g. the gate's check results): the replay records them
            # instead of running slow checks again long after the event
            "prepared": self.prepared,
            "audit": self.audit_row(out),
        }


# SQLite errors that mean "cannot write now" (spool the event), as opposed to a handler bug.
_UNAVAILABLE_WORDS = ("locked", "busy", "readonly", "read-only", "disk", "i/o", "full", "unable to open")


def _ledger_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and any(w in str(exc).lower() for w in _UNAVAILABLE_WORDS)


def run_handlers(conn: sqlite3.Connection, policy: Any, ctx_args: dict[str, Any]) -> tuple[Decision | None, list[tuple[str, Exception]]]:
    """Run the event's handlers in the caller's write transaction, each in its own savepoint:
    one that raises is rolled back alone and reported, the others' effects and answers stand."""
    ctx = policy.Context(conn=conn, **ctx_args)
    answers: list[Decision] = []
    failures: list[tuple[str, Exception]] = []
    for handler in policy.handlers_for(ctx.event.name):
        conn.execute("SAVEPOINT handler")
        try:
            answer = handler(ctx)
        except Exception as exc:
            conn.execute("ROLLBACK TO handler")
            conn.execute("RELEASE handler")
            if _ledger_unavailable(exc):
                raise  # the caller spools the event
            failures.append((handler.__module__.rsplit(".", 1)[-1], exc))
            continue
        conn.execute("RELEASE handler")
        if answer is not None:
            answers.append(answer)
    return (merge(answers) if answers else None), failures


def _describe_failures(failures: list[tuple[str, Exception]]) -> str:
    import traceback  # only when something went wrong (~5 ms)

    return "\n".join(
        f"[{module}] " + "".join(traceback.format_exception_only(type(exc), exc)).strip() + "\n"
        + "".join(traceback.format_tb(exc.__traceback__)[-3:])
        for module, exc in failures
    )


def _apply(conn: sqlite3.Connection, run: Run, *, replay: bool) -> Output:
    """Handlers then the audit row, in the caller's transaction. A handler that raises is
    rolled back to its savepoint and recorded as an error; the event still gets its row."""
    if run.outcome != "ok" or run.data is None:
        return Output()
    decision, failures = run_handlers(
        conn, run.policy, {"event": Event(run.event, run.data), "now": run.now, "project_dir": run.project,
               "db_path": run.db, "replay": replay, "_config": run.config, "prepared": run.prepared,
               "config_problems": run.config_problems}
    )
    failures = run.prepare_failures + failures
    out = Output() if replay else emit(run.event, decision)
    if failures:
        module, exc = failures[0]
        run.outcome, run.error = "error", _describe_failures(failures)
        out.stderr = (f"hookledger {run.event}: internal error in {module} ({type(exc).__name__}: {exc}); "
                      "event recorded, Claude Code unaffected\n")
    elif out.exit_code == 2 or (decision is not None and decision.permission == "deny" and out.stdout):
        run.outcome = "blocked"  # exit 2, or a PreToolUse deny: the call does not go ahead
    elif out.stdout:
        run.outcome = "answered"
    return out


# Errors a replayed record's own content causes (as opposed to a locked or broken ledger).
_RECORD_ERRORS = (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.ProgrammingError, sqlite3.DataError)


def replay_spool(conn: sqlite3.Connection, db: str, policy: Any, budget_s: float = REPLAY_BUDGET_S,
                 busy_ms: int | None = None) -> int:
    """Record spooled events (oldest first) until the spool is empty or the budget is spent.

    Never raises on a file's content: a record that cannot be replayed (spool.read/problem,
    or one whose replay fails for any reason but a locked ledger) is quarantined and the next
    one is tried. `busy_ms` caps each lock wait (a locked ledger stops the replay)."""
    files = spool.pending(db)
    if not files:
        return 0
    if busy_ms is not None:
        set_busy(conn, busy_ms)
    deadline = time.monotonic() + budget_s
    done = 0
    for path in files:
        if time.monotonic() > deadline:
            break
        try:
            record = spool.read(path)
        except spool.Unreplayable as exc:
            spool.quarantine(path, str(exc))
            continue
        except Exception as exc:  # whatever a file's content does, it never stops the replay
            spool.quarantine(path, f"cannot be checked ({type(exc).__name__})")
            continue
        if record is None:
            continue
        try:
            with write_txn(conn):
                if not audit.already_recorded(conn, record["event_uid"]):
                    _replay_one(conn, db, policy, record)
        except _RECORD_ERRORS as exc:  # the record's own content: it will never go in
            spool.quarantine(path, f"replay failed: {type(exc).__name__}: {exc}")
            continue
        except sqlite3.DatabaseError as exc:
            if _ledger_unavailable(exc):
                break  # still locked or read-only: leave the rest for a later run
            continue  # the ledger's trouble, not the record's: kept for a later run, the next one tried
        except Exception as exc:  # a record valid in shape that a handler still cannot take
            spool.quarantine(path, f"replay failed: {type(exc).__name__}: {exc}")
            continue
        spool.discard(path)
        done += 1
    spool.sweep_tmp(db)
    return done


def _replay_one(conn: sqlite3.Connection, db: str, policy: Any, record: dict[str, Any]) -> None:
    row = {k: v for k, v in record["audit"].items() if k in spool.AUDIT_COLUMNS}
    row.update(event_uid=record["event_uid"], event_type=record["event"], timestamp=record["received_at"])
    run = Run(record["event"], policy, time.perf_counter(), time.time())
    run.uid, run.now, run.db = record["event_uid"], record["received_at"], db
    run.project = record.get("project_dir") or os.path.dirname(os.path.abspath(db))
    run.data = record.get("payload")
    prepared = record.get("prepared")
    run.prepared = prepared if isinstance(prepared, dict) else {}
    if record.get("process") and isinstance(run.data, dict):
        _apply(conn, run, replay=True)
        if run.outcome == "error":  # the handlers failed on replay: record why
            row["outcome"], row["error"] = "error", run.error
    audit.record(conn, {**row, "replayed": 1})


def _spool(run: Run, out: Output, why: str, *, unsafe: bool = False) -> Output:
    """Spool the event; `unsafe`: the ledger path is a planted link or the like, so only the
    per-user fallback spool under HOOKLEDGER_HOME is used, and the line says what to do."""
    try:
        where = spool.write(run.db or paths.db_path(), run.spool_record(out), fallback_only=unsafe)
        if unsafe:
            note = f"hookledger {run.event}: {why}; event spooled to {where}; run `hookledger doctor` for the fix\n"
        else:
            note = f"hookledger {run.event}: ledger unavailable ({why}); event spooled to {where}\n"
    except (OSError, ValueError, TypeError) as exc:
        note = f"hookledger {run.event}: ledger unavailable ({why}) and spool failed ({exc}); event lost\n"
    return Output(exit_code=out.exit_code, stdout=out.stdout, stderr=out.stderr or note)


def _deadline(event: str) -> float:
    """The watchdog's deadline: HOOKLEDGER_DEADLINE_S may shorten it, and lengthen it only for
    events Claude Code gives no hard budget (SessionEnd's 1.5 s is not ours to spend)."""
    deadline = HARD_DEADLINE_S.get(event, DEFAULT_DEADLINE_S)
    try:
        wanted = float(os.environ.get("HOOKLEDGER_DEADLINE_S", deadline))
    except ValueError:
        return deadline
    if wanted != wanted or wanted <= 0:  # NaN, or no time at all
        return deadline
    return min(wanted, deadline) if event in HARD_DEADLINE_S else min(wanted, PREPARE_DEADLINE_S)


def _set_watchdog(run: Run, seconds: float) -> None:
    """(Re)start the armed watchdog's countdown at `seconds`."""
    run.deadline = seconds
    run.deadline_at = time.monotonic() + seconds
    if run.watchdog:
        import _signal

        _signal.setitimer(_signal.ITIMER_REAL, seconds)


def _arm_watchdog(run: Run) -> None:
    """Exit 0 before Claude Code's own timeout would kill us, spooling the event first."""
    run.deadline = _deadline(run.event)
    run.deadline_at = time.monotonic() + run.deadline

    def on_alarm(signum: int, frame: Any) -> None:
        if not run.done:
            deadline = run.deadline
            if run.data is None and run.raw and len(run.raw) <= HUGE_INPUT:
                try:  # caught while decoding: keep the payload, so the replay has the handlers' input
                    data = payload.decode(run.raw)
                    run.data = data if isinstance(data, dict) and data.get("hook_event_name") == run.event else None
                except (payload.BadInput, ValueError):
                    pass
            run.outcome, run.error = "error", f"hook gave up after its {deadline:g} s deadline"
            run.summary = run.summary or audit.summarize_raw(run.raw)
            out = _spool(run, Output(), f"no answer within {deadline:g} s")
            sys.stderr.write(redact(out.stderr))
            sys.stderr.flush()
            os._exit(0)

    try:  # _signal, not signal: the public module imports enum (~4 ms per hook)
        import _signal
    except ImportError:
        return
    if hasattr(_signal, "setitimer") and hasattr(_signal, "SIGALRM"):
        _signal.signal(_signal.SIGALRM, on_alarm)
        run.watchdog = True
        _set_watchdog(run, run.deadline)


def _prepare(run: Run) -> None:
    """Run the event's prepare_<event> steps before the write transaction, under their own
    watchdog; the normal deadline then starts afresh for the ledger work. A step that raises
    is reported like a failing handler (the handler then finds no prepared result)."""
    steps = list(run.policy.preparers_for(run.event))
    if not steps:
        return
    event = Event(run.event, run.data or {})
    _set_watchdog(run, PREPARE_DEADLINE_S)
    try:
        for module, prepare in steps:
            try:
                run.prepared[module] = prepare(event, run.project, run.db, run.config)
            except Exception as exc:
                run.prepare_failures.append((module, exc))
    finally:
        _set_watchdog(run, _deadline(run.event))


def _process(run: Run) -> Output:
    try:
        data = payload.decode(run.raw)
        if payload.has_lone_surrogates(run.raw):
            data = payload.scrub_surrogates(data)
        run.data = data if isinstance(data, dict) else None
        payload.check(data, run.event)
        run.summary = audit.summarize(data)
    except payload.BadInput as exc:
        run.outcome = "bad_input"
        detail = payload.explain(data, run.event) if run.data is not None else ""
        run.error = str(exc) + (f" ({detail})" if detail and detail not in str(exc) else "")
        run.summary = audit.summarize_raw(run.raw)
    cwd = run.data.get("cwd") if run.data else None
    run.project = paths.project_dir(cwd if isinstance(cwd, str) else None)
    run.db = paths.db_path(cwd if isinstance(cwd, str) else None)
    if run.outcome == "ok" and run.data is not None:
        from hookledger.hotpath.config import load_checked

        run.config, run.config_problems = load_checked(run.project)
        _prepare(run)

    # SessionEnd never waits longer than SESSION_END_BUSY_MS, whatever the environment asks:
    # Claude Code kills it at 1.5 s, and a spooled event is replayed by the next hook anyway.
    busy = busy_ms_from_env(2000) if run.event != "SessionEnd" else min(busy_ms_from_env(SESSION_END_BUSY_MS),
                                                                       SESSION_END_BUSY_MS)
    out = Output()
    news: list[str] = []
    try:
        migrated: list[bool] = []

        def migrating() -> None:
            migrated.append(True)
            if not os.environ.get("HOOKLEDGER_DEADLINE_S"):  # an explicit deadline is kept
                _set_watchdog(run, max(run.deadline, MIGRATION_DEADLINE_S.get(run.event, DEFAULT_MIGRATION_DEADLINE_S)))

        conn = connect(run.db, run.busy_ms(busy), max_busy_ms=run.busy_ms(busy), on_migrate=migrating)
        if migrated:  # the rest of the run gets its usual deadline afresh
            _set_watchdog(run, _deadline(run.event))
        try:
            if run.event not in HARD_DEADLINE_S:  # SessionEnd's budget is too tight: the next hook replays
                replay_spool(conn, run.db, run.policy, busy_ms=run.busy_ms(min(busy, REPLAY_BUSY_MS)))
            set_busy(conn, run.busy_ms(busy))
            with write_txn(conn):
                out = _apply(conn, run, replay=False)
                audit.record(conn, run.audit_row(out))
                news = _config_news(conn, run)
        finally:
            conn.close()
        if news and not out.stderr:
            from hookledger.hotpath.config import problems_line

            out.stderr = f"hookledger {run.event}: {problems_line(news)}\n"
    except UnsafeLedger as exc:
        out = _spool(run, out, str(exc), unsafe=True)
    except (LedgerUnavailable, sqlite3.OperationalError, sqlite3.DatabaseError, OSError, ImportError) as exc:
        out = _spool(run, out, f"{type(exc).__name__}: {exc}")
    if run.outcome == "bad_input":
        out = Output(stderr=f"hookledger {run.event}: ignored bad input: {run.error}; raw input kept in hook_events\n")
    elif len(run.raw) > HUGE_INPUT and not out.stderr:
        out.stderr = (f"hookledger {run.event}: large input ({len(run.raw) / 1048576:.1f} MB) recorded"
                      " with its summary capped\n")
    return out


def _config_news(conn: sqlite3.Connection, run: Run) -> list[str]:
    """The configuration problems this session has not been told about yet (recorded now)."""
    if not run.config_problems:
        return []
    from hookledger.hotpath.config import remember_problems

    conn.execute("SAVEPOINT config_problems")
    try:
        news = remember_problems(conn, Event(run.event, run.data or {}).session_id, run.config_problems, run.now)
    except sqlite3.OperationalError as exc:
        conn.execute("ROLLBACK TO config_problems")
        conn.execute("RELEASE config_problems")
        if _ledger_unavailable(exc):
            raise
        return run.config_problems  # a ledger without the table: say it every time
    conn.execute("RELEASE config_problems")
    return news


def main(event: str, policy: Any) -> int:
    """One hook run of `event`, dispatched to `policy`. Returns the exit code; never raises."""
    if os.environ.get("HOOKLEDGER_OFF"):
        return 0
    started, wall = time.perf_counter(), time.time()
    run = Run(event, policy, started, wall)
    try:
        _arm_watchdog(run)
        stdin = sys.stdin.buffer if sys.stdin is not None else None
        run.raw = stdin.read() if stdin is not None else b""
        out = _process(run)
    except BaseException as exc:  # last resort: Claude Code must never see a traceback
        out = Output(stderr=f"hookledger {event}: internal error ({type(exc).__name__}: {exc}); Claude Code unaffected\n")
        try:
            import traceback

            run.outcome, run.error = "error", traceback.format_exc()[-2000:]
            out = _spool(run, Output(stderr=out.stderr), "internal error")
        except BaseException:
            pass
    run.done = True
    try:
        if out.stdout:  # JSON text; redaction keeps it valid
            sys.stdout.write(redact(out.stdout))
            sys.stdout.flush()
        if out.stderr:  # redacted: a bad value or an error message may quote a secret
            sys.stderr.write(redact(out.stderr.splitlines()[0][:1000]) + "\n" if out.exit_code != 2 else redact(out.stderr))
            sys.stderr.flush()
    except (OSError, ValueError):
        pass  # Claude Code closed the pipe (cancelled hook): nothing left to tell
    return out.exit_code


def run(event: str, policy: Any) -> None:
    """main(), then exit at once with its code (hooks/<event>.py, through handlers.run).

    Skipping the interpreter's teardown (module and object clean-up) saves about 5 ms per
    hook. Nothing is lost by it: main() has closed the ledger connection, committed or
    spooled the event, and flushed what it wrote to stdout and stderr."""
    code = main(event, policy)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
    os._exit(code)
