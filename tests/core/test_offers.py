"""A fair rush: what is offered to a conversation is kept out of other patients' offers for a few minutes.

Real threads released together, each with its own session and transaction as concurrent webhooks run,
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from sqlalchemy import select

from core.errors import SlotTaken
from core.models import Appointment, AppointmentStatus, Clinic, Patient, Slot, SlotStatus
from core.services import booking
from core.services.patients import get_or_create_patient
from tests.core.helpers import phone
from tests.core.test_races import race

pytestmark = pytest.mark.timeout(180)
WESTMOUNT = "westmount"  # one practitioner: a time is one slot


def holder(i: int) -> str:
    return f"sms:{WESTMOUNT}:{phone(i)}"


def first_free(runtime, n: int, now: dt.datetime) -> list[int]:
    with runtime.session_factory() as s:
        return list(
            s.scalars(
                select(Slot.id)
                .where(Slot.clinic_id == WESTMOUNT, Slot.status == SlotStatus.FREE, Slot.starts_at > now)
                .order_by(Slot.starts_at)
                .limit(n)
            )
        )


def offer(runtime, i: int, now: dt.datetime, **kwargs) -> list[int]:
    with runtime.session_factory.begin() as s:
        found = booking.offer_free_slots(s, s.get(Clinic, WESTMOUNT), now, holder(i), **kwargs)
        return [slot.id for slot in found.slots]


def test_concurrent_offers_are_disjoint_and_the_nearest_free(any_runtime, clock):
    patients = 12
    offers = race(patients, lambda i: offer(any_runtime, i, clock()))
    offered = [slot for slots in offers for slot in slots]
    assert all(len(slots) == 3 for slots in offers)
    assert len(set(offered)) == len(offered), "two patients were offered the same slot"
    assert set(offered) == set(first_free(any_runtime, 3 * patients, clock()))


def test_a_patient_is_offered_again_what_was_offered_to_them(any_runtime, clock):
    first = offer(any_runtime, 1, clock())
    offer(any_runtime, 2, clock())
    assert offer(any_runtime, 1, clock()) == first


def test_an_offer_lapses_by_itself(any_runtime, clock):
    first = offer(any_runtime, 1, clock())
    clock.advance(minutes=booking.OFFER_MINUTES, seconds=1)
    assert offer(any_runtime, 2, clock()) == first


def test_an_offer_never_stops_another_patient_from_taking_the_slot(any_runtime, clock):
    [slot, *_] = offer(any_runtime, 1, clock())
    with any_runtime.session_factory.begin() as s:
        booking.hold_slot(s, slot, holder(2), clock())
        assert s.get(Slot, slot).held_by == holder(2)


def test_choosing_one_slot_gives_the_others_back(any_runtime, clock):
    chosen, *others = offer(any_runtime, 1, clock())
    with any_runtime.session_factory.begin() as s:
        booking.hold_slot(s, chosen, holder(1), clock())
    assert offer(any_runtime, 2, clock()) == [*others, first_free(any_runtime, 3, clock())[2]]


def test_leaving_gives_the_offers_back(any_runtime, clock):
    first = offer(any_runtime, 1, clock())
    with any_runtime.session_factory.begin() as s:
        booking.release_offers(s, holder(1))
    assert offer(any_runtime, 2, clock()) == first


def test_when_everything_free_was_offered_the_offered_slots_are_offered_again(any_runtime, clock):
    with any_runtime.session_factory.begin() as s:
        free = s.scalars(
            select(Slot)
            .where(Slot.clinic_id == WESTMOUNT, Slot.status == SlotStatus.FREE, Slot.starts_at > clock())
            .order_by(Slot.starts_at)
        ).all()
        for slot in free[1:]:
            slot.status = SlotStatus.BLOCKED
        keep = free[0].id
    assert offer(any_runtime, 1, clock()) == [keep]
    assert offer(any_runtime, 2, clock()) == [keep], "a free slot is never hidden behind an offer"


def test_a_rush_where_offers_collide_books_everyone_once_and_reoffers_only_slots_nobody_holds(
    any_runtime, clock
):
    """Offers that lapse at once (minutes=0) let patients collide; after each collision the patient is
    offered slots that nobody holds or was offered, and nobody is booked twice."""
    patients = 16
    now = clock()
    collisions = Counter()
    reoffered_badly = []
    with any_runtime.session_factory.begin() as s:
        ids = [get_or_create_patient(s, phone(i)).id for i in range(patients)]
    # Everyone has their first offer before anyone holds a slot: on a busy machine the threads could
    # otherwise run one after another, and nobody would collide.
    offered = threading.Barrier(patients)

    def patient(i: int) -> str:
        slots = offer(any_runtime, i, now, minutes=0)  # this first offer keeps nothing out of others' offers
        offered.wait(60)
        for _ in range(10):
            try:
                with any_runtime.session_factory.begin() as s:
                    booking.hold_slot(s, slots[0], holder(i), now)
                with any_runtime.session_factory.begin() as s:
                    booking.book(s, slots[0], s.get(Patient, ids[i]), "sms", now, holder=holder(i))
                return "booked"
            except SlotTaken:
                collisions[i] += 1
            with any_runtime.session_factory.begin() as s:
                found = booking.offer_free_slots(s, s.get(Clinic, WESTMOUNT), now, holder(i))
                slots = [slot.id for slot in found.slots]
                for slot in found.slots:
                    s.refresh(slot)
                    if slot.status != SlotStatus.FREE or slot.offered_to != holder(i):
                        reoffered_badly.append((i, slot.id, slot.status, slot.offered_to))
        return "gave up"

    results = race(patients, patient)
    assert results == ["booked"] * patients
    assert not reoffered_badly
    assert sum(collisions.values()) > 0, "the rush should have made some patients collide"
    with any_runtime.session_factory() as s:
        live = s.scalars(select(Appointment).where(Appointment.status == AppointmentStatus.BOOKED)).all()
    assert len(live) == patients
    assert len({a.slot_id for a in live}) == patients, "a slot was booked twice"
    assert len({a.patient_id for a in live}) == patients


def test_a_slot_taken_since_it_was_offered_is_not_offered_again(any_runtime, clock):
    taken, *others = offer(any_runtime, 1, clock())
    with any_runtime.session_factory.begin() as s:
        booking.hold_slot(s, taken, holder(2), clock())
    again = offer(any_runtime, 1, clock())
    assert taken not in again
    assert again[:2] == others
