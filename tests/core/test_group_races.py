"""Families and single patients joining the walk-in queue at the same instant (real threads, SQLite and
PostgreSQL): capacity is never exceeded, numbers stay gapless, each family's numbers are consecutive, and a
family gets all its places or none."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import select

from core.models import Clinic, Patient, WalkinDay, WalkinTicket
from core.services import people, walkin
from tests.core.test_races import make_patients, outcomes, race, walkin_numbers

pytestmark = pytest.mark.timeout(120)

SIZES = [3, 2, 4, 3, 2, 4, 3, 2]  # eight families: 23 people; with 20 singles, 43 ask for 30 places


def households(rt, sizes: list[int], first: int) -> list[tuple[int, list[int]]]:
    """Phones each with as many people as its family has; returns (patient id, person ids)."""
    out = []
    with rt.session_factory.begin() as s:
        for pid in make_patients(rt, len(sizes), first=first):
            patient = s.get(Patient, pid)
            members = [people.first_person(s, patient, rt.now())]
            members += [
                people.add_person(s, patient, f"Enfant {n}", now=rt.now()) for n in range(1, sizes[len(out)])
            ]
            out.append((pid, [m.id for m in members]))
    return out


def tickets_by_phone(rt) -> dict[int, list[int]]:
    found = defaultdict(list)
    with rt.session_factory() as s:
        for ticket in s.scalars(select(WalkinTicket).order_by(WalkinTicket.number)):
            found[ticket.patient_id].append(ticket.number)
    return dict(found)


@pytest.mark.parametrize("take_fewer", [False, True], ids=["all-or-nothing", "take-what-is-left"])
def test_families_and_singles_racing_never_exceed_capacity_and_keep_families_together(
    any_runtime, clock, take_fewer
):
    families = households(any_runtime, SIZES, first=500)
    singles = make_patients(any_runtime, 20)
    work_items = [("family", f) for f in families] + [("single", s) for s in singles]

    def work(i):
        kind, who = work_items[i]
        with any_runtime.session_factory.begin() as s:
            clinic = s.get(Clinic, "parc")
            if kind == "single":
                return f"ticket:{walkin.join_walkin_queue(s, clinic, s.get(Patient, who), 'sms', clock()).number}"
            pid, person_ids = who
            members = [s.get(people.Person, p) for p in person_ids]
            got = walkin.join_group(
                s, clinic, s.get(Patient, pid), members, "sms", clock(), take_fewer=take_fewer
            )
            return f"group:{len(got)}"

    results = outcomes(race(len(work_items), work))
    numbers = walkin_numbers(any_runtime)
    assert numbers == list(range(1, 31)), numbers  # full, gapless, never past capacity
    with any_runtime.session_factory() as s:
        day = s.scalar(select(WalkinDay))
        assert (day.issued, day.capacity) == (30, 30)
    by_phone = tickets_by_phone(any_runtime)
    for pid, person_ids in families:
        got = by_phone.get(pid, [])
        if got:
            assert got == list(range(got[0], got[0] + len(got))), (pid, got)  # consecutive
        if not take_fewer:
            assert len(got) in (0, len(person_ids)), (pid, got)  # all or nothing
    if not take_fewer:
        assert results["NotEnoughPlaces"] + results["QueueFull"] > 0
    assert sum(n for r, n in results.items() if r.startswith(("ticket:", "group:"))) >= 1
