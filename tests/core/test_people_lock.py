"""A phone's people are read under the phone's lock: two turns of one phone booking at the same instant
(a text and a call) add its first person once, on SQLite and PostgreSQL.

On PostgreSQL the people must be read by a statement after the one that takes the lock: a single statement
that locks the phone's row and joins its people (FOR UPDATE OF patients) reads the people as they were
before it waited, and the second turn then adds a second first person. This test catches that.
"""

from __future__ import annotations

import time

from sqlalchemy import func, select

from core.models import Person
from core.services import people
from core.services.patients import get_or_create_patient
from tests.core.test_races import race

PHONE = "+15145551201"


def test_two_turns_of_one_phone_add_its_first_person_once(any_runtime, clock):
    with any_runtime.session_factory.begin() as s:
        patient_id = get_or_create_patient(s, PHONE).id

    def turn(i: int) -> int:
        with any_runtime.session_factory.begin() as s:
            patient = get_or_create_patient(s, PHONE)
            assert patient.id == patient_id
            everyone = people.locked_people(s, patient)
            if not everyone:
                everyone = [people.add_to_empty(s, patient, f"Marie {i}", clock())]
            time.sleep(0.2)  # the other turn reads now: it must wait for this one's commit
            return everyone[0].id

    first, second = race(2, turn)
    assert first == second
    with any_runtime.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1
