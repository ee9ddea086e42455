"""The guarantees under real concurrency, on SQLite and on PostgreSQL: threads (and processes) released
together by a barrier, each with its own session and transaction, exactly as concurrent webhooks run."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from core.errors import DomainError
from core.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    Patient,
    Slot,
    SlotStatus,
    WalkinDay,
    WalkinTicket,
)
from core.services import booking, walkin
from core.services.patients import get_or_create_patient
from tests.core import race_workers
from tests.core.helpers import TUESDAY, live_appointments, local, phone, slot_at

pytestmark = pytest.mark.timeout(120)


class Crash(Exception):
    """A failure in the middle of a transaction, after the service did its part."""


def race(n: int, work) -> list:
    """Run work(i) in n threads released at the same instant; domain errors come back as their names."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait(60)
        try:
            results[i] = work(i)
        except (DomainError, Crash) as exc:
            results[i] = type(exc).__name__
        except BaseException as exc:  # noqa: BLE001 - anything else fails the test below, with its cause
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    unexpected = [r for r in results if isinstance(r, BaseException)]
    assert not unexpected, unexpected[:3]
    assert all(not t.is_alive() for t in threads)
    return results


def make_patients(rt, count: int, first: int = 0) -> list[int]:
    with rt.session_factory.begin() as s:
        return [get_or_create_patient(s, phone(first + n)).id for n in range(count)]


def tuesday_slot(rt, hh: int, mm: int = 0) -> int:
    with rt.session_factory.begin() as s:
        return slot_at(s, local(TUESDAY, hh, mm)).id


def outcomes(results) -> Counter:
    return Counter(r if isinstance(r, str) else type(r).__name__ for r in results)


def assert_slots_agree_with_appointments(rt) -> None:
    """No slot has two live appointments, and a slot is booked exactly when it has one."""
    with rt.session_factory.begin() as s:
        live = Counter(
            s.scalars(select(Appointment.slot_id).where(Appointment.status == AppointmentStatus.BOOKED))
        )
        assert not [slot for slot, n in live.items() if n > 1]
        booked = set(s.scalars(select(Slot.id).where(Slot.status == SlotStatus.BOOKED)))
        assert booked == set(live)


# ---------------------------------------------------------------- a slot is never booked twice


def test_fifty_patients_racing_for_one_slot_get_exactly_one_appointment(any_runtime, clock):
    slot_id, patients = tuesday_slot(any_runtime, 10), make_patients(any_runtime, 50)

    def work(i):
        with any_runtime.session_factory.begin() as s:
            return type(booking.book(s, slot_id, s.get(Patient, patients[i]), "sms", clock())).__name__

    assert outcomes(race(50, work)) == {"Appointment": 1, "SlotTaken": 49}
    with any_runtime.session_factory.begin() as s:
        assert live_appointments(s, slot_id) == 1
        assert s.scalar(select(func.count()).select_from(Appointment)) == 1
    assert_slots_agree_with_appointments(any_runtime)


def test_patients_racing_for_a_few_slots_never_share_one(any_runtime, clock):
    slots = [tuesday_slot(any_runtime, 14, m) for m in (0, 15, 30, 45)]
    patients = make_patients(any_runtime, 40)

    def work(i):
        for slot_id in (
            slots[i % 4 :] + slots[: i % 4]
        ):  # each starts with a different slot, then tries others
            try:
                with any_runtime.session_factory.begin() as s:
                    booking.book(s, slot_id, s.get(Patient, patients[i]), "voice", clock())
                return "booked"
            except DomainError:
                continue
        return "none left"

    assert outcomes(race(40, work)) == {"booked": 4, "none left": 36}
    assert_slots_agree_with_appointments(any_runtime)


def test_processes_racing_for_one_slot_get_exactly_one_appointment(any_runtime, clock):
    slot_id, patients = tuesday_slot(any_runtime, 11), make_patients(any_runtime, 6)
    url = any_runtime.engine.url.render_as_string(hide_password=False)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(patients)), ctx.Queue()
    procs = [
        ctx.Process(target=race_workers.book_in_process, args=(url, slot_id, pid, clock(), barrier, results))
        for pid in patients
    ]
    for p in procs:
        p.start()
    got = [results.get(timeout=90) for _ in procs]
    for p in procs:
        p.join(30)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    assert Counter(r.split(":")[0] for r in got) == {"booked": 1, "SlotTaken": 5}, got
    with any_runtime.session_factory.begin() as s:
        assert live_appointments(s, slot_id) == 1


# ---------------------------------------------------------------- holds


