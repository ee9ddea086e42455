"""Console routes: sign in, today's board, and the few actions a receptionist needs."""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import secrets

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

import prompts
from core.errors import AlreadyInQueue, DomainError, NoOneWaiting, QueueFull, WalkinNotOpen
from core.jobs import outbox
from core.models import Clinic
from core.services import audit, board, booking, notifications, walkin
from core.services.patients import get_or_create_patient, mask_phone, try_normalize_phone
from core.timeutil import to_local
from core.webhooks import runtime
from prompts.format import format_date, format_time, format_when

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates", static_folder="static")

CALLED_JOB = "core.jobs.tasks.notify_called"
QUEUE_NOTICES_JOB = "core.jobs.tasks.check_queue_notices"


def staff_password() -> str | None:
    """The configured password; without one the console stays closed."""
    return current_app.config.get("STAFF_PASSWORD")


@bp.before_app_request
def _language():
    lang = request.args.get("lang") or session.get("lang")
    g.staff_lang = lang if lang in prompts.LANGS else "fr"
    if "lang" in request.args:
        session["lang"] = g.staff_lang


@bp.app_context_processor
def _helpers():
    lang = getattr(g, "staff_lang", "fr")
    return {
        "t": lambda key, **values: prompts.render(f"staff_{key}", lang, "sms", **values),
        "lang": lang,
        "mask": mask_phone,
        "csrf_token": _csrf_token,
    }


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(16)
    return session["csrf"]


