"""One import: the files of each session read from their cursors, parsed, written, reported.

Per file, `import_files` keeps the size, mtime and byte offset consumed (complete lines only)
and a hash of the first bytes: an unchanged file is not opened, an appended one is read from its
offset, a replaced or shorter one from the start (everything is keyed, so reading again adds
nothing). A line that is not JSON, not an object or cut short is skipped and counted; a record
type the import does not know is counted; neither stops the import. A tool call still waiting
for its result leaves its file's cursor before it, so the next import pairs them.

Sessions are written in short transactions of a few MB of transcript each (hooks running
meanwhile wait well within their busy timeout); `dry_run` rolls every one back.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from hookledger.history.locate import TranscriptFile, grouped
from hookledger.history.reader import Lines, prefetch, skippable
from hookledger.history.session import SessionFacts
from hookledger.history.writer import Batch, Counts, write_session
from hookledger.hotpath.timeutil import seconds_before, utc_now
from hookledger.knowledge.progress import begin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hookledger.knowledge.progress import Starter


BATCH_BYTES = 8 << 20  # transcript bytes per transaction
PREFETCH = 64  # files asked of the disk ahead of the one being read


@dataclass
class ImportReport(Counts):
    """What an import read (and, as Counts, recorded)."""

    files: int = 0
    files_read: int = 0
    files_unchanged: int = 0
    bytes_read: int = 0
    lines: int = 0
    bad_lines: int = 0
    unknown_records: int = 0
    incomplete_tails: int = 0
    sessions: int = 0
    new_sessions: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    problems: list[str] = field(default_factory=list)  # per file: what was skipped, and where

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Read:
    file: TranscriptFile
    start: int
    end: int
    head: str | None
    lines: int = 0
    bad: int = 0
    unknown: int = 0


def _known(conn: sqlite3.Connection, sql: str, keys: list[str]) -> dict[str, tuple]:
    """Rows of `sql` (`... WHERE key IN ({})`, the key first) for `keys`, in chunks: one read per
    500 files or sessions instead of one each."""
    out: dict[str, tuple] = {}
    for i in range(0, len(keys), 500):
        part = keys[i:i + 500]
        out.update((r[0], r[1:]) for r in conn.execute(sql.format(",".join("?" * len(part))), part))
    return out


def _read(f: TranscriptFile, lines: Lines, start: int, facts: SessionFacts, report: ImportReport, done: Any) -> _Read:
    """Parse the file's complete lines from `start` into `facts`."""
    lines.from_offset(start)
    got = _Read(f, start, start, lines.head)
    before_unknown = facts.unknown
    last_at = start
    try:
        for at, line in lines:
            got.lines += 1
            if got.lines % 4096 == 0:
                done(at - last_at)
                last_at = at
            if skippable(line):
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                got.bad += 1
                continue
            if not isinstance(record, dict):
                got.bad += 1
                continue
            facts.take(record, f.path, at, f.agent_id)
    except OSError as exc:
        report.problems.append(f"{f.path}: cannot be read ({exc.strerror or exc})")
    got.end = lines.end
    if lines.tail.strip():
        try:  # a last record without its newline: complete if it parses
            record = orjson.loads(lines.tail)
        except orjson.JSONDecodeError:
            record = None
            report.incomplete_tails += 1
            report.problems.append(f"{f.path}: last line incomplete ({len(lines.tail)} bytes), left for the next import")
        if isinstance(record, dict):
            got.lines += 1
            facts.take(record, f.path, lines.end, f.agent_id)
            got.end = lines.end + len(lines.tail)
    got.unknown = facts.unknown - before_unknown
    report.bytes_read += lines.read_bytes
    done(max(0, got.end - last_at))
    if got.bad or got.unknown:
        report.problems.append(f"{f.path}: {got.bad} bad line(s), {got.unknown} record(s) of an unknown type skipped")
    return got