def test_a_held_slot_cannot_be_taken_by_racing_patients_until_the_hold_expires(any_runtime, clock):
    slot_id, patients = tuesday_slot(any_runtime, 15), make_patients(any_runtime, 30)
    with any_runtime.session_factory.begin() as s:
        booking.hold_slot(s, slot_id, "call:HOLDER", clock(), minutes=5)

    def attempt(now):
        def work(i):
            with any_runtime.session_factory.begin() as s:
                if i % 2:
                    booking.hold_slot(s, slot_id, f"call:{i}", now)
                    return "held"
                booking.book(s, slot_id, s.get(Patient, patients[i]), "sms", now, holder=f"call:{i}")
                return "booked"

        return outcomes(race(30, work))

    assert attempt(clock() + dt.timedelta(minutes=4)) == {"SlotTaken": 30}
    after_expiry = attempt(clock() + dt.timedelta(minutes=6))
    assert after_expiry["SlotTaken"] == 29
    assert after_expiry["held"] + after_expiry["booked"] == 1
    with any_runtime.session_factory.begin() as s:
        slot = s.get(Slot, slot_id)
        assert slot.held_by != "call:HOLDER"
        assert live_appointments(s, slot_id) == after_expiry["booked"]


def test_racing_holds_give_the_slot_to_one_caller(any_runtime, clock):
    slot_id = tuesday_slot(any_runtime, 16)

    def work(i):
        with any_runtime.session_factory.begin() as s:
            return booking.hold_slot(s, slot_id, f"call:{i}", clock()).held_by

    winners = [r for r in race(30, work) if r.startswith("call:")]
    assert len(winners) == 1
    with any_runtime.session_factory.begin() as s:
        assert s.get(Slot, slot_id).held_by == winners[0]


# ---------------------------------------------------------------- walk-in numbers and capacity


def walkin_numbers(rt) -> list[int]:
    with rt.session_factory.begin() as s:
        return sorted(s.scalars(select(WalkinTicket.number)))


def test_sixty_patients_racing_for_thirty_places_get_numbers_one_to_thirty(any_runtime, clock):
    patients = make_patients(any_runtime, 60)

    def work(i):
        with any_runtime.session_factory.begin() as s:
            ticket = walkin.join_walkin_queue(
                s, s.get(Clinic, "parc"), s.get(Patient, patients[i]), "sms", clock()
            )
            return f"ticket:{ticket.number}"

    results = outcomes(race(60, work))
    assert results["QueueFull"] == 30
    assert walkin_numbers(any_runtime) == list(range(1, 31))
    with any_runtime.session_factory.begin() as s:
        day = s.scalar(select(WalkinDay))
        assert (day.issued, day.capacity) == (30, 30)
        assert s.scalar(select(func.count()).select_from(WalkinDay)) == 1  # the day's row was created once


def test_processes_racing_for_the_walkin_queue_get_unique_gapless_numbers(any_runtime, clock):
    patients = make_patients(any_runtime, 48)
    url = any_runtime.engine.url.render_as_string(hide_password=False)
    ctx = multiprocessing.get_context("spawn")
    n = 6
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [
        ctx.Process(
            target=race_workers.join_in_process, args=(url, patients[i::n], clock(), barrier, results)
        )
        for i in range(n)
    ]
    for p in procs:
        p.start()
    got = [results.get(timeout=90) for _ in patients]
    for p in procs:
        p.join(30)
    assert [p.exitcode for p in procs] == [0] * n
    assert Counter(r.split(":")[0] for r in got) == {"ticket": 30, "QueueFull": 18}, got
    assert walkin_numbers(any_runtime) == list(range(1, 31))


def test_one_patient_racing_themselves_gets_one_ticket(any_runtime, clock):
    (me,) = make_patients(any_runtime, 1)

    def work(i):
        with any_runtime.session_factory.begin() as s:
            walkin.join_walkin_queue(s, s.get(Clinic, "parc"), s.get(Patient, me), "voice", clock())
            return "joined"

    assert outcomes(race(20, work)) == {"joined": 1, "AlreadyInQueue": 19}
    assert walkin_numbers(any_runtime) == [1]


def test_leaving_and_joining_at_once_never_exceeds_the_capacity(any_runtime, clock):
    patients = make_patients(any_runtime, 50)
    with any_runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        for pid in patients[:30]:
            walkin.join_walkin_queue(s, parc, s.get(Patient, pid), "sms", clock())

    def work(i):
        with any_runtime.session_factory.begin() as s:
            parc = s.get(Clinic, "parc")
            if i < 10:  # ten of the thirty give their place back while twenty newcomers race for places
                walkin.leave_walkin_queue(s, parc, s.get(Patient, patients[i]), clock(), "sms")
                return "left"
            walkin.join_walkin_queue(s, parc, s.get(Patient, patients[20 + i]), "sms", clock())
            return "joined"

    results = outcomes(race(30, work))
    assert results["left"] == 10
    assert results["joined"] + results["QueueFull"] == 20
    with any_runtime.session_factory.begin() as s:
        active = s.scalar(
            select(func.count()).select_from(WalkinTicket).where(WalkinTicket.status == "waiting")
        )
        assert active <= 30
        assert active == 20 + results["joined"]
    assert walkin_numbers(any_runtime) == list(range(1, 31 + results["joined"]))


