"""Importing Claude Code transcripts into the ledger (`hookledger import`).

Claude Code keeps a JSONL transcript of every session under
`~/.claude/projects/<project path with / as ->/<session_id>.jsonl` (subagents under
`<session_id>/subagents/agent-<id>.jsonl`). The import records what they show in the tables the
hooks write, marked `origin = 'import'` (`source = 'import'` in transcript_usage and prompts),
merging with what the hooks recorded: a tool call, a response and a prompt are keyed by their
tool_use_id, message id and prompt id, so nothing is recorded twice.

locate.py  which files (a project's folder, every project, given paths)
reader.py  complete lines after a byte offset, streamed; the cheap prefilter of record types
session.py what one session's records say (tool calls and results, prompts, usage, compactions,
           subagents), accumulated while its files are read
errors.py  failed calls as the hooks count them: attempts, escalation, auto-fix, abandoned
writer.py  one session's facts into the ledger, in one transaction, batched
run.py     the import: cursors per file, sessions, the report
"""
