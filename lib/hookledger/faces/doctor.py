"""`hookledger doctor`: is hookledger still recording this project, and is the ledger healthy?

Claude Code has been seen to rewrite settings.json and drop hooks, a moved checkout leaves
commands pointing nowhere (exit 127: a hook that silently stops recording), and a ledger can
grow, lock up or be left behind by a newer version. Each check says what it found and, for a
problem, the command that fixes it. Doctor only reads the project and the ledger; the latency
sample runs a real hook against a throwaway ledger in a temporary directory.
"""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from hookledger.hotpath import config, paths, spool

from hookledger.faces import install
from hookledger.faces.inspect.format import local_time
from hookledger.hotpath.events import EVENTS
from hookledger.knowledge.percentiles import percentile
from hookledger.hotpath.timeutil import utc_now

MIN_PYTHON = (3, 10)  # pyproject's requires-python
SAMPLE_RUNS = 3  # timed runs, after one that creates the throwaway ledger
SLOW_WALL_MS = 200  # spawn to exit; about 35 ms is normal (README), a login shell or wrapper costs far more
# ...and only when also this many times a bare start of the same interpreter, timed beside it: a busy
# machine slows both alike, a login shell or a wrapper only the hook
SLOW_RATIO = 3.0
SLOW_IN_HOOK_P95_MS = 1000  # recorded duration_ms: hooks this slow come close to their deadlines
RECENT_RUNS = 1000  # recent hook_events rows the recorded figures are taken from
SETTINGS_FILES = ("settings.json", "settings.local.json")


@dataclass
class Check:
    name: str
    status: str  # ok, warn, fail
    detail: str
    fix: str | None = None


def _q(path: str) -> str:
    return shlex.quote(path)


# -- hooks registered in the project's settings


def _settings(project: str) -> tuple[dict[str, dict[str, Any]], list[Check]]:
    """Each readable settings file of the project, and a failed check for each unreadable one."""
    found, problems = {}, []
    for name in SETTINGS_FILES:
        path = os.path.join(project, ".claude", name)
        try:
            found[name] = install.read_settings(path)
        except install.SettingsError as exc:
            problems.append(Check("settings", "fail", str(exc), f"fix the JSON in {path}, then: hookledger install {_q(project)}"))
    return found, problems


def check_hooks(project: str) -> list[Check]:
    """Every event registered with our marker, each command pointing at files that exist,
    and nothing that turns hooks off."""
    settings, checks = _settings(project)
    reinstall = f"hookledger install {_q(project)}"
    commands: dict[str, set[str]] = {}
    for data in settings.values():
        for event, registered in install.ours_in(data).items():
            commands.setdefault(event, set()).update(registered)
    missing = [e for e in EVENTS if e not in commands]
    if len(missing) == len(EVENTS):
        checks.append(Check("hooks registered", "fail", f"no hookledger hooks in {project}/.claude/settings.json:"
                            " nothing is being recorded (Claude Code may have rewritten the file)", reinstall))
    elif missing:
        checks.append(Check("hooks registered", "fail", f"{len(missing)} of {len(EVENTS)} events are not registered:"
                            f" {', '.join(missing)}", reinstall))
    else:
        checks.append(Check("hooks registered", "ok", f"all {len(EVENTS)} events registered"))
    broken = sorted({f"{w} ({e})" for e, cmds in commands.items() for c in cmds for w in _missing_files(c)})
    if broken:
        checks.append(Check("hook commands", "fail", "registered commands point at missing files (the hook exits 127"
                            f" and records nothing): {'; '.join(broken[:4])}", reinstall))
    doubled = sorted(e for e, cmds in commands.items() if len(cmds) > 1)
    if doubled:
        checks.append(Check("hook commands", "warn", f"{', '.join(doubled)} registered with different commands, so"
                            " each event is recorded twice", f"remove the stale hookledger entries from"
                            f" {project}/.claude/settings.local.json, then: {reinstall}"))
    for name, data in settings.items():
        if data.get("disableAllHooks") is True:
            checks.append(Check("hooks enabled", "fail", f".claude/{name} sets disableAllHooks: no hook runs",
                                f"remove \"disableAllHooks\" from {project}/.claude/{name}"))
    if os.environ.get("HOOKLEDGER_OFF") == "1":
        checks.append(Check("hooks enabled", "warn", "HOOKLEDGER_OFF=1 is set here: hooks started from this"
                            " environment record nothing", "unset HOOKLEDGER_OFF"))
    return checks


