"""Nothing leaks: a secrets corpus (tests/fixtures/secrets) pushed through every payload field
the hooks read, a session run through the real hooks (a locked ledger spooling on the way, a
poisoned spool file, bad input), then the report and a sync to every target, and every byte
hookledger wrote (ledger + -wal/-shm, spool, quarantine, fallback spool, report, target
databases, stderr) searched for each secret's distinctive parts."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, load_fixture, run_hook

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "secrets"))
from corpus import all_text, corpus  # noqa: E402

SECRETS = corpus()
TEXT = all_text()
SID = "5ec12e75-0000-4000-8000-00000000e11e"
TARGETS = ("massu", "flightdeck", "codewalkers", "teamx")
FAST_BUSY = {"HOOKLEDGER_BUSY_TIMEOUT_MS": "150"}


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    return subprocess.run([sys.executable, "-m", "hookledger", *args], input=stdin, capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(ROOT / "lib")}, timeout=300)


def leaks_in(data: bytes) -> list[str]:
    """Names of the corpus secrets with a distinctive part in `data`."""
    return [s.name for s in SECRETS if any(n.encode() in data for n in s.needles)]


def written_files(*roots: Path) -> list[Path]:
    out = []
    for root in roots:
        if root.is_file():
            out.append(root)
        for dirpath, _, names in os.walk(root):
            out.extend(Path(dirpath) / n for n in names)
    return out


class Session:
    """Runs hook events for one session in a project, keeping what each printed."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.outputs: list[bytes] = []
        self.n = 0

    def uid(self) -> str:
        self.n += 1
        return f"toolu_secret_{self.n:04d}"

    def run(self, event: str, payload: dict | bytes, env: dict | None = None,
            codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        if isinstance(payload, dict):
            payload = {**payload, "session_id": SID}
        proc = run_hook(event, payload, self.project, env=env)
        assert proc.returncode in codes, (event, proc.stderr)
        self.outputs += [proc.stdout, proc.stderr]
        return proc

    def base(self, fixture: str, **fields) -> dict:
        return {**load_fixture(fixture, self.project), **fields}


def run_leaky_session(project: Path, tmp_path: Path) -> Session:
    s = Session(project)
    # the gate runs checks whose output carries secrets: verdict reason and verdict_json
    gate_cmd = "; ".join(f"echo {shlex.quote(x.text)}" for x in SECRETS[:10]) + "; exit 1"
    (project / ".claude").mkdir()
    (project / ".claude" / "hookledger.json").write_text(json.dumps({"gate": {"mode": "checks", "commands": [gate_cmd]}}))

    # fields stored as they come (no handler redacts them itself): only the choke point does
    transcript = str(tmp_path / f"transcript-{SECRETS[10].value}.jsonl")
    s.run("SessionStart", s.base("SessionStart__startup", model=SECRETS[0].text, transcript_path=transcript))
    s.run("UserPromptSubmit", s.base("UserPromptSubmit__default", prompt=TEXT))
    for secret in SECRETS:  # each secret in a Bash command that fails, with the secrets in its error
        tool = {"command": secret.text, "description": secret.text[:40]}
        uid = s.uid()
        s.run("PreToolUse", s.base("PreToolUse__Bash", tool_input=tool, tool_use_id=uid))
        s.run("PostToolUseFailure", s.base("PostToolUseFailure__Bash", tool_input=tool, tool_use_id=uid,
                                           error=f"Exit code 1\n{secret.text}\n{TEXT}"))
    for _ in range(5):  # the same failure again and again: escalation, failed paths, the brief
        tool = {"command": SECRETS[21].text}
        s.run("PostToolUseFailure", s.base("PostToolUseFailure__Bash", tool_input=tool, tool_use_id=s.uid(),
                                           error=f"Exit code 1\n{TEXT}"))
    s.run("PostToolUse", s.base("PostToolUse__Bash", tool_input={"command": TEXT}, tool_use_id=s.uid(),
                                tool_response={"stdout": TEXT, "stderr": TEXT, "exitCode": 2}))
    target = str(project / f"config-{SECRETS[11].value}.env")
    uid = s.uid()
    s.run("PreToolUse", s.base("PreToolUse__Write", tool_input={"file_path": target, "content": TEXT}, tool_use_id=uid))
    s.run("PostToolUse", s.base("PostToolUse__Write", tool_input={"file_path": target, "content": TEXT},
                                tool_response={"filePath": target, "content": TEXT, "type": "create"}, tool_use_id=uid))
    s.run("PostToolUse", s.base("PostToolUse__Edit", tool_use_id=s.uid(),
                                tool_input={"file_path": target, "old_string": TEXT, "new_string": TEXT[::-1]}))
    # an MCP-style tool whose input names its secrets
    s.run("PreToolUse", s.base("PreToolUse__Bash", tool_name="mcp__db__query", tool_use_id=s.uid(),
                               tool_input={"password": SECRETS[22].needles[0], "api_key": SECRETS[25].needles[0],
                                           "query": TEXT}))
    agent_uid = s.uid()
    agent_input = {"description": SECRETS[1].text[:60], "prompt": TEXT, "subagent_type": "general-purpose"}
    s.run("PreToolUse", s.base("PreToolUse__Agent", tool_input=agent_input, tool_use_id=agent_uid))
    s.run("SubagentStart", s.base("SubagentStart__general-purpose", agent_type=SECRETS[13].text))
    s.run("SubagentStop", s.base("SubagentStop__general-purpose", last_assistant_message=TEXT))
    s.run("PostToolUse", s.base("PostToolUse__Agent", tool_input=agent_input, tool_use_id=agent_uid,
                                tool_response={"status": "completed", "agentId": "aff41339c1597efe4", "prompt": TEXT,
                                               "content": [{"type": "text", "text": TEXT}]}))
    for i, secret in enumerate(SECRETS[:12], start=1):
        s.run("TaskCreated", s.base("TaskCreated__default", task_id=str(i), task_subject=secret.text,
                                    task_description=TEXT))
    s.run("PostToolUse", s.base("PostToolUse__TaskCreate", tool_use_id=s.uid(),
                                tool_input={"subject": SECRETS[5].text, "description": TEXT},
                                tool_response={"task": {"id": "40", "subject": SECRETS[5].text}}))
    s.run("PostToolUse", s.base("PostToolUse__TaskUpdate", tool_use_id=s.uid(),
                                tool_input={"taskId": "1", "status": "in_progress", "subject": TEXT},
                                tool_response={"success": True, "taskId": "1", "updatedFields": ["status", "subject"],
                                               "statusChange": {"from": "pending", "to": "in_progress"}}))
    gate = s.run("TaskCompleted", s.base("TaskCompleted__default", task_id="1", task_subject=SECRETS[3].text,
                                         task_description=TEXT, teammate_name=SECRETS[4].text), codes=(2,))
    assert b"[REDACTED" in gate.stderr  # the failing checks' output, told to the model, redacted
    s.run("PreCompact", s.base("PreCompact__manual", custom_instructions=TEXT, trigger=SECRETS[14].text))
    s.run("SessionStart", s.base("SessionStart__compact", model=SECRETS[15].text))
    s.run("Stop", s.base("Stop__default", last_assistant_message=TEXT))
    # bad input of several shapes, each quoting secrets
    s.run("PreToolUse", s.base("PreToolUse__Bash", hook_event_name=SECRETS[6].text))
    s.run("PreToolUse", s.base("PreToolUse__Bash", tool_input=TEXT))
    s.run("PostToolUse", s.base("PostToolUse__Bash", session_id=12, tool_name=[TEXT]))
    s.run("Stop", b"not json at all " + TEXT.encode())
    s.run("Stop", json.dumps([TEXT]).encode())
    # a locked ledger: the event is spooled (and its file searched before the replay)
    lock = sqlite3.connect(str(project / ".claude-session.db"), isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        spooled = s.run("PostToolUse", s.base("PostToolUse__Bash", tool_input={"command": TEXT}, tool_use_id=s.uid(),
                                              tool_response={"stdout": TEXT, "stderr": "", "exitCode": 3}), env=FAST_BUSY)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert b"spooled" in spooled.stderr
    spool_dir = project / ".claude-session.db.spool"
    spool_bytes = b"".join(p.read_bytes() for p in spool_dir.glob("*.event.json"))
    assert spool_bytes and leaks_in(spool_bytes) == [], leaks_in(spool_bytes)
    # a poisoned spool file carrying secrets: quarantined, redacted
    (spool_dir / "0000000000000000-1-deadbeef.event.json").write_text(json.dumps({"event": "Stop", "leak": TEXT}))
    s.run("Stop", s.base("Stop__default"))  # replays the spool (SessionEnd leaves that to others)
    s.run("SessionEnd", s.base("SessionEnd__other", reason=SECRETS[16].text))

    for args in (["failed-path", "add", "--approach", SECRETS[20].text, "--reason", TEXT, "--context", TEXT,
                  "--session", SID[:8]],
                 ["verdict", "record", json.dumps({"ok": False, "reason": TEXT}), "--session", SID[:8], "--task", "2",
                  "--judge", "reviewer"]):
        proc = cli(*args, "--project", str(project))
        assert proc.returncode == 0, (args[0], proc.stderr)
        s.outputs += [proc.stdout.encode(), proc.stderr.encode()]
    report = tmp_path / "out" / "report.html"
    report.parent.mkdir()
    proc = cli("report", "--project", str(project), "--session", SID[:8], "--html", str(report))
    assert proc.returncode == 0, proc.stderr
    s.outputs += [proc.stdout.encode(), proc.stderr.encode()]
    for name in TARGETS:
        proc = cli("sync", "--to", name, "--target-db", str(tmp_path / "targets" / f"{name}.db"),
                   "--project", str(project))
        assert proc.returncode == 0, (name, proc.stderr)
        s.outputs += [proc.stdout.encode(), proc.stderr.encode()]
    return s


def test_no_secret_in_any_file_written_or_line_printed(project, tmp_path):
    s = run_leaky_session(project, tmp_path)
    conn = sqlite3.connect(str(project / ".claude-session.db"))
    counts = dict(conn.execute("SELECT outcome, count(*) FROM hook_events GROUP BY outcome").fetchall())
    # everything ran: escalations recorded failed paths, the agent its prompt, the gate its verdicts
    assert conn.execute("SELECT count(*) FROM failed_paths").fetchone()[0] >= 2
    assert conn.execute("SELECT count(*) FROM agent_spawns WHERE prompt IS NOT NULL").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM llm_verdicts").fetchone()[0] >= 2
    assert conn.execute("SELECT count(*) FROM context_snapshots").fetchone()[0] >= 3
    assert conn.execute("SELECT count(*) FROM hook_events WHERE replayed = 1").fetchone()[0] == 1
    assert counts.get("bad_input") == 5
    conn.close()
    quarantined = list((project / ".claude-session.db.spool" / "quarantine").glob("*.json"))
    assert len(quarantined) == 1

    files = written_files(project / ".claude-session.db", project / ".claude-session.db.spool",
                          Path(os.environ["HOOKLEDGER_HOME"]), tmp_path / "out", tmp_path / "targets")
    files += [p for p in project.glob(".claude-session.db*") if p.is_file()]
    assert any(p.name.endswith(".db") for p in files if "targets" in str(p))
    found = {str(p): leaks_in(p.read_bytes()) for p in set(files)}
    found["stdout/stderr"] = leaks_in(b"".join(s.outputs))
    assert {k: v for k, v in found.items() if v} == {}


def test_every_file_with_session_content_is_private_whatever_the_umask(project, tmp_path):
    old = os.umask(0)
    try:
        run_leaky_session(project, tmp_path)
        # -wal/-shm exist while a connection is open: a reader holds one while a hook writes
        reader = sqlite3.connect(str(project / ".claude-session.db"))
        reader.execute("SELECT count(*) FROM hook_events").fetchone()
        Session(project).run("Stop", load_fixture("Stop__default", project))
        companions = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in project.glob(".claude-session.db-*")}
        reader.close()
    finally:
        os.umask(old)
    assert companions == {".claude-session.db-wal": "0o600", ".claude-session.db-shm": "0o600"}
    private = written_files(project / ".claude-session.db.spool", tmp_path / "out", tmp_path / "targets",
                            Path(os.environ["HOOKLEDGER_HOME"]) / "spool") + [project / ".claude-session.db"]
    modes = {str(p): oct(stat.S_IMODE(os.lstat(p).st_mode)) for p in private}
    assert {p: m for p, m in modes.items() if m != "0o600"} == {}
    folders = [project / ".claude-session.db.spool", project / ".claude-session.db.spool" / "quarantine",
               tmp_path / "targets"]
    assert {str(d): oct(stat.S_IMODE(os.stat(d).st_mode)) for d in folders} == {str(d): "0o700" for d in folders}
