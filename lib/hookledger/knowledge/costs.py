"""What tokens cost: one usage block as Claude Code wrote it, and every session of a ledger.

Cache writes are priced by their lifetime: the usage block's `cache_creation` split
(`ephemeral_5m_input_tokens`, `ephemeral_1h_input_tokens`) when present; what the split does not
cover (older transcripts have only `cache_creation_input_tokens`) is a 5-minute write, Claude
Code's default. A long-prompt tier prices every token of the request at its rates. Sums are
exact Decimals. A message whose model has no price, or needs a rate the table does not know,
is unpriced: its session's `usd` is None and the model is listed, never counted as $0.

`session_costs(conn, session_ids=None)` is the public entry point for the CLI, the report and
the sync targets (Team-X `cost_usd`, flightdeck `task_cost_records`). Stdlib only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from hookledger.knowledge.prices import MTOK, PriceTable, load

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Usage:
    """One API response's token counts, as its usage block says."""

    input: int = 0
    output: int = 0
    cache_creation: int = 0  # cache_creation_input_tokens: every cache write
    cache_5m: int = 0        # of which 5-minute writes (cache_creation.ephemeral_5m_input_tokens)
    cache_1h: int = 0        # of which 1-hour writes (cache_creation.ephemeral_1h_input_tokens)
    cache_read: int = 0

    def writes(self) -> tuple[int, int]:
        """(5-minute, 1-hour) cache-write tokens; the rest of the total beyond the split is 5-minute."""
        rest = max(0, self.cache_creation - self.cache_5m - self.cache_1h)
        return self.cache_5m + rest, self.cache_1h

    @property
    def prompt(self) -> int:
        """Tokens of the request's prompt (what a long-prompt tier compares)."""
        return self.input + max(self.cache_creation, self.cache_5m + self.cache_1h) + self.cache_read


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def usage_from_block(usage: dict) -> Usage:
    """A Usage from a transcript's `message.usage` object (missing or odd counters are 0)."""
    split = usage.get("cache_creation")
    split = split if isinstance(split, dict) else {}
    return Usage(_count(usage.get("input_tokens")), _count(usage.get("output_tokens")),
                 _count(usage.get("cache_creation_input_tokens")),
                 _count(split.get("ephemeral_5m_input_tokens")), _count(split.get("ephemeral_1h_input_tokens")),
                 _count(usage.get("cache_read_input_tokens")))


def message_cost(table: PriceTable, model: str | None, usage: Usage, at: str | None = None) -> Decimal | None:
    """USD of one response (exact), or None when it cannot be priced. A response without tokens
    (Claude Code's '<synthetic>' messages) costs nothing, whatever its model."""
    if not (usage.input or usage.output or usage.cache_creation or usage.cache_5m or usage.cache_1h
            or usage.cache_read):
        return Decimal(0)
    price = table.lookup(model, at)
    if price is None:
        return None
    rates = price.rates_for(usage.prompt)
    five, hour = usage.writes()
    total = Decimal(0)
    for tokens, rate in ((usage.input, rates.input), (usage.output, rates.output), (five, rates.cache_write_5m),
                         (hour, rates.cache_write_1h), (usage.cache_read, rates.cache_read)):
        if tokens:
            if rate is None:
                return None
            total += tokens * rate
    return total / MTOK


@dataclass
class Cost:
    """Tokens and USD of a group of messages (a session, a day, a model...)."""

    messages: int = 0
    input: int = 0
    output: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0
    priced_usd: Decimal = Decimal(0)            # the priced messages only
    unpriced: dict[str, int] = field(default_factory=dict)  # model -> unpriced messages

    @property
    def usd(self) -> Decimal | None:
        """The cost, or None when any message could not be priced."""
        return None if self.unpriced else self.priced_usd

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @property
    def tokens(self) -> int:
        return self.input + self.output + self.cache_write + self.cache_read

    def add(self, table: PriceTable, model: str | None, usage: Usage, at: str | None) -> None:
        five, hour = usage.writes()
        self.messages += 1
        self.input += usage.input
        self.output += usage.output
        self.cache_write_5m += five
        self.cache_write_1h += hour
        self.cache_read += usage.cache_read
        cost = message_cost(table, model, usage, at)
        if cost is None:
            key = model or "(no model)"
            self.unpriced[key] = self.unpriced.get(key, 0) + 1
        else:
            self.priced_usd += cost

    def merge(self, other: Cost) -> None:
        """Add another group's figures to this one."""
        self.messages += other.messages
        self.input += other.input
        self.output += other.output
        self.cache_write_5m += other.cache_write_5m
        self.cache_write_1h += other.cache_write_1h
        self.cache_read += other.cache_read
        self.priced_usd += other.priced_usd
        for model, n in other.unpriced.items():
            self.unpriced[model] = self.unpriced.get(model, 0) + n

    def as_dict(self) -> dict[str, object]:
        usd = self.usd
        return {"usd": None if usd is None else str(usd.quantize(Decimal("0.000001"), ROUND_HALF_UP)),
                "usd_cents": None if usd is None else str(usd.quantize(CENT, ROUND_HALF_UP)),
                "priced_usd": str(self.priced_usd.quantize(Decimal("0.000001"), ROUND_HALF_UP)),
                "messages": self.messages, "input_tokens": self.input, "output_tokens": self.output,
                "cache_write_5m_tokens": self.cache_write_5m, "cache_write_1h_tokens": self.cache_write_1h,
                "cache_read_tokens": self.cache_read, "unpriced_models": dict(sorted(self.unpriced.items()))}