def _missing_files(command: str) -> list[str]:
    """The interpreter and script of a registered command that do not exist."""
    try:
        words = shlex.split(command)
    except ValueError:
        return [command]
    words = words[: words.index("#")] if "#" in words else words
    return [w for w in words[:2] if os.path.isabs(w) and not os.path.exists(w)]


# -- the ledger


def check_ledger(project: str, db: str) -> list[Check]:
    """Integrity, schema version, journal mode, permissions, size and age against retention."""
    from hookledger.store.version import SCHEMA_VERSION

    unsafe = _ledger_path_check(db)
    if unsafe:
        return [unsafe]
    if not os.path.exists(db):
        return [Check("ledger", "ok", f"{db} not created yet (the first hook run creates it)")]
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check(5)")]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    except sqlite3.Error as exc:
        return [Check("ledger", "fail", f"cannot read {db}: {exc}", _recover(db))]
    from hookledger.store.conn import foreign_database

    foreign = foreign_database(conn, version) if version < SCHEMA_VERSION else None
    if foreign:
        conn.close()
        return [Check("ledger", "fail", f"{db}: {foreign}; hooks leave it alone and spool their events to"
                      f" {paths.spool_dirs(db)[-1]}", f"mv {_q(db)} {_q(db + '.not-a-ledger')}   (the next hook"
                      " creates a private ledger and replays the spooled events)")]
    checks = []
    if integrity == ["ok"]:
        checks.append(Check("ledger integrity", "ok", "PRAGMA integrity_check: ok"))
    else:
        checks.append(Check("ledger integrity", "fail", "PRAGMA integrity_check: " + "; ".join(integrity), _recover(db)))
    if version == SCHEMA_VERSION:
        checks.append(Check("schema version", "ok", f"{version}, as this hookledger expects"))
    elif version < SCHEMA_VERSION:
        checks.append(Check("schema version", "warn", f"{version}, this hookledger has {SCHEMA_VERSION}"
                            " (the next hook run upgrades it)", f"hookledger status --db {_q(db)}"))
    else:
        checks.append(Check("schema version", "fail", f"{version}: written by a newer hookledger (this one knows"
                            f" {SCHEMA_VERSION}); the hooks may be running an older install",
                            f"./install.sh {_q(project)}   (from an up-to-date checkout)"))
    if str(mode).lower() != "wal":
        checks.append(Check("journal mode", "warn", f"{mode}, not WAL: parallel hooks will wait on each other",
                            f"sqlite3 {_q(db)} 'PRAGMA journal_mode = WAL'"))
    if os.stat(db).st_mode & 0o077:
        checks.append(Check("ledger permissions", "warn", f"{oct(os.stat(db).st_mode & 0o777)}: readable by other"
                            " users (it holds commands and prompts)", f"chmod 600 {_q(db)}*"))
    checks += _retention(project, db, conn)
    conn.close()
    return checks


def _ledger_path_check(db: str) -> Check | None:
    """A ledger path hooks refuse (a planted link, FIFO, device, hard link, another user's
    file): what it is and how to get recording back."""
    from hookledger.store.safe_files import LEDGER_COMPANIONS, file_problem

    for path in (db, *(db + s for s in LEDGER_COMPANIONS)):
        problem = file_problem(path)
        if problem:
            fallback = paths.spool_dirs(db)[-1]
            return Check("ledger path", "fail", f"{problem}: hooks refuse to open it (it could be another"
                         f" application's file) and spool their events to {fallback} instead",
                         f"rm {_q(path)}   (removes the link or file itself, not what it points to; the next"
                         " hook creates a private ledger and replays the spooled events)")
    return None


