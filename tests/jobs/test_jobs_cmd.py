"""`clinicline jobs run-due`: the periodic work once, from the command line, without Redis."""

from __future__ import annotations

import json

from click.testing import CliRunner

from clinicline.cli import main
from core.clinics_file import EXAMPLE_FILE


def test_run_due_runs_the_tick_once_and_reports_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINICLINE_INSTANCE", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["clinics", "load", str(EXAMPLE_FILE)]).exit_code == 0
    result = runner.invoke(main, ["jobs", "run-due"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["messages"] == 0
    assert report["holds_released"] == 0


def test_the_worker_needs_redis(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINICLINE_INSTANCE", str(tmp_path))
    monkeypatch.delenv("REDIS_URL", raising=False)
    result = CliRunner().invoke(main, ["jobs", "worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output
