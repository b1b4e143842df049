"""Sync the session ledger into larger systems' databases (issue 7).

Each adapter is a module with `NAME`, `DDL` ({table: CREATE statements as the target's docs
define them}), `steps(run)` (the (source_table, handler, full) list in parent-first order) and
an optional `prepare(run, writer)`. `ADAPTERS` is a static registry: adapters are imported
only when used, so `import hookledger.sync` stays cheap.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

ADAPTERS: dict[str, str] = {
    "massu": "hookledger.sync.massu",
    "flightdeck": "hookledger.sync.flightdeck",
    "codewalkers": "hookledger.sync.codewalkers",
    "teamx": "hookledger.sync.teamx",
}
WAREHOUSE = "postgres"  # the team warehouse (hookledger.sync.warehouse): a PostgreSQL URL, not a SQLite file


def adapter(name: str) -> ModuleType:
    if name not in ADAPTERS:
        raise KeyError(f"unknown sync target {name!r} (one of: {', '.join(ADAPTERS)})")
    return importlib.import_module(ADAPTERS[name])


def sync(name: str, ledger_path: str, target_path: str, *, project_dir: str = "", dry_run: bool = False,
         config: dict[str, Any] | None = None, progress: Callable[[str, int], Any] | None = None,
         wait: float | None = None, notify: Callable[[str], Any] | None = None) -> Any:
    """Sync the ledger at `ledger_path` into the `name` database at `target_path`.

    `progress` is a starter (knowledge.progress): called with a label and the source rows to
    look at, it may return a Progress, told the rows as they are handled (the CLI passes
    faces.progress.starter(...), which draws a bar). A locked target is waited for `wait`
    seconds (base.WAIT_S by default), `notify` told of the wait now and then; then
    base.TargetLocked, with every committed batch kept. Returns a SyncReport. A dry
    run works on an in-memory copy of the target and leaves both the target file and the
    cursors untouched.
    """
    from hookledger.sync.base import WAIT_S, Run, Target
    from hookledger.sync.report import SyncReport
    from hookledger.sync.source import Ledger

    module = adapter(name)
    target_db = os.path.realpath(target_path)
    ledger = Ledger.open(ledger_path)
    waiting = {"wait": WAIT_S if wait is None else wait, "notify": notify}
    target = Target.scratch_copy(target_path) if dry_run else Target.open(target_path, **waiting)
    report = SyncReport(target=name, target_db=target_db, dry_run=dry_run)
    from hookledger.knowledge.progress import begin

    shown = None
    try:
        run = Run(name=name, ledger=ledger, target=target, report=report, target_db=target_db,
                  config=config or {}, project_dir=project_dir or ledger.project_dir(), dry_run=dry_run)
        steps = module.steps(run)
        if progress is not None:
            shown = run.progress = begin(progress, f"Syncing {name}", run.pending(steps))
        target.ensure_tables(module.DDL, report)
        prepare = getattr(module, "prepare", None)
        if prepare is not None:
            report.merge(target.transaction(lambda w: prepare(run, w)))
        run.run_steps(steps)
    finally:
        if shown is not None:
            shown.close()
        target.close()
        ledger.close()
    return report
