"""Schedule changes and visit reasons, for a clinic's managers.

- /staff/<clinic>/schedule: the coming changes (closure days, absences, extra time, the day's walk-in),
  forms to add them, the clinic's visit reasons and pools.
- /staff/<clinic>/schedule/<id>: one change and the appointments it hits; "cancel and tell the patients"
  cancels them all in one transaction (one SMS per patient, written to the outbox with it).

Every view that shows patients and every change is audited under the signed-in account.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, g, redirect, render_template, request, url_for
from flask_login import current_user

from core.clinics_file import KEY_CHARS, REASON_SLOTS_MAX
from core.jobs import outbox
from core.models import Practitioner, ScheduleChange, ScheduleKind
from core.services import schedule
from core.services.schedule import ScheduleChangeInvalid
from core.timeutil import to_local
from core.webhooks import runtime
from prompts.format import format_date, format_time
from staff.routes import audited as _audited
from staff.routes import bp, clinic_or_404

MANAGER = "manager"
TEXT_MAX = 200
NOTICES = (
    "schedule_added",
    "schedule_removed",
    "schedule_cancelled",
    "reason_saved",
    "reason_removed",
    "schedule_bad_day",
    "schedule_bad_time",
    "schedule_bad_times",
    "schedule_bad_past_day",
    "schedule_bad_practitioner",
    "schedule_bad_walkin_today",
    "schedule_bad_walkin_nothing",
    "schedule_bad_walkin_none",
    "schedule_bad_capacity",
    "schedule_bad_kind",
    "schedule_bad_not_found",
    "reason_bad_key",
    "reason_bad_label",
    "reason_bad_slots",
)


def _back(clinic_id: str, notice: str, change_id: int | None = None):
    if change_id is not None:
        return redirect(
            url_for("staff.schedule_change", clinic_id=clinic_id, change_id=change_id, notice=notice)
        )
    return redirect(url_for("staff.schedule_page", clinic_id=clinic_id, notice=notice))


def _notice() -> str | None:
    notice = request.args.get("notice")
    return notice if notice in NOTICES else None


def _time(raw: str) -> dt.time | None:
    """'14:30' or '14h30' or '9' -> time; '' -> None; anything else raises ScheduleChangeInvalid."""
    raw = raw.strip().lower().replace("h", ":").replace(" ", "")[:8]
    if not raw:
        return None
    if raw.endswith(":"):
        raw += "00"
    if raw.isdigit():
        raw += ":00"
    try:
        hours, minutes = (int(part) for part in raw.split(":"))
        return dt.time(hours, minutes)
    except ValueError:
        raise ScheduleChangeInvalid("time") from None


def _day(raw: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise ScheduleChangeInvalid("day") from None
    if not 2000 <= day.year <= 2100:
        raise ScheduleChangeInvalid("day")
    return day


def _practitioner(s, clinic, raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ScheduleChangeInvalid("practitioner")
    row = s.get(Practitioner, int(raw))
    if row is None or row.clinic_id != clinic.id:
        raise ScheduleChangeInvalid("practitioner")
    return row.id


def _capacity(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > 10_000:
        raise ScheduleChangeInvalid("capacity")
    return int(raw)


def _formatters(clinic, lang: str):
    def time_text(at: dt.time | None) -> str:
        return format_time(at, lang) if at else ""

    def when(instant) -> str:
        local = to_local(instant, clinic.timezone)
        return f"{format_date(local.date(), lang)} {format_time(local.time(), lang)}"

    return {"day_text": lambda d: format_date(d, lang), "time_text": time_text, "when": when}


# ---- the page ------------------------------------------------------------------------------------------------


@bp.get("/<clinic_id>/schedule")
def schedule_page(clinic_id: str):
    rt = runtime()
    now = rt.now()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        changes = schedule.upcoming_changes(s, clinic, now)
        hits = {c.id: len(schedule.appointments_hit(s, clinic, c, now)) for c in changes}
        _audited(s, "schedule.viewed", clinic)
        return render_template(
            "staff/schedule.html",
            clinic=clinic,
            changes=changes,
            hits=hits,
            practitioners=[p for p in clinic.practitioners if p.active],
            reasons=(clinic.settings or {}).get("reasons") or [],
            pools=(clinic.settings or {}).get("pools") or [],
            today=to_local(now, clinic.timezone).date(),
            notice=_notice(),
            slots_max=REASON_SLOTS_MAX,
            **_formatters(clinic, g.staff_lang),
        )


@bp.post("/<clinic_id>/schedule")
def schedule_add(clinic_id: str):
    """Add one change from the form of its kind; a bad field is a notice that says which, nothing stored."""
    rt = runtime()
    now = rt.now()
    form = {name: request.form.get(name, "")[:TEXT_MAX] for name in request.form}
    kind = form.get("kind", "")
    if kind not in {k.value for k in ScheduleKind}:
        clinic_or_404_only(clinic_id)
        return _back(clinic_id, "schedule_bad_kind")
    try:
        with rt.session_factory.begin() as s:
            clinic = clinic_or_404(s, clinic_id, MANAGER)
            today = to_local(now, clinic.timezone).date()
            change = schedule.add_change(
                s,
                clinic,
                kind,
                day=today if kind == "walkin" and not form.get("day") else _day(form.get("day", "")),
                now=now,
                horizon_days=rt.config.slot_horizon_days,
                practitioner_id=_practitioner(s, clinic, form.get("practitioner", "")),
                starts=_time(form.get("starts", "")),
                ends=_time(form.get("ends", "")),
                capacity=_capacity(form.get("capacity", "")),
                reason=form.get("reason"),
                reason_en=form.get("reason_en"),
                actor=current_user.actor,
            )
            change_id = change.id
    except ScheduleChangeInvalid as refused:
        return _back(clinic_id, f"schedule_bad_{refused.reason}")
    outbox.kick(rt)
    if kind in ("closure", "absence"):
        return _back(clinic_id, "schedule_added", change_id)
    return _back(clinic_id, "schedule_added")


def clinic_or_404_only(clinic_id: str) -> None:
    if not current_user.may(clinic_id, MANAGER):
        abort(404)


def _change_or_404(s, clinic, change_id: int) -> ScheduleChange:
    change = s.get(ScheduleChange, change_id)
    if change is None or change.clinic_id != clinic.id:
        abort(404)
    return change


@bp.get("/<clinic_id>/schedule/<id:change_id>")
def schedule_change(clinic_id: str, change_id: int):
    """One change and the appointments it hits (Law 25: the view is logged, with the appointments shown)."""
    rt = runtime()
    now = rt.now()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        change = _change_or_404(s, clinic, change_id)
        hit = schedule.appointments_hit(s, clinic, change, now)
        _audited(
            s,
            "schedule.viewed_change",
            clinic,
            subject=f"schedule_change:{change.id}",
            appointments=[a.id for a in hit],
        )
        return render_template(
            "staff/schedule_change.html",
            clinic=clinic,
            change=change,
            hit=hit,
            blocked=len(schedule.blocked_slot_ids(s, clinic, change)),
            notice=_notice(),
            cancelled=request.args.get("cancelled", type=int),
            unreached=request.args.get("unreached", type=int),
            **_formatters(clinic, g.staff_lang),
        )


@bp.post("/<clinic_id>/schedule/<id:change_id>/cancel")
def schedule_cancel_all(clinic_id: str, change_id: int):
    """Cancel every appointment the change hits and tell each patient once, in one transaction."""
    rt = runtime()
    now = rt.now()
    try:
        with rt.session_factory.begin() as s:
            clinic = clinic_or_404(s, clinic_id, MANAGER)
            _change_or_404(s, clinic, change_id)
            report = schedule.cancel_and_tell(s, clinic, change_id, now, current_user.actor)
    except ScheduleChangeInvalid as refused:
        return _back(clinic_id, f"schedule_bad_{refused.reason}", change_id)
    outbox.kick(rt)
    return redirect(
        url_for(
            "staff.schedule_change",
            clinic_id=clinic_id,
            change_id=change_id,
            notice="schedule_cancelled",
            cancelled=len(report.cancelled),
            unreached=len(report.not_reached),
        )
    )


@bp.post("/<clinic_id>/schedule/<id:change_id>/remove")
def schedule_remove(clinic_id: str, change_id: int):
    rt = runtime()
    now = rt.now()
    try:
        with rt.session_factory.begin() as s:
            clinic = clinic_or_404(s, clinic_id, MANAGER)
            _change_or_404(s, clinic, change_id)
            schedule.remove_change(s, clinic, change_id, now, rt.config.slot_horizon_days, current_user.actor)
    except ScheduleChangeInvalid as refused:
        return _back(clinic_id, f"schedule_bad_{refused.reason}")
    outbox.kick(rt)
    return _back(clinic_id, "schedule_removed")


# ---- visit reasons -------------------------------------------------------------------------------------------


def _reason_from(form, clinic) -> dict | str:
    """The reason a form describes, or the key of what is wrong with it."""
    key = form.get("key", "").strip().lower()[:40]
    if not key or not set(key) <= KEY_CHARS:
        return "reason_bad_key"
    label_fr = " ".join(form.get("fr", "").split())[:60]
    label_en = " ".join(form.get("en", "").split())[:60] or label_fr
    if not label_fr:
        return "reason_bad_label"
    slots = form.get("slots", "1").strip()
    if not slots.isascii() or not slots.isdigit() or not 1 <= int(slots) <= REASON_SLOTS_MAX:
        return "reason_bad_slots"
    keys = {p.key for p in clinic.practitioners if p.active}
    chosen = [k for k in form.getlist("practitioners") if k in keys]
    words = [w.strip()[:40] for w in form.get("words", "")[:TEXT_MAX].split(",") if w.strip()][:20]
    return {
        "key": key,
        "fr": label_fr,
        "en": label_en,
        "slots": int(slots),
        "practitioners": chosen if len(chosen) < len(keys) else [],
        "words": words,
    }


@bp.post("/<clinic_id>/schedule/reasons")
def reason_save(clinic_id: str):
    """Add a reason, or replace the one with the same key (the clinics file, loaded again, has the last word)."""
    rt = runtime()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        reason = _reason_from(request.form, clinic)
        if isinstance(reason, str):
            return _back(clinic_id, reason)
        settings = dict(clinic.settings or {})
        reasons = [r for r in settings.get("reasons") or [] if r.get("key") != reason["key"]]
        before = next((r for r in settings.get("reasons") or [] if r.get("key") == reason["key"]), None)
        if before is None:
            reasons.append(reason)
        else:
            index = [r.get("key") for r in settings["reasons"]].index(reason["key"])
            reasons.insert(index, reason)
        settings["reasons"] = reasons
        clinic.settings = settings
        _audited(
            s, "schedule.reason_saved", clinic, subject=f"reason:{reason['key']}", before=before, after=reason
        )
    return _back(clinic_id, "reason_saved")


@bp.post("/<clinic_id>/schedule/reasons/<key>/remove")
def reason_remove(clinic_id: str, key: str):
    rt = runtime()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        settings = dict(clinic.settings or {})
        reasons = settings.get("reasons") or []
        if not any(r.get("key") == key for r in reasons):
            abort(404)
        settings["reasons"] = [r for r in reasons if r.get("key") != key]
        clinic.settings = settings
        _audited(s, "schedule.reason_removed", clinic, subject=f"reason:{key[:40]}")
    return _back(clinic_id, "reason_removed")
