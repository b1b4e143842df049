"""Transcript import throughput and memory: generate a large transcript folder from the recorded
fixture transcripts, import it into an empty ledger with the real CLI, print MB/s and peak RSS.

    .venv/bin/python benchmarks/import_throughput.py [--mb 1024] [--keep DIR]

The folder is made of copies of the recorded sessions, each repeated for 4 to 48 turns (lib/hookledger/faces/demo_sessions/
transcripts: tool calls and results, a failure, a subagent with its sidechain file, a
compaction, tasks), each copy with fresh session, message, request and tool ids, and with its
tool results and assistant text padded to the sizes of a working session (file reads of tens of
KB), so the bytes are what real transcripts hold. A second import of the same folder shows the
cost of an import that finds nothing new (cursors only).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = os.path.join(ROOT, "lib", "hookledger", "faces", "demo_sessions", "transcripts")
WORDS = ("def return import class self value result error path file test data ledger hook session agent "
         "token cost price import line record").split()


def _filler(rng: random.Random, size: int) -> str:
    out, n = [], 0
    while n < size:
        line = " ".join(rng.choice(WORDS) for _ in range(12))
        out.append(line)
        n += len(line) + 1
    return "\n".join(out)


def _sessions() -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """Each recorded session: (session id, [(path relative to the session folder, lines)])."""
    found = []
    for name in sorted(os.listdir(SOURCES)):
        folder = os.path.join(SOURCES, name)
        for entry in sorted(os.listdir(folder)):
            if entry.endswith(".jsonl"):
                sid = entry[:-6]
                files = [(entry, open(os.path.join(folder, entry), encoding="utf-8").read().splitlines())]
                sub = os.path.join(folder, sid, "subagents")
                if os.path.isdir(sub):
                    files += [(os.path.join(sid, "subagents", n), open(os.path.join(sub, n), encoding="utf-8")
                               .read().splitlines()) for n in sorted(os.listdir(sub)) if n.endswith(".jsonl")]
                found.append((sid, files))
    return found


def _pad(line: str, rng: random.Random) -> str:
    """A tool result or an assistant text grown to a realistic size."""
    record = json.loads(line)
    message = record.get("message")
    if isinstance(message, dict) and isinstance(message.get("content"), list):
        for block in message["content"]:
            if block.get("type") == "tool_result" and isinstance(block.get("content"), str):
                block["content"] += "\n" + _filler(rng, rng.choice((2_000, 8_000, 30_000)))
            elif block.get("type") == "text":
                block["text"] += " " + _filler(rng, rng.choice((300, 1_500)))
    return json.dumps(record, separators=(",", ":"))


def generate(folder: str, megabytes: int, seed: int = 7, turns: tuple[int, ...] = (4, 16, 48),
             pad: bool = True) -> tuple[int, int]:
    """Copies of the recorded sessions with fresh ids until `megabytes` are written: (files, bytes)."""
    rng = random.Random(seed)
    templates = [(sid, [(rel, [_pad(line, rng) if pad else line for line in lines]) for rel, lines in files])
                 for sid, files in _sessions()]
    os.makedirs(folder, exist_ok=True)
    written = files_written = copy = 0
    while written < megabytes * 1_000_000:
        for sid, files in templates:
            copy += 1
            new_sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            tag = f"{copy:07d}"
            session_turns = rng.choice(turns)  # a session of a few turns to a long working session
            for rel, lines in files:
                one = "\n".join(lines) + "\n"
                reps = session_turns if "/subagents/" not in rel else 1
                text = "".join(one.replace("msg_mock_", f"msg_{tag}{r:03d}_").replace("req_mock_", f"req_{tag}{r:03d}_")
                               .replace('"toolu_', f'"toolu_{tag}{r:03d}') for r in range(reps))
                text = text.replace(sid, new_sid).replace('"agent-', f'"agent-{tag}')
                path = os.path.join(folder, rel.replace(sid, new_sid))
                if "/subagents/agent-" in path:
                    head, name = path.rsplit("agent-", 1)
                    path = f"{head}agent-{tag}{name}"
                    text = text.replace('"agentId":"', f'"agentId":"{tag}')
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
                written += len(text.encode())
                files_written += 1
            if written >= megabytes * 1_000_000:
                break
    return files_written, written


def run_import(folder: str, project: str) -> tuple[float, dict, int, float]:
    """The real CLI importing `folder`: (wall seconds, its JSON report, peak RSS in KB of the
    children so far, CPU seconds of this child: what the import cost on a shared machine)."""
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "hookledger", "import", "--project", project, folder, "--json"],
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(proc.stderr)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, json.loads(proc.stdout), after.ru_maxrss, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the generated folder (default 200 MB)")
    parser.add_argument("--keep", default=None, help="generate into this folder and keep it")
    parser.add_argument("--small", action="store_true",
                        help="sessions as recorded (one turn, no padding: about 15 KB each): the per-session cost")
    args = parser.parse_args()
    base = args.keep or tempfile.mkdtemp(prefix="hookledger-import-bench-")
    folder, project = os.path.join(base, "transcripts"), os.path.join(base, "project")
    os.makedirs(project, exist_ok=True)
    try:
        t0 = time.perf_counter()
        files, size = generate(folder, args.mb, turns=(1,) if args.small else (4, 16, 48), pad=not args.small)
        print(f"generated {files} transcript files, {size / 1e6:.0f} MB, in {time.perf_counter() - t0:.1f} s")
        wall, report, rss, cpu = run_import(folder, project)
        mb = report['bytes_read'] / 1e6
        print(f"first import: {mb:.0f} MB in {wall:.1f} s wall ({report['seconds']:.1f} s inside, {cpu:.1f} s of CPU):"
              f" {mb / wall:.1f} MB/s ({mb / cpu:.1f} MB per CPU second); peak RSS {rss / 1024:.0f} MB; sessions"
              f" {report['sessions']}, tool calls {report['tool_calls']}, responses {report['responses']},"
              f" errors {report['errors']}, bad lines {report['bad_lines']}")
        wall2, report2, rss2, _ = run_import(folder, project)
        print(f"second import (nothing new): {wall2:.1f} s, {report2['files_unchanged']} of {report2['files']} files"
              f" unchanged, tool calls added {report2['tool_calls']}; peak RSS {rss2 / 1024:.0f} MB")
        db = os.path.join(project, ".claude-session.db")
        print(f"ledger: {os.path.getsize(db) / 1e6:.0f} MB; load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
