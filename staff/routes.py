"""Console routes: sign in, today's board, and the few actions a receptionist needs.

Every page is scoped to the clinics of the signed-in account: a clinic the account has no role in, and any
ticket, appointment, callback or thread of another clinic, answer 404 (the same as an id that does not exist).
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_login import AnonymousUserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

import prompts
from core.errors import (
    AlreadyInQueue,
    DomainError,
    NoOneWaiting,
    NotInQueue,
    QueueFull,
    TooManyPeople,
    WalkinNotOpen,
)
from core.jobs import outbox
from core.jobs.names import CHECK_QUEUE_NOTICES, NOTIFY_CALLED, SEND_MESSAGE
from core.language.names import clean_name
from core.models import Appointment, CallbackRequest, Clinic, Person, StaffAccount, WalkinTicket
from core.services import (
    accounts,
    audit,
    board,
    booking,
    inbox,
    live_board,
    noshow,
    notifications,
    people,
    walkin,
)
from core.services.patients import find_patient, get_or_create_patient, mask_phone, try_normalize_phone
from core.timeutil import local_day_bounds, to_local
from core.webhooks import runtime
from prompts.format import format_date, format_time, format_when
from staff import security

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates", static_folder="static")
# Registered before the routes below, which use it: ids that no database row can have do not match (404).
bp.record_once(lambda state: state.app.url_map.converters.setdefault("id", security.RowId))

NAME_MAX = 120
DAYS_REACHABLE = 366  # the booking pages go a year back or forward; further is a mistyped date
OPEN_ENDPOINTS = ("staff.login", "staff.static")
# What a page polls by itself: it is not someone at the desk, so it does not keep an idle session alive.
PASSIVE_ENDPOINTS = ("staff.live_json", "staff.inbox_list_json", "staff.inbox_thread_json")


@bp.before_app_request
def _language():
    lang = request.args.get("lang") or session.get("lang")
    g.staff_lang = lang if lang in prompts.LANGS else "fr"
    if "lang" in request.args and request.blueprint == "staff":
        session["lang"] = g.staff_lang


@bp.before_request
def _guard():
    """Signed in (and not idle too long), the form token checked on posts, and audited as that account."""
    if request.endpoint in OPEN_ENDPOINTS and request.method == "GET":
        return None
    if request.method == "POST":
        current_app.extensions["csrf"].protect()
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("staff.login", next=request.path))
    if not security.idle_check(touch=request.endpoint not in PASSIVE_ENDPOINTS):
        return redirect(url_for("staff.login", notice="session_expired"))
    g.staff_user = current_user._get_current_object()
    security.act_as_signed_in()
    return None


bp.teardown_request(security.stop_acting)


@bp.after_app_request
def _headers(response):
    if request.blueprint == "staff" or request.path.startswith(bp.url_prefix + "/"):
        security.add_security_headers(response)
    return response


@bp.app_context_processor
def _helpers():
    lang = getattr(g, "staff_lang", "fr")
    return {
        "t": lambda key, **values: prompts.render(f"staff_{key}", lang, "sms", **values),
        "lang": lang,
        "mask": mask_phone,
        # Set by _guard once the account is loaded: an error page never loads it again (the database may be down).
        "user": g.get("staff_user") or AnonymousUserMixin(),
    }


# ---- errors: a page that says what was wrong ------------------------------------------------------------


def _error_page(status: int, reason: str):
    return render_template("staff/error.html", reason=reason, status=status), status


@bp.errorhandler(DBAPIError)
def _database_error(error):
    """Unreachable: say so. A value the database refuses (a NUL byte, an out-of-range number): a bad input."""
    # Flask-Login's template context would load the account again, from the database that just failed.
    g._login_user = g.get("staff_user") or AnonymousUserMixin()
    if isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated:
        return render_template("staff/unavailable.html"), 503
    if isinstance(error, DataError):
        return _error_page(400, "bad_input")
    raise error


@bp.errorhandler(CSRFError)
def _form_expired(_error):
    return _error_page(400, "form_expired")


@bp.app_errorhandler(404)
def _not_found(error):
    if not request.path.startswith(bp.url_prefix + "/"):
        return error
    return _error_page(404, "not_found")


@bp.errorhandler(400)
def _bad_request(error: HTTPException):
    reason = error.description if error.description in BAD_REQUESTS else "bad_input"
    return _error_page(400, reason)


@bp.errorhandler(429)
def _too_many_attempts(_error):
    seconds = security.retry_in_seconds()
    rt = runtime()
    at = to_local(rt.now() + dt.timedelta(seconds=seconds), "America/Toronto").time()
    return (
        render_template(
            "staff/login.html",
            error="too_many_attempts",
            error_values={"seconds": seconds, "time": format_time(at, g.staff_lang)},
        ),
        429,
    )


BAD_REQUESTS = ("bad_date", "date_out_of_range", "bad_input", "numbers_differ", "bad_phone")


# ---- signing in and out ------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with a named account (throttled per account and per address: see staff.security)."""
    if request.method == "GET":
        return render_template("staff/login.html", notice=request.args.get("notice"))
    rt = runtime()
    login_name = accounts.normalize_login(request.form.get("login", ""))
    with rt.session_factory.begin() as s:
        account = accounts.authenticate(s, login_name, request.form.get("password", ""))
        if account is None:
            audit.record(s, "staff.sign_in_failed", channel="staff", actor=login_name[:80] or None)
            failed = True
        else:
            audit.record(
                s, "staff.signed_in", channel="staff", actor=account.display_name[:80], account_id=account.id
            )
            user = security.StaffUser(account)
            failed = False
    if failed:
        return render_template(
            "staff/login.html", error="login_failed", login=login_name
        ), security.FAILED_SIGN_IN
    lang = session.get("lang")
    session.clear()  # a fresh session (and CSRF token) for the signed-in person
    if lang:
        session["lang"] = lang
    login_user(user)
    session["seen"] = rt.now().timestamp()
    session.permanent = True
    target = request.args.get("next", "")
    safe = target.startswith("/staff/") and not target.startswith("//") and "\\" not in target
    return redirect(target if safe else url_for("staff.home"))


