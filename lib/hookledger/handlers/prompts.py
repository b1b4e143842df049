"""The prompts table: each UserPromptSubmit's text (redacted, capped) under its prompt id."""

from __future__ import annotations

from hookledger.handlers.context import Context
from hookledger.hotpath.redact import redact_clip

# Longer prompts (pasted logs, whole files) keep their first MAX_PROMPT_CHARS characters;
# `chars` keeps the full length and `truncated` says it was cut.
MAX_PROMPT_CHARS = 16_000


def user_prompt_submit(ctx: Context) -> None:
    prompt = ctx.event.text("prompt")
    if prompt is None:
        return
    # Before 2.1.196 there is no prompt_id: the receive time keys it (a spool replay keeps it).
    prompt_id = ctx.event.text("prompt_id") or f"hook-{ctx.now}"
    text = redact_clip(prompt, MAX_PROMPT_CHARS) if ctx.config["capture"]["prompts"] else None
    ctx.conn.execute(
        "INSERT INTO prompts (session_id, prompt_id, agent_id, created_at, text, chars, truncated, source)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'hook') ON CONFLICT(session_id, prompt_id) DO NOTHING",
        (ctx.session_id, prompt_id, ctx.event.agent_id, ctx.now, text, len(prompt),
         int(text is not None and len(prompt) > MAX_PROMPT_CHARS)),
    )
