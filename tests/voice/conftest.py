"""Fixtures of the voice tests: a turn that breaks must fail the test (the app and phones are in tests/conftest.py)."""

from __future__ import annotations

import logging

import pytest


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
