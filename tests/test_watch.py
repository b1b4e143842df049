"""`hookledger watch` in a real terminal, and `timeline --follow` in a pipe.

The view runs under a pseudo-terminal of 80x24 whose output a terminal emulator (pyte) draws,
as a person would see it; and in tmux when it is installed. A hook fired while it runs must
show within 2 s, `q` and Ctrl-C must quit and give the terminal back (its modes, the normal
screen, the cursor), and hooks fired meanwhile must neither wait nor spool.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
import uuid
from pathlib import Path

import pytest

from conftest import ROOT, load_fixture, rows, run_hook

ENV = {**{k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HOOKLEDGER", "COLUMNS", "LINES"))},
       "PYTHONPATH": str(ROOT / "lib"), "TERM": "xterm-256color"}


def started_session(project: Path) -> str:
    start = load_fixture("SessionStart__startup", project)
    assert run_hook("SessionStart", start, project).returncode == 0
    return start["session_id"]


def write_call(project: Path, session_id: str, name: str) -> dict:
    call = load_fixture("PreToolUse__Write", project)
    call.update(session_id=session_id, tool_use_id=f"toolu_watch_{uuid.uuid4().hex[:10]}",
                tool_input={"file_path": str(project / name), "content": "x\n"})
    return call


class Terminal:
    """A process on a pseudo-terminal of `cols` x `rows`, its output drawn by pyte."""

    def __init__(self, argv: list[str], cols: int = 80, rows: int = 24, cwd: str | None = None) -> None:
        import pyte

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.modes_before = termios.tcgetattr(slave)
        self.slave = slave
        def controlling_terminal() -> None:  # as a shell starts a program: Ctrl-C sends SIGINT
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=ENV, cwd=cwd,
                                     preexec_fn=controlling_terminal)
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = b""

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    return
                self.raw += data
                self.stream.feed(data)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, needle: str, seconds: float) -> float:
        """Seconds until `needle` is on the screen (fails after `seconds`)."""
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            self.pump(0.05)
            if needle in self.text():
                return time.monotonic() - start
        raise AssertionError(f"{needle!r} not on the screen after {seconds} s:\n{self.text()}")

    def press(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self, seconds: float = 5) -> int:
        end = time.monotonic() + seconds
        while self.proc.poll() is None and time.monotonic() < end:
            self.pump(0.05)
        self.pump(0.1)
        code = self.proc.poll()
        if code is None:
            self.proc.kill()
            raise AssertionError("the view did not quit")
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def watched(project):
    sid = started_session(project)
    term = Terminal([sys.executable, "-m", "hookledger", "watch", "--project", str(project)])
    try:
        term.wait_for("hookledger watch", 20)
        yield project, sid, term
    finally:
        term.close()


def test_watch_shows_a_hook_run_within_two_seconds_and_quits_on_q(watched):
    project, sid, term = watched
    assert f"session {sid[:8]}" in term.text() and "q quits" in term.text()
    assert max(len(line.rstrip()) for line in term.screen.display) <= 80
    for n in range(2):
        name = f"watched-{n}-{uuid.uuid4().hex[:6]}.txt"
        fired = time.monotonic()
        assert run_hook("PreToolUse", write_call(project, sid, name), project).returncode == 0
        shown = term.wait_for(name, 2.0)
        assert time.monotonic() - fired < 2.5 and shown < 2.0
    assert "PreToolUse Write" in term.text()
    term.press(b"q")
    assert term.finish() == 0
    assert b"\x1b[?1049h" in term.raw and term.raw.rstrip().endswith(b"\x1b[?1049l") or b"\x1b[?1049l" in term.raw[-200:]
    assert b"\x1b[?25h" in term.raw[-200:]  # the cursor is back
    assert termios.tcgetattr(term.slave) == term.modes_before  # echo and line mode restored


def test_ctrl_c_quits_cleanly_too(watched):
    _, _, term = watched
    term.press(b"\x03")
    assert term.finish() == 0
    assert b"Traceback" not in term.raw and b"\x1b[?1049l" in term.raw[-200:]
    assert termios.tcgetattr(term.slave) == term.modes_before


def test_hooks_fired_while_watching_neither_wait_nor_spool(watched):
    project, sid, term = watched
    durations = []
    for n in range(25):
        started = time.monotonic()
        proc = run_hook("PreToolUse", write_call(project, sid, f"busy-{n}.txt"), project)
        durations.append(time.monotonic() - started)
        assert proc.returncode == 0 and proc.stderr == b""
        term.pump(0.02)
    assert not (project / ".claude-session.db.spool").exists() or not list((project / ".claude-session.db.spool").iterdir())
    recorded = rows(project, "SELECT outcome, duration_ms, replayed FROM hook_events WHERE event_type = 'PreToolUse'")
    assert len(recorded) == 25 and all(r["outcome"] == "ok" and r["replayed"] == 0 for r in recorded)
    assert max(r["duration_ms"] for r in recorded) < 1000  # never near the 2 s busy timeout
    term.wait_for("busy-24.txt", 2.0)
    term.press(b"q")
    assert term.finish() == 0


def test_idle_watch_costs_little_cpu(watched):
    _, _, term = watched
    stat = Path(f"/proc/{term.proc.pid}/stat")
    if not stat.exists():
        pytest.skip("no /proc: CPU time not measurable here")
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    term.pump(1.0)
    before, wall = cpu(), time.monotonic()
    term.pump(5.0)
    used = (cpu() - before) / (time.monotonic() - wall)
    assert used < 0.10, f"idle watch used {used:.1%} of a CPU"
    term.press(b"q")
    assert term.finish() == 0


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is not installed (scripts/ensure-tmux.sh installs it)")
def test_watch_in_tmux(project, tmp_path):
    sid = started_session(project)
    server = f"hookledger-test-{os.getpid()}"
    tmux = ["tmux", "-L", server, "-f", "/dev/null"]
    env = {**ENV, "HOME": str(tmp_path)}
    command = f"{sys.executable} -m hookledger watch --project {project}; echo WATCH-EXITED-$?"
    subprocess.run([*tmux, "new-session", "-d", "-x", "80", "-y", "24", "-s", "w", "sh"], env=env, check=True)
    try:
        subprocess.run([*tmux, "send-keys", "-t", "w", command, "Enter"], env=env, check=True)

        def pane() -> str:
            return subprocess.run([*tmux, "capture-pane", "-t", "w", "-p"], env=env, capture_output=True,
                                  text=True).stdout

        def wait(needle: str, seconds: float) -> None:
            end = time.monotonic() + seconds
            while needle not in pane():
                assert time.monotonic() < end, f"{needle!r} not in the pane:\n{pane()}"
                time.sleep(0.05)

        wait("q quits", 20)
        name = f"tmux-{uuid.uuid4().hex[:6]}.txt"
        assert run_hook("PreToolUse", write_call(project, sid, name), project).returncode == 0
        wait(name, 2.0)
        assert all(len(line) <= 80 for line in pane().splitlines())
        subprocess.run([*tmux, "send-keys", "-t", "w", "q"], env=env, check=True)
        wait("WATCH-EXITED-0", 5)
        assert "q quits" not in pane() and "Latest events" not in pane()  # back on the shell's own screen
    finally:
        subprocess.run([*tmux, "kill-server"], env=env, capture_output=True)


def test_timeline_follow_prints_new_moments_as_plain_lines(project):
    sid = started_session(project)
    proc = subprocess.Popen([sys.executable, "-m", "hookledger", "timeline", "--follow", "--project", str(project)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    try:
        first = proc.stdout.readline().decode()  # the backlog: the SessionStart
        assert "SessionStart" in first and "\x1b" not in first
        name = f"followed-{uuid.uuid4().hex[:6]}.txt"
        fired = time.monotonic()
        assert run_hook("PreToolUse", write_call(project, sid, name), project).returncode == 0
        lines = [proc.stdout.readline().decode() for _ in range(2)]  # the run, then the file change it recorded
        assert time.monotonic() - fired < 2.5
        assert "PreToolUse Write" in lines[0] and name in lines[0] and "file Write" in lines[1]
        assert all("\x1b" not in line for line in lines)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and b"Traceback" not in err


def test_timeline_follow_json_lines(project):
    sid = started_session(project)
    proc = subprocess.Popen([sys.executable, "-m", "hookledger", "timeline", "--follow", "--json", "--project",
                             str(project), "--session", sid[:8]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    try:
        moment = json.loads(proc.stdout.readline())
        assert moment["session_id"] == sid and moment["event"] == "SessionStart" and moment["at"].endswith("Z")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
