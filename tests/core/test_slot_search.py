"""The slot search in SQL gives exactly the answers of the first, load-everything-then-filter search.

Random wishes (a day, a part of the day, after / at a time, a practitioner, not before an instant, a
limit) on random schedules (slots booked, held, offered to someone else or to the patient), on the demo
clinic and on a clinic open day and night across both DST changes, on SQLite and PostgreSQL; the
reference is tests/core/slot_reference.py.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from core.clinics_file import EXAMPLE_FILE, apply_clinic, load_clinics
from core.db import make_engine, make_session_factory, upgrade
from core.models import Clinic, Practitioner, Slot, SlotStatus
from core.services import booking
from core.services.booking import SlotQuery
from core.services.clinics import generate_slots
from core.timeutil import local_to_utc
from tests.conftest import MONDAY_9AM, _fresh_postgres_database
from tests.core.slot_reference import reference_free_slots

TORONTO = "America/Toronto"
FALL_BACK = dt.date(2026, 11, 1)  # 02:00 EDT -> 01:00 EST: one hour happens twice
SPRING_FORWARD = dt.date(2027, 3, 14)  # 02:00 EST -> 03:00 EDT: one hour never happens
NIGHT_AND_DAY = {
    "id": "nuit",
    "name": "Clinique de nuit",
    "timezone": TORONTO,
    "twilio_numbers": ["+15145550300"],
    "slot_minutes": 20,
    "practitioner": [{"key": f"dr-{n}", "name": f"Dr {n}"} for n in range(3)],
    "appointments": {"hours": {"mon-sun": ["00:00-23:59"]}},
}
# (clinic, the moment its schedule starts, the days it covers)
SCENARIOS = [
    ("parc", MONDAY_9AM, 30),
    ("nuit", local_to_utc(FALL_BACK - dt.timedelta(days=4), dt.time(12), TORONTO), 10),
    ("nuit", local_to_utc(SPRING_FORWARD - dt.timedelta(days=4), dt.time(12), TORONTO), 10),
]
ME, SOMEONE = "sms:parc:+15145550001", "sms:parc:+15145550002"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def schedules(request, tmp_path_factory):
    """One database with the scenarios' schedules, shared by the examples (each rolls its changes back)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'search.db'}"
    else:
        url = _fresh_postgres_database(request.getfixturevalue("postgres_admin_url"))
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as s:
        load_clinics(s, EXAMPLE_FILE, MONDAY_9AM, 30)
        night = apply_clinic(s, NIGHT_AND_DAY)
        s.flush()
        for _cid, start, days in SCENARIOS[1:]:
            generate_slots(s, night, start, days)
    yield sessions
    engine.dispose()


times = st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 0, 15, 20, 30, 40, 45, 7, 59]))
wishes = st.fixed_dictionaries(
    {
        "day": st.none() | st.integers(-2, 12),
        "part": st.sampled_from([None, None, "morning", "afternoon", "evening", "night"]),
        "after": st.none() | times,
        "at": st.none() | times,
        "practitioner": st.none() | st.integers(0, 2),
        "not_before_hours": st.none() | st.integers(0, 24 * 5),
    }
)
disturbances = st.lists(
    st.tuples(
        st.integers(0, 10_000),
        st.sampled_from(
            ["booked", "held", "held_by_me", "held_lapsed", "offered", "offered_to_me", "offered_lapsed"]
        ),
    ),
    max_size=60,
)


