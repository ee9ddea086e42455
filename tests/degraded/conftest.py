"""Fixtures of the degraded-line tests: a signed app whose database can be taken away and given back."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import create_engine

from clinicline.app import create_app
from core.db import make_session_factory
from tests.support.apps import TOKEN, signed_runtime
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
def line(database_url, clock, tmp_path):
    """The demo clinics on SQLite and on PostgreSQL, signed webhooks, jobs recorded instead of run."""
    rt = signed_runtime(database_url, clock, tmp_path)
    yield rt
    rt.dispose()


@pytest.fixture
def client(line):
    return create_app(runtime=line).test_client()


__all__ = ["TOKEN", "database_down"]
