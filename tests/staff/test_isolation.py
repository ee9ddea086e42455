"""Per-clinic isolation: an account sees only its clinics, and every console route answers 404 to ids of
another clinic's tickets, appointments, callbacks, threads and accounts (and to ids no row can have)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.models import (
    Appointment,
    AppointmentStatus,
    AuditEntry,
    CallbackRequest,
    Clinic,
    InboxThread,
    ScheduleChange,
    ScheduleKind,
    WaitlistEntry,
    WalkinDay,
    WalkinTicket,
)
from core.services import booking, inbox, people, waitlist, walkin
from core.services.patients import get_or_create_patient
from tests.staff.conftest import csrf, sign_in, text_of

OUTCOMES = {"staff.finish_ticket": "served", "staff.appointment_outcome": "cancel"}
ID_KINDS = {
    "ticket_id": "ticket",
    "appointment_id": "appointment",
    "callback_id": "callback",
    "thread_id": "thread",
    "account_id": "account",
    "change_id": "schedule_change",
    "entry_id": "waitlist_entry",
}


@pytest.fixture
def runtime(both_databases):
    """These rules hold on SQLite and on PostgreSQL."""
    return both_databases


def seed_clinic(runtime, clinic_id: str, phone: str, account_id: int) -> dict[str, int]:
    """One of everything the console can point at, in one clinic."""
    now = runtime.now()
    with runtime.session_factory.begin() as s:
        clinic = s.get(Clinic, clinic_id)
        patient = get_or_create_patient(s, phone)
        people.first_person(s, patient, now, name=f"Patient of {clinic_id}")
        slot = booking.find_free_slots(s, clinic, now).slots[0]
        appointment = booking.book(s, slot.id, patient, "sms", now)
        if clinic.walkin_enabled:
            ticket = walkin.join_walkin_queue(s, clinic, patient, "sms", now)
        else:  # a clinic without a queue today may have had one: the row is what matters here
            day = WalkinDay(clinic_id=clinic.id, day=now.date(), capacity=5, issued=1)
            s.add(day)
            s.flush()
            ticket = WalkinTicket(
                walkin_day_id=day.id,
                clinic_id=clinic.id,
                patient_id=patient.id,
                person_id=people.first_person(s, patient, now).id,
                number=1,
                channel="sms",
            )
            s.add(ticket)
        callback = CallbackRequest(clinic_id=clinic.id, phone=phone, name="Rappel")
        s.add(callback)
        thread = inbox.open_thread(s, clinic, patient, "asked", "fr", ["allo"], now)
        change = ScheduleChange(
            clinic_id=clinic.id, kind=ScheduleKind.CLOSURE, day=now.date(), source="console"
        )
        s.add(change)
        entry, _ = waitlist.join(s, clinic, patient, people.first_person(s, patient, now), {}, "sms", now)
        s.flush()
        return {
            "waitlist_entry": entry.id,
            "ticket": ticket.id,
            "appointment": appointment.id,
            "callback": callback.id,
            "thread": thread.id,
            "account": account_id,
            "schedule_change": change.id,
        }


@pytest.fixture
def seeded(runtime, staff_ids):
    return {
        "parc": seed_clinic(runtime, "parc", "+15145551001", staff_ids["julie"]),
        "westmount": seed_clinic(runtime, "westmount", "+15145552002", staff_ids["will"]),
    }


def clinic_routes(app):
    """Every console route that names a clinic, with the methods it answers."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff.") and "<clinic_id>" in rule.rule:
            yield rule, sorted(rule.methods - {"HEAD", "OPTIONS"})


def url_for_rule(rule, clinic_id: str, ids: dict[str, int]) -> str:
    path = rule.rule.replace("<clinic_id>", clinic_id)
    path = path.replace("<outcome>", OUTCOMES.get(rule.endpoint, "x"))
    return re.sub(r"<id:(\w+)>", lambda m: str(ids[ID_KINDS[m.group(1)]]), path)


@pytest.mark.parametrize("login", ["julie", "marc"])
def test_every_route_with_another_clinics_ids_answers_404(app, console, runtime, seeded, login):
    sign_in(console, login)
    token = csrf(console)
    tried = 0
    for rule, methods in clinic_routes(app):
        forged = (
            [url_for_rule(rule, "parc", seeded["westmount"])]
            if rule.arguments - {"clinic_id", "outcome"}
            else []
        )
        forged.append(url_for_rule(rule, "westmount", seeded["westmount"]))
        for url in forged:
            for method in methods:
                response = console.open(
                    url, method=method, data={"csrf_token": token, "body": "x", "slot_id": "1"}
                )
                assert response.status_code == 404, (login, method, url, response.status_code)
                tried += 1
    assert tried >= 30  # every route of the console: a new one is tried without listing it here
    with runtime.session_factory() as s:  # nothing of westmount's changed
        assert s.get(Appointment, seeded["westmount"]["appointment"]).status == AppointmentStatus.BOOKED
        assert s.get(InboxThread, seeded["westmount"]["thread"]).messages[0].body == "allo"
        assert s.get(CallbackRequest, seeded["westmount"]["callback"]).status == "open"
        assert s.get(WaitlistEntry, seeded["westmount"]["waitlist_entry"]).status == "waiting"


def test_the_same_routes_with_the_clinics_own_ids_are_found(app, console, seeded):
    sign_in(console, "marc")
    for rule, methods in clinic_routes(app):
        if "GET" in methods:
            url = url_for_rule(rule, "parc", seeded["parc"])
            assert console.get(url).status_code == 200, url


def test_ids_beyond_64_bits_are_not_found(app, console, seeded):
    sign_in(console, "marc")
    token = csrf(console)
    huge = dict.fromkeys(ID_KINDS.values(), 2**64)
    for rule, methods in clinic_routes(app):
        if rule.arguments - {"clinic_id", "outcome"}:
            for method in methods:
                response = console.open(
                    url_for_rule(rule, "parc", huge), method=method, data={"csrf_token": token}
                )
                assert response.status_code == 404, rule.rule
                assert "n'existe pas" in text_of(response)


def test_each_account_sees_only_its_clinics(console, seeded):
    sign_in(console, "will")
    home = console.get("/staff/", follow_redirects=True)
    assert "Westmount Family Clinic" in text_of(home)
    assert "Clinique du Parc" not in text_of(home)
    assert console.get("/staff/parc/").status_code == 404
    assert "Patient of parc" not in text_of(console.get("/staff/westmount/"))


def test_reception_does_not_reach_the_managers_pages(console, seeded):
    sign_in(console, "julie")
    for path in ("/staff/parc/audit", "/staff/parc/audit.csv", "/staff/parc/patient", "/staff/parc/accounts"):
        assert console.get(path).status_code == 404, path
    page = text_of(console.get("/staff/parc/"))
    assert "Journal d'accès" not in page
    assert "Messages" in page


def test_forged_slot_of_another_clinic_is_not_booked(console, runtime, seeded):
    with runtime.session_factory() as s:
        other = s.scalar(
            select(booking.Slot.id).where(
                booking.Slot.clinic_id == "westmount", booking.Slot.status == "free"
            )
        )
    sign_in(console, "julie")
    response = console.post(
        "/staff/parc/book", data={"csrf_token": csrf(console), "slot_id": other, "phone": "5145557777"}
    )
    assert response.status_code == 404
    with runtime.session_factory() as s:
        assert (
            s.scalar(
                select(AuditEntry).where(
                    AuditEntry.action == "appointment.booked", AuditEntry.channel == "staff"
                )
            )
            is None
        )