def disturb(session, clinic: Clinic, now: dt.datetime, changes) -> None:
    """Book, hold and offer some of the clinic's upcoming slots."""
    ids = list(
        session.scalars(
            select(Slot.id)
            .where(Slot.clinic_id == clinic.id, Slot.starts_at > now, Slot.status == SlotStatus.FREE)
            .order_by(Slot.starts_at)
            .limit(600)
        )
    )
    if not ids:
        return
    soon, past = now + dt.timedelta(minutes=3), now - dt.timedelta(minutes=1)
    values = {
        "booked": {"status": SlotStatus.BOOKED},
        "held": {"status": SlotStatus.HELD, "held_by": SOMEONE, "held_until": soon},
        "held_by_me": {"status": SlotStatus.HELD, "held_by": ME, "held_until": soon},
        "held_lapsed": {"status": SlotStatus.HELD, "held_by": SOMEONE, "held_until": past},
        "offered": {"offered_to": SOMEONE, "offered_until": soon},
        "offered_to_me": {"offered_to": ME, "offered_until": soon},
        "offered_lapsed": {"offered_to": SOMEONE, "offered_until": past},
    }
    for n, kind in changes:
        # Mostly the first slots, where searches look first.
        index = n % 40 if n % 2 else n % len(ids)
        session.execute(update(Slot).where(Slot.id == ids[index % len(ids)]).values(**values[kind]))


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    scenario=st.sampled_from(SCENARIOS),
    minutes_later=st.integers(0, 3 * 24 * 60),
    wish=wishes,
    changes=disturbances,
    limit=st.integers(1, 5),
    horizon_days=st.sampled_from([2, 10, 30, 120]),
    holder=st.sampled_from([None, ME]),
    spread=st.booleans(),
)
def test_the_sql_search_answers_as_the_reference(
    schedules, scenario, minutes_later, wish, changes, limit, horizon_days, holder, spread
):
    cid, start, _days = scenario
    now = start + dt.timedelta(minutes=minutes_later)
    session = schedules()
    try:
        clinic = session.get(Clinic, cid)
        practitioners = session.scalars(
            select(Practitioner.id).where(Practitioner.clinic_id == cid).order_by(Practitioner.id)
        ).all()
        today = now.astimezone(ZoneInfo(clinic.timezone)).date()
        query = SlotQuery(
            date=today + dt.timedelta(days=wish["day"]) if wish["day"] is not None else None,
            part_of_day=wish["part"],
            after=wish["after"],
            at=wish["at"],
            practitioner_id=(
                practitioners[wish["practitioner"] % len(practitioners)]
                if wish["practitioner"] is not None
                else None
            ),
            not_before=(
                now + dt.timedelta(hours=wish["not_before_hours"])
                if wish["not_before_hours"] is not None
                else None
            ),
        )
        disturb(session, clinic, now, changes)
        session.flush()
        args = dict(limit=limit, horizon_days=horizon_days, holder=holder, spread=spread)
        expected = reference_free_slots(session, clinic, now, query, **args)
        found = booking.find_free_slots(session, clinic, now, query, **args)
        assert (found.exact, [s.id for s in found.slots]) == (expected.exact, [s.id for s in expected.slots])
    finally:
        session.rollback()
        session.close()


def test_a_part_of_the_day_after_the_fall_back_change_counts_local_time(schedules):
    """On the day the clocks go back an hour, 'the afternoon' still starts at noon on the clinic's clock."""
    with schedules() as session:
        clinic = session.get(Clinic, "nuit")
        now = local_to_utc(FALL_BACK - dt.timedelta(days=1), dt.time(12), TORONTO)
        found = booking.find_free_slots(
            session, clinic, now, SlotQuery(date=FALL_BACK, part_of_day="afternoon"), limit=2
        )
        local = [s.starts_at.astimezone(ZoneInfo(TORONTO)).strftime("%H:%M%z") for s in found.slots]
    assert local == ["12:00-0500", "12:20-0500"]


def test_after_a_time_on_the_spring_forward_day_counts_local_time(schedules):
    """'after 3' on the night the clocks jump from 2 to 3 means 03:00 EDT, not three hours after midnight."""
    with schedules() as session:
        clinic = session.get(Clinic, "nuit")
        now = local_to_utc(SPRING_FORWARD - dt.timedelta(days=1), dt.time(12), TORONTO)
        found = booking.find_free_slots(
            session, clinic, now, SlotQuery(date=SPRING_FORWARD, after=dt.time(3, 0)), limit=2
        )
        local = [s.starts_at.astimezone(ZoneInfo(TORONTO)).strftime("%H:%M%z") for s in found.slots]
    assert local == ["03:00-0400", "03:20-0400"]
