"""The staff console as a receptionist uses it: sign in with a named account, see the day, call the next patient."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.models import (
    Appointment,
    AppointmentStatus,
    AuditEntry,
    CallbackRequest,
    Clinic,
    OutboundMessage,
    TicketStatus,
    WalkinTicket,
)
from core.services import booking
from core.services.patients import get_or_create_patient
from tests.staff.conftest import csrf, sign_in, text_of
from tests.support.arrange import fill_queue


def test_the_console_asks_for_a_password_first(console):
    assert console.get("/staff/parc/").status_code == 302
    response = sign_in(console, "julie", "wrong")
    assert response.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in text_of(response)
    assert console.get("/staff/parc/").status_code == 302


def test_the_day_shows_the_queue_in_order_with_masked_numbers(console, runtime):
    fill_queue(runtime, ["+15145551001", "+15145551002"], named=True)
    sign_in(console)
    page = text_of(console.get("/staff/parc/"))
    assert page.index("Patient 1001") < page.index("Patient 1002")
    assert "+15145551001" not in page  # only the last digits are shown
    assert "2 numéros donnés sur 30" in page


def test_calling_the_next_patient_marks_the_ticket_and_tells_the_patient(console, runtime):
    fill_queue(runtime, ["+15145551001", "+15145551002"], named=True)
    sign_in(console)
    response = console.post("/staff/parc/queue/next", data={"csrf_token": csrf(console)})
    assert response.status_code == 302
    runtime.jobs.drain()
    with runtime.session_factory() as s:
        first, second = s.scalars(select(WalkinTicket).order_by(WalkinTicket.number)).all()
        assert first.status == TicketStatus.CALLED
        assert second.status == TicketStatus.WAITING
        told = s.scalars(select(OutboundMessage).where(OutboundMessage.ticket_id == first.id)).all()
        assert len(told) == 1
        actors = s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "walkin.called")).all()
        assert actors == ["Julie Tremblay"]


def test_a_post_without_the_form_token_is_refused(console, runtime):
    fill_queue(runtime, ["+15145551001"], named=True)
    sign_in(console)
    assert console.post("/staff/parc/queue/next", data={}).status_code == 400
    with runtime.session_factory() as s:
        assert s.scalar(select(WalkinTicket.status)) == TicketStatus.WAITING


def test_calling_next_with_nobody_waiting_says_so(console):
    sign_in(console)
    response = console.post(
        "/staff/parc/queue/next", data={"csrf_token": csrf(console)}, follow_redirects=True
    )
    assert "Personne n'attend dans la file" in text_of(response)


def test_staff_can_mark_attendance_and_cancel_with_a_confirmation_to_the_patient(console, runtime, clock):
    now = runtime.now()
    with runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        patient = get_or_create_patient(s, "+15145551003")
        slots = booking.find_free_slots(s, parc, now).slots
        first = booking.book(s, slots[0].id, patient, "sms", now).id
        second = booking.book(s, slots[1].id, patient, "sms", now).id
    sign_in(console)
    token = csrf(console)
    console.post(f"/staff/parc/appointments/{second}/cancel", data={"csrf_token": token})
    clock.advance(minutes=5)
    console.post(f"/staff/parc/appointments/{first}/attended", data={"csrf_token": token})
    runtime.jobs.drain()
    with runtime.session_factory() as s:
        assert s.get(Appointment, first).status == AppointmentStatus.ATTENDED
        assert s.get(Appointment, second).status == AppointmentStatus.CANCELLED
        purposes = s.scalars(
            select(OutboundMessage.purpose).where(OutboundMessage.appointment_id == second)
        ).all()
        assert "confirmation" in " ".join(purposes)


def test_callback_requests_are_listed_with_the_number_and_can_be_closed(console, runtime):
    with runtime.session_factory.begin() as s:
        s.add(CallbackRequest(clinic_id="parc", phone="+15145559876", name="Gérald"))
    sign_in(console)
    page = text_of(console.get("/staff/parc/"))
    assert "Gérald" in page
    assert "+15145559876" in page
    callback_id = re.search(r"/staff/parc/callbacks/(\d+)/done", page).group(1)
    console.post(f"/staff/parc/callbacks/{callback_id}/done", data={"csrf_token": csrf(console)})
    with runtime.session_factory() as s:
        assert s.scalar(select(CallbackRequest.status)) == "done"


def test_viewing_the_day_is_logged_with_who_saw_it(console, staff_ids):
    sign_in(console, "marc")
    console.get("/staff/parc/?lang=en")
    page = text_of(console.get("/staff/parc/"))
    assert "Call next patient" in page  # the language choice is remembered
    rt = console.application.extensions["clinicline"]
    with rt.session_factory() as s:
        seen = s.scalars(select(AuditEntry).where(AuditEntry.action == "staff.viewed_day")).all()
        assert {(e.actor, e.account_id) for e in seen} == {("Marc Gagnon", staff_ids["marc"])}


def first_slot_id(page: str) -> int:
    return int(re.search(r'name="slot_id" value="(\d+)"', page).group(1))


def test_staff_book_for_a_patient_on_the_phone_who_then_gets_a_confirmation_and_reminders(console, runtime):
    sign_in(console)
    page = text_of(console.get("/staff/parc/book?date=2026-12-10"))
    assert "jeu. 10 déc." in page
    assert "8 h" in page
    response = console.post(
        "/staff/parc/book",
        data={
            "csrf_token": csrf(console),
            "slot_id": first_slot_id(page),
            "phone": "514 555-7777",
            "name": "Léa Roy",
        },
    )
    assert response.status_code == 302
    runtime.jobs.drain()
    with runtime.session_factory() as s:
        appointment = s.scalar(select(Appointment))
        assert appointment.patient.phone == "+15145557777"
        assert appointment.person.name == "Léa Roy"
        assert appointment.channel.value == "staff"
        purposes = sorted(s.scalars(select(OutboundMessage.purpose)).all())
        assert any(p.startswith("confirmation") for p in purposes)
        assert "reminder" in purposes
        booked_by = select(AuditEntry.actor, AuditEntry.channel).where(
            AuditEntry.action == "appointment.booked"
        )
        assert s.execute(booked_by).all() == [("Julie Tremblay", "staff")]


def test_a_wrong_phone_number_is_refused_with_a_clear_word(console, runtime):
    sign_in(console)
    page = text_of(console.get("/staff/parc/book?date=2026-12-08"))
    response = console.post(
        "/staff/parc/book",
        data={"csrf_token": csrf(console), "slot_id": first_slot_id(page), "phone": "12", "name": "X"},
        follow_redirects=True,
    )
    assert "pas valide" in text_of(response)
    with runtime.session_factory() as s:
        assert s.scalar(select(Appointment)) is None


def test_staff_move_an_appointment_and_the_old_slot_is_free_again(console, runtime):
    now = runtime.now()
    with runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        patient = get_or_create_patient(s, "+15145551003")
        slot = booking.find_free_slots(s, parc, now).slots[0]
        old_id, old_slot = booking.book(s, slot.id, patient, "sms", now).id, slot.id
    sign_in(console)
    page = text_of(console.get(f"/staff/parc/appointments/{old_id}/move?date=2026-12-09"))
    assert "Changer le rendez-vous du" in page
    console.post(
        f"/staff/parc/appointments/{old_id}/move",
        data={"csrf_token": csrf(console), "slot_id": first_slot_id(page)},
    )
    with runtime.session_factory() as s:
        old = s.get(Appointment, old_id)
        new = s.scalar(select(Appointment).where(Appointment.replaces_id == old_id))
        assert old.status == AppointmentStatus.CANCELLED
        assert new.status == AppointmentStatus.BOOKED
        assert s.get(booking.Slot, old_slot).status.value == "free"


def test_a_day_without_free_slots_says_so(console):
    sign_in(console)
    assert "Aucun moment libre" in text_of(console.get("/staff/parc/book?date=2026-12-13"))  # a Sunday


def test_with_the_database_down_the_console_says_so_instead_of_failing(console, runtime):
    sign_in(console)
    runtime.engine.dispose()
    from sqlalchemy import create_engine

    from core.db import make_session_factory

    runtime.session_factory = make_session_factory(
        create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    response = console.get("/staff/parc/")
    assert response.status_code == 503
    assert "Base de données injoignable" in text_of(response)


def test_staff_add_a_patient_at_the_desk_to_the_queue(console, runtime):
    fill_queue(runtime, ["+15145551001"], named=True)
    sign_in(console)
    console.post(
        "/staff/parc/queue/join",
        data={"csrf_token": csrf(console), "phone": "(514) 555-2222", "name": "Paul"},
    )
    again = console.post(
        "/staff/parc/queue/join",
        data={"csrf_token": csrf(console), "phone": "5145552222"},
        follow_redirects=True,
    )
    assert "déjà dans la file" in text_of(again)
    runtime.jobs.drain()
    with runtime.session_factory() as s:
        tickets = s.scalars(select(WalkinTicket).order_by(WalkinTicket.number)).all()
        assert [(t.number, t.person.name, t.channel.value) for t in tickets][1] == (2, "Paul", "staff")
        joined_by = select(AuditEntry.actor).where(
            AuditEntry.action == "walkin.joined", AuditEntry.channel == "staff"
        )
        assert s.scalars(joined_by).all() == ["Julie Tremblay"]
        # One patient ahead is within the clinic's notice threshold: Paul is told at once.
        notices = s.scalars(select(OutboundMessage).where(OutboundMessage.ticket_id == tickets[1].id)).all()
        assert [m.purpose for m in notices] == ["queue_notice"]


def test_before_opening_the_desk_is_told_registration_is_not_open(console, runtime, clock):
    import datetime as dt

    clock.set_local(dt.date(2026, 12, 7), dt.time(6, 30))
    sign_in(console)
    response = console.post(
        "/staff/parc/queue/join",
        data={"csrf_token": csrf(console), "phone": "5145552222"},
        follow_redirects=True,
    )
    assert "pas ouverte" in text_of(response)
