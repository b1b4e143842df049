"""A scripted stand-in for the Anthropic Messages API, for driving the real Claude Code offline.

Listens on 127.0.0.1 only. Each conversation is named by a marker `[[e2e:NAME]]` that the test
puts in the main prompt and in every Agent tool call's prompt; a request belongs to the
conversation whose marker appears first in its user messages (after a compaction the summary
carries the marker on, because this stand-in writes the summary). Every model turn of a
conversation takes the next step of its script; compaction requests ("create a detailed
summary") are answered with a summary; requests without tools are side calls (titles). Every
request is recorded, in order, so tests can assert on what Claude Code sent.

A step is a list of content blocks (`text(...)`, `tool(...)`), a `TooLong()` (HTTP 400
"prompt is too long", which makes Claude Code compact and retry), or a callable taking the
request body and returning either. `Step(..., after=(NAME, N))` holds the answer until
conversation NAME has made N turn requests: that is how a test orders two parallel subagents.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MARKER = re.compile(r"\[\[e2e:([\w.-]+)\]\]")
COMPACT_ASK = "create a detailed summary of the conversation"
TOO_LONG = "prompt is too long: 250000 tokens > 200000 maximum"
WAIT_LIMIT_S = 60.0

Block = dict[str, Any]


def text(value: str) -> Block:
    return {"type": "text", "text": value}


def tool(name: str, tool_input: dict[str, Any]) -> Block:
    """A tool call; its id is assigned when the step is answered (see tool_use_id)."""
    return {"type": "tool_use", "name": name, "input": tool_input}


def tool_use_id(conversation: str | None, turn: int, index: int) -> str:
    """The id of the tool call in block `index` of a conversation's `turn`."""
    return f"toolu_e2e_{(conversation or 'none').replace('-', '_').replace('.', '_')}_{turn}_{index}"


@dataclass
class TooLong:
    """Answer the turn with HTTP 400 prompt-too-long (reactive compaction)."""


@dataclass
class Step:
    blocks: list[Block] | TooLong | Callable[[dict[str, Any]], Any]
    after: tuple[str, int] | None = None


@dataclass
class Request:
    """One request as received, classified."""
    index: int
    path: str
    body: dict[str, Any]
    kind: str  # turn, compact, side, other
    conversation: str | None
    turn: int | None  # 1-based turn number within the conversation (turn requests only)
    answered: str = ""  # tool_use, end_turn, too_long, summary, side, 404
    answer: list[Block] = field(default_factory=list)  # the content blocks sent back (turns)
    received_at: float = field(default_factory=time.time)

    def messages(self) -> list[dict[str, Any]]:
        return [m for m in self.body.get("messages") or [] if isinstance(m, dict)]

    def context_text(self) -> str:
        """Everything the model reads besides its own output: user and system messages (tool
        results, hook context, system reminders), in order."""
        return "\n".join(_texts([m for m in self.messages() if m.get("role") != "assistant"]))

    def tool_results(self) -> dict[str, dict[str, Any]]:
        """tool_use_id -> the tool_result block, from every user message."""
        found: dict[str, dict[str, Any]] = {}
        for message in self.messages():
            for block in message.get("content") if isinstance(message.get("content"), list) else []:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    found[block.get("tool_use_id")] = block
        return found

    def context_after(self, tool_use_id: str) -> str:
        """What reached the model with a tool's result, beside the result itself: the texts that
        follow it up to the next assistant message (hook context arrives there)."""
        out: list[str] = []
        seen = False
        for message in self.messages():
            if seen and message.get("role") == "assistant":
                break
            content = message.get("content")
            for block in content if isinstance(content, list) else [{"type": "text", "text": content}]:
                if not isinstance(block, dict):
                    continue
                if block.get("type") == "tool_result" and block.get("tool_use_id") == tool_use_id:
                    seen = True
                elif seen:
                    out.extend(_texts([{"role": "user", "content": [block]}]))
        return "\n".join(out)

    def tool_names(self) -> list[str]:
        return [t.get("name") for t in self.body.get("tools") or [] if isinstance(t, dict)]


def _texts(messages: list[Any], role: str | None = None):
    for message in messages:
        if not isinstance(message, dict) or (role and message.get("role") != role):
            continue
        content = message.get("content")
        if isinstance(content, str):
            yield content
            continue
        for block in content if isinstance(content, list) else []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text":
                yield block.get("text") or ""
            elif block.get("type") == "tool_result":
                inner = block.get("content")
                if isinstance(inner, str):
                    yield inner
                elif isinstance(inner, list):
                    yield from (b.get("text") or "" for b in inner if isinstance(b, dict) and b.get("type") == "text")


def result_text(block: dict[str, Any]) -> str:
    """The text of a tool_result block."""
    return "\n".join(_texts([{"role": "user", "content": [block]}]))


def conversation_of(body: dict[str, Any]) -> str | None:
    """The first marker in the request's user messages."""
    for chunk in _texts(body.get("messages") or [], role="user"):
        found = MARKER.search(chunk)
        if found:
            return found.group(1)
    return None


