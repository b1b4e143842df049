"""Target schemas extracted from the seed documents themselves (`../shared/seeds/00{0,1,2,4}_*.txt`).

The seeds are scraped documentation pages, not SQL: column tables in four different layouts.
`parse_<target>(text)` reads one into `Table`s exactly as documented (names, types, NOT NULL,
defaults, primary keys, foreign keys, UNIQUE, enums, indexes); `<target>_facts(tables)` then
adds what issue 7 says the real systems enforce and the documents leave out or get wrong
(Massu's CHECKs and FTS5 triggers, importance 1-5, foreign keys to sessions; Team-X's
append-only triggers). Enumerated values become CHECK constraints: the documents give the
allowed values, and a test target should reject anything else. `tables(target)` is the
result, `ddl(target)` its SQL. An index on a column the document does not list is left out
(flightdeck's indexes name columns such as agent_roster.status that its tables omit).

`python tests/seed_schema.py` regenerates tests/fixtures/foreign/seed_<target>.sql; a test
checks the committed files still match the seeds (tests/test_sync_seed_schemas.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SEEDS = Path(os.environ.get("HOOKLEDGER_SEEDS") or Path(__file__).resolve().parents[2] / "shared" / "seeds")
FIXTURES = Path(__file__).parent / "fixtures" / "foreign"
SEED_FILES = {"massu": "000_", "flightdeck": "001_", "codewalkers": "002_", "teamx": "004_"}
ARROW = "\u2192"


@dataclass
class Column:
    name: str
    type: str
    notnull: bool = False
    default: str | None = None  # an SQL expression
    pk: bool = False
    autoincrement: bool = False
    unique: bool = False
    references: tuple[str, str, str | None] | None = None  # (table, column, ON DELETE action)
    enum: tuple[str, ...] = ()

    def sql(self, table_pk: tuple[str, ...]) -> str:
        parts = [f'"{self.name}"', self.type]
        if self.pk and len(table_pk) <= 1:
            parts.append("PRIMARY KEY" + (" AUTOINCREMENT" if self.autoincrement else ""))
        if self.notnull and not (self.pk and self.autoincrement):
            parts.append("NOT NULL")
        if self.unique:
            parts.append("UNIQUE")
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        if self.enum:
            values = ", ".join(quote(v) for v in self.enum)
            parts.append(f'CHECK ("{self.name}" IN ({values}))')
        if self.references:
            table, col, action = self.references
            parts.append(f'REFERENCES "{table}"("{col}")' + (f" ON DELETE {action}" if action else ""))
        return " ".join(parts)


@dataclass
class Table:
    name: str
    columns: list[Column] = field(default_factory=list)
    pk: tuple[str, ...] = ()
    uniques: list[tuple[str, ...]] = field(default_factory=list)
    indexes: list[tuple[str, tuple[str, ...], bool, str | None]] = field(default_factory=list)  # name, cols, unique, where
    checks: list[str] = field(default_factory=list)
    extra_sql: list[str] = field(default_factory=list)  # virtual tables, triggers

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def sql(self) -> str:
        lines = [c.sql(self.pk) for c in self.columns]
        if len(self.pk) > 1:
            lines.append("PRIMARY KEY (" + ", ".join(f'"{c}"' for c in self.pk) + ")")
        lines += ["UNIQUE (" + ", ".join(f'"{c}"' for c in u) + ")" for u in self.uniques]
        lines += [f"CHECK ({c})" for c in self.checks]
        out = [f'CREATE TABLE "{self.name}" (\n    ' + ",\n    ".join(lines) + "\n);"]
        skipped = []
        for name, cols, unique, where in self.indexes:
            if all(self.column(c) for c in cols):
                out.append(f'CREATE {"UNIQUE " if unique else ""}INDEX "{name}" ON "{self.name}" ('
                           + ", ".join(f'"{c}"' for c in cols) + ")" + (f" WHERE {where}" if where else "") + ";")
            else:
                skipped.append(name)
        if skipped:
            out.append(f"-- not created, their columns are not in the document: {', '.join(skipped)}")
        out += self.extra_sql
        return "\n".join(out)


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def snake(name: str) -> str:
    """flightdeck's indexes name Drizzle properties (agentId): its columns are agent_id."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def seed_text(target: str) -> str:
    [path] = sorted(SEEDS.glob(SEED_FILES[target] + "*.txt"))
    return path.read_text(encoding="utf-8")