def _recover(db: str) -> str:
    return (f"mv {_q(db)} {_q(db + '.corrupt')} && sqlite3 {_q(db + '.corrupt')} .recover | sqlite3 {_q(db)}"
            "   (hooks spool their events meanwhile)")


def _retention(project: str, db: str, conn: sqlite3.Connection) -> list[Check]:
    from hookledger.faces import retention
    from hookledger.faces.inspect.format import human_size

    policy = retention.policy_from_config(config.load(project))
    size, checks = retention.file_bytes(db), []
    prune = f"hookledger prune --db {_q(db)}"
    if policy.max_bytes is not None and size > policy.max_bytes:
        checks.append(Check("ledger size", "warn", f"{human_size(size)}, over retention.max_mb"
                            f" ({human_size(policy.max_bytes)})", prune))
    else:
        checks.append(Check("ledger size", "ok", human_size(size)))
    if policy.older_than_days is not None:
        cutoff = utc_now(time.time() - policy.older_than_days * retention.DAY_S)
        old = len(retention.expirable_sessions(conn, cutoff))
        if old:
            checks.append(Check("retention", "warn", f"{old} session(s) older than retention.days"
                                f" ({policy.older_than_days:g})", prune))
    return checks


def check_spool(db: str) -> list[Check]:
    """Events that could not be written wait in the spool until a hook (or status) replays them;
    files that can never be replayed are quarantined; a spool folder that is a link is unused."""
    from hookledger.store.safe_files import dir_problem

    checks = []
    for directory in paths.spool_dirs(db):
        problem = dir_problem(directory)
        if problem:
            checks.append(Check("spool path", "fail", f"{problem}: hooks do not use it (they spool to"
                                f" {paths.spool_dirs(db)[-1]} instead)", f"rm {_q(directory)}   (removes the"
                                " link or file itself, not what it points to)"))
    pending = spool.pending(db)
    if pending:
        ages = []
        for p in pending:
            try:
                ages.append(os.lstat(p).st_mtime)
            except OSError:
                continue
        age = time.time() - min(ages, default=time.time())
        checks.append(Check("spool backlog", "warn", f"{len(pending)} event(s) waiting, the oldest for {age / 60:.0f} min"
                            " (the ledger was locked or unwritable)", f"hookledger status --replay-spool --db {_q(db)}"))
    else:
        checks.append(Check("spool backlog", "ok", "empty"))
    set_aside = spool.quarantined(db)
    if set_aside:
        checks.append(Check("spool quarantine", "warn", f"{len(set_aside)} spool file(s) could not be replayed and"
                            f" were set aside (each note says why), in {', '.join(spool.quarantine_dirs(db))}",
                            f"inspect, then delete: {' '.join(_q(d) for d in spool.quarantine_dirs(db))}"))
    return checks


def check_config(project: str) -> list[Check]:
    """.claude/hookledger.json: every value valid (an invalid one silently became its default)."""
    found, problems = config.load_checked(project)
    path = paths.config_path(project)
    if not problems:
        return [Check("configuration", "ok", f"{path} valid" if os.path.lexists(path) else "defaults (no settings file)")]
    unknown = [p for p in problems if p.endswith(config.UNKNOWN)]
    invalid = [p for p in problems if p not in unknown]
    status = "fail" if invalid else "warn"
    return [Check("configuration", status, "; ".join((invalid + unknown)[:6])
                  + (f" (and {len(problems) - 6} more)" if len(problems) > 6 else ""),
                  f"edit {_q(path)}: each value as documented in README (Configuration)")]


