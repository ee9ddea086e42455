"""The clinic's waiting list on the console (reception): who waits for what, since and until when, what each
was offered and how it went; staff add a patient to the list or take one off it."""

from __future__ import annotations

import datetime as dt

from flask import abort, g, redirect, render_template, request, url_for
from flask_login import current_user

from core.models import WaitlistEntry
from core.services import audit, waitlist
from core.services.patients import try_normalize_phone
from core.timeutil import to_local
from core.webhooks import runtime
from prompts.format import format_date
from staff.routes import _desk_person, act, bp, clinic_or_404, owned_or_404, when_formatter, works_at_or_404

PARTS = ("morning", "afternoon")
WAITLIST_DAYS_AHEAD = 366


@bp.get("/<clinic_id>/waitlist")
def waitlist_page(clinic_id: str):
    rt = runtime()
    now = rt.now()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id)
        lang = g.staff_lang
        when = when_formatter(clinic, lang)
        lines = waitlist.clinic_list(s, clinic.id, now)
        rows = []
        for line in lines:
            entry = line.entry
            rows.append(
                {
                    "id": entry.id,
                    "person": entry.person.name or "—",
                    "phone": entry.patient.phone,
                    "wish": _wish_text(entry, lang, clinic.timezone),
                    "replaces": _replaces_text(s, entry, now, when, lang),
                    "joined": when(entry.joined_at, with_date=True),
                    "expires": format_date(_last_day(entry, clinic.timezone), lang),
                    "status": entry.status,
                    "offers": [
                        {
                            "when": when(starts_at, with_date=True) if starts_at else None,
                            "at": when(offer.created_at, with_date=True),
                            "kind": offer.kind,
                            "status": offer.status,
                        }
                        for offer, starts_at in line.offers
                    ],
                }
            )
        # Law 25: log who saw which patients' details.
        audit.record(
            s, "staff.viewed_waitlist", channel="staff", clinic_id=clinic.id, actor=current_user.actor
        )
        return render_template(
            "staff/waitlist.html",
            clinic=clinic,
            rows=rows,
            notice=request.args.get("notice"),
            weekdays=[d.strip() for d in _weekday_names(lang)],
        )


def _weekday_names(lang: str) -> list[str]:
    import prompts

    return prompts.render("waitlist_weekdays", lang, "sms").split(",")


def _last_day(entry: WaitlistEntry, tz: str) -> dt.date:
    return to_local(entry.expires_at - dt.timedelta(seconds=1), tz).date()


def _wish_text(entry: WaitlistEntry, lang: str, tz: str) -> str:
    if entry.kind == "walkin":
        import prompts

        return prompts.render("staff_waitlist_walkin", lang, "sms")
    return waitlist.describe_wish(entry.wish or {}, lang, tz)


def _replaces_text(s, entry: WaitlistEntry, now: dt.datetime, when, lang: str) -> str:
    """'pour avancer le RDV du jeu. 17 déc. 10 h': the appointment a waiting entry would move (else empty)."""
    if entry.status != waitlist.WAITING:
        return ""
    held = waitlist.held_appointment(s, entry, now)
    if held is None:
        return ""
    import prompts

    return prompts.render("earlier_staff_replaces", lang, "sms", when=when(held.starts_at, with_date=True))


def _form_wish(now: dt.datetime, tz: str) -> dict | None:
    """The wish typed on the form (days, part of the day, a last day); None when the date is not one."""
    wish: dict = {}
    days = sorted({int(d) for d in request.form.getlist("days") if d.isdigit() and 0 <= int(d) < 7})
    if days and len(days) < 7:
        wish["days"] = days
    part = request.form.get("part", "")
    if part in PARTS:
        wish["part"] = part
    before = request.form.get("before", "").strip()[:10]
    if before:
        try:
            day = dt.date.fromisoformat(before)
        except ValueError:
            return None
        today = to_local(now, tz).date()
        if not today <= day <= today + dt.timedelta(days=WAITLIST_DAYS_AHEAD):
            return None
        wish["na"] = day.isoformat()
    return wish


@bp.post("/<clinic_id>/waitlist/add")
def waitlist_add(clinic_id: str):
    """A patient at the desk or on the phone with a receptionist asks to be told when a slot frees."""
    phone = try_normalize_phone(request.form.get("phone"))
    if phone is None:
        works_at_or_404(clinic_id)
        return redirect(url_for("staff.waitlist_page", clinic_id=clinic_id, notice="bad_phone"))
    rt = runtime()
    with rt.session_factory() as s:
        clinic = clinic_or_404(s, clinic_id)
        wish = _form_wish(rt.now(), clinic.timezone)
    if wish is None:
        return redirect(url_for("staff.waitlist_page", clinic_id=clinic_id, notice="bad_date"))

    def action(s, clinic, now, actor):
        patient, person = _desk_person(s, phone, now)
        waitlist.join(s, clinic, patient, person, wish, "staff", now, actor=actor)

    return act(clinic_id, action, back="staff.waitlist_page")


@bp.post("/<clinic_id>/waitlist/<id:entry_id>/remove")
def waitlist_remove(clinic_id: str, entry_id: int):
    def action(s, clinic, now, actor):
        entry = owned_or_404(s, WaitlistEntry, entry_id, clinic)
        if entry.status != waitlist.WAITING:
            abort(404)
        waitlist.leave(s, entry, now, "staff", actor=actor)

    return act(clinic_id, action, back="staff.waitlist_page")
