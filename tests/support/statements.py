"""Counting the SQL statements a piece of work sends to the database (SQLAlchemy cursor events)."""

from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class Statements:
    """The statements executed, in order, as SQL text (one entry per round trip to the database)."""

    sql: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sql)

    def kinds(self) -> dict[str, int]:
        """How many of each kind: SELECT, INSERT, UPDATE, DELETE, SAVEPOINT, BEGIN…"""
        counts: dict[str, int] = {}
        for sql in self.sql:
            kind = sql.split(None, 1)[0].upper() if sql.strip() else "?"
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def __str__(self) -> str:
        return "\n".join(f"{i:3d}  {' '.join(sql.split())[:160]}" for i, sql in enumerate(self.sql, 1))


_counting: weakref.WeakKeyDictionary[Engine, list[Statements]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _listen_once(engine: Engine) -> list[Statements]:
    """The engine's open counts, with the two listeners that fill them, added once and never removed.

    Adding or removing a listener while another thread (the outbox dispatcher) runs the engine's events
    would change the list that thread is going through ("deque mutated during iteration").
    """
    with _lock:
        if engine in _counting:
            return _counting[engine]
        open_counts = _counting[engine] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        for seen in list(open_counts):
            seen.sql.append(statement)

    def checked_out(_dbapi_connection, connection_record, _proxy):
        # On PostgreSQL a pooled connection's transaction is begun (and its deadline armed) at checkout, on
        # the driver's connection (core/db.py): a round trip as well.
        if connection_record.info.get("begun"):
            for seen in list(open_counts):
                seen.sql.append("BEGIN (at checkout, with the deadline's settings)")

    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "checkout", checked_out)
    return open_counts


@contextmanager
def counting(engine: Engine):
    """Record every statement the engine sends while the block runs (any thread, any connection)."""
    seen = Statements()
    open_counts = _listen_once(engine)
    open_counts.append(seen)
    try:
        yield seen
    finally:
        open_counts.remove(seen)
