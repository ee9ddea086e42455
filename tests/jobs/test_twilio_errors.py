"""Twilio's error codes have one home (core.twilio_errors): the REST client's ints and the status callbacks'
strings are read by the same rule."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from core import twilio_errors
from core.jobs.sender import PermanentSendError, TransientSendError, _classify


@pytest.mark.parametrize(
    ("raw", "code"),
    [(21610, 21610), ("21610", 21610), (" 30003 ", 30003), (None, None), ("", None), ("x", None)],
)
def test_a_code_reads_the_same_as_an_int_or_a_string(raw, code):
    assert twilio_errors.error_code(raw) == code


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (30003, TransientSendError),
        (20429, TransientSendError),
        (21610, PermanentSendError),
        (21211, PermanentSendError),
    ],
)
def test_the_sender_sorts_a_refusal_by_the_shared_codes(code, kind):
    refused = _classify(TwilioRestException(400, "/Messages.json", msg="refused", code=code))
    assert type(refused) is kind
    assert refused.code == code


def test_a_refusal_without_a_code_is_judged_by_its_http_status():
    assert isinstance(_classify(TwilioRestException(503, "/Messages.json")), TransientSendError)
    assert isinstance(_classify(TwilioRestException(400, "/Messages.json")), PermanentSendError)
