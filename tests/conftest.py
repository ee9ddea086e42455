"""Shared fixtures: real SQLite and PostgreSQL databases, a movable clock, the demo clinics, the app."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from core.clinics_file import EXAMPLE_FILE, load_clinics
from core.config import Config
from core.db import make_engine, make_session_factory, upgrade
from core.runtime import Runtime
from tests.support.servers import PostgresServer, RedisServer

# Monday 7 December 2026, 09:00 in Montréal: clinics open, walk-in registration open.
MONDAY_9AM = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC)


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: dt.datetime = MONDAY_9AM):
        self.current = now

    def __call__(self) -> dt.datetime:
        return self.current

    def advance(self, **delta) -> dt.datetime:
        self.current += dt.timedelta(**delta)
        return self.current

    def set_local(self, day: dt.date, at: dt.time, tz: str = "America/Toronto") -> dt.datetime:
        from core.timeutil import local_to_utc

        self.current = local_to_utc(day, at, tz)
        return self.current


@pytest.fixture(scope="session")
def postgres_admin_url():
    """An admin URL of a real PostgreSQL server: the given one, or one started for this test run."""
    given = os.environ.get("CLINICLINE_TEST_POSTGRES_URL")
    if given:
        yield given.replace("postgresql://", "postgresql+psycopg://", 1)
        return
    server = PostgresServer().start()
    try:
        yield server.admin_url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url():
    """The URL of a real Redis server: the given one, or one started for this test run."""
    given = os.environ.get("CLINICLINE_TEST_REDIS_URL")
    if given:
        yield given
        return
    server = RedisServer().start()
    try:
        yield server.url
    finally:
        server.stop()


def _fresh_postgres_database(admin_url: str) -> str:
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def fake_twilio():
    """The local Twilio-compatible server the outbound sender talks to (the real twilio client, pointed at it)."""
    from tests.support.fake_twilio import FakeTwilio

    fake = FakeTwilio().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'clinicline.db'}"
    return _fresh_postgres_database(request.getfixturevalue("postgres_admin_url"))


@pytest.fixture
def sqlite_url(tmp_path):
    """A fresh SQLite file."""
    return f"sqlite:///{tmp_path / 'clinicline.db'}"


@pytest.fixture
def clock():
    return Clock()


def make_runtime(url: str, clock: Clock, tmp_path, engine_options: dict | None = None, **config) -> Runtime:
    """A migrated runtime with the demo clinics loaded at the clock's time."""
    cfg = Config.from_env({}, database_url=url, instance_path=tmp_path, testing=True, **config)
    engine = make_engine(url, **(engine_options or {}))
    upgrade(engine)
    runtime = Runtime(config=cfg, engine=engine, session_factory=make_session_factory(engine), clock=clock)
    with runtime.session_factory.begin() as session:
        load_clinics(session, EXAMPLE_FILE, clock(), cfg.slot_horizon_days)
    return runtime


@pytest.fixture
def runtime(sqlite_url, clock, tmp_path):
    """A runtime on SQLite with the demo clinics (jobs attached by tests that need them)."""
    rt = make_runtime(sqlite_url, clock, tmp_path)
    yield rt
    rt.dispose()


@pytest.fixture
def any_runtime(database_url, clock, tmp_path):
    """The same, on SQLite and on PostgreSQL."""
    rt = make_runtime(database_url, clock, tmp_path)
    yield rt
    rt.dispose()


@pytest.fixture
def session(runtime):
    """A session in a transaction that the test ends."""
    with runtime.session_factory.begin() as s:
        yield s


# ---- the app over the wire: signed Twilio requests, jobs recorded -------------------------------------------


@pytest.fixture
def signed_rt(sqlite_url, clock, tmp_path):
    """The demo clinics on SQLite behind the app, webhooks signed with TOKEN, jobs recorded instead of run.

    A directory whose tests must hold on PostgreSQL too overrides it with `any_signed_rt`."""
    from tests.support.apps import signed_runtime

    rt = signed_runtime(sqlite_url, clock, tmp_path)
    yield rt
    rt.dispose()


@pytest.fixture
def any_signed_rt(database_url, clock, tmp_path):
    """The same, on SQLite and on PostgreSQL."""
    from tests.support.apps import signed_runtime

    rt = signed_runtime(database_url, clock, tmp_path)
    yield rt
    rt.dispose()


@pytest.fixture
def app(signed_rt):
    from clinicline.app import create_app

    return create_app(runtime=signed_rt)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def phone(client):
    """phone(from_, to) -> a Texter over signed requests; defaults: Marie texting Clinique du Parc. Every
    reply must fit 2 segments."""
    from tests.support.apps import MARIE, PARC, TOKEN
    from tests.support.twilio_requests import Texter

    def make(from_: str = MARIE, to: str = PARC, **kwargs) -> Texter:
        kwargs.setdefault("max_segments", 2)
        return Texter(client, TOKEN, from_, to, **kwargs)

    return make


@pytest.fixture
def dial(client):
    """dial(from_=…, to=…, forwarded_from=…) -> a Call already answered (greeting heard), followed the way
    Twilio follows TwiML."""
    from tests.support.apps import MARIE, PARC, TOKEN
    from tests.voice.walker import Call

    def make(from_: str = MARIE, to: str = PARC, **kwargs) -> Call:
        return Call(client, auth_token=TOKEN, from_=from_, to=to, **kwargs).start()

    return make
