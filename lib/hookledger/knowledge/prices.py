"""The price table: USD per million tokens for each Claude model, as shipped data
(`prices.json`) overridden and extended by the `prices` key of `.claude/hookledger.json`.

A model id is matched after normalising away what names the same model differently: the
Bedrock/Vertex prefix and suffixes (`us.anthropic.`, `@20250514`, `-v1:0`), a release date
(`-20250929`), `-latest` and Claude Code's context mark (`[1m]`). Rows carry the date from which
they apply: a message is priced by the latest row of its model in effect at its timestamp.
Rates are Decimal (exact to the cent whatever the sum); a rate that is not known is None, and a
message that needs it is unpriced, never $0. Stdlib only.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prices.json")
RATES = ("input", "cache_write_5m", "cache_write_1h", "cache_read", "output")
MTOK = Decimal(1_000_000)

_SUFFIXES = re.compile(r"(\[[^\]]*\])$|(@[\w.-]+)$|(-v\d+(:\d+)?)$|(-\d{8})$|(-latest)$")


def normalize(model: str) -> str:
    """The model id a price row names: 'us.anthropic.claude-opus-4-20250514-v1:0' -> 'claude-opus-4'."""
    name = model.strip().lower()
    if "anthropic." in name:
        name = name.rsplit("anthropic.", 1)[1]
    while True:
        stripped = _SUFFIXES.sub("", name)
        if stripped == name:
            return name
        name = stripped


@dataclass(frozen=True)
class Rates:
    """USD per million tokens; None where not known."""

    input: Decimal | None
    cache_write_5m: Decimal | None
    cache_write_1h: Decimal | None
    cache_read: Decimal | None
    output: Decimal | None


@dataclass(frozen=True)
class Tier:
    """Rates for every token of a request whose prompt exceeds `above_prompt_tokens`."""

    above_prompt_tokens: int
    rates: Rates
    source: str = ""


@dataclass(frozen=True)
class Price:
    """One row of the table: the model ids (or glob patterns) it prices, from a date."""

    ids: tuple[str, ...]
    rates: Rates
    effective: str = ""
    source: str = ""
    tiers: tuple[Tier, ...] = ()

    def rates_for(self, prompt_tokens: int) -> Rates:
        """The rates of a request of that prompt size (the highest tier it exceeds)."""
        chosen = self.rates
        for tier in sorted(self.tiers, key=lambda t: t.above_prompt_tokens):
            if prompt_tokens > tier.above_prompt_tokens:
                chosen = tier.rates
        return chosen


def _rate(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"not a price: {value!r}") from None
    if not rate.is_finite() or rate < 0:
        raise ValueError(f"not a price: {value!r}")
    return rate


def _rates(row: dict[str, Any], base: Rates | None = None) -> Rates:
    values = {}
    for name in RATES:
        values[name] = _rate(row[name]) if name in row else (getattr(base, name) if base else None)
    return Rates(**values)


def _price(row: dict[str, Any], ids: tuple[str, ...], base: Price | None = None) -> Price:
    tiers = tuple(Tier(int(t["above_prompt_tokens"]), _rates(t), str(t.get("source", "")))
                  for t in row.get("tiers", ())) if "tiers" in row else (base.tiers if base else ())
    return Price(ids=ids, rates=_rates(row, base.rates if base else None),
                 effective=str(row.get("effective", base.effective if base else "")),
                 source=str(row.get("source", "configuration (.claude/hookledger.json prices)")), tiers=tiers)


@dataclass
class PriceTable:
    """Every price row; `lookup` finds the one for a model at a time."""

    rows: list[Price] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def lookup(self, model: str | None, at: str | None = None) -> Price | None:
        """The row in effect for `model` at `at` ('YYYY-MM-DD...'), the latest when `at` is None.
        Exact ids win over glob patterns; among rows of the same id, the latest effective date
        not after `at`."""
        if not model:
            return None
        name = normalize(model)
        exact = [p for p in self.rows if name in p.ids]
        pool = exact or [p for p in self.rows if any("*" in i and fnmatch.fnmatchcase(name, i) for i in p.ids)]
        if not pool:
            return None
        day = (at or "")[:10]
        usable = [p for p in pool if not day or not p.effective or p.effective <= day] or pool
        return max(enumerate(usable), key=lambda ip: (ip[1].effective, ip[0]))[1]


def shipped_rows() -> list[Price]:
    """The table shipped with hookledger (prices.json)."""
    with open(DATA, encoding="utf-8") as fh:
        data = json.load(fh)
    return [_price(row, tuple(i.lower() for i in row["ids"])) for row in data["models"]]


def load(overrides: dict[str, Any] | None = None) -> PriceTable:
    """The shipped table with the configuration's `prices` applied.

    `overrides` maps a model id (or a glob such as 'my-proxy-*') to rates: an id the table has
    keeps the shipped rates it does not name and replaces them from its `effective` date (every
    date when none is given); a new id is added. A bad entry is skipped and reported in
    `problems`.
    """
    table = PriceTable(shipped_rows())
    for key, row in (overrides or {}).items():
        if not isinstance(row, dict):
            table.problems.append(f"prices.{key}: not an object, ignored")
            continue
        ident = normalize(str(key)) if "*" not in str(key) else str(key).lower()
        base = table.lookup(ident) if "*" not in ident else None
        try:
            price = _price(row, (ident,), base)
        except (ValueError, TypeError, KeyError) as exc:
            table.problems.append(f"prices.{key}: {exc}, ignored")
            continue
        if base is not None and "effective" not in row:
            table.rows = [p for p in table.rows if ident not in p.ids or len(p.ids) > 1]
            table.rows = [p if ident not in p.ids else Price(tuple(i for i in p.ids if i != ident), p.rates,
                                                            p.effective, p.source, p.tiers)
                          for p in table.rows]
            price = Price(price.ids, price.rates, "", price.source, price.tiers)
        table.rows.append(price)
    return table


def load_for_project(project_dir: str | None) -> PriceTable:
    """The price table as the project's `.claude/hookledger.json` configures it."""
    overrides: dict[str, Any] = {}
    if project_dir:
        from hookledger.hotpath import config

        overrides = config.get(config.load(project_dir), "prices") or {}
    return load(overrides)