def enum_values(text: str) -> tuple[str, ...]:
    """'a' | 'b' | 'c' at the start of `text` (an enum in the seeds' notation), else ()."""
    m = re.match(r"\s*(?:enum\s+)?('[^']*'(?:\s*\|\s*'[^']*')+)(,? etc\.)?", text)
    if not m or m.group(2):  # "'anthropic' | 'openai' | 'ollama', etc." is an open list
        return ()
    return tuple(re.findall(r"'([^']*)'", m.group(1)))


def table_head(lines: list[str], i: int, header: str) -> str | None:
    """The table named at line `i`: a bare name whose column header (`header`) follows within
    the next two non-blank lines (a one-line description may come between)."""
    m = re.fullmatch(r"([a-z_]+)(?: \(junction\))?", lines[i])
    ahead = [x for x in lines[i + 1:i + 6] if x.strip()][:2]
    return m.group(1) if m and any(x.startswith(header) for x in ahead) else None


def table_lines(text: str, header: str, tables: dict[str, Table]) -> Iterator[tuple[Table, str]]:
    """(table, line) for every non-blank line after a table's name line, up to the next table;
    each table is added to `tables` when its name is reached."""
    lines = [line.rstrip() for line in text.splitlines()]
    current: Table | None = None
    for i, line in enumerate(lines):
        if name := table_head(lines, i, header):
            current = tables.setdefault(name, Table(name))
        elif current is not None and line.strip() and line != header:
            yield current, line


# ---------------------------------------------------------------- 000 Massu


def parse_massu(text: str) -> dict[str, Table]:
    """The Memory Database section: `name` line, `| Column | Type | Description |` rows."""
    section = text.split("\nMemory Database\n", 1)[1].split("\nPython Intelligence Tables", 1)[0]
    tables: dict[str, Table] = {}
    lines = section.splitlines()
    current: Table | None = None
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and lines[i + 1].startswith("| Column | Type |"):
            current = tables.setdefault(line.strip(), Table(line.strip()))
            continue
        m = re.match(r"^(\w+) \| (TEXT|INTEGER|REAL)(?: \(JSON\))? \| (.*) \|$", line)
        if m and current is not None:
            current.columns.append(Column(m.group(1), m.group(2)))
    return tables


def massu_facts(tables: dict[str, Table]) -> None:
    """What Massu's code enforces (issue 7): CHECKs, 1-5 importance, FKs to sessions, FTS5."""
    sessions = tables["sessions"]
    sessions.column("session_id").pk = True  # "Unique session identifier"; the FK target
    sessions.column("status").enum = ("active", "completed", "abandoned")
    for table in tables.values():
        ident = table.column("id")
        if ident is not None and ident.type == "INTEGER":
            ident.pk = ident.autoincrement = True
        sid = table.column("session_id")
        if sid is not None and table.name != "sessions":
            sid.references = ("sessions", "session_id", None)
    obs = tables["observations"]
    obs.column("type").enum = ("decision", "bugfix", "feature", "refactor", "discovery", "cr_violation", "vr_check",
                               "pattern_compliance", "failed_attempt", "file_change", "incident_near_miss")
    obs.checks.append('"importance" BETWEEN 1 AND 5')
    obs.extra_sql += [
        "CREATE VIRTUAL TABLE observations_fts USING fts5(title, description, content='observations', content_rowid='id');",
        "CREATE TRIGGER observations_ai AFTER INSERT ON observations BEGIN\n"
        "    INSERT INTO observations_fts(rowid, title, description) VALUES (new.id, new.title, new.description);\nEND;",
        "CREATE TRIGGER observations_ad AFTER DELETE ON observations BEGIN\n"
        "    INSERT INTO observations_fts(observations_fts, rowid, title, description)"
        " VALUES ('delete', old.id, old.title, old.description);\nEND;",
        "CREATE TRIGGER observations_au AFTER UPDATE ON observations BEGIN\n"
        "    INSERT INTO observations_fts(observations_fts, rowid, title, description)"
        " VALUES ('delete', old.id, old.title, old.description);\n"
        "    INSERT INTO observations_fts(rowid, title, description) VALUES (new.id, new.title, new.description);\nEND;",
    ]
    audit = tables["audit_log"]
    audit.column("event_type").enum = ("code_change", "rule_enforced", "approval", "review", "commit", "compaction")
    audit.column("actor").enum = ("ai", "human", "hook", "agent")
    audit.column("change_type").enum = ("create", "edit", "delete")
    audit.column("approval_status").enum = ("auto_approved", "human_approved", "pending", "denied")


# ---------------------------------------------------------------- 001 flightdeck


_FD_ROW = re.compile(r"^([a-z_0-9]+)(TEXT|INTEGER|REAL|BLOB)(NOT NULL|nullable)(.*)$")
_ISO_NOW = "(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"  # "UTC now": ISO-8601 with Z (issue 7)


