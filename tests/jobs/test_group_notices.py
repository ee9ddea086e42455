"""A family in the walk-in queue is told once that its turn is near, in one SMS naming every number, and a
group whose first member left is still told (the others are waiting)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Clinic, TicketStatus, WalkinTicket
from core.services import people, walkin
from core.services.patients import get_or_create_patient
from tests.jobs.test_walkin_notices import check
from tests.support.arrange import fill_queue

FAMILY = "+15145552100"
OTHERS = [f"+1514555{2200 + i}" for i in range(5)]


def join_family(runtime, phone: str, size: int, lang: str = "fr") -> list[int]:
    with runtime.session_factory.begin() as s:
        patient = get_or_create_patient(s, phone)
        patient.lang = lang
        members = [people.first_person(s, patient, runtime.now())]
        members += [people.add_person(s, patient, f"Enfant {n}", now=runtime.now()) for n in range(1, size)]
        tickets = walkin.join_group(s, s.get(Clinic, "parc"), patient, members, "sms", runtime.now())
        return [t.id for t in tickets]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", "votre tour approche (nos 2, 3 et 4, 1 avant vous)"),
        ("en", "(nos. 2, 3 and 4, 1 ahead of you)"),
    ],
)
def test_a_family_gets_one_notice_naming_all_its_numbers(jobs_runtime, fake_twilio, lang, words):
    fill_queue(jobs_runtime, OTHERS[:1])
    join_family(jobs_runtime, FAMILY, 3, lang)
    fill_queue(jobs_runtime, OTHERS[1:])
    check(jobs_runtime)
    (sms,) = fake_twilio.messages_to(FAMILY)
    assert words in sms["body"], sms["body"]
    with jobs_runtime.session_factory() as s:
        statuses = list(s.scalars(select(WalkinTicket.status).order_by(WalkinTicket.number)))
    assert statuses[1:4] == [TicketStatus.NOTIFIED] * 3  # the whole family is told, none twice
    check(jobs_runtime)
    assert len(fake_twilio.messages_to(FAMILY)) == 1


def test_a_family_whose_first_member_left_is_still_told(jobs_runtime, clock, fake_twilio):
    fill_queue(jobs_runtime, OTHERS[:2])
    first, *_ = join_family(jobs_runtime, FAMILY, 2)
    with jobs_runtime.session_factory.begin() as s:
        walkin.give_back(s, s.get(Clinic, "parc"), s.get(WalkinTicket, first), clock(), "sms")
    check(jobs_runtime)
    (sms,) = fake_twilio.messages_to(FAMILY)
    assert "(no 4, 2 avant vous)" in sms["body"], sms["body"]
