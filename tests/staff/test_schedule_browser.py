"""Schedule changes and visit reasons in a real browser (headless Chromium), with the line answering patients.

The clock starts on Monday 7 December 2026 at 09:00 in Montréal; Marc manages the Clinique du Parc.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.models import Appointment, AppointmentStatus, Clinic, Practitioner, Slot, SlotStatus
from tests.staff import test_browser
from tests.support.arrange import book
from tests.support.clinics_files import POOLS, load

# The browser fixtures of the console's own browser tests.
browser, downloads, live_console, shots, ui = (
    test_browser.browser,
    test_browser.downloads,
    test_browser.live_console,
    test_browser.shots,
    test_browser.ui,
)

TUESDAY = dt.date(2026, 12, 8)
CHRISTMAS = dt.date(2026, 12, 25)
PATIENTS = {"a": "+15145552001", "b": "+15145552002", "c": "+15145552003", "d": "+15145552004"}


def status_of(runtime, appointment_id: int) -> AppointmentStatus:
    with runtime.session_factory() as s:
        return s.get(Appointment, appointment_id).status


def set_value(ui, css: str, value: str) -> None:
    """Date and time inputs take what the browser's locale types; the value itself is set instead."""
    ui.driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));",
        ui.find(css),
        value,
    )


def select_option(ui, css: str, text: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(ui.find(css)).select_by_visible_text(text)


def test_an_absence_cancels_and_notifies_the_right_appointments(ui, runtime, fake_twilio):
    hit_a = book(
        runtime, PATIENTS["a"], day=TUESDAY, at=dt.time(8, 0), practitioner="dre-tremblay", person="Patient A"
    )
    hit_b = book(
        runtime,
        PATIENTS["b"],
        day=TUESDAY,
        at=dt.time(11, 45),
        practitioner="dre-tremblay",
        person="Patient B",
    )
    other_doctor = book(
        runtime, PATIENTS["c"], day=TUESDAY, at=dt.time(8, 0), practitioner="dr-nguyen", person="Patient C"
    )
    afternoon = book(
        runtime,
        PATIENTS["d"],
        day=TUESDAY,
        at=dt.time(13, 0),
        practitioner="dre-tremblay",
        person="Patient D",
    )
    ui.sign_in("marc")
    ui.click("#nav-schedule")
    ui.wait_for("h1", "Horaire")
    select_option(ui, "#absence-practitioner", "Dre Tremblay")
    set_value(ui, "#absence-day", TUESDAY.isoformat())
    set_value(ui, "#absence-starts", "08:00")
    set_value(ui, "#absence-ends", "12:00")
    ui.click("#add-absence")
    ui.wait_for("#change-heading", "Absence")
    codes = [row.get_attribute("data-code") for row in ui.all("#hit tbody tr")]
    assert codes == [hit_a.code, hit_b.code]
    assert other_doctor.code not in ui.text()
    assert afternoon.code not in ui.text()
    ui.shot("schedule-absence")
    ui.click("#cancel-and-tell")
    assert "2 rendez-vous annulés" in ui.wait_for("#notice").text
    assert ui.find("#no-hit")
    runtime.jobs.drain()
    for who in ("a", "b"):
        [message] = fake_twilio.messages_to(PATIENTS[who])
        assert "annul" in message["body"]
        assert "RDV" in message["body"]
    for who in ("c", "d"):
        assert fake_twilio.messages_to(PATIENTS[who]) == []
    assert status_of(runtime, hit_a.id) == status_of(runtime, hit_b.id) == AppointmentStatus.CANCELLED
    assert status_of(runtime, other_doctor.id) == status_of(runtime, afternoon.id) == AppointmentStatus.BOOKED
    with runtime.session_factory() as s:
        assert s.get(Slot, hit_a.slot_id).status == SlotStatus.BLOCKED


def test_a_patient_cannot_be_offered_a_closed_day_or_a_pooled_slot(ui, runtime, texter, tmp_path):
    load(runtime, tmp_path, POOLS)
    ui.sign_in("marc")
    ui.open("/staff/parc/schedule")
    set_value(ui, "#closure-day", CHRISTMAS.isoformat())
    ui.find("#closure-reason").send_keys("Noël")
    ui.find("#closure-reason-en").send_keys("Christmas")
    ui.click("#add-closure")
    ui.wait_for("#notice", "enregistré")
    ui.open("/staff/parc/schedule")
    row = ui.wait_for("#changes tr[data-kind='closure']")
    assert "Noël" in row.text
    assert "same-day" in ui.find("#pools").text
    ui.shot("schedule-closure")

    closed = texter.send("RDV le 25 décembre")
    assert "La clinique est fermée le ven. 25 déc. (Noel)." in closed.text
    assert closed.choices
    assert not any("25 déc." in line for line in closed.choices)
    tuesday = texter.send("RDV mardi")
    assert tuesday.choices[0] == "1) mar. 8 déc. à 9 h"  # 08:00-09:00 is kept for the same day
    late = texter.send("RDV mardi après 16 h")
    offered_ids = _offered_ids(runtime)
    with runtime.session_factory() as s:
        nguyen = s.scalar(select(Practitioner.id).where(Practitioner.key == "dr-nguyen"))
        offered = [s.get(Slot, i) for i in offered_ids]
        assert offered
        assert {slot.practitioner_id for slot in offered} == {nguyen}  # Dre Tremblay's are 811's
    assert late.choices

    # Staff can book the kept places.
    ui.open(f"/staff/parc/book?date={TUESDAY.isoformat()}")
    assert "8 h —" in ui.wait_for("#slot-form").text


def _offered_ids(runtime) -> list[int]:
    from core.dialog import store
    from core.models import Conversation

    with runtime.session_factory() as s:
        conversation = s.scalar(select(Conversation).where(Conversation.channel == "sms"))
        return list(store.parse(conversation.state).data["offered"])


def test_a_reason_that_takes_two_slots_books_two_consecutive_slots(ui, runtime, texter):
    ui.sign_in("marc")
    ui.open("/staff/parc/schedule")
    for key, fr, en, slots, words in (
        ("consultation", "Consultation", "Consultation", "1", ""),
        ("suivi", "Suivi", "Follow-up", "2", "check-up, suivi de grossesse"),
    ):
        ui.find("#reason-key").send_keys(key)
        ui.find("#reason-fr").send_keys(fr)
        ui.find("#reason-en").send_keys(en)
        ui.find("#reason-slots").clear()
        ui.find("#reason-slots").send_keys(slots)
        ui.find("#reason-words").send_keys(words)
        if key == "suivi":  # only Dr Nguyen sees follow-ups
            ui.find("#reason-form input[value='dre-tremblay']").click()
        ui.click("#save-reason")
        ui.wait_for("#notice", "enregistré")
    assert "dr-nguyen" in ui.wait_for("#reason-suivi").text
    ui.shot("schedule-reasons")

    asked = texter.send("RDV")
    assert asked.choices == ["1) Consultation", "2) Suivi"]
    texter.send("un suivi")
    texter.send("1")
    texter.send("Marie Lavoie")
    done = texter.send("oui")
    assert "réservé" in done.text
    with runtime.session_factory() as s:
        [appointment] = s.scalars(
            select(Appointment).where(Appointment.status == AppointmentStatus.BOOKED)
        ).all()
        first = s.get(Slot, appointment.slot_id)
        [second] = s.scalars(select(Slot).where(Slot.joined_to == first.id)).all()
        nguyen = s.scalar(select(Practitioner.id).where(Practitioner.key == "dr-nguyen"))
        assert appointment.reason == "suivi"
        assert first.practitioner_id == second.practitioner_id == nguyen
        assert second.starts_at == first.ends_at
        assert second.status == SlotStatus.BOOKED
        assert s.get(Clinic, "parc").settings["reasons"][1]["practitioners"] == ["dr-nguyen"]
