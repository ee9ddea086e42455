"""Three patients answer OUI to the offers of one freed slot at the same instant: one booking, two told it is
taken and kept on the list — real threads, each a webhook's own transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from core.dialog.types import Inbound
from core.models import Appointment, AppointmentStatus, Clinic, Slot, SlotStatus, WaitlistEntry, WaitlistOffer
from core.services import booking, people, waitlist
from core.services.patients import get_or_create_patient
from tests.core.helpers import TUESDAY, local, phone, slot_at
from tests.dialog.conftest import render_text
from tests.support.turns import take_turn

pytestmark = pytest.mark.timeout(120)


def _setup(rt, n: int) -> tuple[int, list[str]]:
    """n patients on the list, a Tuesday 10:00 appointment cancelled, its slot offered to all n."""
    phones = [phone(700 + i) for i in range(n)]
    with rt.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        parc.settings = {**(parc.settings or {}), "waitlist_offers_at_once": n}
        for number in phones:
            patient = get_or_create_patient(s, number, "fr")
            waitlist.join(s, parc, patient, people.first_person(s, patient, rt.now()), {}, "sms", rt.now())
        slot_id = slot_at(s, local(TUESDAY, 10)).id
        holder = get_or_create_patient(s, phone(799))
        appointment = booking.book(s, slot_id, holder, "sms", rt.now())
    with rt.session_factory.begin() as s:
        booking.cancel(s, appointment.id, rt.now(), "staff")
    with rt.session_factory.begin() as s:
        made = waitlist.offer_slot(s, slot_id, rt.now())
        assert len(made.messages) == n
    return slot_id, phones


def _answer(rt, number: str) -> list[str]:
    _text, outcome = take_turn(
        rt,
        channel="sms",
        clinic="parc",
        conversation_key=number,
        phone=number,
        inbound=Inbound(kind="text", text="OUI"),
        render=lambda reply: render_text(reply, "sms"),
    )
    return [say.key for say in outcome.reply.says]


def test_three_yes_at_the_same_instant_book_once_and_the_others_stay_on_the_list(any_runtime):
    rt = any_runtime
    slot_id, phones = _setup(rt, 3)
    barrier = threading.Barrier(len(phones))
    results: list = [None] * len(phones)

    def run(i: int) -> None:
        barrier.wait(60)
        try:
            results[i] = tuple(_answer(rt, phones[i]))
        except BaseException as exc:  # noqa: BLE001 - reported below with its cause
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(phones))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert all(not t.is_alive() for t in threads)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert Counter(results) == {("booked",): 1, ("waitlist_taken",): 2}

    with rt.session_factory() as s:
        live = s.scalars(
            select(Appointment).where(
                Appointment.slot_id == slot_id, Appointment.status == AppointmentStatus.BOOKED
            )
        ).all()
        assert len(live) == 1
        assert s.get(Slot, slot_id).status == SlotStatus.BOOKED
        statuses = Counter(s.scalars(select(WaitlistOffer.status)).all())
        assert statuses == {"accepted": 1, "taken": 2}
        entries = Counter(s.scalars(select(WaitlistEntry.status)).all())
        assert entries == {"booked": 1, "waiting": 2}
        winner = s.scalar(select(WaitlistEntry).where(WaitlistEntry.status == "booked"))
        assert winner.appointment_id == live[0].id
        assert live[0].person_id == winner.person_id
