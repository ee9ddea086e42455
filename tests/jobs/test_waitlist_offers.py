"""Freed slots offered to the waiting list: the first N matching entries in join order, by SMS or by call,
inside quiet hours; the first OUI books, the others are told it is taken; an expired offer goes on."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.jobs.names import OFFER_FREED_SLOT
from core.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    OutboxJob,
    Slot,
    SlotStatus,
    WaitlistEntry,
    WaitlistOffer,
)
from core.services import booking, people, waitlist, walkin
from core.services.patients import get_or_create_patient, opt_out
from tests.dialog.conftest import Patient
from tests.jobs.conftest import PUBLIC, WEDNESDAY
from tests.support.arrange import book

A, B, C, D = "+15145552001", "+15145552002", "+15145552003", "+15145552004"
HOLDER = "+15145552099"


def join(rt, phone: str, wish: dict | None = None, lang: str = "fr", by_call: bool = False) -> int:
    with rt.session_factory.begin() as s:
        patient = get_or_create_patient(s, phone, lang)
        if by_call:
            patient.notify_by = "call"
        person = people.first_person(s, patient, rt.now())
        entry, _ = waitlist.join(s, s.get(Clinic, "parc"), patient, person, wish or {}, "sms", rt.now())
        return entry.id


def cancel(rt, appointment_id: int) -> None:
    with rt.session_factory.begin() as s:
        booking.cancel(s, appointment_id, rt.now(), "staff")
    rt.jobs.drain(include_timed=False)


def offers(rt) -> list[WaitlistOffer]:
    with rt.session_factory() as s:
        rows = s.scalars(select(WaitlistOffer).order_by(WaitlistOffer.id)).all()
        for row in rows:
            s.expunge(row)
        return list(rows)


def slot_of(rt, appointment_id: int) -> Slot:
    with rt.session_factory() as s:
        slot = s.get(Slot, s.get(Appointment, appointment_id).slot_id)
        s.expunge(slot)
        return slot


def entry_status(rt, entry_id: int) -> str:
    with rt.session_factory() as s:
        return s.get(WaitlistEntry, entry_id).status


def tick(rt) -> None:
    rt.jobs.enqueue("core.jobs.tasks.tick")
    rt.jobs.drain()


def test_a_cancelled_slot_is_offered_to_the_first_three_matching_entries_in_join_order(
    jobs_runtime, clock, fake_twilio
):
    rt = jobs_runtime
    first = join(rt, A)
    join(rt, B, {"part": "afternoon"})  # does not suit a 10:00 slot
    second = join(rt, C, {"date": WEDNESDAY.isoformat()})
    third = join(rt, D, {"part": "morning"}, lang="en")
    fourth = join(rt, "+15145552005")
    appointment_id = book(rt, HOLDER, day=WEDNESDAY, at=dt.time(10, 0)).id
    cancel(rt, appointment_id)

    made = offers(rt)
    assert [o.entry_id for o in made] == [first, second, third]  # B does not match; the fifth waits
    assert all(o.kind == "sms" and o.status == "open" for o in made)
    assert made[0].expires_at == clock() + dt.timedelta(minutes=10)
    slot = slot_of(rt, appointment_id)
    assert (slot.status, slot.held_by) == (SlotStatus.HELD, waitlist.holder(slot.id))
    assert slot.held_until == clock() + dt.timedelta(minutes=10)
    (sms_a,) = fake_twilio.messages_to(A)
    assert "Clinique du Parc" in sms_a["body"]
    assert "OUI" in sms_a["body"]
    assert "10 min" in sms_a["body"]
    assert "mer. 9 déc. à 10 h" in sms_a["body"]
    assert "YES" in fake_twilio.messages_to(D)[0]["body"]  # in the patient's language
    assert fake_twilio.messages_to(B) == []
    assert fake_twilio.messages_to("+15145552005") == []
    assert entry_status(rt, fourth) == "waiting"

    # The slot is held: a patient texting for Wednesday at 10 is not offered it meanwhile.
    with rt.session_factory() as s:
        free = booking.find_free_slots(s, s.get(Clinic, "parc"), clock(), booking.SlotQuery(date=WEDNESDAY))
        assert slot.id not in [x.id for x in free.slots]

    # A bare OUI answers the offer (the conversation was primed); the first yes books it.
    c = Patient(rt, "sms", phone=C)
    c.send("OUI")
    assert c.keys == ["booked"]
    a = Patient(rt, "sms", phone=A)
    a.send("oui")
    assert a.keys == ["waitlist_taken"]
    assert "restez sur la liste" in a.text
    with rt.session_factory() as s:
        (appointment,) = s.scalars(
            select(Appointment).where(
                Appointment.slot_id == slot.id, Appointment.status == AppointmentStatus.BOOKED
            )
        ).all()
        assert appointment.person.phone_row.phone == C
    assert entry_status(rt, second) == "booked"  # a booked entry leaves the list
    assert entry_status(rt, first) == "waiting"  # the others stay on it
    assert [o.status for o in offers(rt)] == ["taken", "accepted", "taken"]
    assert slot_of(rt, appointment_id).status == SlotStatus.BOOKED


def test_a_declined_or_expired_offer_goes_to_the_next_entry(jobs_runtime, clock, fake_twilio):
    rt = jobs_runtime
    with rt.session_factory.begin() as s:
        s.get(Clinic, "parc").settings = {**s.get(Clinic, "parc").settings, "waitlist_offers_at_once": 1}
    first, second, third = join(rt, A), join(rt, B), join(rt, C)
    appointment_id = book(rt, HOLDER, day=WEDNESDAY, at=dt.time(11, 0)).id
    cancel(rt, appointment_id)
    assert [o.entry_id for o in offers(rt)] == [first]

    clock.advance(minutes=11)  # A never answered
    tick(rt)
    assert [(o.entry_id, o.status) for o in offers(rt)] == [(first, "expired"), (second, "open")]
    assert len(fake_twilio.messages_to(B)) == 1
    slot = slot_of(rt, appointment_id)
    assert slot.status == SlotStatus.HELD
    assert slot.held_until == clock() + dt.timedelta(minutes=10)

    Patient(rt, "sms", phone=B).send("non")  # B declines: C is asked at once
    rt.jobs.drain()
    assert [(o.entry_id, o.status) for o in offers(rt)] == [
        (first, "expired"),
        (second, "declined"),
        (third, "open"),
    ]
    late = Patient(rt, "sms", phone=A)
    late.send("OUI")  # A's answer comes too late: A stays on the list
    assert entry_status(rt, first) == "waiting"
    assert entry_status(rt, second) == "waiting"


def test_nobody_left_to_ask_gives_the_slot_back(jobs_runtime, clock, fake_twilio):
    rt = jobs_runtime
    join(rt, A)
    appointment_id = book(rt, HOLDER, day=WEDNESDAY, at=dt.time(14, 0)).id
    cancel(rt, appointment_id)
    clock.advance(minutes=11)
    tick(rt)
    assert [o.status for o in offers(rt)] == ["expired"]
    slot = slot_of(rt, appointment_id)
    assert (slot.status, slot.held_by) == (SlotStatus.FREE, None)


def test_offers_keep_to_quiet_hours_and_wait_for_eight(jobs_runtime, clock, fake_twilio):
    rt = jobs_runtime
    join(rt, A)
    appointment_id = book(rt, HOLDER, day=WEDNESDAY, at=dt.time(15, 0)).id
    clock.set_local(dt.date(2026, 12, 8), dt.time(22, 30))  # cancelled late in the evening
    cancel(rt, appointment_id)
    assert offers(rt) == []
    assert fake_twilio.messages_to(A) == []
    assert slot_of(rt, appointment_id).status == SlotStatus.FREE  # nothing held overnight
    with rt.session_factory() as s:
        due = s.scalars(
            select(OutboxJob.due_at).where(OutboxJob.job == OFFER_FREED_SLOT, OutboxJob.done_at.is_(None))
        ).all()
    assert due == [clock.set_local(WEDNESDAY, dt.time(8, 0))]
    clock.set_local(WEDNESDAY, dt.time(7, 59))
    tick(rt)
    assert fake_twilio.messages_to(A) == []
    clock.set_local(WEDNESDAY, dt.time(8, 0))
    tick(rt)
    assert len(fake_twilio.messages_to(A)) == 1
    assert [o.status for o in offers(rt)] == ["open"]


def test_a_slot_too_near_to_answer_in_time_is_not_offered(jobs_runtime, clock, fake_twilio):
    rt = jobs_runtime
    join(rt, A)
    appointment_id = book(rt, HOLDER, day=WEDNESDAY, at=dt.time(10, 0)).id
    clock.set_local(WEDNESDAY, dt.time(9, 25))  # 35 min before: less than 10 min to answer + 30 min margin
    cancel(rt, appointment_id)
    assert offers(rt) == []
    assert fake_twilio.messages_to(A) == []
    assert slot_of(rt, appointment_id).status == SlotStatus.FREE


def test_a_slot_freed_at_night_too_near_for_the_morning_is_dropped(jobs_runtime, clock, fake_twilio):
    rt = jobs_runtime
    join(rt, A)
    appointment_id = book(rt, HOLDER, day=WEDNESDAY, at=dt.time(8, 15)).id
    clock.set_local(dt.date(2026, 12, 8), dt.time(23, 0))
    cancel(rt, appointment_id)
    with rt.session_factory() as s:
        assert not s.scalars(
            select(OutboxJob).where(OutboxJob.job == OFFER_FREED_SLOT, OutboxJob.done_at.is_(None))
        ).all()
    assert offers(rt) == []


def test_opted_out_numbers_are_never_offered(jobs_runtime, clock, fake_twilio):
    rt = jobs_runtime
    join(rt, A)
    second = join(rt, B)
    with rt.session_factory.begin() as s:
        opt_out(s, get_or_create_patient(s, A), clock())
    appointment_id = book(rt, HOLDER, day=WEDNESDAY, at=dt.time(9, 0)).id
    cancel(rt, appointment_id)
    assert [o.entry_id for o in offers(rt)] == [second]
    assert fake_twilio.messages_to(A) == []


def test_an_entry_booked_by_other_means_leaves_the_list(jobs_runtime, clock, fake_twilio):
    rt = jobs_runtime
    first = join(rt, A)
    clock.advance(minutes=1)
    book(rt, A, day=dt.date(2026, 12, 11), at=dt.time(9, 0))  # A booked Friday herself
    appointment_id = book(rt, HOLDER, day=WEDNESDAY, at=dt.time(9, 30)).id
    cancel(rt, appointment_id)
    assert offers(rt) == []
    assert entry_status(rt, first) == "booked"


def test_a_landline_is_offered_by_call(jobs_runtime, clock, fake_twilio):
    rt = jobs_runtime
    join(rt, A, by_call=True)
    appointment_id = book(rt, HOLDER, day=WEDNESDAY, at=dt.time(10, 30)).id
    cancel(rt, appointment_id)
    (offer,) = offers(rt)
    assert offer.kind == "call"
    (call,) = fake_twilio.creates("Calls", to=A)
    assert call.value("Url") == f"{PUBLIC}/voice/offer/{offer.id}"
    assert fake_twilio.messages_to(A) == []


def test_a_rescheduled_appointment_offers_its_old_slot(jobs_runtime, clock, fake_twilio):
    rt = jobs_runtime
    join(rt, A, {"date": WEDNESDAY.isoformat()})
    appointment_id = book(rt, HOLDER, day=WEDNESDAY, at=dt.time(13, 0)).id
    old_slot = slot_of(rt, appointment_id).id
    with rt.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        new = booking.find_free_slots(s, parc, clock(), booking.SlotQuery(date=dt.date(2026, 12, 11))).slots[
            0
        ]
        booking.reschedule(s, appointment_id, new.id, clock(), "staff")
    rt.jobs.drain(include_timed=False)
    assert [o.slot_id for o in offers(rt)] == [old_slot]


def test_a_walkin_place_given_back_is_offered_to_who_asked(jobs_runtime, clock, fake_twilio):
    rt = jobs_runtime
    with rt.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        parc.walkin_capacity = 1
        leaver = get_or_create_patient(s, HOLDER)
        walkin.join_walkin_queue(s, parc, leaver, "sms", clock())
    with rt.session_factory.begin() as s:
        patient = get_or_create_patient(s, A)
        person = people.first_person(s, patient, clock())
        waitlist.join(s, s.get(Clinic, "parc"), patient, person, {}, "sms", clock(), kind="walkin")
    with rt.session_factory.begin() as s:
        walkin.leave_walkin_queue(s, s.get(Clinic, "parc"), get_or_create_patient(s, HOLDER), clock(), "sms")
    rt.jobs.drain(include_timed=False)
    (offer,) = offers(rt)
    assert offer.slot_id is None
    assert offer.walkin_day_id is not None
    assert offer.expires_at == clock() + dt.timedelta(minutes=5)
    assert "sans rendez-vous" in fake_twilio.messages_to(A)[0]["body"]
    a = Patient(rt, "sms", phone=A)
    a.send("OUI")
    assert a.keys == ["walkin_joined"]
    assert [o.status for o in offers(rt)] == ["accepted"]


def test_the_retention_purge_forgets_ended_entries_and_keeps_waiting_ones(jobs_runtime, clock, fake_twilio):
    rt = jobs_runtime
    ended = join(rt, A)
    with rt.session_factory.begin() as s:
        waitlist.leave(s, s.get(WaitlistEntry, ended), clock(), "sms")
    clock.advance(days=rt.config.retention_days + 1)
    waiting = join(rt, B)
    rt.jobs.enqueue("core.jobs.tasks.purge_old_data")
    rt.jobs.drain(include_timed=False)
    with rt.session_factory() as s:
        assert s.scalars(select(WaitlistEntry.id)).all() == [waiting]


def test_a_slot_whose_hold_ran_out_is_offered_to_the_waiting_list(jobs_runtime, clock, fake_twilio):
    """A caller who hung up mid-booking held a slot that suits an entry: when the hold lapses, it is offered."""
    rt = jobs_runtime
    entry = join(rt, A, {"date": WEDNESDAY.isoformat()})
    with rt.session_factory.begin() as s:
        clinic = s.get(Clinic, "parc")
        slot = booking.find_free_slots(s, clinic, rt.now(), booking.SlotQuery(date=WEDNESDAY)).slots[0]
        booking.hold_slot(s, slot.id, "voice:CAhungup", rt.now(), minutes=5)
        slot_id = slot.id
    clock.advance(minutes=6)
    tick(rt)
    made = [o for o in offers(rt) if o.slot_id == slot_id]
    assert [o.entry_id for o in made] == [entry]
    with rt.session_factory() as s:
        assert [slot_id] in [job.args for job in s.scalars(select(OutboxJob))]


FRIDAY = dt.date(2026, 12, 11)
HELD_SAID = {"fr": "avant votre RDV du ven. 11 déc. à 14 h", "en": "before your appt Fri Dec 11 at 2:00 PM"}


@pytest.mark.parametrize(("lang", "yes"), [("fr", "OUI"), ("en", "YES")])
def test_an_earlier_slot_taken_by_sms_moves_the_appointment_held(jobs_runtime, clock, fake_twilio, lang, yes):
    rt = jobs_runtime
    with rt.session_factory.begin() as s:
        s.get(Clinic, "parc").settings = {**s.get(Clinic, "parc").settings, "waitlist_offers_at_once": 1}
    held = book(rt, A, day=FRIDAY, at=dt.time(14, 0), lang=lang).id
    moving = join(rt, A, lang=lang)  # holds Friday 14:00 and wants earlier
    waiting = join(rt, B)  # an ordinary entry, behind A
    old_slot = slot_of(rt, held).id
    appointment_id = book(rt, HOLDER, day=WEDNESDAY, at=dt.time(10, 0)).id
    cancel(rt, appointment_id)
    (sms,) = fake_twilio.messages_to(A)
    assert HELD_SAID[lang] in sms["body"]
    assert yes in sms["body"]  # OUI moves the appointment: the text says so

    a = Patient(rt, "sms", phone=A)
    a.send(yes)
    assert a.keys == ["rescheduled"]
    assert a.reply.lang == lang
    rt.jobs.drain(include_timed=False)
    new_slot = slot_of(rt, appointment_id).id
    with rt.session_factory() as s:
        live = s.scalars(
            select(Appointment).where(
                Appointment.person_id == s.get(WaitlistEntry, moving).person_id,
                Appointment.status == AppointmentStatus.BOOKED,
            )
        ).all()
        assert [(x.slot_id, x.replaces_id) for x in live] == [(new_slot, held)]  # moved, not doubled
        assert s.get(Appointment, held).status == AppointmentStatus.CANCELLED
    assert entry_status(rt, moving) == "booked"
    # The Friday slot given back went through the freed-slot path: it is offered to the next entry at once.
    assert [(o.entry_id, o.slot_id, o.status) for o in offers(rt)][-1] == (waiting, old_slot, "open")
    (to_b,) = fake_twilio.messages_to(B)
    assert "ven. 11 déc. à 14 h" in to_b["body"]


def test_a_later_slot_is_not_offered_to_who_holds_an_earlier_appointment(jobs_runtime, clock, fake_twilio):
    rt = jobs_runtime
    book(rt, A, day=WEDNESDAY, at=dt.time(9, 0))
    early = join(rt, A)
    plain = join(rt, B)
    appointment_id = book(rt, HOLDER, day=FRIDAY, at=dt.time(10, 0)).id
    cancel(rt, appointment_id)
    assert [o.entry_id for o in offers(rt)] == [plain]
    assert fake_twilio.messages_to(A) == []
    assert entry_status(rt, early) == "waiting"