def _fd_default(text: str) -> str | None:
    if not text:
        return None
    if text == "UTC now":
        return _ISO_NOW
    if re.fullmatch(r"-?\d+", text):
        return text
    return quote(text)


def parse_flightdeck(text: str) -> dict[str, Table]:
    """`name` / `Primary key: ...` / `ColumnTypeNullableDefaultNotes` rows run together / Indexes."""
    tables: dict[str, Table] = {}
    for table, line in table_lines(text, "Primary key:", tables):
        if line.startswith("Primary key:"):
            spec = line.split(":", 1)[1].strip()
            if spec.endswith("composite"):
                table.pk = tuple(snake(c.strip()) for c in spec.split(")")[0].strip("( ").split(","))
            else:
                table.pk = (spec.split()[0],)
            continue
        m = _FD_ROW.match(line)
        if m:
            name, type_, null, rest = m.groups()
            col = Column(name, type_, notnull=null == "NOT NULL")
            if rest.startswith("PK"):
                col.pk = True
                col.autoincrement = "auto-increment" in rest
            elif rest.startswith("FK " + ARROW):
                ref_table, ref_column = rest.split(ARROW, 1)[1].strip().split(".")
                col.references = (snake(ref_table), snake(ref_column), None)
            else:
                col.default = _fd_default(rest)
            table.columns.append(col)
            continue
        m = re.match(r"^\s*\u2022 (\w+)( \(unique\))? on (.+)$", line)
        if m:
            cols = tuple(snake(c.strip()) for c in m.group(3).split(","))
            table.indexes.append((m.group(1), cols, bool(m.group(2)), None))
    for table in tables.values():
        if len(table.pk) == 1 and table.column(table.pk[0]):
            table.column(table.pk[0]).pk = True
    return tables


def flightdeck_facts(tables: dict[str, Table]) -> None:
    """Nothing to add to the columns: 'UTC now' is already ISO 'Z' text, team_id defaults to
    'default' in the document. Lock expiry and ownership are behaviour, checked by the tests."""


# ---------------------------------------------------------------- 002 Codewalkers


_CW_TYPES = {"text": "TEXT", "integer": "INTEGER", "integer/timestamp": "INTEGER", "integer/boolean": "INTEGER"}
_CW_ROW = re.compile(r"^([A-Za-z, ]+?) (text|integer/timestamp|integer/boolean|integer)(?: (.*))?$")


def _cw_column(name: str, type_: str, notes: str, table: str) -> Column:
    col = Column(name, _CW_TYPES[type_])
    col.pk = notes.startswith("PK")
    col.notnull = "NOT NULL" in notes
    col.unique = bool(re.search(r"\bUNIQUE\b", notes))
    m = re.search(r"(?<!NO )FK ?" + ARROW + r" ?(\w+)(?: \((cascade|set null)\)| ON DELETE (CASCADE|SET NULL))?", notes)
    self_ref = re.search(r"self-ref FK(?: \((cascade|set null)\))?", notes)
    if m:
        action = (m.group(2) or m.group(3) or "").upper() or None
        col.references = (m.group(1), "id", action)
    elif self_ref:
        col.references = (table, "id", (self_ref.group(1) or "").upper() or None)
    col.enum = enum_values(notes)
    d = re.search(r"default (true|false|'[^']*'|\d+)", notes)
    if d:
        col.default = {"true": "1", "false": "0"}.get(d.group(1), d.group(1))
    return col


def parse_codewalkers(text: str) -> dict[str, Table]:
    """`name` / `Column Type Notes` / `name type notes` rows (several names may share one row)."""
    tables: dict[str, Table] = {}
    for table, line in table_lines(text, "Column Type Notes", tables):
        m = _CW_ROW.match(line)
        if m and re.fullmatch(r"[A-Za-z]+(, [A-Za-z]+)*", m.group(1)):
            for name in m.group(1).split(", "):
                table.columns.append(_cw_column(name, m.group(2), m.group(3) or "", table.name))
            continue
        m = re.match(r"^Index(?:es)?(?: on|:) (.+)$", line)
        if m:
            groups = re.findall(r"\(([^)]*)\)", m.group(1)) or [m.group(1).split(" for ")[0]]
            for cols in groups:
                names = tuple(c.strip() for c in cols.split(","))
                table.indexes.append((f"{table.name}_{'_'.join(names)}_idx", names, False, None))
    for table in tables.values():
        table.pk = tuple(c.name for c in table.columns if c.pk)
    return tables


def codewalkers_facts(tables: dict[str, Table]) -> None:
    """The document already says what issue 7 repeats (agents.name UNIQUE, worktreeId NOT NULL,
    agent_log_chunks without a foreign key)."""


