"""What `hookledger watch` costs the hooks it watches, and what it costs idle.

    .venv/bin/python benchmarks/watch_overhead.py [--runs N]

In a throwaway project: N PreToolUse hooks fired one after another with no viewer, then N more
while `hookledger watch` runs on an 80x24 pseudo-terminal; for each run the hook's wall time
(spawn to exit) and its recorded time inside the hook; for the watched runs, how long until
the run was on the screen. Then the viewer's CPU use over 10 idle seconds, and the spool
(events that could not be written), which must stay empty. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import sqlite3
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lib"))

from hookledger.faces.hookscripts import filename  # noqa: E402
from hookledger.knowledge.percentiles import percentile  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "events"
ENV = {**{k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HOOKLEDGER", "COLUMNS"))},
       "PYTHONPATH": str(ROOT / "lib"), "TERM": "xterm-256color"}


def payload(name: str, project: Path) -> dict:
    text = json.dumps(json.loads((FIXTURES / f"{name}.json").read_text())["stdin"])
    return json.loads(text.replace("/home/dev/acme-app", str(project)))


def fire(event: str, data: dict, project: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "hooks" / filename(event))], input=json.dumps(data).encode() + b"\n",
                   env={**ENV, "CLAUDE_PROJECT_DIR": str(project)}, capture_output=True, check=True, cwd=str(project))
    return (time.perf_counter() - started) * 1000


def write(project: Path, sid: str, name: str) -> dict:
    data = payload("PreToolUse__Write", project)
    data.update(session_id=sid, tool_use_id=f"toolu_bench_{name}", tool_input={"file_path": str(project / name), "content": ""})
    return data


class Viewer:
    def __init__(self, project: Path) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.proc = subprocess.Popen([sys.executable, "-m", "hookledger", "watch", "--project", str(project)],
                                     stdin=slave, stdout=slave, stderr=slave, env=ENV, start_new_session=True)
        os.close(slave)
        self.seen = b""

    def until(self, needle: bytes, seconds: float) -> float | None:
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            if select.select([self.master], [], [], 0.01)[0]:
                self.seen = (self.seen + os.read(self.master, 65536))[-200_000:]
            if needle in self.seen:
                self.seen = b""
                return (time.perf_counter() - start) * 1000
        return None

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        os.write(self.master, b"q")
        self.proc.wait(timeout=10)
        os.close(self.master)


def figures(label: str, values: list[float]) -> str:
    return f"{label}: p50 {percentile(values, 50):.1f}  p95 {percentile(values, 95):.1f}  max {max(values):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hookledger-watch-bench-") as tmp:
        project = Path(tmp) / "acme-app"
        project.mkdir()
        start = payload("SessionStart__startup", project)
        sid = start["session_id"]
        fire("SessionStart", start, project)
        db = project / ".claude-session.db"

        def in_hook(first_id: int) -> list[float]:
            with sqlite3.connect(db) as conn:
                return [r[0] for r in conn.execute("SELECT duration_ms FROM hook_events WHERE id > ?"
                                                   " AND event_type = 'PreToolUse'", (first_id,))]

        def last_id() -> int:
            with sqlite3.connect(db) as conn:
                return conn.execute("SELECT max(id) FROM hook_events").fetchone()[0]

        mark = last_id()
        alone = [fire("PreToolUse", write(project, sid, f"a{n}.txt"), project) for n in range(args.runs)]
        alone_in = in_hook(mark)

        viewer = Viewer(project)
        viewer.until(b"q quits", 30)
        mark = last_id()
        watched, shown = [], []
        for n in range(args.runs):
            name = f"w{n:03d}z.txt"
            watched.append(fire("PreToolUse", write(project, sid, name), project))
            on_screen = viewer.until(name.encode(), 3.0)
            if on_screen is not None:
                shown.append(on_screen)
        watched_in = in_hook(mark)
        viewer.until(b"\x00", 1.0)
        before, wall = viewer.cpu_seconds(), time.monotonic()
        viewer.until(b"\x00", 10.0)  # idle: nothing is recorded for 10 s
        idle = (viewer.cpu_seconds() - before) / (time.monotonic() - wall)
        viewer.stop()
        spool = project / ".claude-session.db.spool"
        spooled = len(list(spool.iterdir())) if spool.exists() else 0

    print(f"hookledger watch overhead, {args.runs} PreToolUse hooks each way, {os.cpu_count()} CPUs")
    print(figures("  hook wall time, no viewer        ", alone))
    print(figures("  hook wall time, watch running    ", watched))
    print(figures("  time inside the hook, no viewer  ", alone_in))
    print(figures("  time inside the hook, watched    ", watched_in))
    print(figures("  hook exit to on the screen       ", shown) + f"  ({len(shown)}/{args.runs} seen within 3 s)")
    print(f"  watch CPU while idle: {idle:.2%} of one CPU over 10 s")
    print(f"  events spooled (ledger unavailable): {spooled}")


if __name__ == "__main__":
    main()
