"""Cost in USD: where the CLI, the live view and the report ask for it.

The price table and per-message pricing are the history work's (issue 14, m012). Until it
is on main this module knows no prices: every cost is None ("not priced"), never $0.
"""

from __future__ import annotations

import sqlite3


def session_cost(conn: sqlite3.Connection, session_id: str) -> float | None:
    """USD spent by the session so far; None when it cannot be priced."""
    return None


def usd(cost: float | None) -> str:
    """'$1.23', '$0.004', or '' when not priced."""
    if cost is None:
        return ""
    return f"${cost:.2f}" if cost >= 0.1 else f"${cost:.4f}".rstrip("0").rstrip(".")
