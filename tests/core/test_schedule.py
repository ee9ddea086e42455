"""Schedule changes, pools and visit reasons that span slots, on SQLite and PostgreSQL.

The clock starts on Monday 7 December 2026 at 09:00 in Montréal; the Clinique du Parc gives appointments
Monday to Friday 08:00-12:00 and 13:00-17:00 in 15-minute slots, with two practitioners.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.clinics_file import ClinicsFileError, load_clinics
from core.errors import QueueFull, SlotTaken
from core.jobs.names import SEND_MESSAGE
from core.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    OutboundMessage,
    OutboxJob,
    Practitioner,
    ScheduleChange,
    Slot,
    SlotStatus,
    WalkinDay,
)
from core.services import board, booking, clinics, freed, schedule, walkin
from core.services.booking import SlotQuery
from tests.core.helpers import MONDAY, TUESDAY, local, local_times, patient, slots_on
from tests.support.clinics_files import POOLS, REASONS, load, parc_with

WEDNESDAY = dt.date(2026, 12, 9)
CHRISTMAS = dt.date(2026, 12, 25)
SATURDAY = dt.date(2026, 12, 12)
HORIZON = 30


@pytest.fixture
def opened(monkeypatch):
    """What the waiting list is handed: (clinic id, slot ids) per call of the seam."""
    calls: list[tuple[str, list[int]]] = []
    monkeypatch.setattr(freed, "slots_opened", lambda s, cid, ids, now: calls.append((cid, list(ids))))
    return calls


@pytest.fixture
def db(any_runtime):
    with any_runtime.session_factory.begin() as s:
        yield s


def parc(s) -> Clinic:
    return s.get(Clinic, "parc")


def practitioner(s, key: str) -> Practitioner:
    return s.scalar(select(Practitioner).where(Practitioner.key == key))


def statuses(s, day: dt.date, key: str | None = None) -> set[SlotStatus]:
    rows = slots_on(s, day)
    if key:
        rows = [r for r in rows if r.practitioner_id == practitioner(s, key).id]
    return {r.status for r in rows}


def book_at(s, day, hh, mm, key, n) -> Appointment:
    pid = practitioner(s, key).id
    slot = s.scalar(select(Slot).where(Slot.practitioner_id == pid, Slot.starts_at == local(day, hh, mm)))
    return booking.book(s, slot.id, patient(s, n), "sms", local(MONDAY, 9))


# ---- closures ------------------------------------------------------------------------------------------


def test_a_closure_blocks_the_day_and_the_line_never_offers_it(db, clock, opened):
    change = schedule.add_change(
        db, parc(db), "closure", day=CHRISTMAS, now=clock(), horizon_days=HORIZON, reason="Noël"
    )
    assert statuses(db, CHRISTMAS) == {SlotStatus.BLOCKED}
    found = booking.find_free_slots(db, parc(db), clock(), SlotQuery(date=CHRISTMAS))
    assert not found.exact
    assert all(s.starts_at.date() != CHRISTMAS for s in found.slots)
    assert schedule.closure_on(db, "parc", CHRISTMAS).reason == "Noël"
    schedule.remove_change(db, parc(db), change.id, clock(), HORIZON, "Marc")
    assert statuses(db, CHRISTMAS) == {SlotStatus.FREE}
    assert opened
    assert len(opened[-1][1]) == len(slots_on(db, CHRISTMAS))  # given back: the waiting list first


def test_the_rolling_horizon_makes_a_closed_day_blocked_when_it_reaches_it(db, clock):
    far = dt.date(2027, 1, 20)  # beyond today's 30-day horizon
    schedule.add_change(db, parc(db), "closure", day=far, now=clock(), horizon_days=HORIZON)
    assert slots_on(db, far) == []
    later = clock.advance(days=20)
    clinics.generate_slots(db, parc(db), later, HORIZON)
    assert slots_on(db, far)
    assert statuses(db, far) == {SlotStatus.BLOCKED}
    assert statuses(db, dt.date(2027, 1, 21)) == {SlotStatus.FREE}


def test_a_closure_closes_that_days_walk_in_queue(db, clock):
    schedule.add_change(db, parc(db), "closure", day=TUESDAY, now=clock(), horizon_days=HORIZON)
    row = db.scalar(select(WalkinDay).where(WalkinDay.clinic_id == "parc", WalkinDay.day == TUESDAY))
    assert row.closed
    clock.set_local(TUESDAY, dt.time(9))
    with pytest.raises(QueueFull):
        walkin.join_walkin_queue(db, parc(db), patient(db, 7), "sms", clock())


# ---- absences ------------------------------------------------------------------------------------------


def test_an_absence_blocks_only_that_practitioners_time(db, clock):
    tremblay = practitioner(db, "dre-tremblay")
    schedule.add_change(
        db,
        parc(db),
        "absence",
        day=TUESDAY,
        practitioner_id=tremblay.id,
        starts=dt.time(8),
        ends=dt.time(12),
        now=clock(),
        horizon_days=HORIZON,
    )
    rows = slots_on(db, TUESDAY)
    hers = [r for r in rows if r.practitioner_id == tremblay.id]
    assert {r.status for r in hers if r.starts_at < local(TUESDAY, 12)} == {SlotStatus.BLOCKED}
    assert {r.status for r in hers if r.starts_at >= local(TUESDAY, 13)} == {SlotStatus.FREE}
    assert statuses(db, TUESDAY, "dr-nguyen") == {SlotStatus.FREE}
    morning = booking.find_free_slots(db, parc(db), clock(), SlotQuery(date=TUESDAY, part_of_day="morning"))
    assert {s.practitioner_id for s in morning.slots} == {practitioner(db, "dr-nguyen").id}


def test_cancel_and_tell_cancels_the_hit_appointments_and_texts_each_patient_once(db, clock, opened):
    hit_one = book_at(db, TUESDAY, 8, 0, "dre-tremblay", 1)
    hit_two = book_at(db, TUESDAY, 9, 0, "dre-tremblay", 2)
    hit_two_again = book_at(db, TUESDAY, 10, 0, "dre-tremblay", 2)  # the same patient, twice
    other_doctor = book_at(db, TUESDAY, 8, 0, "dr-nguyen", 3)
    afternoon = book_at(db, TUESDAY, 14, 0, "dre-tremblay", 4)
    change = schedule.add_change(
        db,
        parc(db),
        "absence",
        day=TUESDAY,
        practitioner_id=practitioner(db, "dre-tremblay").id,
        ends=dt.time(12),
        now=clock(),
        horizon_days=HORIZON,
    )
    hit = schedule.appointments_hit(db, parc(db), change, clock())
    assert [a.id for a in hit] == [hit_one.id, hit_two.id, hit_two_again.id]
    report = schedule.cancel_and_tell(db, parc(db), change.id, clock(), "Marc")
    assert sorted(report.cancelled) == sorted(a.id for a in hit)
    for a in (hit_one, hit_two, hit_two_again):
        db.refresh(a)
        assert a.status == AppointmentStatus.CANCELLED
        assert db.get(Slot, a.slot_id).status == SlotStatus.BLOCKED
    for a in (other_doctor, afternoon):
        db.refresh(a)
        assert a.status == AppointmentStatus.BOOKED
    messages = db.scalars(
        select(OutboundMessage).where(OutboundMessage.purpose == schedule.CANCELLED_PURPOSE)
    ).all()
    assert sorted(m.to for m in messages) == sorted({hit_one.patient.phone, hit_two.patient.phone})
    assert all(m.status == "pending" and "RDV" in m.body for m in messages)
    assert "2 RDV" in next(m.body for m in messages if m.to == hit_two.patient.phone)
    jobs = db.scalars(select(OutboxJob).where(OutboxJob.job == SEND_MESSAGE)).all()
    told = {m.id for m in messages}  # the other sends are the bookings' own reminders, now withdrawn
    assert sorted(j.args[0] for j in jobs if j.args[0] in told) == sorted(told)
    # Again: nothing more is hit, and no one is texted twice.
    again = schedule.cancel_and_tell(db, parc(db), change.id, clock(), "Marc")
    assert again.cancelled == []
    assert again.messages == []


def test_a_patient_who_takes_calls_only_is_called_about_the_cancelled_appointment(db, clock, opened):
    landline = book_at(db, TUESDAY, 8, 0, "dre-tremblay", 1)
    landline.patient.notify_by = "call"
    opted_out = book_at(db, TUESDAY, 9, 0, "dre-tremblay", 2)
    opted_out.patient.opted_out = True
    change = schedule.add_change(
        db,
        parc(db),
        "absence",
        day=TUESDAY,
        practitioner_id=practitioner(db, "dre-tremblay").id,
        ends=dt.time(12),
        now=clock(),
        horizon_days=HORIZON,
    )
    report = schedule.cancel_and_tell(db, parc(db), change.id, clock(), "Marc")
    call = db.scalar(select(OutboundMessage).where(OutboundMessage.to == landline.patient.phone))
    assert (call.kind, call.purpose, call.status, call.appointment_id) == (
        "call",
        schedule.CANCELLED_PURPOSE,
        "pending",
        landline.id,
    )
    assert report.messages == [call.id]
    assert report.not_reached == [opted_out.patient_id]
    assert [call.id] in [
        job.args for job in db.scalars(select(OutboxJob).where(OutboxJob.job == SEND_MESSAGE))
    ]


# ---- extra time and the walk-in day ---------------------------------------------------------------------


def test_extra_time_makes_slots_and_hands_them_to_the_waiting_list(db, clock, opened):
    schedule.add_change(
        db,
        parc(db),
        "extra",
        day=SATURDAY,
        starts=dt.time(9),
        ends=dt.time(10),
        practitioner_id=practitioner(db, "dr-nguyen").id,
        now=clock(),
        horizon_days=HORIZON,
    )
    made = slots_on(db, SATURDAY)
    assert local_times(made) == ["09:00", "09:15", "09:30", "09:45"]
    assert opened == [("parc", [s.id for s in made])]
    found = booking.find_free_slots(db, parc(db), clock(), SlotQuery(date=SATURDAY))
    assert found.exact
    assert local_times(found.slots) == ["09:00", "09:15", "09:30"]
    clinics.generate_slots(db, parc(db), clock(), HORIZON)  # the next horizon run keeps them
    assert len(slots_on(db, SATURDAY)) == 4


def test_todays_walk_in_places_and_early_closing(db, clock):
    schedule.add_change(db, parc(db), "walkin", day=MONDAY, capacity=1, now=clock(), horizon_days=HORIZON)
    walkin.join_walkin_queue(db, parc(db), patient(db, 1), "sms", clock())
    with pytest.raises(QueueFull):
        walkin.join_walkin_queue(db, parc(db), patient(db, 2), "sms", clock())
    schedule.add_change(
        db, parc(db), "walkin", day=MONDAY, capacity=30, ends=dt.time(10), now=clock(), horizon_days=HORIZON
    )
    walkin.join_walkin_queue(db, parc(db), patient(db, 3), "sms", clock())
    clock.set_local(MONDAY, dt.time(10, 1))
    with pytest.raises(QueueFull):
        walkin.join_walkin_queue(db, parc(db), patient(db, 4), "sms", clock())


def test_bad_changes_are_refused_with_a_reason(db, clock):
    with pytest.raises(schedule.ScheduleChangeInvalid) as past:
        schedule.add_change(
            db, parc(db), "closure", day=dt.date(2026, 12, 1), now=clock(), horizon_days=HORIZON
        )
    assert past.value.reason == "past_day"
    with pytest.raises(schedule.ScheduleChangeInvalid) as nobody:
        schedule.add_change(db, parc(db), "absence", day=TUESDAY, now=clock(), horizon_days=HORIZON)
    assert nobody.value.reason == "practitioner"
    with pytest.raises(schedule.ScheduleChangeInvalid) as backwards:
        schedule.add_change(
            db,
            parc(db),
            "extra",
            day=SATURDAY,
            starts=dt.time(10),
            ends=dt.time(9),
            now=clock(),
            horizon_days=HORIZON,
        )
    assert backwards.value.reason == "times"
    assert db.scalar(select(func.count()).select_from(ScheduleChange)) == 0


# ---- pools ---------------------------------------------------------------------------------------------


def test_pooled_slots_are_never_offered_to_patients_but_staff_see_them(any_runtime, tmp_path, clock, opened):
    load(any_runtime, tmp_path, POOLS)
    with any_runtime.session_factory.begin() as db:
        tuesday = slots_on(db, TUESDAY)
        early = [s for s in tuesday if s.starts_at < local(TUESDAY, 9)]
        assert {s.pool for s in early} == {"same-day"}
        assert {s.public_at for s in early} == {local(TUESDAY, 7)}
        nurse = [s for s in tuesday if s.pool == "nurse-811"]
        assert {s.practitioner_id for s in nurse} == {practitioner(db, "dre-tremblay").id}
        assert all(s.public_at is None for s in nurse)
        offered = booking.find_free_slots(db, parc(db), clock(), SlotQuery(date=TUESDAY), limit=50)
        assert offered.exact
        assert all(s.pool is None for s in offered.slots)
        assert local_times(offered.slots)[0] == "09:00"
        late = booking.find_free_slots(db, parc(db), clock(), SlotQuery(date=TUESDAY, after=dt.time(16)))
        assert {s.practitioner_id for s in late.slots} == {practitioner(db, "dr-nguyen").id}
        staff_sees = board.free_slots_of_day(db, parc(db), TUESDAY, clock())
        assert {s.pool for s in staff_sees} >= {"same-day", "nurse-811", None}
    clock.set_local(TUESDAY, dt.time(6, 59))
    with any_runtime.session_factory.begin() as db:
        assert schedule.release_pools(db, clock()) == 0
    clock.set_local(TUESDAY, dt.time(7, 0))  # the same-day places open at 07:00: the tick releases them
    with any_runtime.session_factory.begin() as db:
        assert schedule.release_pools(db, clock()) == len(early)
        assert opened == [("parc", sorted(s.id for s in early))]  # the waiting list first
    with any_runtime.session_factory.begin() as db:
        clinics.generate_slots(db, parc(db), clock(), HORIZON)  # the horizon does not keep them again
        assert all(s.pool is None for s in slots_on(db, TUESDAY) if s.starts_at < local(TUESDAY, 9))
        offered = booking.find_free_slots(db, parc(db), clock(), SlotQuery(date=TUESDAY))
        assert local_times(offered.slots) == ["08:00", "08:15", "08:30"]
        late = booking.find_free_slots(db, parc(db), clock(), SlotQuery(date=TUESDAY, after=dt.time(16)))
        assert {s.practitioner_id for s in late.slots} == {practitioner(db, "dr-nguyen").id}


# ---- visit reasons that take two slots ------------------------------------------------------------------


def test_a_two_slot_reason_is_offered_only_where_two_slots_in_a_row_are_free(db, clock):
    nguyen = practitioner(db, "dr-nguyen")
    book_at(db, TUESDAY, 8, 15, "dr-nguyen", 1)  # 08:00 has no free 08:15 after it
    query = SlotQuery(date=TUESDAY, practitioner_ids=(nguyen.id,), length=2)
    found = booking.find_free_slots(db, parc(db), clock(), query)
    assert local_times(found.slots) == ["08:30", "08:45", "09:00"]
    assert {s.practitioner_id for s in found.slots} == {nguyen.id}
    lunch = booking.find_free_slots(
        db,
        parc(db),
        clock(),
        SlotQuery(date=TUESDAY, after=dt.time(11, 30), length=2, practitioner_ids=(nguyen.id,)),
    )
    assert local_times(lunch.slots) == ["11:30", "13:00", "13:15"]  # 11:45 would run into lunch


def test_a_two_slot_booking_takes_both_slots_atomically_and_cancelling_frees_both(db, clock):
    nguyen = practitioner(db, "dr-nguyen")
    first = db.scalar(
        select(Slot).where(Slot.practitioner_id == nguyen.id, Slot.starts_at == local(TUESDAY, 10))
    )
    second = db.scalar(
        select(Slot).where(Slot.practitioner_id == nguyen.id, Slot.starts_at == local(TUESDAY, 10, 15))
    )
    booking.hold_slot(db, first.id, "sms:parc:x", clock(), length=2)
    db.refresh(second)
    assert second.status == SlotStatus.HELD
    assert second.joined_to == first.id
    appointment = booking.book(
        db, first.id, patient(db, 1), "sms", clock(), holder="sms:parc:x", length=2, reason="suivi"
    )
    db.refresh(first)
    db.refresh(second)
    assert (first.status, second.status) == (SlotStatus.BOOKED, SlotStatus.BOOKED)
    assert second.joined_to == first.id
    assert appointment.reason == "suivi"
    assert db.scalar(select(func.count()).select_from(Appointment)) == 1
    booking.cancel(db, appointment.id, clock(), "sms")
    db.refresh(first)
    db.refresh(second)
    assert (first.status, second.status) == (SlotStatus.FREE, SlotStatus.FREE)
    assert second.joined_to is None


def test_a_two_slot_booking_whose_second_slot_is_taken_books_nothing(db, clock):
    nguyen = practitioner(db, "dr-nguyen")
    first = db.scalar(
        select(Slot).where(Slot.practitioner_id == nguyen.id, Slot.starts_at == local(TUESDAY, 10))
    )
    book_at(db, TUESDAY, 10, 15, "dr-nguyen", 2)
    with pytest.raises(SlotTaken):
        booking.book(db, first.id, patient(db, 1), "sms", clock(), length=2)
    db.refresh(first)
    assert first.status == SlotStatus.FREE
    assert db.scalar(select(func.count()).select_from(Appointment)) == 1


# ---- the clinics file ---------------------------------------------------------------------------------


def test_the_clinics_file_sets_reasons_pools_and_closures_and_loads_twice_the_same(
    any_runtime, tmp_path, clock
):
    extra = (
        REASONS
        + POOLS
        + '\n[[clinic.closure]]\nday = "2026-12-25"\nreason = "Noël"\nreason_en = "Christmas"\n'
    )
    path = load(any_runtime, tmp_path, extra)
    with any_runtime.session_factory.begin() as db:
        reasons = parc(db).settings["reasons"]
        assert [r["key"] for r in reasons] == ["consultation", "suivi", "vaccin"]
        assert reasons[1]["slots"] == 2
        assert reasons[1]["practitioners"] == ["dr-nguyen"]
        assert statuses(db, CHRISTMAS) == {SlotStatus.BLOCKED}
        report = load_clinics(db, path, clock(), HORIZON)
        assert report.slots_added == 0
        assert db.scalar(select(func.count()).select_from(ScheduleChange)) == 1
    load(any_runtime, tmp_path, REASONS)  # the closure left the file: the day opens again
    with any_runtime.session_factory.begin() as db:
        assert statuses(db, CHRISTMAS) == {SlotStatus.FREE}


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ('[[clinic.reason]]\nkey = "Bad Key"\nfr = "X"\n', "key"),
        ('[[clinic.reason]]\nkey = "x"\nfr = "X"\nslots = 0\n', "slots"),
        ('[[clinic.reason]]\nkey = "x"\nfr = "X"\npractitioners = ["nobody"]\n', "unknown practitioner"),
        ('[[clinic.pool]]\nkey = "p"\ntimes = ["09:00-08:00"]\n', "closes before it opens"),
        ('[[clinic.absence]]\nday = "2026-12-08"\n', "names its practitioner"),
        ('[[clinic.closure]]\nday = "Noël"\n', "YYYY-MM-DD"),
    ],
)
def test_a_bad_clinics_file_says_what_is_wrong(runtime, tmp_path, clock, extra, words):
    path = parc_with(tmp_path, extra)
    with pytest.raises(ClinicsFileError, match=words), runtime.session_factory.begin() as db:
        load_clinics(db, path, clock(), HORIZON)
