"""The desk registers a second child of the same phone (picked from the phone's people or typed), says so
clearly when that person already holds a number, and the board shows people (name, masked number, ticket),
a family's members together."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.models import Clinic, Person, WalkinTicket
from core.services import people, walkin
from core.services.clinics import forget_clinics
from core.services.patients import get_or_create_patient
from tests.staff.conftest import csrf, sign_in, text_of

MOTHER = "+15145552222"


def join(console, **form):
    return console.post(
        "/staff/parc/queue/join", data={"csrf_token": csrf(console), **form}, follow_redirects=True
    )


def queue_rows(html: str) -> list[tuple[str, str, str]]:
    """(number, data-group, the person's cell) of each row of the queue."""
    rows = re.findall(
        r'<tr class="ticket [^"]*" data-number="(\d+)" data-group="(\d+)">\s*<td>\d+</td>\s*<td>(.*?)</td>',
        html,
        re.S,
    )
    return [(n, g, " ".join(re.sub(r"<[^>]+>", " ", cell).split())) for n, g, cell in rows]


def test_the_desk_registers_a_second_child_of_the_same_phone(console, runtime):
    with runtime.session_factory.begin() as s:
        other = get_or_create_patient(s, "+15145551001")
        walkin.join_walkin_queue(s, s.get(Clinic, "parc"), other, "sms", runtime.now())
    sign_in(console)
    join(console, phone="514 555-2222", name="Léa Tremblay")
    looked_up = console.get("/staff/parc/?phone=5145552222")
    page = text_of(looked_up)
    assert "Léa Tremblay" in page, page
    assert "déjà le numéro 2" in page, page
    second = join(console, phone="5145552222", person_id="new", name="Marc Tremblay")
    rows = queue_rows(second.get_data(as_text=True))
    assert [n for n, _, _ in rows] == ["1", "2", "3"]
    assert rows[1][2] == "Léa Tremblay +1514…2222", rows
    assert rows[2][2] == "Marc Tremblay +1514…2222", rows
    assert rows[1][1] == rows[2][1] == "2"  # the family is one group, led by number 2
    with runtime.session_factory() as s:
        tickets = s.scalars(select(WalkinTicket).order_by(WalkinTicket.number)).all()
        assert [s.get(Person, t.person_id).name for t in tickets[1:]] == ["Léa Tremblay", "Marc Tremblay"]
        assert tickets[1].patient_id == tickets[2].patient_id


def test_picking_a_person_who_already_holds_a_number_says_who_and_which(console, runtime):
    with runtime.session_factory.begin() as s:
        mother = get_or_create_patient(s, MOTHER)
        lea = people.person_for(s, mother, "Léa Tremblay", runtime.now())
        zoe = people.add_person(s, mother, "Zoé Tremblay", now=runtime.now())
        walkin.join_walkin_queue(s, s.get(Clinic, "parc"), mother, "sms", runtime.now(), person=lea)
        lea_id, zoe_id = lea.id, zoe.id
    sign_in(console)
    again = join(console, phone=MOTHER, person_id=str(lea_id))
    assert "Léa Tremblay est déjà dans la file d'aujourd'hui, avec le numéro 1" in text_of(again)
    picked = join(console, phone=MOTHER, person_id=str(zoe_id))
    assert [name for _, _, name in queue_rows(picked.get_data(as_text=True))] == [
        "Léa Tremblay +1514…2222",
        "Zoé Tremblay +1514…2222",
    ]


def test_a_person_of_another_phone_or_a_bad_name_adds_nobody(console, runtime):
    with runtime.session_factory.begin() as s:
        stranger = people.first_person(s, get_or_create_patient(s, "+15145559999"), runtime.now())
        stranger_id = stranger.id
    sign_in(console)
    join(console, phone=MOTHER, person_id=str(stranger_id))
    for bad in ("😀😀😀", "12345", "x" * 500):
        answer = join(console, phone=MOTHER, person_id="new", name=bad)
        assert "nom n'est pas valide" in text_of(answer), text_of(answer)
    with runtime.session_factory() as s:
        assert s.scalars(select(WalkinTicket)).all() == []


def test_a_family_without_names_shows_as_the_first_persons_group(console, runtime):
    with runtime.session_factory.begin() as s:
        mother = get_or_create_patient(s, MOTHER)
        lea = people.person_for(s, mother, "Léa Tremblay", runtime.now())
        others = [people.add_person(s, mother, None, now=runtime.now()) for _ in range(2)]
        walkin.join_group(s, s.get(Clinic, "parc"), mother, [lea, *others], "sms", runtime.now())
        walkin.join_walkin_queue(
            s, s.get(Clinic, "parc"), get_or_create_patient(s, "+15145551001"), "sms", runtime.now()
        )
    sign_in(console)
    rows = queue_rows(console.get("/staff/parc/").get_data(as_text=True))
    assert [(n, g) for n, g, _ in rows] == [("1", "1"), ("2", "1"), ("3", "1"), ("4", "4")]
    assert [name for _, _, name in rows[:3]] == [
        "Léa Tremblay +1514…2222",
        "avec Léa Tremblay +1514…2222",
        "avec Léa Tremblay +1514…2222",
    ]


def test_the_desk_lists_only_the_people_this_clinic_has_seen_and_logs_the_look(console, runtime):
    from core.models import AuditEntry
    from core.services import booking

    with runtime.session_factory.begin() as s:
        mother = get_or_create_patient(s, MOTHER)
        here = people.person_for(s, mother, "Léa Tremblay", runtime.now())
        walkin.join_walkin_queue(s, s.get(Clinic, "parc"), mother, "sms", runtime.now(), person=here)
        elsewhere = people.person_for(s, mother, "Rita Roy", runtime.now())
        westmount = s.get(Clinic, "westmount")
        slot = booking.find_free_slots(s, westmount, runtime.now()).slots[0]
        booking.book(s, slot.id, mother, "sms", runtime.now(), person=elsewhere)
    sign_in(console)
    page = text_of(console.get("/staff/parc/?phone=5145552222"))
    assert "Léa Tremblay" in page
    assert "Rita Roy" not in page  # booked only at another clinic: not this desk's to know
    with runtime.session_factory() as s:
        looked = s.scalars(select(AuditEntry).where(AuditEntry.action == "staff.viewed_people")).all()
        assert [(a.clinic_id, a.subject) for a in looked] == [("parc", f"patient:{here.patient_id}")]


def _card_setting(runtime, on: bool) -> None:
    with runtime.session_factory.begin() as s:
        clinic = s.get(Clinic, "parc")
        clinic.settings = {**(clinic.settings or {}), people.CARD_SETTING: on}
    forget_clinics()  # the console reads clinics through the per-process cache


def test_with_the_clinic_setting_on_the_desk_tells_two_people_of_one_name_apart_by_card(console, runtime):
    _card_setting(runtime, True)
    sign_in(console)
    page = console.get("/staff/parc/").get_data(as_text=True)
    assert 'id="join-card"' in page
    join(console, phone=MOTHER, name="Léa Tremblay", card="1234")
    join(console, phone=MOTHER, name="Léa Tremblay", card="98 76")  # a cousin of the same name
    refused = join(console, phone=MOTHER, name="Léa Tremblay", card="12")
    assert "4 derniers chiffres" in text_of(refused)
    with runtime.session_factory() as s:
        leas = s.scalars(select(Person).where(Person.first_name == "Léa").order_by(Person.id)).all()
        assert [p.card_last4 for p in leas] == ["1234", "9876"]
        assert len(s.scalars(select(WalkinTicket)).all()) == 2
    listed = text_of(console.get("/staff/parc/?phone=5145552222"))
    assert "carte …1234" in listed
    assert "carte …9876" in listed


def test_with_the_setting_off_no_card_is_asked_or_kept(console, runtime):
    sign_in(console)
    assert 'id="join-card"' not in console.get("/staff/parc/").get_data(as_text=True)
    join(console, phone=MOTHER, name="Léa Tremblay", card="1234")
    with runtime.session_factory() as s:
        assert [p.card_last4 for p in s.scalars(select(Person).where(Person.first_name == "Léa"))] == [None]
