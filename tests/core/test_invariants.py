"""Property-based: whatever patients and staff do, in any order, the booking and queue invariants hold."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update

from core.clinics_file import load_clinics
from core.errors import DomainError
from core.models import (
    ACTIVE_TICKET_STATUSES,
    Appointment,
    AppointmentStatus,
    AuditEntry,
    Clinic,
    Patient,
    Slot,
    SlotStatus,
    TicketStatus,
    WalkinDay,
    WalkinTicket,
)
from core.services import booking, walkin
from core.services.patients import get_or_create_patient
from tests.conftest import Clock, make_runtime
from tests.core.helpers import phone

# A small clinic so that operations collide often: one practitioner, six slots a day, three walk-in places.
TINY = """
[[clinic]]
id = "tiny"
name = "Petite clinique"
twilio_numbers = ["+15145550300"]
slot_minutes = 30

[clinic.appointments.hours]
"mon-fri" = ["10:00-13:00"]

[clinic.walkin]
days = "mon-sat"
opens = "07:00"
closes = "17:00"
capacity = 3
"""

PATIENTS = 4


class Aborted(Exception):
    """The turn failed after the operation ran: its transaction rolls back."""


patients = st.integers(0, PATIENTS - 1)
slots = st.integers(0, 11)  # Monday's and Tuesday's six slots
picks = st.integers(0, 20)
operations = st.one_of(
    st.tuples(st.just("hold"), patients, slots),
    st.tuples(st.just("release"), patients, slots),
    st.tuples(st.just("book"), patients, slots),
    st.tuples(st.just("book_held"), patients, slots),
    st.tuples(st.just("cancel"), patients, picks),
    st.tuples(st.just("reschedule"), patients, picks, slots),
    st.tuples(st.just("join"), patients),
    st.tuples(st.just("leave"), patients),
    st.tuples(
        st.just("call_next"),
    ),
    st.tuples(st.just("serve"), picks),
    st.tuples(st.just("no_show"), picks),
    st.tuples(st.just("advance"), st.integers(1, 20)),
    st.tuples(
        st.just("expire_holds"),
    ),
)
crashes = st.integers(0, 4).map(lambda n: n == 0)  # one operation in five fails after doing its part


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """One SQLite database with the tiny clinic, reset before every example."""
    tmp = tmp_path_factory.mktemp("invariants")
    path = tmp / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    clock = Clock()
    rt = make_runtime(f"sqlite:///{tmp / 'db.sqlite'}", clock, tmp)
    with rt.session_factory.begin() as s:
        load_clinics(s, path, clock(), 3)
        for n in range(PATIENTS):
            get_or_create_patient(s, phone(n))
    yield rt, clock
    rt.dispose()


def reset(rt) -> None:
    with rt.session_factory.begin() as s:
        for table in (Appointment, WalkinTicket, WalkinDay, AuditEntry):
            s.execute(delete(table))
        s.execute(update(Slot).values(status=SlotStatus.FREE, held_by=None, held_until=None))


def run(s, op, now: dt.datetime) -> None:
    """One patient's or staff member's action, as a webhook or the console would do it."""
    tiny = s.get(Clinic, "tiny")
    slot_ids = list(
        s.scalars(select(Slot.id).where(Slot.clinic_id == "tiny").order_by(Slot.starts_at).limit(12))
    )
    people = list(s.scalars(select(Patient).order_by(Patient.id)))
    kind, *args = op

    def appointment_of(p: Patient, pick: int) -> int:
        mine = list(
            s.scalars(select(Appointment.id).where(Appointment.patient_id == p.id).order_by(Appointment.id))
        )
        return mine[pick % len(mine)] if mine else 10_000_000

    def ticket(pick: int) -> int:
        ids = list(s.scalars(select(WalkinTicket.id).order_by(WalkinTicket.id)))
        return ids[pick % len(ids)] if ids else 10_000_000

    if kind == "hold":
        booking.hold_slot(s, slot_ids[args[1]], f"p{args[0]}", now)
    elif kind == "release":
        booking.release_hold(s, slot_ids[args[1]], f"p{args[0]}")
    elif kind == "book":
        booking.book(s, slot_ids[args[1]], people[args[0]], "sms", now)
    elif kind == "book_held":
        booking.book(s, slot_ids[args[1]], people[args[0]], "voice", now, holder=f"p{args[0]}")
    elif kind == "cancel":
        p = people[args[0]]
        booking.cancel(s, appointment_of(p, args[1]), now, "sms", patient_id=p.id)
    elif kind == "reschedule":
        p = people[args[0]]
        booking.reschedule(s, appointment_of(p, args[1]), slot_ids[args[2]], now, "sms", patient_id=p.id)
    elif kind == "join":
        walkin.join_walkin_queue(s, tiny, people[args[0]], "sms", now)
    elif kind == "leave":
        walkin.leave_walkin_queue(s, tiny, people[args[0]], now, "sms")
    elif kind == "call_next":
        walkin.call_next(s, tiny, now)
    elif kind == "serve":
        walkin.mark_served(s, ticket(args[0]), now)
    elif kind == "no_show":
        walkin.mark_no_show(s, ticket(args[0]), now)
    elif kind == "expire_holds":
        booking.release_expired_holds(s, now)


def check_invariants(s, now: dt.datetime) -> None:
    live = list(
        s.execute(select(Appointment.slot_id, Appointment.starts_at).where(Appointment.status == "booked"))
    )
    per_slot = Counter(slot_id for slot_id, _ in live)
    assert max(per_slot.values(), default=0) <= 1, "a slot has two live appointments"
    for slot in s.scalars(select(Slot).where(Slot.clinic_id == "tiny")):
        assert (slot.status == SlotStatus.BOOKED) == (slot.id in per_slot), f"slot {slot.id} is {slot.status}"
        assert (slot.status == SlotStatus.HELD) == (slot.held_by is not None), "a hold without a holder"
    for slot_id, starts_at in live:
        assert s.get(Slot, slot_id).starts_at == starts_at
    for day in s.scalars(select(WalkinDay)):
        tickets = list(s.scalars(select(WalkinTicket).where(WalkinTicket.walkin_day_id == day.id)))
        assert sorted(t.number for t in tickets) == list(range(1, day.issued + 1)), "numbers with a gap"
        active = [t for t in tickets if t.status in ACTIVE_TICKET_STATUSES]
        assert len(active) <= day.capacity
        assert len([t for t in tickets if t.status != TicketStatus.LEFT]) <= day.capacity
        assert max(Counter(t.patient_id for t in active).values(), default=0) <= 1, "two active tickets"
    assert s.scalar(
        select(func.count()).select_from(Appointment).where(Appointment.replaces_id.is_not(None))
    ) <= (
        s.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.status == AppointmentStatus.CANCELLED)
        )
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(operations, crashes), min_size=10, max_size=40))
def test_any_sequence_of_bookings_and_queue_moves_keeps_the_invariants(tiny, steps):
    rt, clock = tiny
    reset(rt)
    now = clock()
    for op, crash in steps:
        if op[0] == "advance":
            now += dt.timedelta(minutes=op[1])
            continue
        try:
            with rt.session_factory.begin() as s:
                run(s, op, now)
                if crash:
                    raise Aborted
            event(f"{op[0]}: done")
        except (DomainError, Aborted) as exc:
            event(f"{op[0]}: {type(exc).__name__}")
        with rt.session_factory.begin() as s:
            check_invariants(s, now)
