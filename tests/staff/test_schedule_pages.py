"""The schedule pages: only a clinic's managers reach them; bad input changes nothing and says why; every
view and change is in the audit log; the cancel-and-tell step writes its messages with it. Both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.models import AuditEntry, Clinic, OutboundMessage, OutboxJob, Practitioner, ScheduleChange, Slot
from core.services import booking
from core.services.patients import get_or_create_patient
from core.timeutil import local_to_utc
from tests.staff.conftest import csrf, sign_in, text_of

PAGE = "/staff/parc/schedule"
TUESDAY = dt.date(2026, 12, 8)


@pytest.fixture
def runtime(both_databases):
    return both_databases


def count(runtime, model) -> int:
    with runtime.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def actions(runtime) -> list[str]:
    with runtime.session_factory() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def tremblay(runtime) -> int:
    with runtime.session_factory() as s:
        return s.scalar(select(Practitioner.id).where(Practitioner.key == "dre-tremblay"))


def test_reception_and_other_clinics_managers_do_not_find_the_pages(console, runtime):
    for login, own in (("julie", "parc"), ("wendy", "westmount")):
        sign_in(console, login)
        assert console.get(PAGE).status_code == 404
        token = csrf(console, f"/staff/{own}/")
        answer = console.post(PAGE, data={"kind": "closure", "day": "2026-12-25", "csrf_token": token})
        assert answer.status_code == 404
        console.post("/staff/logout", data={"csrf_token": token})
    assert count(runtime, ScheduleChange) == 0


def test_a_post_without_the_form_token_is_refused(console, runtime):
    sign_in(console, "marc")
    answer = console.post(PAGE, data={"kind": "closure", "day": "2026-12-25"})
    assert answer.status_code == 400
    assert count(runtime, ScheduleChange) == 0


@pytest.mark.parametrize(
    ("form", "notice"),
    [
        ({"kind": "closure", "day": "25/12/2026"}, "La date n'est pas valide"),
        ({"kind": "closure", "day": "2026-12-01"}, "Ce jour est déjà passé"),
        ({"kind": "absence", "day": "2026-12-08"}, "Choisissez un médecin"),
        ({"kind": "absence", "day": "2026-12-08", "practitioner": "99999"}, "Choisissez un médecin"),
        ({"kind": "extra", "day": "2026-12-12", "starts": "10:00", "ends": "9:00"}, "après le début"),
        ({"kind": "extra", "day": "2026-12-12", "starts": "25:99", "ends": "9:00"}, "heure n'est pas valide"),
        ({"kind": "walkin", "capacity": "-3"}, "places n'est pas valide"),
        ({"kind": "walkin"}, "Indiquez les places"),
        ({"kind": "holiday", "day": "2026-12-25"}, "type de changement"),
        ({"kind": "closure", "day": "2026-13-45"}, "La date n'est pas valide"),
    ],
)
def test_a_bad_change_stores_nothing_and_says_why(console, runtime, form, notice):
    sign_in(console, "marc")
    answer = console.post(PAGE, data={**form, "csrf_token": csrf(console, PAGE)}, follow_redirects=True)
    assert answer.status_code == 200
    assert notice in text_of(answer)
    assert count(runtime, ScheduleChange) == 0


def test_a_closure_added_from_the_page_blocks_the_day_and_is_audited(console, runtime):
    sign_in(console, "marc")
    token = csrf(console, PAGE)
    answer = console.post(
        PAGE,
        data={
            "kind": "closure",
            "day": "2026-12-25",
            "reason": "Noël",
            "reason_en": "Christmas",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert "Le changement est enregistré." in text_of(answer)
    page = text_of(console.get(PAGE))
    assert "Noël / Christmas" in page
    assert "Fermeture" in page
    with runtime.session_factory() as s:
        change = s.scalar(select(ScheduleChange))
        assert change.created_by == "Marc Gagnon"
        assert change.reason == "Noël"
    assert {"schedule.added", "schedule.viewed"} <= set(actions(runtime))
    console.post(f"{PAGE}/{change.id}/remove", data={"csrf_token": csrf(console, PAGE)})
    assert count(runtime, ScheduleChange) == 0
    assert "schedule.removed" in actions(runtime)


def test_cancel_and_tell_writes_one_message_and_its_outbox_row_per_patient(console, runtime):
    with runtime.session_factory.begin() as s:
        start = local_to_utc(TUESDAY, dt.time(8), "America/Toronto")
        slot = s.scalar(
            select(Slot).where(Slot.practitioner_id == tremblay(runtime), Slot.starts_at == start)
        )
        booking.book(s, slot.id, get_or_create_patient(s, "+15145553001"), "sms", runtime.now())
    sign_in(console, "marc")
    answer = console.post(
        PAGE,
        data={
            "kind": "absence",
            "day": "2026-12-08",
            "practitioner": str(tremblay(runtime)),
            "csrf_token": csrf(console, PAGE),
        },
    )
    assert answer.status_code == 302
    assert "/schedule/" in answer.headers["Location"]
    change_page = text_of(console.get(answer.headers["Location"]))
    assert "Annuler ces 1 rendez-vous" in change_page
    assert "+1514…3001" in change_page
    assert "5553001" not in change_page  # the phone is masked
    with runtime.session_factory() as s:
        change_id = s.scalar(select(ScheduleChange.id))
    done = console.post(
        f"{PAGE}/{change_id}/cancel",
        data={"csrf_token": csrf(console, f"{PAGE}/{change_id}")},
        follow_redirects=True,
    )
    assert "1 rendez-vous annulés; 0 patients à appeler" in text_of(done)
    with runtime.session_factory() as s:
        [message] = s.scalars(
            select(OutboundMessage).where(OutboundMessage.purpose == "schedule_cancelled")
        ).all()
        jobs = s.scalars(select(OutboxJob).where(OutboxJob.job == "core.jobs.tasks.send_message")).all()
        assert message.id in [job.args[0] for job in jobs]
    assert "schedule.viewed_change" in actions(runtime)
    assert "schedule.cancelled_appointments" in actions(runtime)


def test_a_reason_saved_from_the_page_reaches_the_line_and_bad_ones_are_refused(console, runtime):
    sign_in(console, "marc")
    base = {"key": "vaccin", "fr": "Vaccin", "en": "Vaccine", "slots": "1", "words": "grippe, flu shot"}
    for bad, notice in (
        ({"key": "Bad Key"}, "La clé"),
        ({"fr": ""}, "Le libellé"),
        ({"slots": "9"}, "de 1 à 8"),
    ):
        answer = console.post(
            f"{PAGE}/reasons", data={**base, **bad, "csrf_token": csrf(console, PAGE)}, follow_redirects=True
        )
        assert notice in text_of(answer)
    console.post(
        f"{PAGE}/reasons",
        data={**base, "practitioners": ["dr-nguyen"], "csrf_token": csrf(console, PAGE)},
    )
    with runtime.session_factory() as s:
        [reason] = s.get(Clinic, "parc").settings["reasons"]
    assert reason == {
        "key": "vaccin",
        "fr": "Vaccin",
        "en": "Vaccine",
        "slots": 1,
        "practitioners": ["dr-nguyen"],
        "words": ["grippe", "flu shot"],
    }
    assert "schedule.reason_saved" in actions(runtime)
    console.post(f"{PAGE}/reasons/vaccin/remove", data={"csrf_token": csrf(console, PAGE)})
    with runtime.session_factory() as s:
        assert s.get(Clinic, "parc").settings["reasons"] == []
    assert (
        console.post(f"{PAGE}/reasons/nothing/remove", data={"csrf_token": csrf(console, PAGE)}).status_code
        == 404
    )