@bp.post("/logout")
def logout():
    """Sign out: every cookie of this account stops working, this one and any copy of it."""
    rt = runtime()
    with rt.session_factory.begin() as s:
        account = s.get(StaffAccount, current_user.account_id)
        if account is not None:
            accounts.end_sessions(account)
            audit.record(s, "staff.signed_out", channel="staff", actor=current_user.actor)
    logout_user()
    session.clear()
    return redirect(url_for("staff.login", notice="signed_out"))


# ---- the clinic's day --------------------------------------------------------------------------------------


def clinic_or_404(s, clinic_id: str, role: str = "reception") -> Clinic:
    """The clinic, if the signed-in account works there with this role; otherwise as if it did not exist."""
    if not current_user.may(clinic_id, role):
        abort(404)
    return s.get(Clinic, clinic_id) or abort(404)


def works_at_or_404(clinic_id: str, role: str = "reception") -> None:
    """For answers that need no clinic row: the same 404 as clinic_or_404."""
    if not current_user.may(clinic_id, role):
        abort(404)


def owned_or_404(s, model, row_id: int, clinic: Clinic):
    """A row of this clinic; another clinic's row is not found."""
    row = s.get(model, row_id)
    if row is None or row.clinic_id != clinic.id:
        abort(404)
    return row


@bp.get("/")
def home():
    rt = runtime()
    with rt.session_factory() as s:
        clinics = [s.get(Clinic, c) for c in current_user.clinic_ids()]
        clinics = sorted((c for c in clinics if c is not None), key=lambda c: c.name)
        if len(clinics) == 1:
            return redirect(url_for("staff.day", clinic_id=clinics[0].id))
        return render_template("staff/home.html", clinics=clinics)


