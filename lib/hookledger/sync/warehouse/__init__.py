"""The team warehouse: many ledgers (machines, people, projects) in one PostgreSQL database.

`hookledger sync --to postgres --target-db URL` copies every ledger table into the schema
`hookledger` of that database, each row keyed by (ledger_id, its key in the ledger), and
`hookledger warehouse init|migrate|status` manages that schema (numbered migrations kept in
the warehouse itself). docs/warehouse.md describes the schema, the team views and how a new
ledger table gets into the warehouse.

Modules: dsn (the URL, connecting with retries), schema (migrations, grants, status), tables
(which ledger tables, and how their rows change), convert (ledger values -> PostgreSQL values,
redacted), identity (ledger_id, host, person, project), load (COPY and keyed upserts), run (one
sync). psycopg is imported only by these modules, never on a hook's path.
"""

from __future__ import annotations

from hookledger.sync.warehouse.errors import WarehouseError

__all__ = ["WarehouseError"]
