"""A patient holding an appointment waits for an earlier one: only earlier slots are offered, and OUI moves the
appointment (the old slot freed and offered on) instead of booking a second one — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.dialog.types import Inbound
from core.jobs.names import OFFER_FREED_SLOT
from core.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    OutboundMessage,
    OutboxJob,
    Slot,
    SlotStatus,
    WaitlistEntry,
    WaitlistOffer,
)
from core.services import booking, people, waitlist
from core.services.patients import get_or_create_patient
from prompts.sms import says_text
from tests.core.helpers import TUESDAY, local, phone, slot_at
from tests.dialog.conftest import render_text
from tests.support.turns import take_turn

FRIDAY = dt.date(2026, 12, 11)  # the clock starts on Monday 2026-12-07 at 09:00
EARLY, LATE, HOLDER = phone(810), phone(811), phone(899)


def _book(rt, number: str, when: dt.datetime, lang: str = "fr") -> int:
    with rt.session_factory.begin() as s:
        patient = get_or_create_patient(s, number, lang)
        return booking.book(s, slot_at(s, when).id, patient, "sms", rt.now()).id


def _join(rt, number: str, lang: str = "fr", replaces: int | None = None) -> int:
    with rt.session_factory.begin() as s:
        patient = get_or_create_patient(s, number, lang)
        person = people.first_person(s, patient, rt.now())
        entry, _ = waitlist.join(
            s, s.get(Clinic, "parc"), patient, person, {}, "sms", rt.now(), replaces=replaces
        )
        return entry.id


def _free_and_offer(rt, when: dt.datetime) -> tuple[int, list[OutboundMessage]]:
    """Someone's appointment at that time is cancelled and its slot offered: (slot id, the offers' messages)."""
    appointment_id = _book(rt, HOLDER, when)
    with rt.session_factory.begin() as s:
        booking.cancel(s, appointment_id, rt.now(), "staff")
    with rt.session_factory.begin() as s:
        slot_id = s.get(Appointment, appointment_id).slot_id
        made = waitlist.offer_slot(s, slot_id, rt.now())
        for message in made.messages:
            s.expunge(message)
        return slot_id, made.messages


def _answer(rt, number: str, text: str = "OUI") -> tuple[str, list[str]]:
    said, outcome = take_turn(
        rt,
        channel="sms",
        clinic="parc",
        conversation_key=number,
        phone=number,
        inbound=Inbound(kind="text", text=text),
        render=lambda reply: render_text(reply, "sms"),
    )
    return said, [say.key for say in outcome.reply.says]


def _booked_of(s, number: str) -> list[Appointment]:
    patient = get_or_create_patient(s, number)
    return list(
        s.scalars(
            select(Appointment).where(
                Appointment.patient_id == patient.id, Appointment.status == AppointmentStatus.BOOKED
            )
        )
    )


def test_an_entry_made_while_holding_an_appointment_remembers_it(any_runtime):
    rt = any_runtime
    held = _book(rt, EARLY, local(FRIDAY, 14))
    entry_id = _join(rt, EARLY)
    plain = _join(rt, LATE)
    with rt.session_factory() as s:
        assert s.get(WaitlistEntry, entry_id).replaces_id == held
        assert s.get(WaitlistEntry, plain).replaces_id is None  # nothing held: an ordinary entry


def test_an_earlier_slot_taken_by_sms_moves_the_appointment_and_offers_the_old_slot_on(any_runtime):
    rt = any_runtime
    held = _book(rt, EARLY, local(FRIDAY, 14))
    moving = _join(rt, EARLY)
    waiting = _join(rt, LATE)  # joined after: the old Friday slot goes to them
    with rt.session_factory.begin() as s:
        s.get(Clinic, "parc").settings = {**s.get(Clinic, "parc").settings, "waitlist_offers_at_once": 1}
    slot_id, messages = _free_and_offer(rt, local(TUESDAY, 10))
    (message,) = messages
    with rt.session_factory() as s:
        body = says_text(waitlist.offer_says(s, s.get(OutboundMessage, message.id)), "fr")
    assert "avant votre RDV du ven. 11 déc. à 14 h" in body
    assert "OUI" in body

    said, keys = _answer(rt, EARLY)
    assert keys == ["rescheduled"]  # the reschedule's own words: moved, the old one cancelled
    assert "mar. 8 déc. à 10 h" in said
    assert "ancien" in said
    with rt.session_factory() as s:
        (now_booked,) = _booked_of(s, EARLY)  # one appointment, not two
        assert now_booked.slot_id == slot_id
        assert now_booked.replaces_id == held
        old = s.get(Appointment, held)
        assert old.status == AppointmentStatus.CANCELLED
        assert s.get(Slot, slot_id).status == SlotStatus.BOOKED
        assert s.get(Slot, old.slot_id).status == SlotStatus.FREE
        entry = s.get(WaitlistEntry, moving)
        assert (entry.status, entry.appointment_id) == ("booked", now_booked.id)
        old_slot = old.slot_id
        # The old slot went through freed.slots_opened like any freed slot: an offer job in that transaction.
        jobs = s.scalars(select(OutboxJob).where(OutboxJob.job == OFFER_FREED_SLOT)).all()
        assert any(list(job.args) == [old_slot] for job in jobs)
    with rt.session_factory.begin() as s:
        made = waitlist.offer_slot(s, old_slot, rt.now())
        assert made.reason == "offered"
        (offer,) = s.scalars(select(WaitlistOffer).where(WaitlistOffer.slot_id == old_slot)).all()
        assert offer.entry_id == waiting


def test_no_offer_for_a_slot_later_than_the_appointment_held(any_runtime):
    rt = any_runtime
    _book(rt, EARLY, local(TUESDAY, 10))
    early = _join(rt, EARLY)  # first in line, but holds Tuesday
    plain = _join(rt, LATE)
    slot_id, messages = _free_and_offer(rt, local(FRIDAY, 14))
    assert len(messages) == 1
    with rt.session_factory() as s:
        offers = s.scalars(select(WaitlistOffer).where(WaitlistOffer.slot_id == slot_id)).all()
        assert [o.entry_id for o in offers] == [plain]
        assert s.get(WaitlistEntry, early).status == "waiting"  # still waiting for something earlier


def test_the_appointment_cancelled_meanwhile_makes_it_a_plain_booking(any_runtime):
    rt = any_runtime
    held = _book(rt, EARLY, local(FRIDAY, 14))
    _join(rt, EARLY)
    slot_id, messages = _free_and_offer(rt, local(TUESDAY, 10))
    assert len(messages) == 1
    with rt.session_factory.begin() as s:
        booking.cancel(s, held, rt.now(), "sms")
    _said, keys = _answer(rt, EARLY)
    assert keys == ["booked"]
    with rt.session_factory() as s:
        (appointment,) = _booked_of(s, EARLY)
        assert appointment.slot_id == slot_id
        assert appointment.replaces_id is None


def test_a_change_made_meanwhile_is_followed_and_still_moved_once(any_runtime):
    """The patient moved the appointment themselves (CHANGER) after joining: the entry waits on with the
    new one, and an earlier offer moves that one."""
    rt = any_runtime
    held = _book(rt, EARLY, local(FRIDAY, 14))
    entry_id = _join(rt, EARLY)
    with rt.session_factory.begin() as s:
        patient = get_or_create_patient(s, EARLY)
        moved = booking.reschedule(s, held, slot_at(s, local(FRIDAY, 11)).id, rt.now(), "sms", patient.id)
        moved_id = moved.id
    slot_id, messages = _free_and_offer(rt, local(TUESDAY, 10))
    assert len(messages) == 1
    with rt.session_factory() as s:
        assert s.get(WaitlistEntry, entry_id).status == "waiting"
    _said, keys = _answer(rt, EARLY)
    assert keys == ["rescheduled"]
    with rt.session_factory() as s:
        (appointment,) = _booked_of(s, EARLY)
        assert appointment.slot_id == slot_id
        assert appointment.replaces_id == moved_id


def test_a_replaced_appointment_of_another_person_is_refused(any_runtime):
    rt = any_runtime
    other = _book(rt, LATE, local(FRIDAY, 14))
    with pytest.raises(ValueError, match="replaces only an appointment of its own person"):
        _join(rt, EARLY, replaces=other)


def test_an_appointment_moved_earlier_meanwhile_is_not_moved_later(any_runtime):
    """Offered Tuesday 10:00 for a Friday appointment, the patient moved it to Tuesday 9:00 themselves before
    answering: OUI changes nothing, and the slot goes to the next entry."""
    rt = any_runtime
    held = _book(rt, EARLY, local(FRIDAY, 14))
    entry_id = _join(rt, EARLY)
    slot_id, messages = _free_and_offer(rt, local(TUESDAY, 10))
    assert len(messages) == 1
    with rt.session_factory.begin() as s:
        patient = get_or_create_patient(s, EARLY)
        sooner = booking.reschedule(s, held, slot_at(s, local(TUESDAY, 9)).id, rt.now(), "sms", patient.id).id
    said, keys = _answer(rt, EARLY)
    assert keys == ["earlier_not_sooner"]
    assert "mar. 8 déc. à 9 h" in said
    with rt.session_factory() as s:
        (appointment,) = _booked_of(s, EARLY)
        assert appointment.id == sooner
        (offer,) = s.scalars(select(WaitlistOffer).where(WaitlistOffer.slot_id == slot_id)).all()
        assert offer.status == "declined"
        assert s.get(WaitlistEntry, entry_id).status == "waiting"


def test_an_unclear_answer_to_a_moving_offer_asks_again_in_its_words(any_runtime):
    rt = any_runtime
    _book(rt, EARLY, local(FRIDAY, 14))
    _join(rt, EARLY)
    _free_and_offer(rt, local(TUESDAY, 10))
    said, keys = _answer(rt, EARLY, "bof")
    assert keys == ["waitlist_offer_retry_move"]
    assert "ven. 11 déc." not in said
    assert "mar. 8 déc. à 10 h" in said
    assert "OUI" in said
