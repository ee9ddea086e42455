"""SQL the ORM does not write for us: one-statement inserts that tolerate a concurrent twin."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def insert(session: Session, table):
    """The dialect's INSERT for the session's database, which knows ON CONFLICT (PostgreSQL and SQLite)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no ON CONFLICT insert for {dialect}")


def again_on_disconnect(work):
    """work(), run once more when its connection turned out dead (the pool has no pre-ping).

    A connection the database closed (a restart, an idle timeout) is found out by the first statement of
    a transaction; the pool then drops it and every other connection as old, so the second try gets a
    new one. Only a transaction that rolled back entirely is tried again.
    """
    try:
        return work()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    return work()
