"""Cost in USD where the CLI, the live view and the report ask for it (knowledge/costs.py does
the pricing; this module picks the project's price table and shapes the figures for people).

None means "not priced" (a model without a price among the session's responses), never $0.
"""

from __future__ import annotations

import os
import sqlite3
from decimal import Decimal
from functools import lru_cache

from hookledger.knowledge.costs import Cost, session_costs
from hookledger.knowledge.prices import PriceTable, load_for_project


@lru_cache(maxsize=8)
def table_for(project_dir: str | None) -> PriceTable:
    """The price table as the project's configuration sets it (shipped prices without one)."""
    return load_for_project(project_dir)


def ledger_project(conn: sqlite3.Connection) -> str | None:
    """The project a ledger belongs to: the folder holding its database file."""
    for _, name, path in conn.execute("PRAGMA database_list"):
        if name == "main" and path:
            return os.path.dirname(os.path.abspath(path))
    return None


def costs(conn: sqlite3.Connection, session_ids: list[str] | None = None) -> dict[str, Cost]:
    """Cost per session with the project's prices (knowledge.costs.session_costs)."""
    return session_costs(conn, session_ids, table_for(ledger_project(conn)))


def as_float(cost: Cost | None) -> float | None:
    """USD as a JSON number (6 decimals), None when not priced (or no response was read yet)."""
    usd = None if cost is None or not cost.messages else cost.usd
    return None if usd is None else float(round(usd, 6))


def session_cost(conn: sqlite3.Connection, session_id: str) -> float | None:
    """USD spent by the session so far; None when it cannot be priced."""
    return as_float(costs(conn, [session_id]).get(session_id))


def total_cost(conn: sqlite3.Connection) -> Cost:
    """Every session of the ledger together."""
    total = Cost()
    for cost in costs(conn).values():
        total.merge(cost)
    return total


def usd(cost: float | Decimal | None) -> str:
    """'$1.23', '$0.004', or '' when not priced."""
    if cost is None:
        return ""
    cost = float(cost)
    return f"${cost:.2f}" if cost >= 0.1 else f"${cost:.4f}".rstrip("0").rstrip(".")