# The public name the sync targets use.
SessionCost = Cost

USAGE_SQL = ("SELECT session_id, model, timestamp, agent_id, input_tokens, output_tokens,"
             " cache_creation_input_tokens, cache_creation_5m_tokens, cache_creation_1h_tokens,"
             " cache_read_input_tokens FROM transcript_usage")


def usage_rows(conn: sqlite3.Connection, session_ids: Iterable[str] | None = None,
               since: str | None = None) -> Iterator[tuple[str, str | None, str | None, str | None, Usage]]:
    """(session, model, timestamp, agent, Usage) of every priced response stored in the ledger."""
    where, params = [], []
    if since:
        where.append("timestamp >= ?")
        params.append(since)
    ids = None if session_ids is None else list(dict.fromkeys(session_ids))
    batches = [None] if ids is None else [ids[i:i + 500] for i in range(0, len(ids), 500)]
    for batch in batches:
        clauses = list(where)
        args = list(params)
        if batch is not None:
            clauses.append(f"session_id IN ({','.join('?' * len(batch))})")
            args.extend(batch)
        sql = USAGE_SQL + (" WHERE " + " AND ".join(clauses) if clauses else "")
        for sid, model, at, agent, inp, out, cc, c5, c1, cr in conn.execute(sql, args):
            yield sid, model, at, agent, Usage(inp or 0, out or 0, cc or 0, c5 or 0, c1 or 0, cr or 0)


def session_costs(conn: sqlite3.Connection, session_ids: Iterable[str] | None = None,
                  table: PriceTable | None = None) -> dict[str, Cost]:
    """Cost per session (every session with token usage, or the ones named; a named session
    without usage gets an empty Cost, whose usd is $0: it used no tokens)."""
    table = table or load()
    out: dict[str, Cost] = {} if session_ids is None else {sid: Cost() for sid in session_ids}
    for sid, model, at, _agent, usage in usage_rows(conn, None if session_ids is None else list(out)):
        out.setdefault(sid, Cost()).add(table, model, usage, at)
    return out


GROUPS = ("day", "session", "model", "agent", "project")


def grouped_costs(conn: sqlite3.Connection, by: str, since: str | None = None,
                  table: PriceTable | None = None) -> dict[str, Cost]:
    """Cost per day (UTC, of the response), session, model, agent or project (the session's
    project folder), over responses at or after `since` ('YYYY-MM-DD')."""
    if by not in GROUPS:
        raise ValueError(f"cannot group by {by!r}")
    table = table or load()
    projects: dict[str, str] = {}
    if by == "project":
        projects = {sid: d or "(unknown)" for sid, d in conn.execute("SELECT session_id, project_dir FROM sessions")}
    out: dict[str, Cost] = {}
    for sid, model, at, agent, usage in usage_rows(conn, None, since):
        key = {"day": (at or "")[:10] or "(no time)", "session": sid, "model": model or "(no model)",
               "agent": agent or "(unknown)", "project": projects.get(sid, "(unknown)")}[by]
        out.setdefault(key, Cost()).add(table, model, usage, at)
    return out


def cents(usd: Decimal | None) -> str:
    """'$1.23', '$0.0042' under ten cents, 'unpriced' for None."""
    if usd is None:
        return "unpriced"
    if usd and usd < Decimal("0.1"):
        return "$" + format(usd.quantize(Decimal("0.0001"), ROUND_HALF_UP), "f")
    return "$" + format(usd.quantize(CENT, ROUND_HALF_UP), ",f")
