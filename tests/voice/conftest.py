"""Fixtures of the voice tests: a signed app on the demo clinics, a recording job queue, callers' phones."""

from __future__ import annotations

import logging

import pytest

from clinicline.app import create_app
from tests.support.apps import JOHN, MARIE, PARC, PARC_LINE, TOKEN, WESTMOUNT, RecordingQueue, signed_runtime
from tests.voice.walker import Call

__all__ = [
    "JOHN",
    "MARIE",
    "PARC",
    "PARC_LINE",
    "TOKEN",
    "WESTMOUNT",
    "RecordingQueue",
]  # tests import these from here


@pytest.fixture
def voice_runtime(sqlite_url, clock, tmp_path):
    """The demo clinics on SQLite, webhooks signed with TOKEN, jobs recorded instead of run."""
    rt = signed_runtime(sqlite_url, clock, tmp_path)
    yield rt
    rt.dispose()


@pytest.fixture
def app(voice_runtime):
    return create_app(runtime=voice_runtime)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def dial(client):
    """dial(from_=…, to=…, forwarded_from=…) -> a Call already answered (greeting heard)."""

    def make(from_: str = MARIE, to: str = PARC, **kwargs) -> Call:
        return Call(client, auth_token=TOKEN, from_=from_, to=to, **kwargs).start()

    return make


@pytest.fixture(autouse=True)
def no_broken_turns(caplog):
    """A turn that breaks answers politely, but a test must still see the error behind it."""
    caplog.set_level(logging.INFO)
    yield
    broken = [
        r
        for r in caplog.get_records("call")
        if r.levelno >= logging.ERROR
        and r.name in ("voicebot.routes", "core.dialog", "core.dialog.heard")
        and r.exc_info
    ]
    if broken:
        exc = broken[0].exc_info[1]
        pytest.fail(f"a voice turn raised {exc!r}; the caller heard an apology", pytrace=False)
