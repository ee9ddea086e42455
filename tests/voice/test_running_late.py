"""Running late said on the phone, and the call after a no-show (1 books another, a machine gets a voicemail)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import Appointment, AppointmentStatus, Clinic
from core.services import board
from prompts import text as template
from tests.support.apps import JOHN, MARIE, PARC, TOKEN
from tests.support.arrange import book
from tests.voice.walker import Call, check_twiml

MONDAY = dt.date(2026, 12, 7)  # the clock starts on Monday 2026-12-07 at 09:00
CALL_BACK = "5 1 4, 5 5 5, 0 1 9 9"


def said(call: Call, key: str, lang: str = "fr") -> bool:
    fixed = template(key, lang, "voice").split("{")[0].strip()
    return any(fixed in sentence for sentence in call.heard)


def row(rt, appointment_id: int) -> Appointment:
    with rt.session_factory() as session:
        return session.get(Appointment, appointment_id)


# ---- running late, said ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("speech", "minutes"),
    [
        ("je serai en retard de dix minutes", 10),
        ("j'ai quinze minutes de retard", 15),
        ("chu en retard", None),
    ],
)
def test_a_caller_says_they_are_late_and_the_board_is_told(dial, signed_rt, clock, speech, minutes):
    appointment_id = book(signed_rt, MARIE, day=MONDAY, at=dt.time(14, 0), lang="fr", channel="staff").id
    call = dial(from_=MARIE)
    call.say(speech)
    assert row(signed_rt, appointment_id).late_at == clock()
    if minutes is None:
        assert said(call, "late_ask_minutes")
        assert call.state == "gather"
        assert call.gather.get("finishOnKey") == "#"  # two or three keys, then #
        call.press("20#")
        minutes = 20
    assert said(call, "late_noted")
    assert f"{minutes} minutes" in call.text
    assert "quatorze heures" in call.text
    assert said(call, "more")
    assert call.state == "gather"  # then "anything else?", as after any flow
    assert row(signed_rt, appointment_id).late_minutes == minutes


def test_an_english_caller_running_late_is_answered_in_english(dial, signed_rt, clock):
    appointment_id = book(signed_rt, JOHN, day=MONDAY, at=dt.time(15, 0), lang="en", channel="staff").id
    call = dial(from_=JOHN)
    call.say("I'm running about ten minutes late")
    assert said(call, "late_noted", "en")
    assert "three PM" in call.text
    assert row(signed_rt, appointment_id).late_minutes == 10


def test_a_caller_without_an_appointment_today_hears_so_and_the_clinics_number(dial):
    call = dial(from_=MARIE)
    call.say("je serai en retard")
    assert said(call, "late_none_today")
    assert CALL_BACK in call.text
    assert call.state == "gather"  # "anything else?": no dead end


# ---- the call after a no-show ----------------------------------------------------------------------------------


@pytest.fixture
def missed_id(signed_rt, clock):
    appointment_id = book(
        signed_rt, JOHN, day=MONDAY, at=dt.time(9, 30), lang="fr", calls_only=True, channel="staff"
    ).id
    clock.set_local(MONDAY, dt.time(10, 15))
    with signed_rt.session_factory.begin() as session:
        board.mark_attendance(session, session.get(Clinic, "parc"), appointment_id, False, "reception")
    return appointment_id


def missed_call(client, appointment_id: int, answered_by: str | None = "human") -> Call:
    call = Call(client, auth_token=TOKEN, from_=PARC, to=JOHN, direction="outbound-api")
    if answered_by:
        call.params["AnsweredBy"] = answered_by
    return call.start(f"/voice/missed/{appointment_id}")


def test_the_missed_call_offers_another_appointment_and_1_books(client, missed_id):
    call = missed_call(client, missed_id)
    assert said(call, "missed_prompt")
    assert "lundi sept décembre à neuf heures trente" in call.text
    assert "appuyez sur 1" in call.text
    assert "appuyez sur 2" in call.text
    call.press("1")
    assert call.state == "gather"
    assert said(call, "ask_day")  # the booking flow, as from the menu


def test_the_missed_call_2_says_goodbye(client, missed_id):
    call = missed_call(client, missed_id)
    call.press("2")
    assert call.ended
    assert said(call, "missed_bye")


def test_a_machine_gets_the_missed_voicemail(client, missed_id):
    call = missed_call(client, missed_id, "machine_end_beep")
    root = check_twiml(call.requests[0].xml)
    assert [v.tag for v in root if v.tag != "Say"] == ["Hangup"]
    assert said(call, "voicemail_no_show")
    assert CALL_BACK in call.text
    assert "neuf heures trente" in call.text


def test_a_corrected_mark_ends_the_missed_call_at_once(client, signed_rt, missed_id):
    with signed_rt.session_factory.begin() as session:
        session.get(Appointment, missed_id).status = AppointmentStatus.ATTENDED
    call = missed_call(client, missed_id)
    assert call.ended
    assert said(call, "voice_missed_gone")