# ---------------------------------------------------------------- 004 Team-X


_TX_ROW = re.compile(r"^([a-z_0-9]+) (TEXT|INTEGER|BLOB|REAL)(?: (.*))?$")
_TX_CONSTRAINT = re.compile(r"(PK|FK " + ARROW + r" \w+\.\w+|NOT NULL|UNIQUE|BOOLEAN|DEFAULT (?:'[^']*'|\w+))(?:, |$| )")


def _tx_column(name: str, type_: str, rest: str) -> Column:
    col = Column(name, type_)
    pos = 0
    while True:
        m = _TX_CONSTRAINT.match(rest, pos)
        if not m:
            break
        token = m.group(1)
        if token == "PK":
            col.pk = True
        elif token.startswith("FK"):
            table, column = token.split(ARROW, 1)[1].strip().split(".")
            col.references = (table, column, None)
        elif token == "NOT NULL":
            col.notnull = True
        elif token == "UNIQUE":
            col.unique = True
        elif token.startswith("DEFAULT"):
            value = token.split(" ", 1)[1]
            col.default = {"TRUE": "1", "FALSE": "0"}.get(value, value)
        pos = m.end()
    description = rest[pos:]
    if col.references and re.match(r"CASCADE\b", description):
        col.references = (*col.references[:2], "CASCADE")
    col.enum = enum_values(description)
    return col


def parse_teamx(text: str) -> dict[str, Table]:
    """`name` / one-line description / `Column Type Constraints Description` rows / PK, Unique, Indexes."""
    tables: dict[str, Table] = {}
    for table, line in table_lines(text, "Column Type Constraints Description", tables):
        m = _TX_ROW.match(line)
        if m:
            table.columns.append(_tx_column(m.group(1), m.group(2), m.group(3) or ""))
            continue
        m = re.match(r"^Composite PK: \(([^)]*)\)", line)
        if m:
            table.pk = tuple(c.strip() for c in m.group(1).split(","))
            continue
        m = re.match(r"^Unique \(conditional\): (\w+) where (.+?) \u2014", line)
        if m:
            table.indexes.append((f"idx_{table.name}_{m.group(1)}_conditional", (m.group(1),), True, m.group(2)))
            continue
        m = re.match(r"^Unique: \(?([\w, ]+?)\)? \u2014", line)
        if m:
            cols = tuple(c.strip() for c in m.group(1).split(","))
            if len(cols) == 1 and table.column(cols[0]):
                table.column(cols[0]).unique = True
            else:
                table.uniques.append(cols)
            continue
        for name, cols in re.findall(r"(idx_\w+) on \(?([\w, ]+?)\)?(?: \u2014|$)", line):
            table.indexes.append((name, tuple(c.strip() for c in cols.split(",")), False, None))
    for table in tables.values():
        if not table.pk:
            table.pk = tuple(c.name for c in table.columns if c.pk)
    return tables


APPEND_ONLY = ("events", "runtime_heartbeats")


def teamx_facts(tables: dict[str, Table]) -> None:
    """`events` and `runtime_heartbeats` are append-only: any UPDATE or DELETE aborts."""
    for name in APPEND_ONLY:
        for op in ("UPDATE", "DELETE"):
            tables[name].extra_sql.append(
                f"CREATE TRIGGER {name}_no_{op.lower()} BEFORE {op} ON {name}"
                f" BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END;")


# ---------------------------------------------------------------- rendering

PARSERS = {"massu": (parse_massu, massu_facts), "flightdeck": (parse_flightdeck, flightdeck_facts),
           "codewalkers": (parse_codewalkers, codewalkers_facts), "teamx": (parse_teamx, teamx_facts)}


def tables(target: str, text: str | None = None) -> dict[str, Table]:
    parse, add_facts = PARSERS[target]
    out = parse(seed_text(target) if text is None else text)
    add_facts(out)
    return out


def ddl(target: str, text: str | None = None) -> str:
    header = (f"-- {target}: every table of seed {SEED_FILES[target]}*.txt as the document defines it, plus the\n"
              "-- facts of issue 7. GENERATED by `python tests/seed_schema.py` (do not edit by hand).\n"
              "PRAGMA foreign_keys = ON;\n")
    return header + "\n\n".join(t.sql() for t in tables(target, text).values()) + "\n"


def fixture_path(target: str) -> Path:
    return FIXTURES / f"seed_{target}.sql"


if __name__ == "__main__":
    for name in PARSERS:
        fixture_path(name).write_text(ddl(name), encoding="utf-8")
        print(fixture_path(name))
