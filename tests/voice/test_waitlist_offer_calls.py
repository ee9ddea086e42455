"""The offer call to a landline on the waiting list: picked up, the freed slot read, 1 takes it, 2 leaves it.

Signed Twilio requests to the app, TwiML parsed (tests/voice/walker.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.models import Appointment, AppointmentStatus, Clinic, Slot, SlotStatus, WaitlistEntry, WaitlistOffer
from core.services import booking, people, waitlist
from core.services.patients import get_or_create_patient
from prompts import text as template
from tests.support.apps import JOHN, PARC, TOKEN
from tests.voice.walker import Call

WEDNESDAY = dt.date(2026, 12, 9)  # the clock starts on Monday 2026-12-07 at 09:00
HEARD_DATE = {"fr": "mercredi neuf décembre", "en": "Wednesday, December ninth"}
PRESS = {"fr": "appuyez sur {}", "en": "press {}"}


def said(call: Call, key: str, lang: str) -> bool:
    fixed = template(key, lang, "voice").split("{")[0].strip()
    return any(fixed in sentence for sentence in call.heard)


def offered(rt, clock, lang: str, phone: str = JOHN) -> tuple[int, int]:
    """A landline on the list, a Wednesday slot freed and offered to it: (offer id, slot id)."""
    with rt.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        patient = get_or_create_patient(s, phone, lang)
        patient.notify_by = "call"
        waitlist.join(s, parc, patient, people.first_person(s, patient, clock()), {}, "voice", clock())
        slot = booking.find_free_slots(s, parc, clock(), booking.SlotQuery(date=WEDNESDAY)).slots[0]
        appointment = booking.book(s, slot.id, get_or_create_patient(s, "+15145552099"), "sms", clock())
        booking.cancel(s, appointment.id, clock(), "staff")
        made = waitlist.offer_slot(s, slot.id, clock())
        (message,) = made.messages
        assert message.kind == "call"
        offer_id = s.scalar(select(WaitlistOffer.id))
        return offer_id, slot.id


def offer_call(client, offer_id: int, to: str = JOHN) -> Call:
    return Call(client, auth_token=TOKEN, from_=PARC, to=to, direction="outbound-api").start(
        f"/voice/offer/{offer_id}"
    )


@pytest.fixture(params=["fr", "en"])
def lang(request):
    return request.param


def test_the_offer_is_read_with_its_keys(client, signed_rt, clock, lang):
    offer_id, _slot = offered(signed_rt, clock, lang)
    call = offer_call(client, offer_id)
    assert call.state == "gather"
    assert call.gather["language"] == {"fr": "fr-CA", "en": "en-US"}[lang]
    assert said(call, "waitlist_offer_prompt", lang)
    assert "Clinique du Parc" in call.text
    assert HEARD_DATE[lang] in call.text
    for digit in "12":
        assert PRESS[lang].format(digit) in call.text


def test_pressing_1_books_the_slot_for_the_person_on_the_list(client, signed_rt, clock, lang):
    offer_id, slot_id = offered(signed_rt, clock, lang)
    call = offer_call(client, offer_id)
    call.press("1")
    assert call.ended
    assert said(call, "booked", lang)
    assert said(call, "waitlist_call_bye", lang)
    with signed_rt.session_factory() as s:
        (appointment,) = s.scalars(
            select(Appointment).where(
                Appointment.slot_id == slot_id, Appointment.status == AppointmentStatus.BOOKED
            )
        ).all()
        entry = s.scalar(select(WaitlistEntry))
        assert appointment.person_id == entry.person_id
        assert entry.status == "booked"
        assert s.get(Slot, slot_id).status == SlotStatus.BOOKED
        assert s.get(WaitlistOffer, offer_id).status == "accepted"


def test_pressing_2_leaves_it_and_keeps_the_place_on_the_list(client, signed_rt, clock, lang):
    offer_id, slot_id = offered(signed_rt, clock, lang)
    call = offer_call(client, offer_id)
    call.press("2")
    assert call.ended
    assert said(call, "waitlist_declined", lang)
    with signed_rt.session_factory() as s:
        assert s.get(WaitlistOffer, offer_id).status == "declined"
        assert s.scalar(select(WaitlistEntry.status)) == "waiting"
        assert s.scalars(select(Appointment).where(Appointment.slot_id == slot_id)).all()[-1].status == (
            AppointmentStatus.CANCELLED
        )


def test_a_call_picked_up_after_the_slot_went_says_so_and_hangs_up(client, signed_rt, clock, lang):
    offer_id, _slot = offered(signed_rt, clock, lang)
    clock.advance(minutes=11)  # the offer lapsed while the phone rang
    call = offer_call(client, offer_id)
    assert call.ended
    assert said(call, "voice_offer_gone", lang)


FRIDAY = dt.date(2026, 12, 11)
HEARD_HELD = {"fr": "vendredi onze décembre", "en": "Friday, December eleventh"}


def held_and_offered(rt, clock, lang: str) -> tuple[int, int, int]:
    """A landline holding Friday's first appointment joins the list; a Wednesday slot frees and is offered to
    it by call: (offer id, Wednesday slot id, the appointment held)."""
    with rt.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        patient = get_or_create_patient(s, JOHN, lang)
        patient.notify_by = "call"
        friday = booking.find_free_slots(s, parc, clock(), booking.SlotQuery(date=FRIDAY)).slots[0]
        held = booking.book(s, friday.id, patient, "voice", clock())
        entry, _ = waitlist.join(
            s, parc, patient, people.first_person(s, patient, clock()), {}, "voice", clock()
        )
        assert entry.replaces_id == held.id
        slot = booking.find_free_slots(s, parc, clock(), booking.SlotQuery(date=WEDNESDAY)).slots[0]
        appointment = booking.book(s, slot.id, get_or_create_patient(s, "+15145552099"), "sms", clock())
        booking.cancel(s, appointment.id, clock(), "staff")
        (message,) = waitlist.offer_slot(s, slot.id, clock()).messages
        assert message.kind == "call"
        return s.scalar(select(WaitlistOffer.id)), slot.id, held.id


def test_the_offer_call_says_taking_it_moves_the_appointment_held(client, signed_rt, clock, lang):
    offer_id, _slot, _held = held_and_offered(signed_rt, clock, lang)
    call = offer_call(client, offer_id)
    assert call.state == "gather"
    assert said(call, "waitlist_offer_prompt_move", lang)
    assert HEARD_DATE[lang] in call.text
    assert HEARD_HELD[lang] in call.text


def test_pressing_1_moves_the_appointment_held_instead_of_adding_one(client, signed_rt, clock, lang):
    offer_id, slot_id, held = held_and_offered(signed_rt, clock, lang)
    call = offer_call(client, offer_id)
    call.press("1")
    assert call.ended
    assert said(call, "rescheduled", lang)
    assert said(call, "waitlist_call_bye", lang)
    with signed_rt.session_factory() as s:
        (appointment,) = s.scalars(
            select(Appointment).where(Appointment.status == AppointmentStatus.BOOKED)
        ).all()
        assert (appointment.slot_id, appointment.replaces_id) == (slot_id, held)
        old = s.get(Appointment, held)
        assert old.status == AppointmentStatus.CANCELLED
        assert s.get(Slot, old.slot_id).status == SlotStatus.FREE
        assert s.scalar(select(WaitlistEntry.status)) == "booked"


def test_pressing_2_keeps_the_appointment_held(client, signed_rt, clock, lang):
    offer_id, slot_id, held = held_and_offered(signed_rt, clock, lang)
    call = offer_call(client, offer_id)
    call.press("2")
    assert call.ended
    assert said(call, "waitlist_declined", lang)
    with signed_rt.session_factory() as s:
        assert s.get(Appointment, held).status == AppointmentStatus.BOOKED
        assert s.scalar(select(WaitlistEntry.status)) == "waiting"
