"""Fixtures of the SMS tests: a signed app on the demo clinics, a recording job queue, patients' phones."""

from __future__ import annotations

import logging

import pytest

from clinicline.app import create_app
from tests.conftest import make_runtime
from tests.support.twilio_requests import Texter

TOKEN = "test-token"
PARC = "+15145550100"
WESTMOUNT = "+15145550200"
MARIE = "+15145551234"
JOHN = "+15145559876"


class RecordingQueue:
    """A job queue that only remembers what was enqueued (the jobs have their own tests)."""

    def __init__(self):
        self.jobs: list[tuple[str, tuple, object]] = []

    def enqueue(self, path: str, *args, at=None) -> None:
        self.jobs.append((path, args, at))

    def paths(self) -> list[str]:
        return [path for path, _args, _at in self.jobs]

    def stop(self) -> None:
        pass


@pytest.fixture
def sms_runtime(sqlite_url, clock, tmp_path):
    """The demo clinics on SQLite, webhooks signed with TOKEN, jobs recorded instead of run."""
    rt = make_runtime(sqlite_url, clock, tmp_path, twilio_auth_token=TOKEN)
    rt.jobs = RecordingQueue()
    yield rt
    rt.dispose()


@pytest.fixture
def app(sms_runtime):
    return create_app(runtime=sms_runtime)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def phone(client):
    """phone(from_, to) -> a Texter; defaults: Marie texting Clinique du Parc. Every reply must fit 2 segments."""

    def make(from_: str = MARIE, to: str = PARC, **kwargs) -> Texter:
        kwargs.setdefault("max_segments", 2)
        return Texter(client, TOKEN, from_, to, **kwargs)

    return make


@pytest.fixture(autouse=True)
def no_broken_turns(caplog):
    """A turn that breaks answers politely (the adapter's and the engine's safety nets), but a test must
    still see the error behind it."""
    caplog.set_level(logging.INFO)
    yield
    broken = [
        r
        for r in caplog.get_records("call")
        if (r.name == "smsbot.routes" and r.getMessage() == "SMS turn failed")
        or (r.name == "core.dialog" and r.getMessage().startswith("dialog turn failed"))
    ]
    if broken:
        exc = broken[0].exc_info[1] if broken[0].exc_info else None
        pytest.fail(f"an SMS turn raised {exc!r}; the patient got the fallback text", pytrace=False)