def when_formatter(clinic: Clinic, lang: str):
    def when(instant, with_date=False):
        local = to_local(instant, clinic.timezone)
        text = format_time(local.time(), lang)
        return f"{format_date(local.date(), lang)} {text}" if with_date else text

    return when


def no_show_context(s, clinic: Clinic, today: board.Board, lang: str) -> dict:
    """What the board's parts need to show each patient's past no-shows (count and dates) at this clinic."""
    patient_ids = [a.patient_id for a in today.appointments] + [p.ticket.patient_id for p in today.queue]
    start_of_day = local_day_bounds(today.day, clinic.timezone)[0]
    return {
        "no_shows": noshow.no_show_history(s, clinic, patient_ids, before=start_of_day),
        "date_list": lambda days: ", ".join(format_date(d, lang) for d in days),
    }


@bp.get("/<clinic_id>/")
def day(clinic_id: str):
    rt = runtime()
    now = rt.now()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id)
        today = board.todays_board(s, clinic, now)
        # Law 25: log who saw which patients' details.
        audited(s, "staff.viewed_day", clinic, subject=f"day:{today.day.isoformat()}")
        lang = g.staff_lang
        return render_template(
            "staff/day.html",
            desk=_desk_people(s, clinic, now),
            held=request.args.get("held", type=int),
            groups=walkin.group_leads(today.queue),
            board=today,
            **no_show_context(s, clinic, today, lang),
            clinic=clinic,
            when=when_formatter(clinic, lang),
            date_label=format_date(today.day, lang),
            notice=request.args.get("notice"),
            inbox_open=inbox.open_count(s, clinic.id),
            stamp=live_board.day_stamp(s, clinic, today.day),
            room=last_room(clinic.id),
        )


def audited(s, action: str, clinic: Clinic, **detail) -> None:
    """A staff member's view or action in the audit log, under their account."""
    audit.record(s, action, channel="staff", clinic_id=clinic.id, actor=current_user.actor, **detail)


def seen_people(s, clinic: Clinic, patient) -> list[Person]:
    """The people of a phone this clinic has seen, for staff to pick from; looking is logged (Law 25)."""
    known = people.known_at(s, patient, clinic.id)
    if known:
        audited(s, "staff.viewed_people", clinic, subject=f"patient:{patient.id}")
    return known


def _desk_people(s, clinic: Clinic, now) -> dict | None:
    """The people of the phone typed at the desk (?phone=…), each with today's number if they hold one."""
    phone = try_normalize_phone(request.args.get("phone"))
    if phone is None:
        return None
    patient = find_patient(s, phone)
    if patient is None:
        return {"phone": phone, "people": []}
    known = seen_people(s, clinic, patient)
    numbers = {t.person_id: t.number for t in walkin.active_tickets(s, clinic, patient, now)}
    return {"phone": phone, "people": [(p, numbers.get(p.id)) for p in known]}


def act(clinic_id: str, action, role: str = "reception", back: str = "staff.day", **back_args) -> object:
    """Run one console action and write its jobs in one transaction; errors become a notice."""
    rt = runtime()
    notice = "done"
    try:
        with rt.session_factory.begin() as s:
            clinic = clinic_or_404(s, clinic_id, role)
            jobs = action(s, clinic, rt.now(), current_user.actor) or []
            outbox.add_jobs(s, jobs, rt.now())  # the action's jobs commit with it
    except NoOneWaiting:
        notice = "no_one_waiting"
    except QueueFull:
        notice = "queue_full"
    except WalkinNotOpen:
        notice = "queue_not_open"
    except AlreadyInQueue:
        notice = "already_in_queue"
    except inbox.EmptyReply:
        notice = "empty_reply"
    except inbox.ThreadClosed:
        notice = "thread_closed"
    except DomainError:
        notice = "not_possible"
    outbox.kick(rt)
    return redirect(url_for(back, clinic_id=clinic_id, notice=notice, **back_args))


