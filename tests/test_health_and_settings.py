"""/healthz answers in bounded time and reports the database and the job queue apart; SECRET_KEY is safe;
a transaction that outlives its deadline rolls back, even at COMMIT."""

from __future__ import annotations

import os
import stat
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import clinicline.app as app_module
from clinicline.app import create_app
from core.config import Config, UnsafeSettings, secret_key_of
from core.db import COMMIT_MARGIN_SECONDS, deadline, make_engine, make_session_factory
from tests.support.servers import free_port


def test_healthz_reports_a_dead_job_queue_beside_a_healthy_database(runtime):
    runtime.config = runtime.config.with_(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    runtime.jobs = object()  # the queue itself is not used by /healthz
    client = create_app(runtime=runtime).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200  # patients are still answered: jobs wait in the outbox
    assert response.get_json() == {"status": "degraded", "database": "ok", "jobs": "rq", "job_queue": "down"}


def test_healthz_answers_within_two_seconds_when_the_database_hangs(runtime, monkeypatch):
    monkeypatch.setattr(app_module, "ping", lambda engine: time.sleep(30))
    client = create_app(runtime=runtime).test_client()
    for _ in range(3):  # a hanging probe is not started again, and nobody waits on it
        start = time.monotonic()
        response = client.get("/healthz")
        assert time.monotonic() - start < 2
        assert response.status_code == 503
        assert response.get_json()["database"] == "timeout"


def test_healthz_does_not_wait_on_a_database_this_process_already_found_hanging(runtime, monkeypatch):
    pinged = []
    monkeypatch.setattr(app_module, "ping", lambda engine: pinged.append(engine) or time.sleep(30))
    monkeypatch.setattr(runtime.engine, "clinicline_breaker", SimpleNamespace(open=True), raising=False)
    client = create_app(runtime=runtime).test_client()
    start = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - start < 0.5
    assert response.status_code == 503
    assert response.get_json()["database"] == "timeout"
    assert pinged == []
    runtime.engine.clinicline_breaker.open = False  # the breaker's probe found it answering again
    monkeypatch.setattr(app_module, "ping", lambda engine: True)
    assert client.get("/healthz").status_code == 200


def test_without_secret_key_every_process_of_an_instance_shares_one_kept_key(tmp_path):
    config = Config.from_env({"CLINICLINE_INSTANCE": str(tmp_path)})
    first, second = secret_key_of(config), secret_key_of(config)
    assert first == second
    assert len(first) >= 40
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert secret_key_of(config.with_(secret_key="set-by-operator")) == "set-by-operator"


def test_a_key_file_others_can_read_refuses_to_start_and_says_why(tmp_path):
    config = Config.from_env({"CLINICLINE_INSTANCE": str(tmp_path)})
    secret_key_of(config)
    os.chmod(tmp_path / "secret_key", 0o644)
    with pytest.raises(UnsafeSettings, match="chmod 600"):
        secret_key_of(config)


def test_a_commit_that_arrives_after_the_deadline_rolls_back(postgres_admin_url):
    from tests.conftest import _fresh_postgres_database

    engine = make_engine(_fresh_postgres_database(postgres_admin_url))
    sessions = make_session_factory(engine)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE told (patient int)"))

        def commit_late():
            with deadline(COMMIT_MARGIN_SECONDS + 2.0), sessions.begin() as s:
                s.execute(text("INSERT INTO told VALUES (1)"))
                time.sleep(2.3)  # past the server's COMMIT check, before our own deadline

        with pytest.raises(DBAPIError, match="deadline"):
            commit_late()
        with deadline(5), sessions.begin() as s:
            s.execute(text("INSERT INTO told VALUES (2)"))  # in time: kept
        with sessions() as s:
            assert s.scalars(text("SELECT patient FROM told")).all() == [2]
    finally:
        engine.dispose()


def test_a_long_lock_wait_in_a_rush_is_not_taken_for_a_hanging_database(postgres_admin_url):
    """A webhook waiting 2 s on a row lock another turn holds finishes, and the breaker stays closed."""
    import threading

    from tests.conftest import _fresh_postgres_database

    engine = make_engine(_fresh_postgres_database(postgres_admin_url))
    sessions = make_session_factory(engine)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE queue_day (id int PRIMARY KEY, issued int)"))
            conn.execute(text("INSERT INTO queue_day VALUES (1, 0)"))
        locked = threading.Event()

        def holder():
            with sessions.begin() as s:
                s.execute(text("SELECT issued FROM queue_day WHERE id = 1 FOR UPDATE"))
                locked.set()
                time.sleep(2.0)  # longer than a statement is allowed before a hang is suspected

        thread = threading.Thread(target=holder)
        thread.start()
        assert locked.wait(10)
        with deadline(3.5), sessions.begin() as s:  # a webhook's deadline
            s.execute(text("UPDATE queue_day SET issued = issued + 1 WHERE id = 1"))
        thread.join(10)
        assert not engine.clinicline_breaker.open
        with sessions() as s:
            assert s.scalar(text("SELECT issued FROM queue_day")) == 1
    finally:
        engine.dispose()
