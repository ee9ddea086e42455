"""The app factory's own routes and the embedded default the serve command prepares."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from clinicline.app import create_app
from clinicline.cli import main, prepare_embedded
from core.clinics_file import EXAMPLE_FILE
from core.config import Config
from core.db import make_session_factory
from core.models import Clinic, Slot


def test_health_is_200_while_the_database_answers(runtime):
    response = create_app(runtime=runtime).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_health_is_503_when_the_database_is_down(runtime):
    app = create_app(runtime=runtime)
    runtime.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "down"


def test_the_embedded_default_migrates_and_loads_the_demo_clinics_once(tmp_path):
    config = Config.from_env({"CLINICLINE_INSTANCE": str(tmp_path)})
    assert config.database_url == f"sqlite:///{tmp_path / 'clinicline.db'}"
    assert prepare_embedded(config) == ["parc", "westmount"]
    assert prepare_embedded(config) == []  # not reloaded on a database that has clinics
    engine = create_engine(config.database_url)
    with make_session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Clinic)) == 2
        assert s.scalar(select(func.count()).select_from(Slot)) > 1000
    engine.dispose()


def test_db_upgrade_and_clinics_list_from_the_command_line(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINICLINE_INSTANCE", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()
    assert "up to date" in runner.invoke(main, ["db", "upgrade"]).output
    assert "no clinics loaded" in runner.invoke(main, ["clinics", "list"]).output
    loaded = runner.invoke(main, ["clinics", "load", str(EXAMPLE_FILE)])
    assert loaded.exit_code == 0, loaded.output
    listing = runner.invoke(main, ["clinics", "list"]).output
    assert "Clinique du Parc" in listing
    assert "+15145550199 (forwarded)" in listing


def test_the_app_runs_the_turns_first_statement_once_before_serving(runtime):
    """Threads of a new process that first use it at the same instant could each fill SQLAlchemy's lazily
    built parts of it differently (NoSuchColumnError 'locked.id', seen in tests/degraded/test_two_instances)."""
    from tests.support.statements import counting

    with counting(runtime.engine) as seen:
        create_app(runtime=runtime)
    assert sum("FROM conversations" in sql for sql in seen.sql) == 2  # the SMS load and the voice load


def test_an_unreachable_database_at_start_does_not_stop_the_app(runtime, monkeypatch):
    from core.dialog import store

    def unreachable(session, now):
        raise OSError("connection refused")

    monkeypatch.setattr(store, "warm", unreachable)
    assert create_app(runtime=runtime).test_client().get("/healthz").status_code == 200