# ---------------------------------------------------------------- nothing half-written


def test_a_crash_after_joining_rolls_the_walkin_counter_back(any_runtime, clock):
    patients = make_patients(any_runtime, 40)

    def work(i):
        with any_runtime.session_factory.begin() as s:
            walkin.join_walkin_queue(s, s.get(Clinic, "parc"), s.get(Patient, patients[i]), "sms", clock())
            if i % 2:
                raise Crash  # e.g. the reply could not be rendered: the whole turn rolls back
            return "joined"

    results = outcomes(race(40, work))
    assert results["joined"] == 20
    assert results["Crash"] == 20
    assert walkin_numbers(any_runtime) == list(range(1, 21))
    with any_runtime.session_factory.begin() as s:
        assert s.scalar(select(WalkinDay.issued)) == 20


def test_rescheduling_onto_a_slot_others_race_for_leaves_nothing_half_done(any_runtime, clock):
    target = tuesday_slot(any_runtime, 13)
    patients = make_patients(any_runtime, 30)
    with any_runtime.session_factory.begin() as s:  # fifteen patients hold an appointment they want to move
        own = [
            booking.book(
                s,
                slot_at(s, local(TUESDAY, 8 + n // 4, 15 * (n % 4))).id,
                s.get(Patient, pid),
                "sms",
                clock(),
            ).id
            for n, pid in enumerate(patients[:15])
        ]

    def work(i):
        with any_runtime.session_factory.begin() as s:
            if i < 15:
                booking.reschedule(s, own[i], target, clock(), "sms")
                return "moved"
            booking.book(s, target, s.get(Patient, patients[i]), "sms", clock())
            return "booked"

    results = outcomes(race(30, work))
    assert results["moved"] + results["booked"] == 1
    assert results["SlotTaken"] == 29
    with any_runtime.session_factory.begin() as s:
        assert live_appointments(s, target) == 1
        still = [s.get(Appointment, a).status for a in own]
        assert still.count(AppointmentStatus.BOOKED) == 15 - results["moved"]
        assert s.scalar(select(func.count()).select_from(Appointment)) == 16  # fifteen + one new, no strays
    assert_slots_agree_with_appointments(any_runtime)


def test_one_appointment_moved_by_racing_requests_moves_once(any_runtime, clock):
    (me,) = make_patients(any_runtime, 1)
    with any_runtime.session_factory.begin() as s:
        old = booking.book(s, slot_at(s, local(TUESDAY, 8)).id, s.get(Patient, me), "sms", clock()).id
    targets = [
        tuesday_slot(any_runtime, 14, 0),
        tuesday_slot(any_runtime, 14, 15),
        tuesday_slot(any_runtime, 14, 30),
    ]

    def work(i):
        with any_runtime.session_factory.begin() as s:
            booking.reschedule(s, old, targets[i % 3], clock(), "sms", patient_id=me)
            return "moved"

    assert outcomes(race(15, work)) == {"moved": 1, "AppointmentNotCancellable": 14}
    with any_runtime.session_factory.begin() as s:
        assert live_appointments(s) == 1
    assert_slots_agree_with_appointments(any_runtime)


def test_cancels_racing_new_bookings_of_the_freed_slot_keep_slot_and_appointments_in_step(any_runtime, clock):
    slot_id = tuesday_slot(any_runtime, 10, 30)
    patients = make_patients(any_runtime, 21)
    with any_runtime.session_factory.begin() as s:
        first = booking.book(s, slot_id, s.get(Patient, patients[0]), "sms", clock()).id

    def work(i):
        with any_runtime.session_factory.begin() as s:
            if i < 10:  # a retried "cancel" webhook, many times over
                booking.cancel(s, first, clock(), "sms")
                return "cancelled"
            booking.book(s, slot_id, s.get(Patient, patients[i + 1]), "sms", clock())
            return "booked"

    results = outcomes(race(20, work))
    assert results["cancelled"] == 1
    assert results["AppointmentNotCancellable"] == 9
    assert results["booked"] <= 1
    assert_slots_agree_with_appointments(any_runtime)


def test_a_first_message_from_racing_requests_creates_one_patient(any_runtime, clock):
    def work(i):
        with any_runtime.session_factory.begin() as s:
            return get_or_create_patient(s, "+14385559999").id

    ids = race(20, work)
    assert len(set(ids)) == 1
    with any_runtime.session_factory.begin() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 1
