"""Running late and a missed appointment, by text or by phone.

- "je serai en retard (de 10 min)", "chu en retard", "running late", "I'll be 10 min late" (the language
  layer's `late` / `late_minutes`, core/language/late.py): the appointment of today (or of the day named)
  is marked late on the staff board, the patient is told the clinic knows, and asked the minutes when they
  did not say them. No appointment that day: said politely, with the next one if any and the ways on.
- The call after a no-show (a patient who takes calls only; others get an SMS that says "reply RDV"):
  1 books another appointment, 2 says goodbye; a machine gets a voicemail with the number to call back.
"""

from __future__ import annotations

import datetime as dt

from core.dialog.book import appointment_when
from core.dialog.engine import PRIMED, STARTERS, Question, Turn, question, starter, yes_no
from core.dialog.heard import Heard
from core.dialog.people import need_phone, release_hold
from core.dialog.types import Choice, Reply, Say
from core.dialog.voicemail import callback_number, language_of, leave, local, voicemail
from core.flows import Flow
from core.language.late import minutes_answer
from core.models import Appointment, AppointmentStatus
from core.services import noshow

# The call after a missed appointment, and the call after the clinic cancelled one (a schedule change,
# core/services/schedule.py): both say which appointment and offer another.
PRIMED.update({Flow.NO_SHOW: "missed_rebook", Flow.SCHEDULE_CANCELLED: "missed_rebook"})


@starter("late")
def running_late(t: Turn, h: Heard | None) -> Reply:
    """The patient says they will be late: tell the board, answer them."""
    if h is not None:
        named = [who.name for who in (h.whom or ()) if who.name and not who.me]
        t.state.late = {  # kept while a hidden caller keys in their number
            "minutes": h.late_minutes,
            "day": h.date.isoformat() if h.date else None,
            "who": named[0] if named else None,
            "text": h.text[:200] or None,
        }
    waiting = need_phone(t, "late")
    if waiting is not None:
        return waiting
    release_hold(t)
    late, t.state.late = t.state.late or {}, None
    minutes, named, who, said = (late.get(key) for key in ("minutes", "day", "who", "text"))
    patient = t.patient(create=False)
    appointment = None
    if patient is not None:
        today = t.local_now.date()
        day = dt.date.fromisoformat(named) if named else today
        find = noshow.appointment_to_be_late_for
        appointment = find(t.session, patient, t.clinic, t.now, day, who, said)
        if appointment is None and day != today:
            appointment = find(t.session, patient, t.clinic, t.now, today, who, said)
    if appointment is None:
        return _none_that_day(t, patient)
    noshow.record_late(t.session, appointment, minutes, t.now, t.channel, actor=t.actor())
    if minutes is None:
        return t.ask("late_minutes", data={"appointment_id": appointment.id})
    return t.done(_noted(t, appointment, minutes))


def _noted(t: Turn, appointment: Appointment, minutes: int) -> Say:
    """What the patient is told; a phone of several people hears whose appointment it is."""
    values = {"minutes": minutes, "when": appointment_when(t, appointment)}
    name = noshow.named_person(t.session, appointment)
    if name:
        return Say("late_noted_for", values | {"name": name})
    return Say("late_noted", values)


def _none_that_day(t: Turn, patient) -> Reply:
    """No appointment to be late for: say so, with the next one if any, and what the patient can do."""
    t.audit("appointment.late_without_appointment")
    upcoming = noshow.next_appointment(t.session, patient, t.clinic, t.now) if patient is not None else None
    phone = t.clinic_phone()
    if upcoming is not None:
        return t.done(Say("late_none_today_next", {"when": appointment_when(t, upcoming), "phone": phone}))
    return t.done(Say("late_none_today", {"clinic": t.clinic_name(), "phone": phone}))


def _late_appointment(t: Turn) -> Appointment | None:
    appointment = t.session.get(Appointment, t.data.get("appointment_id"))
    patient = t.patient(create=False)
    if (
        appointment is None
        or patient is None
        or appointment.patient_id != patient.id
        or appointment.clinic_id != t.clinic.id
        or appointment.status != AppointmentStatus.BOOKED
    ):
        return None
    return appointment


def _minutes_recognise(t: Turn, h: Heard) -> object | None:
    if h.late_minutes:
        return h.late_minutes
    if h.keyed:
        value = int(h.digits) if h.digits.isdigit() else 0
        return value if 1 <= value <= 240 else None
    return minutes_answer(h.folded, h.lang or t.lang)


def _minutes_act(t: Turn, minutes: object) -> Reply:
    appointment = _late_appointment(t)
    if appointment is None:
        return t.done(Say("late_noted_plain"))
    noshow.record_late(t.session, appointment, int(minutes), t.now, t.channel, actor=t.actor())
    return t.done(_noted(t, appointment, int(minutes)))


