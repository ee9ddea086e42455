"""The reminder call to a patient who takes calls only: picked up, read, then 1 confirm, 2 cancel, 3 change."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.models import Appointment, AppointmentStatus, AuditEntry, OutboundMessage, Slot, SlotStatus
from core.services import booking
from prompts import text as template
from tests.support.apps import JOHN, PARC, TOKEN
from tests.support.arrange import book
from tests.support.twilio_requests import signed_post
from tests.voice.walker import Call

WEDNESDAY = dt.date(2026, 12, 9)  # the clock starts on Monday 2026-12-07 at 09:00
HEARD_DATE = {"fr": "mercredi neuf décembre", "en": "Wednesday, December ninth"}
PRESS = {"fr": "appuyez sur {}", "en": "press {}"}


def said(call: Call, key: str, lang: str) -> bool:
    """Whether the call said the fixed words of a prompt (the part before any placeholder)."""
    fixed = template(key, lang, "voice").split("{")[0].strip()
    return any(fixed in sentence for sentence in call.heard)


def appointment(rt, appointment_id: int) -> tuple[AppointmentStatus, SlotStatus]:
    with rt.session_factory() as session:
        row = session.get(Appointment, appointment_id)
        return row.status, session.get(Slot, row.slot_id).status


def reminder_call(client, appointment_id: int, to: str = JOHN) -> Call:
    """Twilio places the call the reminder job asked for; the patient picks up."""
    return Call(client, auth_token=TOKEN, from_=PARC, to=to, direction="outbound-api").start(
        f"/voice/reminder/{appointment_id}"
    )


@pytest.fixture(params=["fr", "en"])
def lang(request):
    return request.param


def test_the_reminder_is_read_for_the_ear_with_its_keys(client, signed_rt, clock, lang):
    appointment_id = book(signed_rt, JOHN, day=WEDNESDAY, lang=lang, calls_only=True, channel="staff").id
    call = reminder_call(client, appointment_id)
    assert call.state == "gather"
    assert call.gather["language"] == {"fr": "fr-CA", "en": "en-US"}[lang]
    assert said(call, "reminder_prompt", lang)
    assert "Clinique du Parc" in call.text
    assert HEARD_DATE[lang] in call.text
    for digit in "1230":
        assert PRESS[lang].format(digit) in call.text


def test_pressing_1_confirms_and_says_goodbye(client, signed_rt, clock, lang):
    appointment_id = book(signed_rt, JOHN, day=WEDNESDAY, lang=lang, calls_only=True, channel="staff").id
    call = reminder_call(client, appointment_id)
    call.press("1")
    assert call.ended
    assert said(call, "reminder_confirmed", lang)
    assert said(call, "reminder_call_bye", lang)
    assert appointment(signed_rt, appointment_id) == (AppointmentStatus.BOOKED, SlotStatus.BOOKED)
    with signed_rt.session_factory() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert actions.count("appointment.confirmed_by_patient") == 1


def test_pressing_2_then_yes_cancels_and_frees_the_slot(client, signed_rt, clock, lang):
    appointment_id = book(signed_rt, JOHN, day=WEDNESDAY, lang=lang, calls_only=True, channel="staff").id
    call = reminder_call(client, appointment_id)
    call.press("2")
    assert said(call, "confirm_cancel", lang)
    assert HEARD_DATE[lang] in call.text
    assert appointment(signed_rt, appointment_id)[0] == AppointmentStatus.BOOKED  # not before the yes
    call.press("1")
    assert said(call, "cancelled", lang)
    assert appointment(signed_rt, appointment_id) == (AppointmentStatus.CANCELLED, SlotStatus.FREE)
    call.press("2")  # nothing else
    assert call.ended


def test_pressing_2_then_no_keeps_the_appointment(client, signed_rt, clock):
    appointment_id = book(signed_rt, JOHN, day=WEDNESDAY, lang="fr", calls_only=True, channel="staff").id
    call = reminder_call(client, appointment_id)
    call.press("2")
    call.press("2")
    assert said(call, "kept", "fr")
    assert appointment(signed_rt, appointment_id)[0] == AppointmentStatus.BOOKED


def test_saying_confirm_confirms(client, signed_rt, clock):
    appointment_id = book(signed_rt, JOHN, day=WEDNESDAY, lang="en", calls_only=True, channel="staff").id
    call = reminder_call(client, appointment_id)
    call.say("yes")
    assert call.ended
    assert said(call, "reminder_confirmed", "en")


def test_pressing_3_offers_another_time(client, signed_rt, clock):
    appointment_id = book(signed_rt, JOHN, day=WEDNESDAY, lang="fr", calls_only=True, channel="staff").id
    call = reminder_call(client, appointment_id)
    call.press("3")
    assert said(call, "reschedule_intro", "fr")
    assert said(call, "ask_day", "fr")
    assert appointment(signed_rt, appointment_id)[0] == AppointmentStatus.BOOKED


def test_silence_repeats_the_reminder_then_says_goodbye_and_keeps_it(client, signed_rt, clock, lang):
    appointment_id = book(signed_rt, JOHN, day=WEDNESDAY, lang=lang, calls_only=True, channel="staff").id
    call = reminder_call(client, appointment_id)
    call.silence()
    assert call.state == "gather"
    assert said(call, "reminder_retry", lang)
    assert HEARD_DATE[lang] in call.text
    assert PRESS[lang].format(1) in call.text
    call.silence()
    assert call.state == "gather"
    call.silence()
    assert call.ended
    assert said(call, "reminder_call_kept", lang)
    assert appointment(signed_rt, appointment_id)[0] == AppointmentStatus.BOOKED


def test_a_cancelled_appointment_gets_a_short_goodbye(client, signed_rt, clock, lang):
    appointment_id = book(signed_rt, JOHN, day=WEDNESDAY, lang=lang, calls_only=True, channel="staff").id
    with signed_rt.session_factory.begin() as session:
        booking.cancel(session, appointment_id, clock(), "staff")
    call = reminder_call(client, appointment_id)
    assert call.ended
    assert call.turns == 1
    assert said(call, "voice_reminder_gone", lang)
    assert "Clinique du Parc" in call.text


def test_an_unknown_appointment_gets_a_short_goodbye(client):
    call = reminder_call(client, 999999)
    assert call.ended
    assert said(call, "voice_reminder_gone", "fr")


def test_a_forged_signature_is_refused(client, signed_rt, clock):
    appointment_id = book(signed_rt, JOHN, day=WEDNESDAY, lang="fr", calls_only=True, channel="staff").id
    form = {
        "CallSid": "CA" + "b" * 32,
        "From": PARC,
        "To": JOHN,
        "CallStatus": "in-progress",
        "Direction": "outbound-api",
    }
    path = f"/voice/reminder/{appointment_id}"
    assert signed_post(client, path, form, TOKEN, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert client.post(path, data=form).status_code == 403
    assert signed_post(client, path, form, "another-token").status_code == 403


def test_a_retried_request_is_answered_once(client, signed_rt, clock):
    appointment_id = book(signed_rt, JOHN, day=WEDNESDAY, lang="fr", calls_only=True, channel="staff").id
    call = reminder_call(client, appointment_id)
    first = call.requests[0]
    again = signed_post(client, first.path, first.params, TOKEN)
    assert again.get_data(as_text=True) == first.xml


def test_the_end_of_the_call_is_recorded_on_its_reminder(client, signed_rt, clock):
    appointment_id = book(signed_rt, JOHN, day=WEDNESDAY, lang="fr", calls_only=True, channel="staff").id
    call = reminder_call(client, appointment_id)
    with signed_rt.session_factory.begin() as session:  # the row the reminder job stored for this call
        session.add(
            OutboundMessage(
                clinic_id="parc",
                to=JOHN,
                kind="call",
                purpose="reminder",
                appointment_id=appointment_id,
                twilio_sid=call.sid,
                status="sent",
            )
        )
    call.press("1")
    call.hang_up()
    with signed_rt.session_factory() as session:
        assert session.scalar(select(OutboundMessage.status)) == "delivered"


def test_saying_cancel_asks_for_a_yes_first(client, signed_rt, clock):
    appointment_id = book(signed_rt, JOHN, day=WEDNESDAY, lang="fr", calls_only=True, channel="staff").id
    call = reminder_call(client, appointment_id)
    call.say("je veux annuler")
    assert said(call, "confirm_cancel", "fr")
    call.say("oui")
    assert appointment(signed_rt, appointment_id) == (AppointmentStatus.CANCELLED, SlotStatus.FREE)
