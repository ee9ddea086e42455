"""A fair rush over signed SMS webhooks: patients texting at the same moment, in threads, on both databases."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from clinicline.app import create_app
from core.models import Appointment, AppointmentStatus
from tests.sms.support import WORDS, label, slots
from tests.support.apps import TOKEN, WESTMOUNT, signed_runtime
from tests.support.twilio_requests import Texter

pytestmark = pytest.mark.timeout(240)
PATIENTS = 10


@pytest.fixture
def rush_runtime(database_url, clock, tmp_path):
    rt = signed_runtime(database_url, clock, tmp_path)
    yield rt
    rt.dispose()


def in_threads(work, n: int) -> list:
    """work(i) in n threads released together; an exception fails the test with its cause."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait(60)
        try:
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures[:3]
    return results


def test_patients_texting_at_once_are_offered_different_slots_and_all_book_in_four_messages(rush_runtime):
    """At a clinic of one practitioner (a time is one slot), the offers standing at the same time never
    share a time; each patient takes their first, and nobody hears that someone just took it."""
    app = create_app(runtime=rush_runtime)
    words = WORDS["en"]
    all_offered = threading.Barrier(PATIENTS)

    def patient(i: int) -> list[str]:
        phone = Texter(app.test_client(), TOKEN, f"+1514555{3000 + i:04d}", WESTMOUNT)
        offer = phone(words["book"])
        offered = [label(line) for line in slots(offer)]
        all_offered.wait(120)  # every offer stands at once; then everyone takes their first
        answers = [phone("1"), phone(words["name"]), phone(words["yes"])]
        assert all(exchange.status == 200 for exchange in answers)
        return offered

    results = in_threads(patient, PATIENTS)
    offered = [when for offers in results for when in offers]
    assert all(len(offers) == 3 for offers in results)
    assert len(set(offered)) == len(offered), "two patients were offered the same time"
    with rush_runtime.session_factory() as s:
        live = Appointment.status == AppointmentStatus.BOOKED
        booked = s.scalar(select(func.count()).select_from(Appointment).where(live))
        per_slot = s.execute(
            select(Appointment.slot_id).where(live).group_by(Appointment.slot_id).having(func.count() > 1)
        ).all()
    assert booked == PATIENTS, "every patient booked with their four messages"
    assert per_slot == []
