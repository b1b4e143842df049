"""What one session's transcript records say, accumulated while its files are read.

Only what the ledger keeps is held: a tool call's input without its bulky text (file contents,
edit strings), the text of a result only when it failed, prompts, one usage row per response.
Records are plain dicts from orjson; nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hookledger.handlers.agents import AGENT_TOOLS
from hookledger.knowledge.costs import Usage, usage_from_block
from hookledger.knowledge.transcript import db_time, usage_key

# Record types Claude Code writes that the import knows (and may have nothing to take from).
KNOWN_TYPES = frozenset({"user", "assistant", "system", "attachment", "queue-operation", "last-prompt", "mode",
                         "file-history-snapshot", "summary", "custom-title", "progress", "tag", "agent-name",
                         "permission-mode", "pr-link", "worktree-state"})
# Input fields that hold bulk (file contents, edits): dropped, the ledger never stores them.
BULK = frozenset({"content", "new_string", "old_string", "edits", "new_source", "old_source"})
MAX_INPUT_TEXT = 4000
# Tools whose result (toolUseResult) a handler reads: exit codes, the agent launched, the task list.
RESPONSE_TOOLS = frozenset({"Bash", "PowerShell", "TaskCreate", "TaskUpdate", "TaskList"}) | AGENT_TOOLS
# A user record that is not a prompt typed by someone: slash command plumbing.
_NOT_PROMPTS = ("<command-name>", "<local-command-stdout>", "<local-command-caveat>", "<command-message>",
                "<bash-input>", "<bash-stdout>", "<bash-stderr>", "<user-memory-input>")


def _lean(tool_input: dict[str, Any]) -> dict[str, Any]:
    """The input without its bulk, long strings capped (what a payload summary would show)."""
    out: dict[str, Any] = {}
    for key, value in tool_input.items():
        if key in BULK:
            out[key] = f"({len(value)} chars)" if isinstance(value, str) else f"({len(value)} items)" \
                if isinstance(value, list) else None
        elif isinstance(value, str) and len(value) > MAX_INPUT_TEXT:
            out[key] = value[:MAX_INPUT_TEXT]
        else:
            out[key] = value
    return out


def _text(content: Any) -> str:
    """A tool result's or a message's text: a string, or its text blocks joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b.get("text", "") for b in content if isinstance(b, dict) and isinstance(b.get("text"), str))
    return ""


@dataclass
class Call:
    """A tool call (tool_use) and, once seen, its result."""

    tool_use_id: str
    name: str
    tool_input: dict[str, Any]
    agent_id: str  # main:<session> or the subagent id
    at: str | None
    cwd: str | None
    line_at: tuple[str, int]  # (file, offset) of the tool_use record: where a later read resumes
    done_at: str | None = None
    is_error: bool = False
    error_text: str = ""
    response: Any = None  # toolUseResult for Bash (exit codes) and Agent (agentId, status) calls

    @property
    def finished(self) -> bool:
        return self.done_at is not None


@dataclass
class Prompt:
    prompt_id: str
    text: str
    at: str


@dataclass
class Agent:
    """A subagent as its sidechain file and its Agent call show it."""

    agent_id: str
    agent_type: str | None = None
    first_at: str | None = None
    last_at: str | None = None


