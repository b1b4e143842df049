"""Ledger batches in warehouse form, made while the server takes the previous batch.

Converting (redaction, JSON checks) costs the client about as much CPU as the server spends
loading, so it runs beside the COPY, not before it: on a thread, a couple of batches ahead
(psycopg waits for the server without holding the GIL). Worker processes were tried and lost:
pickling the batches cost more than the second core gave back on a 2-core machine.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from hookledger.sync.warehouse.convert import Converter

Batch = list[tuple]  # ledger rows: (rowid, *values)


def convert_rows(converter: Converter, ledger_id: str, types: list[str], batch: Batch) -> list[tuple]:
    """(rowid, *ledger values) -> (ledger_id, *warehouse values), column types given by `types`."""
    funcs = [converter.for_type(t) for t in types]
    return [(ledger_id, *[f(v) for f, v in zip(funcs, row[1:])]) for row in batch]


def converted(converter: Converter, ledger_id: str, types: list[str],
              batches: Iterable[Batch]) -> Iterator[tuple[int, list[tuple]]]:
    """(last rowid of the batch, its rows in warehouse form), batch by batch, read and converted
    on a thread ahead of the caller."""
    return ahead((b[-1][0], convert_rows(converter, ledger_id, types, b)) for b in batches)


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def ahead(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """`items`, produced on a thread up to `depth` ahead of the consumer. The consumer stopping
    early stops the producer; the producer's exception is raised to the consumer."""
    out: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(done)
        except BaseException as exc:  # noqa: BLE001  (re-raised on the consumer's side)
            put(_Failed(exc))

    worker = threading.Thread(target=produce, name="hookledger-warehouse-read", daemon=True)
    worker.start()
    try:
        while True:
            item = out.get()
            if item is done:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()
        worker.join()