question(
    Question(
        name="late_minutes",
        prompt="late_ask_minutes",
        retry="late_ask_minutes_retry",
        expects="any",
        recognise=_minutes_recognise,
        act=_minutes_act,
        hints="hints_late_minutes",
        max_digits=3,
        limit=2,
        exhausted=lambda t: t.done(Say("late_noted_plain")),  # the board already says "late"
        silent_end=lambda t: t.done(Say("late_noted_plain")),
        optional=True,  # "merci" leaves it: the clinic knows the patient is late
    )
)


# ---- the call after a no-show -------------------------------------------------------------------------------


def _missed(t: Turn) -> Appointment | None:
    appointment = t.session.get(Appointment, t.data.get("appointment_id"))
    if appointment is None or appointment.clinic_id != t.clinic.id:
        return None
    wanted = (
        AppointmentStatus.CANCELLED
        if t.state.primed == Flow.SCHEDULE_CANCELLED
        else AppointmentStatus.NO_SHOW
    )
    return appointment if appointment.status == wanted else None


@starter(Flow.NO_SHOW.opening, Flow.SCHEDULE_CANCELLED.opening)
def missed_call(t: Turn, _h: Heard | None) -> Reply:
    """The patient picked up our call after a missed appointment: another one?"""
    if _missed(t) is None:
        return t.end(Say("missed_gone", {"clinic": t.clinic_name()}))
    return t.ask("missed_rebook")


def _missed_values(t: Turn) -> dict:
    """The clinic, and the appointment missed (whose, on a phone of several people)."""
    appointment = _missed(t)
    if appointment is None:
        return {"clinic": t.clinic_name(), "missed": ""}
    when = appointment_when(t, appointment)
    name = noshow.named_person(t.session, appointment)
    kind = "cancelled" if appointment.status == AppointmentStatus.CANCELLED else "missed"
    if name:
        missed = Say(f"{kind}_person", {"name": name, "when": when})
    else:
        missed = Say(f"{kind}_you", {"when": when})
    return {"clinic": t.clinic_name(), "missed": missed}


def _missed_recognise(t: Turn, h: Heard) -> object | None:
    if h.intent == "book":
        return "yes"
    return yes_no(t, h)


def _missed_act(t: Turn, answer: object) -> Reply:
    if answer != "yes":
        return t.end(Say("missed_bye", {"clinic": t.clinic_name()}))
    after = "cancel" if t.state.primed == Flow.SCHEDULE_CANCELLED else "no_show"
    t.audit(f"appointment.rebook_after_{after}", subject=f"appointment:{t.data.get('appointment_id')}")
    t.state.data = {}
    return STARTERS["book"](t, None)


question(
    Question(
        name="missed_rebook",
        prompt="missed_prompt",
        retry="missed_retry",
        recognise=_missed_recognise,
        act=_missed_act,
        values=_missed_values,
        choices=lambda t: [
            Choice("1", Say("missed_choice_book"), "yes"),
            Choice("2", Say("missed_choice_no"), "no"),
        ],
        hints="hints_yes_no",
        exhausted=lambda t: t.end(Say("missed_bye", {"clinic": t.clinic_name()})),
        silent_end=lambda t: t.end(Say("missed_bye", {"clinic": t.clinic_name()})),
        silence_retry=True,
    )
)


@voicemail(Flow.NO_SHOW)
def missed_voicemail(session, appointment_id: int, now: dt.datetime) -> Reply | None:
    """On a machine: the appointment missed, and the number to call to book another one."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.status != AppointmentStatus.NO_SHOW:
        return None
    clinic = appointment.clinic
    lang = language_of(appointment.patient, clinic)
    values = {"when": local(clinic, appointment.starts_at), "phone": callback_number(clinic)}
    name = noshow.named_person(session, appointment)
    if name:
        return leave(clinic, lang, Say("voicemail_no_show_for", values | {"name": name}))
    return leave(clinic, lang, Say("voicemail_no_show", values))


@voicemail(Flow.SCHEDULE_CANCELLED)
def cancelled_voicemail(session, appointment_id: int, now: dt.datetime) -> Reply | None:
    """On a machine: the appointment the clinic cancelled, and the number to call to book another one."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.status != AppointmentStatus.CANCELLED:
        return None
    clinic = appointment.clinic
    lang = language_of(appointment.patient, clinic)
    values = {"when": local(clinic, appointment.starts_at), "phone": callback_number(clinic)}
    return leave(clinic, lang, Say("voicemail_schedule_cancelled", values))
