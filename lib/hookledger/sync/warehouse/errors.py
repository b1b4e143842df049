"""The warehouse's expected failures, each a message a person can act on (the CLI shows it as one line)."""

from __future__ import annotations


class WarehouseError(Exception):
    """A problem with the warehouse or the way to it."""


class Unreachable(WarehouseError):
    """No connection after every retry (server down, network, too many connections)."""


class Refused(WarehouseError):
    """The server answered no for good: authentication, unknown role or database, TLS; not retried."""


class Busy(WarehouseError):
    """A batch stayed blocked (locks, deadlocks, lost connections) through every retry."""


class NotInitialised(WarehouseError):
    """The schema is missing or behind, and this role may not create or migrate it."""
