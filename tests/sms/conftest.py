"""Fixtures of the SMS tests: a turn that breaks must fail the test (the app and phones are in tests/conftest.py)."""

from __future__ import annotations

import logging

import pytest


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