def last_room(clinic_id: str) -> str:
    """The room this browser last called a patient to, at this clinic (the call form starts with it)."""
    return session.get("rooms", {}).get(clinic_id, "")


@bp.post("/<clinic_id>/queue/next")
def call_next(clinic_id: str):
    room = live_board.clean_room(request.form.get("room"))
    if room is not None:
        session["rooms"] = {**session.get("rooms", {}), clinic_id: room}

    def action(s, clinic, now, actor):
        ticket = walkin.call_next(s, clinic, now, actor=actor, room=room)
        return [(NOTIFY_CALLED, ticket.id)]

    return act(clinic_id, action)


@bp.post("/<clinic_id>/queue/join")
def join_for_patient(clinic_id: str):
    """A patient at the desk (or on the phone with a receptionist) takes a number."""
    phone = try_normalize_phone(request.form.get("phone"))
    if phone is None:
        works_at_or_404(clinic_id)
        return redirect(url_for("staff.day", clinic_id=clinic_id, notice="bad_phone"))

    picked = request.form.get("person_id", "")
    typed = _typed_name()
    if typed and not picked.isdigit() and clean_name(typed) is None:  # emoji, digits, a sentence
        works_at_or_404(clinic_id)
        return redirect(url_for("staff.day", clinic_id=clinic_id, notice="bad_name", phone=phone))
    card, bad_card = _typed_card()
    if bad_card:
        works_at_or_404(clinic_id)
        return redirect(url_for("staff.day", clinic_id=clinic_id, notice="bad_card", phone=phone))
    held: dict[str, int] = {}

    def action(s, clinic, now, actor):
        patient = get_or_create_patient(s, phone)
        if picked.isdigit():  # a known person of this phone, picked from the list
            person = s.get(Person, int(picked))
            if person is None or person.patient_id != patient.id:
                raise NotInQueue(picked)  # not this phone's: nothing is added
        else:
            try:
                person = people.person_for(s, patient, typed or None, now, card=_card_for(clinic, card))
            except TooManyPeople:  # nothing was added: staff pick one of the phone's people instead
                held["too_many"] = True
                return []
        existing = walkin.active_ticket(s, clinic, patient, now, person=person)
        if existing is not None:
            held["number"] = existing.number
            raise AlreadyInQueue(existing.id)
        walkin.join_walkin_queue(s, clinic, patient, "staff", now, actor=actor, person=person)
        return [(CHECK_QUEUE_NOTICES, clinic.id)]

    done = act(clinic_id, action)
    if held.get("too_many"):
        return redirect(url_for("staff.day", clinic_id=clinic_id, notice="too_many_people", phone=phone))
    if held:  # that person already holds a number: say who and which, and keep the phone's people listed
        return redirect(
            url_for(
                "staff.day", clinic_id=clinic_id, notice="person_in_queue", held=held["number"], phone=phone
            )
        )
    return done


def _typed_name() -> str:
    return " ".join(request.form.get("name", "").split())[:NAME_MAX]


def _desk_person(s, phone: str, now):
    """The phone and the person staff are serving: the one of that phone with the name they typed (added
    when new), or the phone's first person when they typed none."""
    patient = get_or_create_patient(s, phone)
    return patient, people.person_for(s, patient, _typed_name() or None, now)


@bp.post("/<clinic_id>/tickets/<id:ticket_id>/<outcome>")
def finish_ticket(clinic_id: str, ticket_id: int, outcome: str):
    finish = {"served": walkin.mark_served, "no_show": walkin.mark_no_show}.get(outcome) or abort(404)

    def action(s, clinic, now, actor):
        owned_or_404(s, WalkinTicket, ticket_id, clinic)
        finish(s, ticket_id, now, actor=actor)

    return act(clinic_id, action)


