"""Counting the SQL statements a piece of work sends to the database (SQLAlchemy cursor events)."""

from __future__ import annotations

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


@contextmanager
def counting(engine: Engine):
    """Record every statement the engine sends while the block runs (any thread, any connection)."""
    seen = Statements()

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.sql.append(statement)

    def checked_out(_dbapi_connection, connection_record, _proxy):
        # On PostgreSQL a pooled connection's transaction is begun (and its deadline armed) at checkout, on
        # the driver's connection (core/db.py): a round trip as well.
        if connection_record.info.get("begun"):
            seen.sql.append("BEGIN (at checkout, with the deadline's settings)")

    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "checkout", checked_out)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "checkout", checked_out)