# -- Python and latency


def _hook_command(project: str, scratch: str) -> tuple[list[str], list[str], str]:
    """The PreToolUse hook as the project registered it (run through sh, as Claude Code does),
    else the checkout's or installed hook with this interpreter; and a bare start of the same
    interpreter, started the same way, to compare with."""
    bare = "import sqlite3, json"
    settings, _ = _settings(project)
    for data in settings.values():
        registered = install.ours_in(data).get("PreToolUse")
        if registered:
            python = shlex.split(registered[0])[0]
            return (["sh", "-c", registered[0]], ["sh", "-c", f"{shlex.quote(python)} -c {shlex.quote(bare)}"],
                    "the registered PreToolUse hook")
    from hookledger.faces.demo import hooks_dir_for_demo
    from hookledger.faces.hookscripts import filename

    return ([sys.executable, os.path.join(hooks_dir_for_demo(scratch), filename("PreToolUse"))],
            [sys.executable, "-c", bare], "the PreToolUse hook (not registered: run from this install)")


def check_python(project: str) -> list[Check]:
    """The interpreter the hooks run with, and this one."""
    checks = []
    ours = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info[:2] >= MIN_PYTHON
    checks.append(Check("python", "ok" if ok else "fail", f"{ours} ({sys.executable})",
                        None if ok else "install Python >= 3.10 and run ./install.sh again"))
    settings, _ = _settings(project)
    interpreters = {shlex.split(c)[0] for data in settings.values() for cmds in install.ours_in(data).values()
                    for c in cmds if not _missing_files(c)}
    for python in sorted(interpreters - {sys.executable}):
        try:
            out = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError) as exc:
            out = f"does not run: {exc}"
        good = out[:1].isdigit() and tuple(int(p) for p in out.split(".")[:2]) >= MIN_PYTHON
        checks.append(Check("hook python", "ok" if good else "fail", f"{out} ({python})",
                            None if good else f"hookledger install {_q(project)}"))
    return checks


def sample_latency(project: str, runs: int = SAMPLE_RUNS) -> Check:
    """Run the PreToolUse hook for real against a throwaway ledger and time it (spawn to exit),
    each run beside a bare start of its interpreter."""
    with tempfile.TemporaryDirectory(prefix="hookledger-doctor-") as scratch:
        argv, bare_argv, what = _hook_command(project, scratch)
        db = os.path.join(scratch, paths.DB_NAME)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HOOKLEDGER"))}
        env.update(CLAUDE_PROJECT_DIR=scratch, HOOKLEDGER_DB=db, HOOKLEDGER_HOME=os.path.join(scratch, "home"))
        session = f"hookledger-doctor-{uuid.uuid4()}"
        walls, bares = [], []
        for n in range(runs + 1):  # the first run creates the ledger (migrations): not timed
            payload = {"session_id": session, "transcript_path": os.path.join(scratch, "t.jsonl"), "cwd": scratch,
                       "hook_event_name": "PreToolUse", "tool_name": "Read", "tool_use_id": f"toolu_doctor_{n}",
                       "tool_input": {"file_path": os.path.join(scratch, "README.md")}}
            started = time.perf_counter()
            try:
                proc = subprocess.run(argv, input=json.dumps(payload).encode() + b"\n", capture_output=True,
                                      env=env, cwd=scratch, timeout=60)
            except (OSError, subprocess.SubprocessError) as exc:
                return Check("latency sample", "fail", f"{what} did not run: {exc}", f"hookledger install {_q(project)}")
            if n:
                walls.append((time.perf_counter() - started) * 1000)
                bares.append(_time_ms(bare_argv, env, scratch))
            if proc.returncode != 0 or proc.stderr.strip():
                first = (proc.stderr.decode(errors="replace").strip().splitlines() or [""])[0]
                return Check("latency sample", "fail", f"{what} exited {proc.returncode}: {first[:200]}",
                             f"hookledger install {_q(project)}")
        recorded = _count_rows(db, session)
    median, bare = percentile(walls, 50) or 0.0, percentile(bares, 50) or 0.0
    if recorded != runs + 1:
        return Check("latency sample", "fail", f"{what} ran but recorded {recorded} of {runs + 1} events",
                     f"hookledger install {_q(project)}")
    detail = f"{what}: {median:.0f} ms spawn to exit (median of {runs}; a bare start of its Python: {bare:.0f} ms)"
    if median > SLOW_WALL_MS and median > SLOW_RATIO * bare:
        return Check("latency sample", "warn", detail + f", slower than {SLOW_WALL_MS} ms", "./dev bench   (in the"
                     " checkout: compare with a bare interpreter start; a login shell or a python wrapper is the usual cause)")
    return Check("latency sample", "ok", detail)