def signed_in(view):
    """Only signed-in staff; every form post carries the session's token."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if "staff" not in session:
            return redirect(url_for("staff.login", next=request.path))
        if request.method == "POST" and not hmac.compare_digest(
            request.form.get("csrf", ""), session.get("csrf", "")
        ):
            abort(400)
        return view(*args, **kwargs)

    return wrapper


@bp.errorhandler(DBAPIError)
def _database_down(_error):
    """The console says the database is unreachable instead of showing an error page."""
    return render_template("staff/unavailable.html"), 503


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if not staff_password():
        return render_template("staff/login.html", error="not_configured", closed=True), 503
    if request.method == "POST":
        name = request.form.get("name", "").strip()[:60]
        password = request.form.get("password", "")
        if name and hmac.compare_digest(password.encode(), staff_password().encode()):
            session.clear()
            session["staff"] = name
            _csrf_token()
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/staff/") else url_for("staff.home"))
        error = "login_failed"
    return render_template("staff/login.html", error=error)


@bp.post("/logout")
@signed_in
def logout():
    session.clear()
    return redirect(url_for("staff.login"))


@bp.get("/")
@signed_in
def home():
    rt = runtime()
    with rt.session_factory() as s:
        clinics = s.scalars(select(Clinic).order_by(Clinic.name)).all()
        if len(clinics) == 1:
            return redirect(url_for("staff.day", clinic_id=clinics[0].id))
        return render_template("staff/home.html", clinics=clinics)


@bp.get("/<clinic_id>/")
@signed_in
def day(clinic_id: str):
    rt = runtime()
    now = rt.now()
    with rt.session_factory.begin() as s:
        clinic = s.get(Clinic, clinic_id) or abort(404)
        today = board.todays_board(s, clinic, now)
        # Law 25: log who saw which patients' details.
        audit.record(
            s,
            "staff.viewed_day",
            channel="staff",
            clinic_id=clinic.id,
            actor=session["staff"],
            subject=f"day:{today.day.isoformat()}",
        )
        lang = g.staff_lang

        def when(instant, with_date=False):
            local = to_local(instant, clinic.timezone)
            text = format_time(local.time(), lang)
            return f"{format_date(local.date(), lang)} {text}" if with_date else text

        return render_template(
            "staff/day.html",
            board=today,
            clinic=clinic,
            when=when,
            date_label=format_date(today.day, lang),
            notice=request.args.get("notice"),
        )


def _act(clinic_id: str, action) -> object:
    """Run one console action and write its jobs in one transaction; errors become a notice."""
    rt = runtime()
    notice = "done"
    try:
        with rt.session_factory.begin() as s:
            clinic = s.get(Clinic, clinic_id) or abort(404)
            jobs = action(s, clinic, rt.now(), session["staff"]) or []
            outbox.add_jobs(s, jobs, rt.now())  # the action's jobs commit with it
    except NoOneWaiting:
        notice = "no_one_waiting"
    except QueueFull:
        notice = "queue_full"
    except WalkinNotOpen:
        notice = "queue_not_open"
    except AlreadyInQueue:
        notice = "already_in_queue"
    except DomainError:
        notice = "not_possible"
    outbox.kick(rt)
    return redirect(url_for("staff.day", clinic_id=clinic_id, notice=notice))


@bp.post("/<clinic_id>/queue/next")
@signed_in
def call_next(clinic_id: str):
    def action(s, clinic, now, actor):
        ticket = walkin.call_next(s, clinic, now, actor=actor)
        return [(CALLED_JOB, ticket.id)]

    return _act(clinic_id, action)


@bp.post("/<clinic_id>/queue/join")
@signed_in
def join_for_patient(clinic_id: str):
    """A patient at the desk (or on the phone with a receptionist) takes a number."""
    phone = try_normalize_phone(request.form.get("phone"))
    if phone is None:
        return redirect(url_for("staff.day", clinic_id=clinic_id, notice="bad_phone"))

    def action(s, clinic, now, actor):
        patient = _desk_patient(s, phone)
        walkin.join_walkin_queue(s, clinic, patient, "staff", now, actor=actor)
        return [(QUEUE_NOTICES_JOB, clinic.id)]

    return _act(clinic_id, action)


def _desk_patient(s, phone: str):
    """The patient staff are serving, with the name they typed (when they typed one)."""
    patient = get_or_create_patient(s, phone)
    name = request.form.get("name", "").strip()[:120]
    if name:
        patient.name = name
    return patient


@bp.post("/<clinic_id>/tickets/<int:ticket_id>/<outcome>")
@signed_in
def finish_ticket(clinic_id: str, ticket_id: int, outcome: str):
    finish = {"served": walkin.mark_served, "no_show": walkin.mark_no_show}.get(outcome) or abort(404)

    def action(s, clinic, now, actor):
        ticket = s.get(walkin.WalkinTicket, ticket_id)
        if ticket is None or ticket.clinic_id != clinic.id:
            abort(404)
        finish(s, ticket_id, now, actor=actor)

    return _act(clinic_id, action)


@bp.post("/<clinic_id>/appointments/<int:appointment_id>/<outcome>")
@signed_in
def appointment_outcome(clinic_id: str, appointment_id: int, outcome: str):
    if outcome not in ("attended", "no_show", "cancel"):
        abort(404)

    def action(s, clinic, now, actor):
        if outcome == "cancel":
            appointment = s.get(booking.Appointment, appointment_id)
            if appointment is None or appointment.clinic_id != clinic.id:
                abort(404)
            booking.cancel(s, appointment_id, now, "staff", actor=actor)
            return [(e.job, *e.args) for e in notifications.staff_change_effects(appointment_id, "cancelled")]
        board.mark_attendance(s, clinic, appointment_id, outcome == "attended", actor)

    return _act(clinic_id, action)


def _wished_day(clinic: Clinic, now) -> dt.date:
    """The day asked for in the query string, else today (clinic time)."""
    try:
        return dt.date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return to_local(now, clinic.timezone).date()


def _slot_choices(s, clinic: Clinic, now, day: dt.date, lang: str) -> list[tuple[int, str, str]]:
    """(slot id, time, practitioner) of the free slots of a day, for the booking and moving forms."""
    return [
        (slot.id, format_time(to_local(slot.starts_at, clinic.timezone).time(), lang), slot.practitioner.name)
        for slot in board.free_slots_of_day(s, clinic, day, now)
    ]


@bp.get("/<clinic_id>/book")
@bp.get("/<clinic_id>/appointments/<int:appointment_id>/move")
@signed_in
def slot_form(clinic_id: str, appointment_id: int | None = None):
    """Free slots of a day, to book for a patient on the phone or at the desk, or to move an appointment."""
    rt = runtime()
    now = rt.now()
    with rt.session_factory() as s:
        clinic = s.get(Clinic, clinic_id) or abort(404)
        moving = None
        if appointment_id is not None:
            moving = s.get(booking.Appointment, appointment_id)
            if moving is None or moving.clinic_id != clinic.id:
                abort(404)
        day = _wished_day(clinic, now)
        lang = g.staff_lang
        return render_template(
            "staff/slots.html",
            clinic=clinic,
            day=day,
            date_label=format_date(day, lang),
            slots=_slot_choices(s, clinic, now, day, lang),
            moving=moving,
            moving_when=format_when(to_local(moving.starts_at, clinic.timezone), lang) if moving else None,
            previous=day - dt.timedelta(days=1),
            following=day + dt.timedelta(days=1),
            phone=request.args.get("phone", ""),
            name=request.args.get("name", ""),
            notice=request.args.get("notice"),
        )


@bp.post("/<clinic_id>/book")
@signed_in
def book_for_patient(clinic_id: str):
    phone = try_normalize_phone(request.form.get("phone"))
    if phone is None:
        return redirect(
            url_for(
                "staff.slot_form",
                clinic_id=clinic_id,
                notice="bad_phone",
                date=request.form.get("date", ""),
                name=request.form.get("name", ""),
            )
        )

    def action(s, clinic, now, actor):
        slot_id = request.form.get("slot_id", type=int)
        slot = s.get(booking.Slot, slot_id) if slot_id else None
        if slot is None or slot.clinic_id != clinic.id:
            abort(404)
        appointment = booking.book(s, slot.id, _desk_patient(s, phone), "staff", now, actor=actor)
        return [(e.job, *e.args) for e in notifications.staff_change_effects(appointment.id, "booked")]

    return _act(clinic_id, action)


@bp.post("/<clinic_id>/appointments/<int:appointment_id>/move")
@signed_in
def move_appointment(clinic_id: str, appointment_id: int):
    def action(s, clinic, now, actor):
        appointment = s.get(booking.Appointment, appointment_id)
        if appointment is None or appointment.clinic_id != clinic.id:
            abort(404)
        slot_id = request.form.get("slot_id", type=int) or 0
        new = booking.reschedule(s, appointment_id, slot_id, now, "staff", actor=actor)
        return [(e.job, *e.args) for e in notifications.staff_change_effects(new.id, "rescheduled")]

    return _act(clinic_id, action)


@bp.post("/<clinic_id>/callbacks/<int:callback_id>/done")
@signed_in
def callback_done(clinic_id: str, callback_id: int):
    return _act(
        clinic_id, lambda s, clinic, now, actor: board.close_callback(s, clinic, callback_id, actor) and None
    )
