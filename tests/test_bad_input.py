"""Bad input at every webhook gets a polite answer: never a stack trace, never a 500."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from clinicline.app import create_app
from tests.support.apps import RecordingQueue

ENDPOINTS = [
    "/sms",
    "/sms/status",
    "/fallback/sms",
    "/voice",
    "/voice/turn",
    "/voice/turn?step=abc",
    "/voice/silence",
    "/voice/transfer",
    "/voice/status",
    "/voice/notice/1",
    "/voice/notice/not-a-number",
    "/voice/reminder/1",
    "/voice/missed/1",
    "/voice/missed/not-a-number",
    "/fallback/voice",
]

FORMS = [
    {},
    {"From": "", "To": "", "Body": ""},
    {"From": "+15145551234", "To": "+15145550100"},
    {"From": "+15145551234", "To": "+15145550100", "Body": "💥" * 400, "MessageSid": "SM1"},
    {"From": "+15145551234", "To": "+15145550100", "Body": "RDV " * 400, "MessageSid": "SM2"},
    {"From": "not a number", "To": "+15145550100", "Body": "RDV", "MessageSid": "SM3", "CallSid": "CA3"},
    {"From": "+15145551234", "To": "+19999999999", "Body": "RDV", "MessageSid": "SM4", "CallSid": "CA4"},
    {"From": "+15145551234", "To": "+15145550100", "CallSid": "CA5", "Digits": "9" * 200},
    {
        "From": "+15145551234",
        "To": "+15145550100",
        "CallSid": "CA6",
        "SpeechResult": "\x00\x01<>&'\"",
        "Confidence": "not-a-float",
    },
    {
        "From": "+15145551234",
        "To": "+15145550100",
        "CallSid": "CA7",
        "CallStatus": "completed",
        "CallDuration": "-5",
    },
    {"MessageSid": "SM8", "MessageStatus": "delivered", "ErrorCode": "abc"},
    {
        "CallSid": "CA10",
        "From": "+15145550100",
        "To": "+15145551234",
        "Direction": "outbound-api",
        "AnsweredBy": "machine_end_beep" + "💥" * 40,
    },
    {
        "CallSid": "CA11",
        "From": "+15145550100",
        "To": "+15145551234",
        "AnsweredBy": "fax",
        "CallStatus": "completed",
    },
    {"From": "<script>", "To": "'; DROP TABLE patients; --", "Body": "%s%n{0}{clinic}", "MessageSid": "SM9"},
]


@pytest.fixture
def client(runtime):
    runtime.jobs = RecordingQueue()
    return create_app(runtime=runtime).test_client()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_garbage_at_every_webhook_never_breaks(client, endpoint, caplog):
    for form in FORMS:
        caplog.clear()
        response = client.post(endpoint, data=form)
        assert response.status_code < 500, (endpoint, form, response.get_data(as_text=True)[:300])
        body = response.get_data(as_text=True)
        assert "Traceback" not in body
        if response.status_code == 200 and body.strip().startswith("<"):
            ET.fromstring(body)  # TwiML that Twilio can read
        # The safety nets answer politely even when a handler raises: garbage must be handled, not caught.
        raised = [r for r in caplog.records if r.exc_info and not r.name.startswith("sqlalchemy")]
        assert raised == [], (endpoint, form, [r.getMessage() for r in raised])


def test_a_get_on_a_webhook_is_refused_cleanly(client):
    for endpoint in ("/sms", "/voice"):
        assert client.get(endpoint).status_code == 405