def _time_ms(argv: list[str], env: dict[str, str], cwd: str) -> float:
    started = time.perf_counter()
    try:
        subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env, cwd=cwd, timeout=60)
    except (OSError, subprocess.SubprocessError):
        pass
    return (time.perf_counter() - started) * 1000


def _count_rows(db: str, session: str) -> int:
    try:
        conn = sqlite3.connect(db)
        try:
            return conn.execute("SELECT count(*) FROM hook_events WHERE session_id = ? AND outcome = 'ok'",
                                (session,)).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def check_recorded_runs(db: str) -> list[Check]:
    """The latest RECENT_RUNS hook runs: time inside the hook, and runs that went wrong."""
    if not os.path.exists(db) or _ledger_path_check(db):
        return []
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        recent = conn.execute("SELECT duration_ms, outcome, error, timestamp FROM hook_events"
                              " ORDER BY id DESC LIMIT ?", (RECENT_RUNS,)).fetchall()
        conn.close()
    except sqlite3.Error:
        return []  # check_ledger reports an unreadable ledger
    if not recent:
        return [Check("recorded runs", "ok", "no hook runs recorded yet")]
    durations = [r[0] for r in recent if r[0] is not None]
    p95 = percentile(durations, 95) or 0
    checks = [Check("recorded runs", "ok" if p95 <= SLOW_IN_HOOK_P95_MS else "warn",
                    f"last {len(recent)} runs: p95 {p95} ms inside the hook, latest at {local_time(recent[0][3])}",
                    None if p95 <= SLOW_IN_HOOK_P95_MS else f"hookledger stats --db {_q(db)}   (find the slow event)")]
    failed = [r for r in recent if r[1] == "error"]
    if failed:
        deadline = sum(1 for r in failed if (r[2] or "").startswith("hook gave up"))
        checks.append(Check("hook errors", "warn", f"{len(failed)} of the last {len(recent)} runs failed inside"
                            f" hookledger ({deadline} at the deadline); their events were recorded",
                            f"hookledger timeline --db {_q(db)} --kind hook_error   (each run's error is recorded;"
                            " v_hook_problems lists them all)"))
    return checks


def last_claude_code(db: str, sessions: int = 5) -> tuple[str, str, str | None] | None:
    """(version, session id, last heard from) of the Claude Code that ran the hooks last: the
    newest sessions' recorded version, else what their transcripts say."""
    from hookledger.knowledge.claude_code import METRIC
    from hookledger.knowledge.transcript import last_version

    if not os.path.exists(db):
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            recent = conn.execute(
                "SELECT s.session_id, coalesce(s.last_event_at, s.started_at), s.transcript_path, m.value"
                " FROM sessions s LEFT JOIN session_metrics m ON m.session_id = s.session_id"
                " AND m.event_type = 'summary' AND m.key = ? ORDER BY coalesce(s.last_event_at, s.started_at) DESC"
                " LIMIT ?", (METRIC, sessions)).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return None  # check_ledger reports an unreadable ledger
    for session_id, when, transcript, recorded in recent:
        version = recorded or last_version(transcript)
        if version:
            return version, session_id, when
    return None


