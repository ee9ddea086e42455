"""Console routes: sign in, today's board, and the few actions a receptionist needs."""

from __future__ import annotations

import functools
import hmac
import secrets

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from sqlalchemy import select

import prompts
from core.errors import DomainError, NoOneWaiting
from core.models import Clinic
from core.services import audit, board, booking, notifications, walkin
from core.services.patients import mask_phone
from core.timeutil import to_local
from core.webhooks import runtime
from prompts.format import format_date, format_time

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates", static_folder="static")

CALLED_JOB = "core.jobs.tasks.notify_called"


def staff_password() -> str:
    """The configured password, or one made up for this process (the serve command prints it)."""
    return current_app.config["STAFF_PASSWORD"]


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


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
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
    """Run one console action in its own transaction, then enqueue its jobs; errors become a notice."""
    rt = runtime()
    jobs: list[tuple] = []
    notice = "done"
    try:
        with rt.session_factory.begin() as s:
            clinic = s.get(Clinic, clinic_id) or abort(404)
            jobs = action(s, clinic, rt.now(), session["staff"]) or []
    except NoOneWaiting:
        notice = "no_one_waiting"
    except DomainError:
        notice = "not_possible"
    for job, *args in jobs:
        rt.jobs.enqueue(job, *args)
    return redirect(url_for("staff.day", clinic_id=clinic_id, notice=notice))


@bp.post("/<clinic_id>/queue/next")
@signed_in
def call_next(clinic_id: str):
    def action(s, clinic, now, actor):
        ticket = walkin.call_next(s, clinic, now, actor=actor)
        return [(CALLED_JOB, ticket.id)]

    return _act(clinic_id, action)


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


@bp.post("/<clinic_id>/callbacks/<int:callback_id>/done")
@signed_in
def callback_done(clinic_id: str, callback_id: int):
    return _act(
        clinic_id, lambda s, clinic, now, actor: board.close_callback(s, clinic, callback_id, actor) and None
    )
