"""A clinic's settings that its managers change at run time: walk-in queue, queue notices, reminders, reception."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from core.clinics_file import LANGUAGES
from core.services import audit
from core.services.patients import try_normalize_phone
from core.webhooks import runtime
from staff.routes import bp, clinic_or_404

MANAGER = "manager"
REMINDER_DAYS_MAX = 3  # reminders per appointment
TEXT_MAX = 40  # longer than any valid value: cut before parsing

# field -> (lowest, highest, default) for whole numbers; the clinics file's bounds where it has them
NUMBERS = {
    "walkin_capacity": (0, 10_000, 0),
    "walkin_minutes_per_patient": (1, 240, 15),
    "notice_places": (0, 50, 3),
    "notice_minutes": (0, 240, 30),
}
IN_SETTINGS = ("notice_places", "notice_minutes", "reminder_days_before")  # kept in Clinic.settings
REMINDER_DAYS = (1, 14)
FIELDS = (*NUMBERS, "reminder_days_before", "reception_number", "default_lang")


def current_values(clinic) -> dict:
    """The clinic's values as the services read them (their defaults where the clinic has none)."""
    settings = clinic.settings or {}
    return {
        "walkin_capacity": clinic.walkin_capacity,
        "walkin_minutes_per_patient": clinic.walkin_minutes_per_patient,
        "notice_places": int(settings.get("notice_places", NUMBERS["notice_places"][2])),
        "notice_minutes": int(settings.get("notice_minutes", NUMBERS["notice_minutes"][2])),
        "reminder_days_before": sorted({int(d) for d in settings.get("reminder_days_before", [1])}),
        "reception_number": clinic.reception_number,
        "default_lang": clinic.default_lang,
    }


def _whole(raw: str, low: int, high: int) -> int | None:
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if low <= value <= high else None


def _reminder_days(raw: str) -> list[int] | None:
    """'1' or '1, 3' -> [1, 3]: one to three distinct days before the appointment."""
    parts = [p for p in raw.replace(" ", ",").split(",") if p]
    days = [_whole(p, *REMINDER_DAYS) for p in parts]
    if not days or None in days or len(set(days)) > REMINDER_DAYS_MAX:
        return None
    return sorted(set(days))


def read_form(form) -> tuple[dict, dict[str, str]]:
    """The posted values and, per refused field, the reason's key (empty when all are valid)."""
    raw = {name: form.get(name, "")[:TEXT_MAX] for name in FIELDS}
    values: dict = {}
    errors: dict[str, str] = {}
    for name, (low, high, _default) in NUMBERS.items():
        values[name] = _whole(raw[name], low, high)
        if values[name] is None:
            errors[name] = "settings_bad_" + name
    values["reminder_days_before"] = _reminder_days(raw["reminder_days_before"])
    if values["reminder_days_before"] is None:
        errors["reminder_days_before"] = "settings_bad_reminder_days_before"
    number = raw["reception_number"].strip()
    values["reception_number"] = try_normalize_phone(number) if number else None
    if number and values["reception_number"] is None:
        errors["reception_number"] = "settings_bad_reception_number"
    values["default_lang"] = raw["default_lang"] if raw["default_lang"] in LANGUAGES else None
    if values["default_lang"] is None:
        errors["default_lang"] = "settings_bad_default_lang"
    return (raw if errors else values), errors


def apply_values(clinic, values: dict) -> dict[str, list]:
    """Store the values that differ; name -> [before, after] of each one changed."""
    before = current_values(clinic)
    changed = {name: [before[name], values[name]] for name in FIELDS if before[name] != values[name]}
    settings = dict(clinic.settings or {})  # a new dict: the JSON column sees the change
    for name in changed:
        if name in IN_SETTINGS:
            settings[name] = values[name]
        else:
            setattr(clinic, name, values[name])
    if any(name in IN_SETTINGS for name in changed):
        clinic.settings = settings
    return changed


def _page(clinic, values: dict, errors: dict[str, str], notice: str | None, status: int = 200):
    shown = dict(values)
    if isinstance(shown["reminder_days_before"], list):
        shown["reminder_days_before"] = ", ".join(str(d) for d in shown["reminder_days_before"])
    return (
        render_template(
            "staff/settings.html",
            clinic=clinic,
            values=shown,
            errors=errors,
            notice=notice,
            numbers=NUMBERS,
            reminder_days=REMINDER_DAYS,
            languages=LANGUAGES,
        ),
        status,
    )


@bp.get("/<clinic_id>/settings")
def clinic_settings(clinic_id: str):
    rt = runtime()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        audit.record(s, "settings.viewed", channel="staff", clinic_id=clinic.id, actor=current_user.actor)
        notice = request.args.get("notice")
        return _page(clinic, current_values(clinic), {}, notice if notice in NOTICES else None)


NOTICES = ("settings_saved", "settings_unchanged")


@bp.post("/<clinic_id>/settings")
def clinic_settings_save(clinic_id: str):
    """Validate every field; store and audit only when all are valid, else the page says what is wrong."""
    rt = runtime()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        values, errors = read_form(request.form)
        if errors:
            audit.record(
                s,
                "settings.refused",
                channel="staff",
                clinic_id=clinic.id,
                actor=current_user.actor,
                fields=sorted(errors),
            )
            return _page(clinic, values, errors, None, 400)
        changed = apply_values(clinic, values)
        if changed:
            audit.record(
                s,
                "settings.changed",
                channel="staff",
                clinic_id=clinic.id,
                actor=current_user.actor,
                subject=f"clinic:{clinic.id}",
                **changed,
            )
    notice = "settings_saved" if changed else "settings_unchanged"
    return redirect(url_for("staff.clinic_settings", clinic_id=clinic_id, notice=notice))
