"""Patient rights and the audit log: a manager exports or erases what the clinic holds about a number, and
reads who did what, filtered by person, patient phone and day."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from sqlalchemy import func, select

from core.models import (
    Appointment,
    AuditEntry,
    CallbackRequest,
    Clinic,
    Conversation,
    InboxMessage,
    OutboundMessage,
    Patient,
    Person,
)
from core.services import accounts, board, booking, people
from core.services.patients import get_or_create_patient
from core.timeutil import local_day_bounds
from tests.staff.conftest import PASSWORD, csrf, sign_in, text_of
from tests.support.apps import MARIE
from tests.support.households import names_of

DAY = dt.date(2026, 12, 8)


@pytest.fixture
def runtime(both_databases):
    """These rules hold on SQLite and on PostgreSQL."""
    return both_databases


@pytest.fixture
def marie_booked(runtime, texter):
    """Marie texted (a conversation and an inbox thread), was booked at Parc and Westmount, asked for a callback."""
    texter("parler à quelqu'un")
    now = runtime.now()
    with runtime.session_factory.begin() as s:
        marie = get_or_create_patient(s, MARIE)
        people.person_for(s, marie, "Marie Lavoie", now)
        ids = {}
        for clinic_id in ("parc", "westmount"):
            clinic = s.get(Clinic, clinic_id)
            slot = board.free_slots_of_day(s, clinic, DAY, now)[0]
            ids[clinic_id] = booking.book(s, slot.id, marie, "sms", now)
        s.add(CallbackRequest(clinic_id="parc", phone=MARIE, name="Marie Lavoie"))
        s.add(
            OutboundMessage(
                clinic_id="parc",
                patient_id=marie.id,
                to=MARIE,
                purpose="confirmation",
                body="Marie, c'est réservé",
            )
        )
        return {k: (a.id, a.code) for k, a in ids.items()}


def day_count(runtime, clinic_id="parc") -> int:
    start, end = local_day_bounds(DAY, "America/Toronto")
    with runtime.session_factory() as s:
        return s.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(
                Appointment.clinic_id == clinic_id,
                Appointment.starts_at >= start,
                Appointment.starts_at < end,
            )
        )


def rights(console, action, phone=MARIE, again=MARIE, **extra):
    return console.post(
        f"/staff/parc/patient/{action}",
        data={
            "csrf_token": csrf(console, "/staff/parc/patient"),
            "phone": phone,
            "phone_again": again,
            **extra,
        },
    )


def test_a_manager_exports_everything_the_clinic_holds_about_a_number(
    console, runtime, marie_booked, staff_ids
):
    sign_in(console, "marc")
    response = rights(console, "export", "514 555-1234", "(514) 555-1234", format="json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    parc_id, parc_code = marie_booked["parc"]
    assert [(p["first_name"], p["last_name"]) for p in data["people"]] == [("Marie", "Lavoie")]
    assert data["appointments"][0]["person"] == "Marie Lavoie"
    assert [(a["id"], a["code"]) for a in data["appointments"]] == [(parc_id, parc_code)]  # Parc's only
    assert data["callbacks"][0]["name"] == "Marie Lavoie"
    assert data["inbox"][0]["messages"][0]["body"] == "parler à quelqu'un"
    assert data["conversations"]
    assert data["messages"]
    assert any(line["subject"] == f"appointment:{parc_id}" for line in data["audit"])

    as_csv = rights(console, "export", format="csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert any(r["record"] == "appointment" and parc_code in r["details"] for r in rows)
    with runtime.session_factory() as s:
        exported = s.scalars(select(AuditEntry).where(AuditEntry.action == "patient.exported")).all()
        assert [(e.account_id, e.detail["format"]) for e in exported] == [
            (staff_ids["marc"], "json"),
            (staff_ids["marc"], "csv"),
        ]


def test_the_number_must_be_typed_twice_the_same(console, runtime, marie_booked):
    sign_in(console, "marc")
    response = rights(console, "erase", MARIE, "+15145551235")
    assert response.status_code == 400
    assert "ne sont pas identiques" in text_of(response)
    with runtime.session_factory() as s:
        assert names_of(runtime, MARIE) == ["Marie Lavoie"]
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "patient.erased")) is None


def test_erasure_removes_the_name_and_number_and_keeps_the_days_counts(
    console, runtime, marie_booked, texter
):
    before = day_count(runtime)
    sign_in(console, "marc")
    response = rights(console, "erase")
    assert response.status_code == 302
    assert "effacées" in text_of(console.get(response.headers["Location"]))
    assert day_count(runtime) == before
    parc_id, _ = marie_booked["parc"]
    with runtime.session_factory() as s:
        parc_appointment = s.get(Appointment, parc_id)
        assert parc_appointment.person.name is None
        assert parc_appointment.patient.phone != MARIE
        assert s.scalar(select(CallbackRequest.name)) is None
        assert not s.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.clinic_id == "parc")
        )
        assert {m.body for m in s.scalars(select(InboxMessage))} == {""}
        assert all(
            m.to != MARIE and "Marie" not in m.body
            for m in s.scalars(select(OutboundMessage).where(OutboundMessage.clinic_id == "parc"))
        )
        # Westmount, which this manager does not manage, still holds Marie as she is.
        westmount = s.get(Appointment, marie_booked["westmount"][0])
        assert (westmount.patient.phone, westmount.person.name) == (MARIE, "Marie Lavoie")
        erased = s.scalar(select(AuditEntry).where(AuditEntry.action == "patient.erased"))
        assert erased.detail["appointments"] == 1
        assert erased.account_id is not None


def test_erasure_at_every_clinic_of_the_patient_removes_the_patient_row(app, runtime, marie_booked):
    for login, clinic_id in (("marc", "parc"), ("wendy", "westmount")):
        client = app.test_client()
        sign_in(client, login)
        client.post(
            f"/staff/{clinic_id}/patient/erase",
            data={
                "csrf_token": csrf(client, f"/staff/{clinic_id}/patient"),
                "phone": MARIE,
                "phone_again": MARIE,
            },
        )
    with runtime.session_factory() as s:
        assert s.scalar(select(Patient).where(Patient.phone == MARIE)) is None
        assert s.scalar(select(func.count()).select_from(Person).where(Person.first_name == "Marie")) == 0
        assert s.scalar(select(func.count()).select_from(Appointment)) == 2


def test_the_audit_page_filters_by_person_phone_and_day_and_exports_csv(
    console, runtime, marie_booked, staff_ids
):
    julie = console.application.test_client()
    sign_in(julie, "julie")
    parc_id, _ = marie_booked["parc"]
    julie.post(f"/staff/parc/appointments/{parc_id}/attended", data={"csrf_token": csrf(julie)})
    sign_in(console, "marc")
    by_julie = text_of(console.get(f"/staff/parc/audit?person={staff_ids['julie']}"))
    assert "appointment.attended" in by_julie
    assert "staff.viewed_day" in by_julie
    assert "patient.exported" not in by_julie
    by_phone = text_of(console.get("/staff/parc/audit?phone=514-555-1234"))
    assert f"appointment:{parc_id}" in by_phone
    assert "staff.viewed_day" not in by_phone
    assert "Aucune entrée" in text_of(console.get("/staff/parc/audit?day=2026-11-01"))
    exported = console.get(f"/staff/parc/audit.csv?person={staff_ids['julie']}")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert {r["action"] for r in rows} >= {"appointment.attended", "staff.viewed_day"}
    assert {r["account_id"] for r in rows} == {str(staff_ids["julie"])}
    assert console.get("/staff/parc/audit?day=9999-99-99").status_code == 400


def test_managers_of_one_clinic_do_not_see_anothers_audit(console, marie_booked):
    sign_in(console, "wendy")
    assert console.get("/staff/parc/audit").status_code == 404
    assert "parler" not in text_of(console.get("/staff/westmount/audit?phone=5145551234"))


def test_exported_cells_never_start_a_spreadsheet_formula(console, runtime, marie_booked):
    with runtime.session_factory.begin() as s:
        accounts.create(
            s, "formula", '=HYPERLINK("http://x.example")', PASSWORD, {"parc": "reception"}, runtime.now()
        )
    typist = console.application.test_client()
    sign_in(typist, "formula")
    typist.get("/staff/parc/")  # an audit line whose actor is that name
    sign_in(console, "marc")
    rows = list(csv.DictReader(io.StringIO(console.get("/staff/parc/audit.csv").get_data(as_text=True))))
    assert '\'=HYPERLINK("http://x.example")' in {r["actor"] for r in rows}
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())