@bp.post("/<clinic_id>/appointments/<id:appointment_id>/<outcome>")
def appointment_outcome(clinic_id: str, appointment_id: int, outcome: str):
    if outcome not in ("attended", "no_show", "cancel"):
        abort(404)

    def action(s, clinic, now, actor):
        owned_or_404(s, Appointment, appointment_id, clinic)
        if outcome == "cancel":
            booking.cancel(s, appointment_id, now, "staff", actor=actor)
            return [(e.job, *e.args) for e in notifications.staff_change_effects(appointment_id, "cancelled")]
        if outcome == "no_show":  # the one message to rebook commits with the mark (core/services/noshow.py)
            message = noshow.mark_no_show(s, clinic, appointment_id, now, actor)
            if message is not None:  # due at once, or at 08:00 when marked in the evening
                outbox.add(s, SEND_MESSAGE, message.id, now=now, at=message.send_after)
            return None
        board.mark_attendance(s, clinic, appointment_id, True, actor)

    return act(clinic_id, action)


def wished_day(clinic: Clinic, now) -> dt.date:
    """The day asked for in the query string, else today (clinic time); a bad or far-off date is a 400."""
    today = to_local(now, clinic.timezone).date()
    asked = request.args.get("date", "")
    if not asked:
        return today
    try:
        day = dt.date.fromisoformat(asked[:10]) if len(asked) == 10 else None
    except ValueError:
        day = None
    if day is None:
        abort(400, "bad_date")
    if abs((day - today).days) > DAYS_REACHABLE:
        abort(400, "date_out_of_range")
    return day


def _slot_choices(s, clinic: Clinic, now, day: dt.date, lang: str) -> list[tuple[int, str, str]]:
    """(slot id, time, practitioner) of the free slots of a day, for the booking and moving forms."""
    return [
        (slot.id, format_time(to_local(slot.starts_at, clinic.timezone).time(), lang), slot.practitioner.name)
        for slot in board.free_slots_of_day(s, clinic, day, now)
    ]


@bp.get("/<clinic_id>/book")
@bp.get("/<clinic_id>/appointments/<id:appointment_id>/move")
def slot_form(clinic_id: str, appointment_id: int | None = None):
    """Free slots of a day, to book for a patient on the phone or at the desk, or to move an appointment."""
    rt = runtime()
    now = rt.now()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id)
        moving = owned_or_404(s, Appointment, appointment_id, clinic) if appointment_id is not None else None
        day = wished_day(clinic, now)
        lang = g.staff_lang
        known = _known_people(s, clinic, request.args.get("phone", "")) if moving is None else []
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
            phone=request.args.get("phone", "")[:30],
            name=request.args.get("name", "")[:NAME_MAX],
            notice=request.args.get("notice"),
            known=known,
        )


def _known_people(s, clinic: Clinic, typed: str) -> list[tuple[int, str | None]]:
    """(id, name) of the people of a typed phone this clinic has seen, for staff to pick one (logged)."""
    phone = try_normalize_phone(typed[:30]) if typed else None
    patient = find_patient(s, phone) if phone else None
    if patient is None:
        return []
    return [(p.id, p.name) for p in seen_people(s, clinic, patient)]


def _typed_card() -> tuple[str | None, bool]:
    """The health card's last four digits typed at the desk, and whether something else was typed there."""
    typed = request.form.get("card", "")[:20]
    card = people.card_digits(typed)
    return card, bool(typed.strip()) and card is None


def _card_for(clinic: Clinic, card: str | None) -> str | None:
    """The digits, kept only where the clinic has turned the setting on."""
    return card if people.takes_card(clinic) else None


