"""The waiting list on the console: entries with person, wish, joined, expires, the offers made and how they
went; staff add a patient and take one off; another clinic's staff see none of it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.models import AuditEntry, Clinic, WaitlistEntry
from core.services import booking, people, waitlist
from core.services.patients import get_or_create_patient
from tests.staff.conftest import csrf, sign_in, text_of

WEDNESDAY = dt.date(2026, 12, 9)


def seed(runtime) -> int:
    """Léa on the list (Wednesday mornings), offered a freed Wednesday 10:00 slot."""
    now = runtime.now()
    with runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        patient = get_or_create_patient(s, "+15145553001", "fr")
        person = people.person_for(s, patient, "Léa Roy", now)
        entry, _ = waitlist.join(
            s, parc, patient, person, {"date": WEDNESDAY.isoformat(), "part": "morning"}, "sms", now
        )
        slots = booking.find_free_slots(
            s, parc, now, booking.SlotQuery(date=WEDNESDAY, at=dt.time(10, 0))
        ).slots
        other = get_or_create_patient(s, "+15145553999")
        appointment = booking.book(s, slots[0].id, other, "sms", now)
        booking.cancel(s, appointment.id, now, "staff")
        waitlist.offer_slot(s, slots[0].id, now)
        return entry.id


def test_the_list_shows_who_waits_for_what_and_the_offers(console, runtime):
    seed(runtime)
    sign_in(console)
    page = text_of(console.get("/staff/parc/waitlist"))
    assert "Léa Roy" in page
    assert "+15145553001" not in page  # the number masked
    assert "mer. 9 déc., le matin" in page
    assert "lun. 21 déc." in page  # expires after 14 days
    assert "offert le" in page
    assert "texto" in page
    assert "en attente de réponse" in page
    assert "En attente" in page
    with runtime.session_factory() as s:
        viewed = s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "staff.viewed_waitlist")).all()
    assert viewed == ["Julie Tremblay"]


def test_staff_add_a_patient_with_days_part_and_a_last_day(console, runtime):
    sign_in(console)
    response = console.post(
        "/staff/parc/waitlist/add",
        data={
            "csrf_token": csrf(console, "/staff/parc/waitlist"),
            "phone": "(514) 555-3002",
            "name": "Paul Côté",
            "days": ["1", "3"],
            "part": "afternoon",
            "before": "2026-12-18",
        },
        follow_redirects=True,
    )
    page = text_of(response)
    assert "C'est fait." in page
    assert "Paul Côté" in page
    with runtime.session_factory() as s:
        (entry,) = s.scalars(select(WaitlistEntry)).all()
        assert entry.wish == {"days": [1, 3], "part": "afternoon", "na": "2026-12-18"}
        assert entry.channel == "staff"
        assert entry.person.name == "Paul Côté"


def test_bad_phone_and_bad_date_are_refused_with_clear_words(console, runtime):
    sign_in(console)
    token = csrf(console, "/staff/parc/waitlist")
    bad_phone = console.post(
        "/staff/parc/waitlist/add", data={"csrf_token": token, "phone": "12"}, follow_redirects=True
    )
    assert "n'est pas valide" in text_of(bad_phone)
    bad_date = console.post(
        "/staff/parc/waitlist/add",
        data={"csrf_token": token, "phone": "5145553003", "before": "2026-13-45"},
        follow_redirects=True,
    )
    assert "Cette date n'est pas valide." in text_of(bad_date)
    with runtime.session_factory() as s:
        assert s.scalars(select(WaitlistEntry)).all() == []


def test_staff_take_a_patient_off_the_list(console, runtime):
    entry_id = seed(runtime)
    sign_in(console)
    response = console.post(
        f"/staff/parc/waitlist/{entry_id}/remove",
        data={"csrf_token": csrf(console, "/staff/parc/waitlist")},
        follow_redirects=True,
    )
    assert "Retiré" in text_of(response)
    with runtime.session_factory() as s:
        assert s.get(WaitlistEntry, entry_id).status == "left"


def test_another_clinic_sees_nothing(console, runtime):
    entry_id = seed(runtime)
    sign_in(console, "will")
    assert console.get("/staff/parc/waitlist").status_code == 404
    token = csrf(console, "/staff/westmount/")
    assert (
        console.post(f"/staff/westmount/waitlist/{entry_id}/remove", data={"csrf_token": token}).status_code
        == 404
    )
    assert "Léa" not in text_of(console.get("/staff/westmount/waitlist"))


def test_erasing_a_number_removes_its_waiting_list_entries_and_offers(runtime):
    from core.models import Patient, WaitlistOffer
    from core.services import patient_data

    seed(runtime)
    with runtime.session_factory.begin() as s:
        patient_data.erase(s, "+15145553001", ["parc"], runtime.now())
    with runtime.session_factory() as s:
        assert s.scalars(select(WaitlistEntry)).all() == []
        assert s.scalars(select(WaitlistOffer)).all() == []
        assert s.scalar(select(Patient).where(Patient.phone == "+15145553001")) is None


def test_staff_add_someone_holding_an_appointment_waits_to_bring_it_forward(console, runtime):
    now = runtime.now()
    friday = dt.date(2026, 12, 11)
    with runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        patient = get_or_create_patient(s, "+15145553002", "fr")
        person = people.person_for(s, patient, "Paul Côté", now)
        slot = booking.find_free_slots(s, parc, now, booking.SlotQuery(date=friday, at=dt.time(14, 0))).slots[
            0
        ]
        held = booking.book(s, slot.id, patient, "staff", now, person=person).id
    sign_in(console)
    response = console.post(
        "/staff/parc/waitlist/add",
        data={
            "csrf_token": csrf(console, "/staff/parc/waitlist"),
            "phone": "(514) 555-3002",
            "name": "Paul Côté",
        },
        follow_redirects=True,
    )
    page = text_of(response)
    assert "C'est fait." in page
    assert "pour avancer le RDV du" in page
    assert "11 déc." in page
    with runtime.session_factory() as s:
        (entry,) = s.scalars(select(WaitlistEntry)).all()
        assert entry.replaces_id == held
        assert entry.person.name == "Paul Côté"
