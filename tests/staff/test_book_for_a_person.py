"""Staff book for a person of a phone: one the clinic knows, picked from a list, or a new one typed in; the list
shows only the people this clinic has seen, and a ninth person for a phone is refused with a clear word."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from core.models import AuditEntry, Clinic, OutboundMessage
from core.services import people
from core.services.patients import get_or_create_patient
from tests.staff.conftest import csrf, sign_in, text_of
from tests.support.arrange import book, booked
from tests.support.households import add_people

PHONE = "+15145557777"
THU = "2026-12-10"


def seed(runtime, names, clinic_id: str = "parc", phone: str = PHONE) -> list[int]:
    """A phone whose people each had an appointment at the clinic (the next free slots); their ids."""
    ids = add_people(runtime, phone, names)
    for name in names:
        book(runtime, phone, clinic=clinic_id, person=name)
    return ids


def booked_names(runtime) -> list[str]:
    """The person of every booked appointment, in the order they were booked."""
    return [a.person.name for a in sorted(booked(runtime), key=lambda a: a.id)]


def slot_ids(page: str) -> list[int]:
    return [int(v) for v in re.findall(r'name="slot_id" value="(\d+)"', page)]


def test_staff_pick_a_known_person_of_the_phone_from_the_list(console, runtime):
    nadia, marc = seed(runtime, ["Nadia Tremblay", "Marc Tremblay"])
    sign_in(console)
    page = console.get(f"/staff/parc/book?date={THU}&phone=514+555-7777").get_data(as_text=True)
    assert f'name="person" value="{nadia}"' in page
    assert f'name="person" value="{marc}"' in page
    assert "Nadia Tremblay" in text_of_page(page)
    assert "Marc Tremblay" in text_of_page(page)
    response = console.post(
        "/staff/parc/book",
        data={
            "csrf_token": csrf(console),
            "slot_id": slot_ids(page)[0],
            "phone": "514 555-7777",
            "person": marc,
        },
    )
    assert response.status_code == 302
    assert "notice=done" in response.headers["Location"]
    assert booked_names(runtime) == ["Nadia Tremblay", "Marc Tremblay", "Marc Tremblay"]
    runtime.jobs.drain()
    with runtime.session_factory() as s:
        bodies = s.scalars(
            select(OutboundMessage.body).where(OutboundMessage.purpose.like("confirmation%"))
        ).all()
        assert any("RDV de Marc" in (b or "") for b in bodies), bodies  # the confirmation names him
        viewed = s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "staff.viewed_people")).all()
        assert viewed == ["Julie Tremblay"]  # the receptionist who saw the list


def text_of_page(page: str) -> str:
    return re.sub(r"<[^>]+>", " ", page)


def test_staff_add_a_new_person_to_a_known_phone(console, runtime):
    seed(runtime, ["Nadia Tremblay"])
    sign_in(console)
    page = console.get(f"/staff/parc/book?date={THU}&phone={PHONE}").get_data(as_text=True)
    console.post(
        "/staff/parc/book",
        data={
            "csrf_token": csrf(console),
            "slot_id": slot_ids(page)[0],
            "phone": PHONE,
            "person": "new",
            "name": "Léa Tremblay",
        },
    )
    assert booked_names(runtime) == ["Nadia Tremblay", "Léa Tremblay"]
    with runtime.session_factory() as s:
        patient = get_or_create_patient(s, PHONE)
        assert [p.name for p in people.people_of(s, patient)] == ["Nadia Tremblay", "Léa Tremblay"]


def test_a_new_person_without_a_name_is_asked_for_it(console, runtime):
    seed(runtime, ["Nadia Tremblay"])
    sign_in(console)
    page = console.get(f"/staff/parc/book?date={THU}&phone={PHONE}").get_data(as_text=True)
    response = console.post(
        "/staff/parc/book",
        data={"csrf_token": csrf(console), "slot_id": slot_ids(page)[0], "phone": PHONE, "person": "new"},
        follow_redirects=True,
    )
    assert "Écrivez le nom de la nouvelle personne" in text_of(response)
    assert booked_names(runtime) == ["Nadia Tremblay"]


def test_a_ninth_person_is_refused_and_the_eight_stay_bookable(console, runtime):
    ids = seed(runtime, [f"P{n} Tremblay" for n in "ABCDEFGH"])
    sign_in(console)
    page = console.get(f"/staff/parc/book?date={THU}&phone={PHONE}").get_data(as_text=True)
    form = {"csrf_token": csrf(console), "slot_id": slot_ids(page)[0], "phone": PHONE}
    response = console.post(
        "/staff/parc/book", data={**form, "person": "new", "name": "Zoé Gagnon"}, follow_redirects=True
    )
    assert "déjà 8 personnes" in text_of(response)
    assert len(booked_names(runtime)) == 8
    console.post("/staff/parc/book", data={**form, "person": ids[2]})
    assert booked_names(runtime).count("PC Tremblay") == 2


def test_the_list_shows_only_people_this_clinic_has_seen_and_a_pick_of_another_phone_is_refused(
    console, runtime
):
    seed(runtime, ["Nadia Tremblay"], clinic_id="westmount")  # seen at another clinic only
    [other] = seed(runtime, ["Rita Roy"], phone="+15145558888")
    sign_in(console)
    page = console.get(f"/staff/parc/book?date={THU}&phone={PHONE}").get_data(as_text=True)
    assert "Nadia Tremblay" not in page
    assert 'name="person"' not in page
    response = console.post(
        "/staff/parc/book",
        data={"csrf_token": csrf(console), "slot_id": slot_ids(page)[0], "phone": PHONE, "person": other},
    )
    assert response.status_code == 404
    assert booked_names(runtime) == ["Nadia Tremblay", "Rita Roy"]


def test_a_bad_person_value_never_gives_a_server_error(console, runtime):
    seed(runtime, ["Nadia Tremblay"])
    sign_in(console)
    page = console.get(f"/staff/parc/book?date={THU}&phone={PHONE}").get_data(as_text=True)
    for value in ("9" * 40, "-1", "abc", "", "\x00"):
        response = console.post(
            "/staff/parc/book",
            data={
                "csrf_token": csrf(console),
                "slot_id": slot_ids(page)[-1],
                "phone": PHONE,
                "person": value,
            },
        )
        assert response.status_code in (302, 400, 404), (value, response.status_code)
    assert dt.date.fromisoformat(THU)


def test_a_name_that_is_not_a_name_is_refused_at_the_desk_too(console, runtime):
    sign_in(console)
    page = console.get(f"/staff/parc/book?date={THU}").get_data(as_text=True)
    for bad in ("😀😀", "12345", "Marie " * 84):
        response = console.post(
            "/staff/parc/book",
            data={"csrf_token": csrf(console), "slot_id": slot_ids(page)[0], "phone": PHONE, "name": bad},
        )
        assert response.status_code == 302, bad
        assert "notice=bad_name" in response.headers["Location"], bad
    assert booked_names(runtime) == []


def test_the_booking_form_keeps_the_card_digits_where_the_clinic_takes_them(console, runtime):
    from core.models import Person
    from core.services.clinics import forget_clinics

    with runtime.session_factory.begin() as s:
        clinic = s.get(Clinic, "parc")
        clinic.settings = {**(clinic.settings or {}), people.CARD_SETTING: True}
    forget_clinics()
    sign_in(console)
    page = console.get(f"/staff/parc/book?date={THU}").get_data(as_text=True)
    assert 'id="patient-card"' in page
    form = {
        "csrf_token": csrf(console),
        "slot_id": slot_ids(page)[0],
        "phone": "514 555-7777",
        "name": "Léa Roy",
    }
    refused = console.post("/staff/parc/book", data={**form, "card": "43"})
    assert "notice=bad_card" in refused.headers["Location"]
    console.post("/staff/parc/book", data={**form, "card": "4321"})
    with runtime.session_factory() as s:
        assert s.scalar(select(Person.card_last4).where(Person.first_name == "Léa")) == "4321"
    assert booked_names(runtime) == ["Léa Roy"]