def _booking_person(s, clinic: Clinic, phone: str, now):
    """The phone and the person booked for: the one picked from the clinic's list, else the name typed (that
    phone's person with it, or a new one), else the phone's first person. A pick of another phone: 404."""
    picked = request.form.get("person", "")
    if picked.isdigit() and len(picked) < 19:
        patient = get_or_create_patient(s, phone)
        person = next((p for p in people.known_at(s, patient, clinic.id) if p.id == int(picked)), None)
        if person is None:
            abort(404)
        return patient, person
    patient = get_or_create_patient(s, phone)
    card, _ = _typed_card()
    return patient, people.person_for(s, patient, _typed_name() or None, now, card=_card_for(clinic, card))


def _booking_refusal(clinic_id: str, phone: str) -> str | None:
    """Why the form cannot book before trying: a new person without a name, or a ninth person for the phone."""
    if request.form.get("person") == "new" and not _typed_name():
        return "name_needed"
    if _typed_card()[1]:
        return "bad_card"
    if request.form.get("person", "").isdigit():
        return None
    if _typed_name() and clean_name(_typed_name()) is None:  # emoji, digits, a sentence
        return "bad_name"
    with runtime().session_factory() as s:
        patient = find_patient(s, phone)
        everyone = people.people_of(s, patient) if patient is not None else []
        name = _typed_name()
        if everyone and everyone[0].name is None and name:
            return None  # the first person gets the name
        if len(everyone) >= people.MAX_PEOPLE and not (name and people.find_by_name(everyone, name)):
            return "too_many_people"
    return None


@bp.post("/<clinic_id>/book")
def book_for_patient(clinic_id: str):
    phone = try_normalize_phone(request.form.get("phone"))
    if phone is None:
        works_at_or_404(clinic_id)
        return redirect(
            url_for(
                "staff.slot_form",
                clinic_id=clinic_id,
                notice="bad_phone",
                date=request.form.get("date", "")[:10],
                name=_typed_name(),  # capped: the redirect's header stays small
            )
        )

    works_at_or_404(clinic_id)
    refusal = _booking_refusal(clinic_id, phone)
    if refusal is not None:
        return redirect(
            url_for(
                "staff.slot_form",
                clinic_id=clinic_id,
                notice=refusal,
                date=request.form.get("date", "")[:10],
                phone=request.form.get("phone", "")[:30],
                name=_typed_name(),
            )
        )

    def action(s, clinic, now, actor):
        slot_id = request.form.get("slot_id", type=int)
        slot = s.get(booking.Slot, slot_id) if slot_id and 0 < slot_id < 2**63 else None
        if slot is None or slot.clinic_id != clinic.id:
            abort(404)
        patient, person = _booking_person(s, clinic, phone, now)
        appointment = booking.book(s, slot.id, patient, "staff", now, actor=actor, person=person)
        return [(e.job, *e.args) for e in notifications.staff_change_effects(appointment.id, "booked")]

    return act(clinic_id, action)


@bp.post("/<clinic_id>/appointments/<id:appointment_id>/move")
def move_appointment(clinic_id: str, appointment_id: int):
    def action(s, clinic, now, actor):
        owned_or_404(s, Appointment, appointment_id, clinic)
        slot_id = request.form.get("slot_id", type=int) or 0
        if not 0 < slot_id < 2**63:
            abort(404)
        new = booking.reschedule(s, appointment_id, slot_id, now, "staff", actor=actor)
        return [(e.job, *e.args) for e in notifications.staff_change_effects(new.id, "rescheduled")]

    return act(clinic_id, action)


@bp.post("/<clinic_id>/callbacks/<id:callback_id>/done")
def callback_done(clinic_id: str, callback_id: int):
    def action(s, clinic, now, actor):
        owned_or_404(s, CallbackRequest, callback_id, clinic)
        board.close_callback(s, clinic, callback_id, actor)

    return act(clinic_id, action)


# After the routes: the sign-in throttle wraps the login view, which must be registered by then.
bp.record_once(lambda state: security.init_app(state.app))
