"""Appointments: finding free slots, holding, booking, cancelling, rescheduling, listing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.errors import AppointmentNotCancellable, AppointmentNotFound, SlotNotFound, SlotTaken
from core.models import Appointment, AppointmentStatus, AuditEntry, Clinic, Practitioner, Slot, SlotStatus
from core.services import booking
from core.services.booking import SlotQuery
from core.timeutil import to_local
from tests.core.helpers import (
    MONDAY,
    SATURDAY,
    TUESDAY,
    clinic,
    live_appointments,
    local,
    local_times,
    patient,
    slot_at,
    slots_at,
)

# ---------------------------------------------------------------- free slots


def test_free_slots_start_after_the_moment_asked(session, clock):
    free = booking.find_free_slots(session, clinic(session), clock())
    assert free.exact
    assert local_times(free.slots) == ["09:15", "09:30", "09:45"]  # 09:00 is now: too late to offer


def test_free_slots_on_a_date(session, clock):
    free = booking.find_free_slots(session, clinic(session), clock(), SlotQuery(date=TUESDAY))
    assert local_times(free.slots) == ["08:00", "08:15", "08:30"]
    assert all(s.starts_at.astimezone(dt.UTC).date() == TUESDAY for s in free.slots)


def test_free_slots_in_a_part_of_the_day(session, clock):
    free = booking.find_free_slots(
        session, clinic(session), clock(), SlotQuery(date=TUESDAY, part_of_day="afternoon")
    )
    assert free.exact
    assert local_times(free.slots) == ["13:00", "13:15", "13:30"]


def test_free_slots_after_a_time(session, clock):
    free = booking.find_free_slots(
        session, clinic(session), clock(), SlotQuery(date=TUESDAY, after=dt.time(15))
    )
    assert local_times(free.slots) == ["15:00", "15:15", "15:30"]


def test_free_slots_nearest_a_time_come_in_time_order(session, clock):
    free = booking.find_free_slots(
        session, clinic(session), clock(), SlotQuery(date=TUESDAY, at=dt.time(14, 30))
    )
    assert local_times(free.slots) == ["14:15", "14:30", "14:45"]


def test_free_slots_with_a_practitioner(session, clock):
    parc = clinic(session)
    tremblay = session.scalar(select(Practitioner).where(Practitioner.key == "dre-tremblay"))
    eight = slots_at(session, local(TUESDAY, 8))
    booking.book(
        session,
        next(s.id for s in eight if s.practitioner_id == tremblay.id),
        patient(session, 1),
        "sms",
        clock(),
    )
    with_her = booking.find_free_slots(
        session, parc, clock(), SlotQuery(date=TUESDAY, practitioner_id=tremblay.id)
    )
    assert local_times(with_her.slots) == ["08:15", "08:30", "08:45"]
    assert {s.practitioner_id for s in with_her.slots} == {tremblay.id}
    anyone = booking.find_free_slots(session, parc, clock(), SlotQuery(date=TUESDAY))
    assert local_times(anyone.slots)[0] == "08:00"  # Dr Nguyen is still free at 08:00


def test_the_first_n_free_slots_one_per_time(session, clock):
    free = booking.find_free_slots(session, clinic(session), clock(), SlotQuery(date=TUESDAY), limit=6)
    assert local_times(free.slots) == ["08:00", "08:15", "08:30", "08:45", "09:00", "09:15"]


def test_a_time_with_every_practitioner_booked_is_not_offered(session, clock):
    for n, slot in enumerate(slots_at(session, local(TUESDAY, 8))):
        booking.book(session, slot.id, patient(session, n), "sms", clock())
    free = booking.find_free_slots(session, clinic(session), clock(), SlotQuery(date=TUESDAY))
    assert local_times(free.slots) == ["08:15", "08:30", "08:45"]


def test_nearest_alternatives_when_nothing_matches_a_closed_day(session, clock):
    free = booking.find_free_slots(session, clinic(session), clock(), SlotQuery(date=SATURDAY))
    assert not free.exact
    # Saturday 08:00 is nearer Friday afternoon than Monday morning.
    assert local_times(free.slots) == ["16:15", "16:30", "16:45"]
    assert {s.starts_at.astimezone(dt.UTC).date() for s in free.slots} == {dt.date(2026, 12, 11)}


def test_nearest_alternatives_when_the_part_of_day_has_nothing(session, clock):
    free = booking.find_free_slots(
        session, clinic(session), clock(), SlotQuery(date=TUESDAY, part_of_day="evening")
    )
    assert not free.exact
    assert local_times(free.slots) == ["16:15", "16:30", "16:45"]


def test_a_wish_in_the_past_gives_the_next_free_slots(session, clock):
    free = booking.find_free_slots(
        session, clinic(session), clock(), SlotQuery(date=MONDAY - dt.timedelta(days=3))
    )
    assert not free.exact
    assert free.slots
    assert all(s.starts_at > clock() for s in free.slots)


def test_an_unknown_part_of_day_filters_nothing(session, clock):
    free = booking.find_free_slots(
        session, clinic(session), clock(), SlotQuery(date=TUESDAY, part_of_day="night")
    )
    assert free.exact
    assert local_times(free.slots) == ["08:00", "08:15", "08:30"]


def test_not_before_skips_the_slots_already_offered(session, clock):
    first = booking.find_free_slots(session, clinic(session), clock(), SlotQuery(date=TUESDAY))
    more = booking.find_free_slots(
        session, clinic(session), clock(), SlotQuery(date=TUESDAY, not_before=first.slots[-1].starts_at)
    )
    assert local_times(more.slots) == ["08:45", "09:00", "09:15"]


# ---------------------------------------------------------------- holds


def test_a_held_slot_cannot_be_taken_until_the_hold_expires(session, clock):
    slot = slot_at(session, local(TUESDAY, 10))
    booking.hold_slot(session, slot.id, "call:A", clock(), minutes=5)
    with pytest.raises(SlotTaken):
        booking.book(session, slot.id, patient(session, 2), "sms", clock())
    with pytest.raises(SlotTaken):
        booking.hold_slot(session, slot.id, "call:B", clock())
    clock.advance(minutes=4)
    with pytest.raises(SlotTaken):
        booking.book(session, slot.id, patient(session, 2), "sms", clock(), holder="call:B")
    clock.advance(minutes=2)
    appointment = booking.book(session, slot.id, patient(session, 2), "sms", clock())
    assert appointment.slot_id == slot.id


def test_a_held_slot_is_offered_to_its_holder_only(session, clock):
    parc = clinic(session)
    for slot in slots_at(session, local(TUESDAY, 8)):
        booking.hold_slot(session, slot.id, "sms:+14385550001", clock())
    others = booking.find_free_slots(session, parc, clock(), SlotQuery(date=TUESDAY))
    assert local_times(others.slots)[0] == "08:15"
    holder = booking.find_free_slots(
        session, parc, clock(), SlotQuery(date=TUESDAY), holder="sms:+14385550001"
    )
    assert local_times(holder.slots)[0] == "08:00"


def test_the_same_holder_can_hold_again_and_book(session, clock):
    slot = slot_at(session, local(TUESDAY, 10))
    first = booking.hold_slot(session, slot.id, "call:A", clock(), minutes=5)
    until = first.held_until
    clock.advance(minutes=3)
    again = booking.hold_slot(session, slot.id, "call:A", clock(), minutes=5)
    assert again.held_until > until
    assert again.held_by == "call:A"
    appointment = booking.book(session, slot.id, patient(session, 1), "voice", clock(), holder="call:A")
    session.refresh(slot)
    assert appointment.status == AppointmentStatus.BOOKED
    assert (slot.status, slot.held_by, slot.held_until) == (SlotStatus.BOOKED, None, None)


def test_releasing_a_hold_gives_the_slot_back(session, clock):
    slot = slot_at(session, local(TUESDAY, 10))
    booking.hold_slot(session, slot.id, "call:A", clock())
    booking.release_hold(session, slot.id, "call:B")  # not theirs: nothing happens
    session.refresh(slot)
    assert slot.status == SlotStatus.HELD
    booking.release_hold(session, slot.id, "call:A")
    session.refresh(slot)
    assert (slot.status, slot.held_by) == (SlotStatus.FREE, None)


def test_expired_holds_are_released(session, clock):
    a, b = slots_at(session, local(TUESDAY, 10))
    booking.hold_slot(session, a.id, "call:A", clock(), minutes=5)
    booking.hold_slot(session, b.id, "call:B", clock(), minutes=15)
    assert booking.release_expired_holds(session, clock.advance(minutes=10)) == 1
    session.refresh(a)
    session.refresh(b)
    assert (a.status, b.status) == (SlotStatus.FREE, SlotStatus.HELD)


def test_holding_a_past_or_unknown_slot_is_refused(session, clock):
    past = slot_at(session, local(MONDAY, 8))
    with pytest.raises(SlotTaken):
        booking.hold_slot(session, past.id, "call:A", clock())
    with pytest.raises(SlotNotFound):
        booking.hold_slot(session, 10_000_000, "call:A", clock())


# ---------------------------------------------------------------- booking


def test_booking_gives_a_six_digit_code_and_marks_the_slot(any_runtime, clock):
    with any_runtime.session_factory.begin() as s:
        slot = slot_at(s, local(TUESDAY, 10))
        appointment = booking.book(s, slot.id, patient(s, 1), "sms", clock())
        assert appointment.code.isdigit()
        assert len(appointment.code) == 6
    with any_runtime.session_factory.begin() as s:
        stored = s.get(Appointment, appointment.id)
        assert stored.status == AppointmentStatus.BOOKED
        assert stored.starts_at == local(TUESDAY, 10)
        assert s.get(Slot, stored.slot_id).status == SlotStatus.BOOKED
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "appointment.booked")).subject == (
            f"appointment:{appointment.id}"
        )


def test_two_patients_cannot_book_the_same_slot(any_runtime, clock):
    with any_runtime.session_factory.begin() as s:
        slot_id = slot_at(s, local(TUESDAY, 10)).id
        booking.book(s, slot_id, patient(s, 1), "sms", clock())
    with any_runtime.session_factory.begin() as s, pytest.raises(SlotTaken):
        booking.book(s, slot_id, patient(s, 2), "voice", clock())
    with any_runtime.session_factory.begin() as s:
        assert live_appointments(s, slot_id) == 1


def test_a_slot_that_has_started_cannot_be_booked(session, clock):
    with pytest.raises(SlotTaken):
        booking.book(session, slot_at(session, local(MONDAY, 9)).id, patient(session, 1), "sms", clock())


def test_booking_an_unknown_slot_says_so(session, clock):
    with pytest.raises(SlotNotFound):
        booking.book(session, 10_000_000, patient(session, 1), "sms", clock())


# ---------------------------------------------------------------- cancelling


def test_cancelling_frees_the_slot_for_someone_else(any_runtime, clock):
    with any_runtime.session_factory.begin() as s:
        slot_id = slot_at(s, local(TUESDAY, 10)).id
        appointment = booking.book(s, slot_id, patient(s, 1), "sms", clock())
    with any_runtime.session_factory.begin() as s:
        cancelled = booking.cancel(s, appointment.id, clock(), "sms", patient_id=appointment.patient_id)
        assert cancelled.status == AppointmentStatus.CANCELLED
        assert cancelled.cancelled_at == clock()
        assert s.get(Slot, slot_id).status == SlotStatus.FREE
    with any_runtime.session_factory.begin() as s:
        again = booking.book(s, slot_id, patient(s, 2), "voice", clock())
        assert again.slot_id == slot_id
        assert live_appointments(s, slot_id) == 1


def test_a_patient_cannot_cancel_someone_elses_appointment(session, clock):
    appointment = booking.book(
        session, slot_at(session, local(TUESDAY, 10)).id, patient(session, 1), "sms", clock()
    )
    with pytest.raises(AppointmentNotFound):
        booking.cancel(session, appointment.id, clock(), "sms", patient_id=patient(session, 2).id)
    assert appointment.status == AppointmentStatus.BOOKED


def test_a_past_or_cancelled_appointment_cannot_be_cancelled(session, clock):
    appointment = booking.book(
        session, slot_at(session, local(TUESDAY, 10)).id, patient(session, 1), "sms", clock()
    )
    with pytest.raises(AppointmentNotCancellable):
        booking.cancel(session, appointment.id, local(TUESDAY, 10, 5), "sms")
    booking.cancel(session, appointment.id, clock(), "sms")
    with pytest.raises(AppointmentNotCancellable):
        booking.cancel(session, appointment.id, clock(), "sms")
    with pytest.raises(AppointmentNotFound):
        booking.cancel(session, 10_000_000, clock(), "sms")


# ---------------------------------------------------------------- rescheduling


def test_rescheduling_books_the_new_slot_and_releases_the_old(any_runtime, clock):
    with any_runtime.session_factory.begin() as s:
        old_slot, new_slot = slot_at(s, local(TUESDAY, 10)).id, slot_at(s, local(TUESDAY, 14)).id
        old = booking.book(s, old_slot, patient(s, 1), "sms", clock())
    with any_runtime.session_factory.begin() as s:
        new = booking.reschedule(s, old.id, new_slot, clock(), "sms", patient_id=old.patient_id)
    with any_runtime.session_factory.begin() as s:
        assert s.get(Appointment, old.id).status == AppointmentStatus.CANCELLED
        moved = s.get(Appointment, new.id)
        assert (moved.status, moved.slot_id, moved.replaces_id) == (
            AppointmentStatus.BOOKED,
            new_slot,
            old.id,
        )
        assert (s.get(Slot, old_slot).status, s.get(Slot, new_slot).status) == (
            SlotStatus.FREE,
            SlotStatus.BOOKED,
        )


def test_a_failed_reschedule_leaves_both_appointments_as_they_were(any_runtime, clock):
    with any_runtime.session_factory.begin() as s:
        mine, theirs = slot_at(s, local(TUESDAY, 10)).id, slot_at(s, local(TUESDAY, 14)).id
        old = booking.book(s, mine, patient(s, 1), "sms", clock())
        other = booking.book(s, theirs, patient(s, 2), "sms", clock())
        before = s.scalar(select(func.count()).select_from(Appointment))
    # the caller catches the error and commits anyway
    with any_runtime.session_factory.begin() as s, pytest.raises(SlotTaken):
        booking.reschedule(s, old.id, theirs, clock(), "sms")
    with any_runtime.session_factory.begin() as s:
        assert s.scalar(select(func.count()).select_from(Appointment)) == before
        assert s.get(Appointment, old.id).status == AppointmentStatus.BOOKED
        assert s.get(Appointment, other.id).status == AppointmentStatus.BOOKED
        assert (s.get(Slot, mine).status, s.get(Slot, theirs).status) == (
            SlotStatus.BOOKED,
            SlotStatus.BOOKED,
        )


def test_rescheduling_is_for_the_patient_own_upcoming_appointment_in_the_same_clinic(session, clock):
    old = booking.book(session, slot_at(session, local(TUESDAY, 10)).id, patient(session, 1), "sms", clock())
    target = slot_at(session, local(TUESDAY, 14)).id
    with pytest.raises(AppointmentNotFound):
        booking.reschedule(session, old.id, target, clock(), "sms", patient_id=patient(session, 2).id)
    with pytest.raises(SlotNotFound):
        booking.reschedule(
            session, old.id, slot_at(session, local(TUESDAY, 14), "westmount").id, clock(), "sms"
        )
    with pytest.raises(AppointmentNotCancellable):
        booking.reschedule(session, old.id, target, local(TUESDAY, 10, 1), "sms")
    assert old.status == AppointmentStatus.BOOKED
    assert session.get(Slot, target).status == SlotStatus.FREE


def test_rescheduling_onto_a_slot_the_patient_holds(session, clock):
    old = booking.book(
        session, slot_at(session, local(TUESDAY, 10)).id, patient(session, 1), "voice", clock()
    )
    target = slot_at(session, local(TUESDAY, 15)).id
    booking.hold_slot(session, target, "call:X", clock())
    new = booking.reschedule(session, old.id, target, clock(), "voice", holder="call:X")
    assert new.slot_id == target
    assert old.status == AppointmentStatus.CANCELLED


# ---------------------------------------------------------------- upcoming


def test_upcoming_appointments_are_the_patients_booked_future_ones_soonest_first(session, clock):
    parc, me, other = clinic(session), patient(session, 1), patient(session, 2)
    later = booking.book(session, slot_at(session, local(TUESDAY, 15)).id, me, "sms", clock())
    sooner = booking.book(session, slot_at(session, local(TUESDAY, 9)).id, me, "sms", clock())
    gone = booking.book(session, slot_at(session, local(TUESDAY, 11)).id, me, "sms", clock())
    booking.cancel(session, gone.id, clock(), "sms")
    booking.book(session, slot_at(session, local(TUESDAY, 12 - 1, 30)).id, other, "sms", clock())
    booking.book(session, slot_at(session, local(TUESDAY, 10), "westmount").id, me, "sms", clock())
    assert [a.id for a in booking.upcoming_appointments(session, me, parc, clock())] == [sooner.id, later.id]
    assert [a.id for a in booking.upcoming_appointments(session, me, parc, local(TUESDAY, 9, 30))] == [
        later.id
    ]


def test_when_the_wished_day_is_closed_the_wished_time_of_day_is_kept_on_the_nearest_open_day(session, clock):
    # Sunday 13 December after 3 PM: the clinic is closed; Monday after 3 PM is the nearest such time.
    parc = session.get(Clinic, "parc")
    query = booking.SlotQuery(date=dt.date(2026, 12, 13), after=dt.time(15, 0))
    found = booking.find_free_slots(session, parc, clock(), query)
    assert not found.exact
    starts = [to_local(s.starts_at, parc.timezone) for s in found.slots]
    assert [s.date() for s in starts] == [dt.date(2026, 12, 14)] * 3
    assert [s.time() for s in starts] == [dt.time(15, 0), dt.time(15, 15), dt.time(15, 30)]


def test_a_closed_morning_wish_moves_to_the_nearest_morning(session, clock):
    parc = session.get(Clinic, "parc")
    query = booking.SlotQuery(date=dt.date(2026, 12, 12), part_of_day="morning")  # a Saturday
    found = booking.find_free_slots(session, parc, clock(), query)
    starts = [to_local(s.starts_at, parc.timezone) for s in found.slots]
    assert not found.exact
    assert {s.date() for s in starts} == {dt.date(2026, 12, 11)}
    assert all(s.hour < 12 for s in starts)


# ---------------------------------------------------------------- several days that would do


def _days_and_times(slots) -> list[tuple[dt.date, str]]:
    return [(to_local(s.starts_at, "America/Toronto").date(), local_times([s])[0]) for s in slots]


def test_slots_of_several_days_come_from_each_day_in_turn(session, clock):
    thursday = TUESDAY + dt.timedelta(days=2)
    free = booking.find_free_slots(
        session, clinic(session), clock(), SlotQuery(date=TUESDAY, also=(thursday,))
    )
    assert free.exact
    assert _days_and_times(free.slots) == [(TUESDAY, "08:00"), (TUESDAY, "08:15"), (thursday, "08:00")]


def test_a_full_day_of_several_gives_the_others_and_the_time_asked_comes_first(session, clock):
    thursday = TUESDAY + dt.timedelta(days=2)
    for slot in session.scalars(select(Slot).where(Slot.clinic_id == "parc")):
        if to_local(slot.starts_at, "America/Toronto").date() == TUESDAY:
            slot.status = SlotStatus.BOOKED
    session.flush()
    query = SlotQuery(date=TUESDAY, also=(thursday,), at=dt.time(14, 0))
    free = booking.find_free_slots(session, clinic(session), clock(), query)
    assert free.exact  # Thursday would do as well: no "nothing free Tuesday"
    assert _days_and_times(free.slots) == [(thursday, "13:45"), (thursday, "14:00"), (thursday, "14:15")]
