"""Fixtures of the degraded-line tests: the signed app, on both databases, whose database can be taken away
and given back."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import create_engine

from core.db import make_session_factory
from tests.support.apps import TOKEN
from tests.support.servers import free_port


@contextlib.contextmanager
def database_down(runtime):
    """The runtime's database stops answering (a server that refuses connections), then comes back."""
    engine, sessions = runtime.engine, runtime.session_factory
    gone = create_engine(
        f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone", connect_args={"connect_timeout": 2}
    )
    runtime.engine, runtime.session_factory = gone, make_session_factory(gone)
    try:
        yield
    finally:
        runtime.engine, runtime.session_factory = engine, sessions
        gone.dispose()


@pytest.fixture
def signed_rt(any_signed_rt):
    """The degraded line must hold on SQLite and on PostgreSQL: the app and client of tests/conftest.py run
    on both."""
    return any_signed_rt


@pytest.fixture
def line(signed_rt):
    """The runtime behind the line (its database is the one taken away)."""
    return signed_rt


__all__ = ["TOKEN", "database_down"]
