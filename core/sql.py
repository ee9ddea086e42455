"""SQL the ORM does not write for us: one-statement inserts that tolerate a concurrent twin."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_built: dict[tuple[str, Callable], Executable] = {}


def insert(session: Session, table):
    """The dialect's INSERT for the session's database, which knows ON CONFLICT (PostgreSQL and SQLite)."""
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERTS:
        raise NotImplementedError(f"no ON CONFLICT insert for {dialect}")
    return _INSERTS[dialect](table)


def built(session: Session, build: Callable[[Callable], Executable]) -> Executable:
    """`build(insert)` for the session's database, built once per process and run with bind parameters.

    A webhook runs the same handful of statements every time; building them anew costs more Python than
    the round trip itself.
    """
    dialect = session.get_bind().dialect.name
    statement = _built.get((dialect, build))
    if statement is None:
        if dialect not in _INSERTS:
            raise NotImplementedError(f"no ON CONFLICT insert for {dialect}")
        statement = _built[(dialect, build)] = build(_INSERTS[dialect])
    return statement


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
