"""Fixtures of the fault-injection suite: servers of its own (the tests freeze and stop them), and Twilio."""

from __future__ import annotations

import contextlib
import os
import signal

import pytest

from tests.faults.processes import postgres_processes
from tests.support.servers import PostgresServer, RedisServer


@pytest.fixture
def postgres():
    """A PostgreSQL cluster for one test: it may be frozen; it is always thawed and stopped after."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        try:
            for pid in postgres_processes(server.data):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
        except OSError:
            pass
        server.stop()


@pytest.fixture
def redis_server():
    """A redis-server for one test: it may be stopped and started again on the same port."""
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()