def check_claude_code(db: str) -> list[Check]:
    """The Claude Code version that last ran the hooks, against the newest one hookledger's
    end-to-end suite has passed with."""
    from hookledger.knowledge.claude_code import NEWEST_PASSED, newer

    found = last_claude_code(db)
    if found is None:
        return [Check("claude code", "ok", "no Claude Code version recorded yet (the hooks record it from the"
                      " session; it also comes from the transcripts)")]
    version, session_id, when = found
    detail = f"{version} ran the hooks last (session {session_id[:8]}, {when or '?'} UTC)"
    if newer(version, NEWEST_PASSED):
        return [Check("claude code", "warn", f"{detail}: newer than {NEWEST_PASSED}, the newest version"
                      " hookledger's end-to-end suite has passed with; hook payloads or behaviour may have changed",
                      f"in a hookledger checkout: HOOKLEDGER_E2E_CLAUDE_VERSION={version} ./dev e2e")]
    return [Check("claude code", "ok", f"{detail}; end-to-end tested up to {NEWEST_PASSED}")]


STRETCH_S = 300  # a transcript written this long after the last hook event: the hooks missed a stretch


def check_transcripts(project: str, db: str) -> list[Check]:
    """Claude Code's transcripts of this project that the ledger does not cover: sessions with
    no record at all, and recorded sessions whose transcript goes on well past their last hook
    event (hooks off, settings rewritten, a crash), unless `hookledger import` read them since."""
    from hookledger.history import locate
    from hookledger.hotpath.timeutil import parse_utc

    folder = locate.project_folder(project)
    mains = [f for f in locate.files_in(folder) if f.agent_id is None] if os.path.isdir(folder) else []
    if not mains:
        return [Check("transcripts", "ok", f"no Claude Code transcripts of this project in {folder}")]
    heard: dict[str, str | None] = {}
    imported: dict[str, tuple[int, int]] = {}
    if os.path.exists(db):
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
            heard = dict(conn.execute("SELECT session_id, coalesce(last_event_at, started_at) FROM sessions"))
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'import_files'").fetchone():
                imported = {p: (s, m) for p, s, m in conn.execute("SELECT path, size, mtime_ns FROM import_files")}
            conn.close()
        except sqlite3.Error:
            pass
    missing, stretches = [], []
    for f in mains:
        if imported.get(f.path) == (f.size, f.mtime_ns):
            continue
        if f.session_id not in heard:
            missing.append(f)
        else:
            last = parse_utc(heard[f.session_id])
            if last is None or f.mtime_ns / 1e9 - last > STRETCH_S:
                stretches.append(f)
    if not missing and not stretches:
        return [Check("transcripts", "ok", f"{len(mains)} transcript(s) in {folder}, all recorded or imported")]
    return [Check("transcripts", "warn", f"{len(mains)} transcript(s) in {folder}: {len(missing)} session(s) the"
                  f" ledger has no record of, {len(stretches)} recorded session(s) whose transcript goes on past"
                  " their last hook event (hooks not firing for a stretch)",
                  f"hookledger import --project {_q(project)}   (Claude Code deletes transcripts after"
                  " cleanupPeriodDays, 30 by default)")]


def run(project: str, db: str, *, sample: bool = True) -> list[Check]:
    """Every check, in the order a person would look."""
    checks = (check_hooks(project) + check_config(project) + check_ledger(project, db) + check_spool(db)
              + check_python(project))
    if sample:
        checks.append(sample_latency(project))
    return checks + check_recorded_runs(db) + check_claude_code(db) + check_transcripts(project, db)


def as_json(checks: list[Check]) -> dict[str, Any]:
    return {"ok": all(c.status == "ok" for c in checks), "checks": [asdict(c) for c in checks]}