def is_compaction(body: dict[str, Any]) -> bool:
    messages = body.get("messages") or []
    last = next((m for m in reversed(messages) if isinstance(m, dict) and m.get("role") == "user"), None)
    return last is not None and COMPACT_ASK in "\n".join(_texts([last])).lower()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up (Claude Code's connectivity probe) is not an error here


class StandinAPI:
    """The server and its scripts. Use as a context manager; `url` is its base URL."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[Step]] = {}
        self.requests: list[Request] = []
        self.summaries: dict[str, str] = {}
        self._turns: dict[str, int] = {}
        self._compacting: str | None = None  # the conversation last answered "prompt is too long"
        self._lock = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting

    def script(self, conversation: str, *steps: Step | list[Block] | TooLong) -> None:
        self.scripts[conversation] = [s if isinstance(s, Step) else Step(s) for s in steps]

    # -- what was received

    def turns(self, conversation: str) -> list[Request]:
        return [r for r in self.requests if r.conversation == conversation and r.kind == "turn"]

    def of_kind(self, kind: str) -> list[Request]:
        return [r for r in self.requests if r.kind == kind]

    def turn_count(self, conversation: str) -> int:
        with self._lock:
            return self._turns.get(conversation, 0)

    # -- lifecycle

    def __enter__(self) -> StandinAPI:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                api._handle(self)

            def do_GET(self) -> None:
                api._record(self.path, {}, "other", None, None, "404")
                self._plain(404, {"type": "error", "error": {"type": "not_found_error", "message": "not here"}})

            do_HEAD = do_GET

            def _plain(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="standin-api", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        with self._lock:
            self._lock.notify_all()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- handling

    def _record(self, path: str, body: dict[str, Any], kind: str, conversation: str | None, turn: int | None,
                answered: str) -> Request:
        with self._lock:
            req = Request(len(self.requests), path, body, kind, conversation, turn, answered)
            self.requests.append(req)
            self._lock.notify_all()
            return req

    def _handle(self, handler: Any) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_raw": raw.decode(errors="replace")}
        path = handler.path
        if not path.startswith("/v1/messages") or path.startswith("/v1/messages/count_tokens"):
            self._record(path, body, "other", None, None, "404")
            handler._plain(404, {"type": "error", "error": {"type": "not_found_error", "message": path}})
            return
        conversation = conversation_of(body)
        if is_compaction(body):
            # A compaction retried after "prompt is too long" may have dropped the marked messages.
            conversation = conversation or self._compacting
            req = self._record(path, body, "compact", conversation, None, "summary")
            summary = self.summaries.get(conversation or "", "") or "The work so far is summarised here."
            marker = f"[[e2e:{conversation}]] " if conversation else ""
            self._stream(handler, body, [text(f"<summary>{marker}{summary}</summary>")])
            return
        if not body.get("tools"):
            self._record(path, body, "side", conversation, None, "side")
            self._stream(handler, body, [text(self._side_answer(body))])
            return
        with self._lock:
            turn = self._turns.get(conversation or "", 0) + 1
            self._turns[conversation or ""] = turn
        req = self._record(path, body, "turn", conversation, turn, "")
        steps = self.scripts.get(conversation or "", [])
        step = steps[turn - 1] if turn <= len(steps) else Step([text("Done.")])
        if step.after:
            self._wait_for(*step.after)
        blocks = step.blocks(body) if callable(step.blocks) else step.blocks
        if isinstance(blocks, TooLong):
            req.answered = "too_long"
            self._compacting = conversation
            handler._plain(400, {"type": "error", "error": {"type": "invalid_request_error", "message": TOO_LONG}})
            return
        numbered = [{**b, "id": tool_use_id(conversation, turn, n)} if b.get("type") == "tool_use" else b
                    for n, b in enumerate(blocks)]
        req.answered = "tool_use" if any(b["type"] == "tool_use" for b in numbered) else "end_turn"
        req.answer = numbered
        self._stream(handler, body, numbered)

    def _wait_for(self, conversation: str, turns: int) -> None:
        deadline = time.monotonic() + WAIT_LIMIT_S
        with self._lock:
            while self._turns.get(conversation, 0) < turns and time.monotonic() < deadline:
                self._lock.wait(timeout=0.5)

    @staticmethod
    def _side_answer(body: dict[str, Any]) -> str:
        fmt = (body.get("output_config") or {}).get("format") or {}
        if fmt.get("type") == "json_schema":
            schema = fmt.get("schema") or {}
            props = schema.get("properties") or {}
            return json.dumps({k: ("e2e" if (v or {}).get("type") == "string" else False) for k, v in props.items()})
        return "e2e"

    @staticmethod
    def _stream(handler: BaseHTTPRequestHandler, body: dict[str, Any], blocks: list[Block]) -> None:
        """Answer as Server-Sent Events, the way the Messages API streams."""
        model = body.get("model") or "claude-e2e"
        input_tokens = max(1, len(json.dumps(body.get("messages") or [])) // 4)
        stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
        events: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": {
            "id": f"msg_e2e_{time.time_ns()}", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0}}})]
        output_tokens = 0
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                start = {"type": "text", "text": ""}
                delta = {"type": "text_delta", "text": block["text"]}
                output_tokens += max(1, len(block["text"]) // 4)
            else:
                start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
                partial = json.dumps(block["input"])
                delta = {"type": "input_json_delta", "partial_json": partial}
                output_tokens += max(1, len(partial) // 4)
            events += [("content_block_start", {"type": "content_block_start", "index": index, "content_block": start}),
                       ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}),
                       ("content_block_stop", {"type": "content_block_stop", "index": index})]
        events += [("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                      "usage": {"output_tokens": output_tokens}}),
                   ("message_stop", {"type": "message_stop"})]
        payload = b"".join(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("request-id", f"req_e2e_{time.time_ns()}")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
        handler.wfile.flush()
