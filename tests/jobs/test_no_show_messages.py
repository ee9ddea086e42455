"""The message after a no-show as the jobs send it: SMS text, or a call (with machine detection) for landlines;
and every new SMS text of the no-show loop in GSM-7 within two segments."""

from __future__ import annotations

import datetime as dt

import pytest

from core.jobs import outbox
from core.jobs.names import SEND_MESSAGE
from core.models import Clinic
from core.services import noshow
from prompts import render
from prompts.format import format_when
from smsbot.segments import gsm_fold, offending_characters, segments
from tests.jobs.conftest import PUBLIC, messages
from tests.jobs.test_reminder_calls import LANDLINE, call_only
from tests.support.arrange import book

MONDAY = dt.date(2026, 12, 7)  # the clock starts on Monday 2026-12-07 at 09:00
LONG_CLINIC = "Clinique médicale familiale du Centre-Sud"
LONGEST_WHEN = dt.datetime(2026, 9, 30, 12, 30)  # "mer. 30 sept. à 12 h 30"


def mark_no_show(runtime, appointment_id: int) -> None:
    """What the console's "absent" button does, in one transaction."""
    now = runtime.now()
    with runtime.session_factory.begin() as s:
        message = noshow.mark_no_show(s, s.get(Clinic, "parc"), appointment_id, now, "reception")
        if message is not None:
            outbox.add(s, SEND_MESSAGE, message.id, now=now, at=message.send_after)
    runtime.jobs.drain()


def test_a_landline_patient_gets_a_call_that_offers_to_rebook(jobs_runtime, clock, fake_twilio):
    call_only(jobs_runtime, LANDLINE)
    appointment_id = book(jobs_runtime, LANDLINE, day=MONDAY, at=dt.time(9, 30)).id
    clock.set_local(MONDAY, dt.time(10, 0))
    mark_no_show(jobs_runtime, appointment_id)
    (call,) = fake_twilio.creates("Calls", to=LANDLINE)
    assert call.value("Url") == f"{PUBLIC}/voice/missed/{appointment_id}"
    assert call.value("MachineDetection") == "DetectMessageEnd"
    assert fake_twilio.messages_to(LANDLINE) == []
    (message,) = messages(jobs_runtime, purpose="no_show")
    assert (message.kind, message.status) == ("call", "sent")


def test_an_english_patient_gets_the_english_text(jobs_runtime, clock, fake_twilio):
    phone = "+15145552222"
    appointment_id = book(jobs_runtime, phone, day=MONDAY, at=dt.time(9, 30), lang="en").id
    clock.set_local(MONDAY, dt.time(10, 0))
    mark_no_show(jobs_runtime, appointment_id)
    (sms,) = fake_twilio.messages_to(phone)
    assert "we missed you" in sms["body"]
    assert "reply BOOK" in sms["body"]
    assert "514-555-0199" in sms["body"]


SMS_KEYS = ["notice_no_show", "late_noted", "late_ask_minutes", "late_ask_minutes_retry", "late_noted_plain"]
SMS_KEYS += ["late_none_today", "late_none_today_next", "late_noted_for", "notice_no_show_for"]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("key", SMS_KEYS)
def test_the_no_show_loops_texts_stay_gsm7_within_two_segments(lang, key):
    text = render(
        key,
        lang,
        "sms",
        clinic=LONG_CLINIC,
        when=format_when(LONGEST_WHEN, lang, "sms"),
        phone="514-555-0199",
        minutes=120,
        name=gsm_fold("Marie-Ève Bélanger-Côté"),  # as the job writes a name into an SMS
    )
    assert offending_characters(text) == ""
    assert segments(text).segments <= 2, (len(text), text)
    assert "CANCEL" not in text.replace("CANCEL APPT", "")
