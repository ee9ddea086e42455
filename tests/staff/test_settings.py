"""Clinic settings: a clinic's managers see and change its run-time values; nobody else reaches them; a bad value
changes nothing and the page says why."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.clinics_file import EXAMPLE_FILE, load_clinics
from core.models import AuditEntry, Clinic
from core.services.clinics import clinic_for_number
from staff.settings import current_values
from tests.staff.conftest import csrf, sign_in, text_of
from tests.support.apps import PARC

PAGE = "/staff/parc/settings"
# Parc's values in the demo clinics file
LOADED = {
    "walkin_capacity": 30,
    "walkin_minutes_per_patient": 15,
    "notice_places": 3,
    "notice_minutes": 30,
    "reminder_days_before": [1],
    "reception_number": "+15145550199",
    "default_lang": "fr",
}
CHANGED_FORM = {
    "walkin_capacity": "45",
    "walkin_minutes_per_patient": "12",
    "notice_places": "5",
    "notice_minutes": "20",
    "reminder_days_before": "3, 1",
    "reception_number": "514 555-0123",
    "default_lang": "en",
}
CHANGED = {
    "walkin_capacity": 45,
    "walkin_minutes_per_patient": 12,
    "notice_places": 5,
    "notice_minutes": 20,
    "reminder_days_before": [1, 3],
    "reception_number": "+15145550123",
    "default_lang": "en",
}


@pytest.fixture
def runtime(both_databases):
    """The settings are stored alike on SQLite and on PostgreSQL (a JSON column among them)."""
    return both_databases


def parc_values(runtime) -> dict:
    with runtime.session_factory() as s:
        return current_values(s.get(Clinic, "parc"))


def audit_lines(runtime, action: str) -> list[AuditEntry]:
    with runtime.session_factory() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def post(console, **changes):
    return console.post(PAGE, data={**CHANGED_FORM, **changes, "csrf_token": csrf(console, PAGE)})


def test_the_manager_sees_the_clinics_values_and_that_loading_the_file_overwrites_them(
    console, runtime, staff_ids
):
    assert parc_values(runtime) == LOADED
    sign_in(console, "marc")
    page = text_of(console.get(PAGE))
    assert 'value="30"' in page
    assert 'value="+15145550199"' in page
    assert 'value="1"' in page
    assert "clinicline clinics load" in page
    assert "CLINICLINE_CLINICS" in page
    assert 'id="nav-settings"' in page
    (viewed,) = audit_lines(runtime, "settings.viewed")
    assert viewed.account_id == staff_ids["marc"]
    assert viewed.clinic_id == "parc"


def test_a_manager_changes_the_values_they_are_stored_audited_and_used_at_once(console, runtime, staff_ids):
    with runtime.session_factory() as s:
        assert clinic_for_number(s, PARC).walkin_capacity == 30  # the webhooks' copy of the clinics, warm
    sign_in(console, "marc")
    response = post(console)
    assert response.status_code == 302
    assert "Les réglages sont enregistrés." in text_of(console.get(response.headers["Location"]))
    assert parc_values(runtime) == CHANGED
    with runtime.session_factory() as s:
        seen = clinic_for_number(s, PARC)
        assert (seen.walkin_capacity, seen.settings["notice_places"]) == (45, 5)
        assert s.get(Clinic, "westmount").settings.get("notice_places") is None
    (changed,) = audit_lines(runtime, "settings.changed")
    assert changed.account_id == staff_ids["marc"]
    assert changed.channel == "staff"
    assert changed.detail["walkin_capacity"] == [30, 45]
    assert changed.detail["reception_number"] == ["+15145550199", "+15145550123"]
    assert changed.detail["reminder_days_before"] == [[1], [1, 3]]


def test_saving_the_same_values_changes_nothing_and_audits_no_change(console, runtime):
    sign_in(console, "marc")
    same = {**{k: str(v) for k, v in LOADED.items()}, "reminder_days_before": "1"}
    response = post(console, **same)
    assert "Aucune valeur n'a changé." in text_of(console.get(response.headers["Location"]))
    assert audit_lines(runtime, "settings.changed") == []


def test_an_empty_reception_number_means_no_transfer(console, runtime):
    sign_in(console, "marc")
    post(console, reception_number="")
    assert parc_values(runtime)["reception_number"] is None


def test_loading_the_clinics_file_puts_the_files_values_back(console, runtime):
    """What the page says is true: the file wins."""
    sign_in(console, "marc")
    post(console)
    with runtime.session_factory.begin() as s:
        load_clinics(s, EXAMPLE_FILE, runtime.now())
    assert parc_values(runtime) == LOADED


@pytest.mark.parametrize("login", ["julie", "wendy"])
def test_reception_and_the_other_clinics_manager_get_404(console, runtime, login):
    sign_in(console, login)
    assert console.get(PAGE).status_code == 404
    token = csrf(console, f"/staff/{'parc' if login == 'julie' else 'westmount'}/")
    response = console.post(PAGE, data={**CHANGED_FORM, "csrf_token": token})
    assert response.status_code == 404
    assert parc_values(runtime) == LOADED
    assert audit_lines(runtime, "settings.viewed") == []


def test_the_settings_link_is_for_managers_only(console):
    sign_in(console, "julie")
    assert 'id="nav-settings"' not in text_of(console.get("/staff/parc/"))


BAD = [
    ("walkin_capacity", "-1", "Un nombre entier de 0 à 10000."),
    ("walkin_capacity", "10001", "Un nombre entier de 0 à 10000."),
    ("walkin_capacity", "trente", "Un nombre entier de 0 à 10000."),
    ("walkin_capacity", "3.5", "Un nombre entier de 0 à 10000."),
    ("walkin_capacity", "٣٠", "Un nombre entier de 0 à 10000."),  # digits, but not 0-9
    ("walkin_capacity", "", "Un nombre entier de 0 à 10000."),
    ("walkin_minutes_per_patient", "0", "Un nombre entier de minutes de 1 à 240."),
    ("notice_places", "51", "Un nombre entier de 0 à 50."),
    ("notice_minutes", "9" * 400, "Un nombre entier de minutes de 0 à 240."),
    ("reminder_days_before", "0", "De un à trois nombres de jours différents, de 1 à 14"),
    ("reminder_days_before", "1, 2, 3, 4", "De un à trois nombres de jours différents, de 1 à 14"),
    ("reminder_days_before", "15", "De un à trois nombres de jours différents, de 1 à 14"),
    ("reminder_days_before", "", "De un à trois nombres de jours différents, de 1 à 14"),
    ("reception_number", "555", "Ce numéro de téléphone n'est pas valide"),
    ("reception_number", "+1514555\x000123", "Ce numéro de téléphone n'est pas valide"),
    ("default_lang", "de", "Choisissez le français ou l'anglais."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD)
def test_a_bad_value_is_refused_with_a_message_and_nothing_changes(console, runtime, field, value, message):
    sign_in(console, "marc")
    response = post(console, **{field: value})
    assert response.status_code == 400
    page = text_of(response)
    assert "Rien n'a été enregistré" in page
    assert message in page
    assert f'id="error-{field}"' in page
    assert page.count('class="notice error" id="error-') == 1
    assert parc_values(runtime) == LOADED
    assert audit_lines(runtime, "settings.changed") == []
    (refused,) = audit_lines(runtime, "settings.refused")
    assert refused.detail == {"fields": [field]}


def test_a_bad_value_is_explained_in_english_too(console, runtime):
    sign_in(console, "marc")
    console.get("/staff/parc/?lang=en")
    page = text_of(post(console, notice_places="many"))
    assert "Nothing was saved" in page
    assert "A whole number from 0 to 50." in page


def test_a_post_without_the_form_token_is_refused(console, runtime):
    sign_in(console, "marc")
    response = console.post(PAGE, data=CHANGED_FORM)
    assert response.status_code == 400
    assert 'id="error"' in text_of(response)
    assert parc_values(runtime) == LOADED
    assert audit_lines(runtime, "settings.changed") == []
