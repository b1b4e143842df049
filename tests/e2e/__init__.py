"""End-to-end sessions of the real Claude Code CLI (docs/e2e.md)."""