def import_transcripts(conn: sqlite3.Connection, project_dir: str, files: list[TranscriptFile], *,
                       config: dict[str, Any], since: str | None = None, dry_run: bool = False,
                       progress: "Starter | None" = None, now: str | None = None) -> ImportReport:
    """Import `files` (grouped by session) into the ledger on `conn` (a LedgerConnection)."""
    from hookledger.hotpath.config import get

    started = time.monotonic()
    now = now or utc_now()
    report = ImportReport(dry_run=dry_run)
    if since:
        floor = time.mktime(time.strptime(since[:10], "%Y-%m-%d")) * 1e9
        files = [f for f in files if f.mtime_ns >= floor]
    stale = get(config, "agents.stale_seconds")
    over_before = seconds_before(now, stale if isinstance(stale, (int, float)) else 1800)
    sessions = grouped(files)
    report.files = sum(len(v) for v in sessions.values())
    bar = begin(progress, "importing transcripts", sum(f.size for v in sessions.values() for f in v) >> 10)
    carry = [0]

    def done(n: int) -> None:
        carry[0] += n
        if carry[0] >= 1024:
            bar(carry[0] >> 10)
            carry[0] &= 1023

    batch_bytes = 0
    batch = Batch(conn, project_dir, config, now)
    order = [f.path for group in sessions.values() for f in group]
    fetched = 0
    cursors = _known(conn, "SELECT path, size, mtime_ns, offset, head FROM import_files WHERE path IN ({})",
                     [f.path for group in sessions.values() for f in group])
    heard = _known(conn, "SELECT session_id, last_event_at FROM sessions WHERE session_id IN ({})", list(sessions))
    try:
        for sid, group in sessions.items():
            if not conn.in_transaction:
                conn.execute("BEGIN IMMEDIATE")
            if fetched < len(order) and fetched - report.files_read - report.files_unchanged < PREFETCH // 2:
                prefetch(order[fetched:fetched + PREFETCH])
                fetched += PREFETCH
            _import_session(batch, sid, group, cursors, heard.get(sid), over_before, report, done)
            batch_bytes += sum(f.size for f in group) + 16_000  # a session's fixed cost counts too
            if batch_bytes >= BATCH_BYTES:
                batch.flush()
                conn.execute("ROLLBACK" if dry_run else "COMMIT")
                batch_bytes = 0
        if conn.in_transaction:
            batch.flush()
            conn.execute("ROLLBACK" if dry_run else "COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        bar.close()
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _import_session(batch: Batch, sid: str, group: list[TranscriptFile], cursors: dict[str, tuple],
                    heard: tuple | None, over_before: str, report: ImportReport, done: Any) -> None:
    """Read the session's changed files and add what they hold to the batch (in the caller's
    transaction). `cursors`: import_files rows by path; `heard`: the session's row (last event)."""
    now = batch.now
    facts = SessionFacts(sid)
    reads: list[_Read] = []
    for f in group:
        cursor = cursors.get(f.path)
        if cursor and cursor[0] == f.size and cursor[1] == f.mtime_ns:
            report.files_unchanged += 1
            done(f.size)
            continue
        try:
            lines = Lines(f.path)
        except OSError as exc:
            report.problems.append(f"{f.path}: cannot be read ({exc.strerror or exc})")
            continue
        start = cursor[2] if cursor and cursor[2] <= f.size and cursor[3] == lines.head else 0
        if f.agent_id is None:
            facts.main_path = f.path
        got = _read(f, lines, start, facts, report, done)
        reads.append(got)
        report.files_read += 1
    if not reads:
        return
    # Over when nothing happened for agents.stale_seconds: neither in the transcript nor in the ledger.
    last = max(facts.last_at or "", (heard[0] or "") if heard else "")
    ended = bool(last) and last < over_before
    resume = facts.resume_point()  # cheap: an unchanged file is not read again at all
    for got in reads:
        got.end = min(got.end, resume.get(got.file.path, got.end))
        report.lines += got.lines
        report.bad_lines += got.bad
        report.unknown_records += got.unknown
    main_read = next((r for r in reads if r.file.agent_id is None), None)
    counted = sum(1 for path, at, *_ in facts.compactions
                  if main_read and path == main_read.file.path and at < main_read.end)
    if facts.records:
        written = write_session(batch, facts, known=heard is not None, ended=ended, compactions_read=counted,
                                from_start=bool(main_read and main_read.start == 0))
        report.sessions += 1
        report.new_sessions += int(written.new_session)
        report.add(written)
    batch.rows["import_files"] += [(r.file.path, sid, r.file.agent_id or f"main:{sid}", r.file.size, r.file.mtime_ns,
                                    r.end, r.head, r.lines, r.bad, r.unknown, now) for r in reads]