@dataclass
class SessionFacts:
    session_id: str
    main: str = ""
    first_at: str | None = None
    last_at: str | None = None
    cwd: str | None = None
    git_branch: str | None = None
    version: str | None = None
    main_path: str | None = None
    models: dict[str, int] = field(default_factory=dict)
    calls: dict[str, Call] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # tool_use_ids in the order seen
    prompts: dict[str, Prompt] = field(default_factory=dict)
    usage: dict[str, tuple[str | None, str | None, str, Usage]] = field(default_factory=dict)
    # (file, offset, uuid, at, trigger: manual / auto) of each compact boundary
    compactions: list[tuple[str, int, str, str | None, str | None]] = field(default_factory=list)
    agents: dict[str, Agent] = field(default_factory=dict)
    # subagent -> (its Agent call, task, final status from the call's result): set by the writer
    spawned: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)
    records: int = 0
    unknown: int = 0
    foreign: int = 0

    def __post_init__(self) -> None:
        self.main = f"main:{self.session_id}"

    # -- reading ------------------------------------------------------------------------------
    def take(self, record: dict[str, Any], path: str, line_at: int, file_agent: str | None) -> None:
        """One parsed record of one of the session's files."""
        owner = record.get("sessionId")
        if isinstance(owner, str) and owner and owner != self.session_id:
            self.foreign += 1  # another session's record copied here: its own transcript has it
            return
        self.records += 1
        kind = record.get("type")
        if kind not in KNOWN_TYPES:
            self.unknown += 1
            return
        at = db_time(record.get("timestamp"))
        agent = file_agent or (record.get("agentId") if record.get("isSidechain") is True else None)
        if at:
            if self.first_at is None or at < self.first_at:
                self.first_at = at
            if self.last_at is None or at > self.last_at:
                self.last_at = at
            if agent:
                a = self.agents.setdefault(agent, Agent(agent))
                a.first_at = at if a.first_at is None or at < a.first_at else a.first_at
                a.last_at = at if a.last_at is None or at > a.last_at else a.last_at
        if file_agent is None:
            for key, attr in (("cwd", "cwd"), ("gitBranch", "git_branch"), ("version", "version")):
                value = record.get(key)
                if isinstance(value, str) and value:
                    setattr(self, attr, value)
        if kind == "assistant":
            self._assistant(record, path, line_at, agent or self.main, at)
        elif kind == "user":
            self._user(record, agent, at)
        elif kind == "system" and record.get("subtype") == "compact_boundary" and not agent:
            meta = record.get("compactMetadata")
            trigger = meta.get("trigger") if isinstance(meta, dict) and isinstance(meta.get("trigger"), str) else None
            self.compactions.append((path, line_at, str(record.get("uuid") or f"{path}:{line_at}"), at, trigger))

    def _assistant(self, record: dict[str, Any], path: str, line_at: int, agent: str, at: str | None) -> None:
        message = record.get("message")
        if not isinstance(message, dict):
            return
        model = message.get("model") if isinstance(message.get("model"), str) else None
        if model and model.startswith("<"):
            model = None  # '<synthetic>': Claude Code's own message, no model behind it (as the hooks read it)
        if agent != self.main and model:
            a = self.agents.setdefault(agent, Agent(agent))
            attribution = record.get("attributionAgent")
            if isinstance(attribution, str) and attribution and not a.agent_type:
                a.agent_type = attribution
        usage = message.get("usage")
        key = usage_key(record, message)
        if isinstance(usage, dict) and key:
            counts = usage_from_block(usage)
            old = self.usage.get(key)
            if old is None:
                self.usage[key] = (model, at, agent, counts)
                if model:
                    self.models[model] = self.models.get(model, 0) + 1
            else:  # a later record of the same response: keep the largest counters
                o = old[3]
                self.usage[key] = (old[0] or model, old[1], old[2], Usage(
                    max(o.input, counts.input), max(o.output, counts.output),
                    max(o.cache_creation, counts.cache_creation), max(o.cache_5m, counts.cache_5m),
                    max(o.cache_1h, counts.cache_1h), max(o.cache_read, counts.cache_read)))
        content = message.get("content")
        if not isinstance(content, list):
            return
        cwd = record.get("cwd") if isinstance(record.get("cwd"), str) else None
        for block in content:
            if not isinstance(block, dict) or block.get("type") != "tool_use":
                continue
            tool_use_id, name = block.get("id"), block.get("name")
            if not isinstance(tool_use_id, str) or not isinstance(name, str) or tool_use_id in self.calls:
                continue
            tool_input = block.get("input") if isinstance(block.get("input"), dict) else {}
            self.calls[tool_use_id] = Call(tool_use_id, name, _lean(tool_input), agent, at, cwd, (path, line_at))
            self.order.append(tool_use_id)

    def _user(self, record: dict[str, Any], agent: str | None, at: str | None) -> None:
        message = record.get("message")
        if not isinstance(message, dict):
            return
        content = message.get("content")
        results = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"] \
            if isinstance(content, list) else []
        for block in results:
            call = self.calls.get(block.get("tool_use_id"))  # type: ignore[arg-type]
            if call is None or call.finished:
                continue
            call.done_at = at or call.at
            call.is_error = block.get("is_error") is True
            if call.is_error:
                call.error_text = _text(block.get("content"))[:20000]
            if call.name in RESPONSE_TOOLS:
                response = record.get("toolUseResult")
                call.response = response if isinstance(response, dict) else None
        if results or agent or record.get("isMeta") or record.get("isCompactSummary"):
            return
        text = _text(content)
        if not text.strip() or text.lstrip().startswith(_NOT_PROMPTS):
            return
        prompt_id = record.get("promptId") or record.get("uuid")
        if isinstance(prompt_id, str) and prompt_id and prompt_id not in self.prompts:
            self.prompts[prompt_id] = Prompt(prompt_id, text, at or "")

    # -- after reading ------------------------------------------------------------------------
    def resume_point(self) -> dict[str, int]:
        """Per file, the offset of its earliest tool call still waiting for a result: a later
        import reads again from there (everything keyed, so re-reading adds nothing)."""
        out: dict[str, int] = {}
        for call in self.calls.values():
            if not call.finished:
                path, at = call.line_at
                out[path] = min(out.get(path, at), at)
        return out

    def main_model(self) -> str | None:
        return max(self.models, key=lambda m: self.models[m]) if self.models else None
