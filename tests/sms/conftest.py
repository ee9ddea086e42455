"""Fixtures of the SMS tests: a signed app on the demo clinics, a recording job queue, patients' phones."""

from __future__ import annotations

import logging

import pytest

from clinicline.app import create_app
from tests.support.apps import JOHN, MARIE, PARC, TOKEN, WESTMOUNT, RecordingQueue, signed_runtime
from tests.support.twilio_requests import Texter

__all__ = ["JOHN", "MARIE", "PARC", "TOKEN", "WESTMOUNT", "RecordingQueue"]  # tests import these from here


@pytest.fixture
def sms_runtime(sqlite_url, clock, tmp_path):
    """The demo clinics on SQLite, webhooks signed with TOKEN, jobs recorded instead of run."""
    rt = signed_runtime(sqlite_url, clock, tmp_path)
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
        or (r.name == "core.dialog.heard" and r.exc_info)  # the language layer broke: heard as "other"
    ]
    if broken:
        exc = broken[0].exc_info[1] if broken[0].exc_info else None
        pytest.fail(f"an SMS turn raised {exc!r}; the patient got the fallback text", pytrace=False)
