"""The no-show loop: a patient running late tells the staff board; a no-show gets one message to rebook.

- `appointment_to_be_late_for` finds the appointment a "je serai en retard" is about (today's, by default),
  `record_late` writes the minutes on it for the day's board.
- `mark_no_show` is what staff do when a patient did not come: the status, and ONE message (SMS, or a call
  for a patient who takes calls only) with a way to rebook, planned in the same transaction as the mark
  (dedupe key per appointment; an opted-out number gets nothing).
- `no_show_history` is what staff see next to a patient on the day's board: past no-shows, count and dates.
  Nobody is ever blocked because of them: the line books whoever asks.

These functions take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.language.normalize import fold
from core.models import Appointment, AppointmentStatus, Clinic, OutboundMessage, Patient
from core.services import audit, board, booking, notifications, people
from core.services.clinics import local_now
from core.timeutil import local_day_bounds, to_local
from prompts.segments import gsm_fold
from prompts.sms import says_text

PURPOSE = "no_show"
STILL_EXPECTED = dt.timedelta(hours=2)  # an appointment this long past is not the one someone is late for
HISTORY_SHOWN = 5  # dates listed next to a patient; the count says the rest


def booked_on(session: Session, patient: Patient, clinic: Clinic, day: dt.date) -> list[Appointment]:
    """A patient's booked appointments at a clinic on one local day, in time order."""
    start, end = local_day_bounds(day, clinic.timezone)
    return list(
        session.scalars(
            select(Appointment)
            .where(
                Appointment.patient_id == patient.id,
                Appointment.clinic_id == clinic.id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at >= start,
                Appointment.starts_at < end,
            )
            .order_by(Appointment.starts_at)
        )
    )


def appointment_to_be_late_for(
    session: Session,
    patient: Patient,
    clinic: Clinic,
    now: dt.datetime,
    day: dt.date | None = None,
    name: str | None = None,
    mentioned: str | None = None,
) -> Appointment | None:
    """The appointment a phone running late means: the next one still expected that day (today unless they
    named another day), else the day's last; of the person named ("Léa sera en retard") when one of the
    day's appointments is theirs (`name`, or a first name found in the `mentioned` text). None when the phone
    has none that day."""
    day = day or local_now(clinic, now).date()
    appointments = booked_on(session, patient, clinic, day)
    if not appointments:
        return None
    person = _named(appointments, name, mentioned)
    if person is not None:
        appointments = [a for a in appointments if a.person_id == person.id]
    expected = [a for a in appointments if a.starts_at + STILL_EXPECTED >= now]
    return expected[0] if expected else appointments[-1]


def _named(appointments: list[Appointment], name: str | None, mentioned: str | None):
    """The person of one of these appointments a message names, if any (several people of one phone)."""
    persons = list({a.person_id: a.person for a in appointments if a.person is not None}.values())
    if len(persons) < 2:
        return None
    if name:
        return people.find_by_name(persons, name)
    words = set(fold(mentioned or "").replace("'", " ").split())
    found = [p for p in persons if p.first_name and fold(p.first_name) in words]
    return found[0] if len(found) == 1 else None


def next_appointment(
    session: Session, patient: Patient, clinic: Clinic, now: dt.datetime
) -> Appointment | None:
    """The patient's next booked appointment at this clinic, if any."""
    upcoming = booking.upcoming_appointments(session, patient, clinic, now)
    return upcoming[0] if upcoming else None


def record_late(
    session: Session,
    appointment: Appointment,
    minutes: int | None,
    now: dt.datetime,
    channel: str,
    actor: str | None = None,
) -> Appointment:
    """The patient is running late: by `minutes` (None: not said; a later message may say it)."""
    if minutes is not None or appointment.late_at is None:
        appointment.late_minutes = minutes
    appointment.late_at = now
    audit.record(
        session,
        "appointment.running_late",
        channel=channel,
        clinic_id=appointment.clinic_id,
        actor=actor,
        subject=f"appointment:{appointment.id}",
        minutes=minutes,
    )
    return appointment


def named_person(session: Session, appointment: Appointment) -> str | None:
    """The name to say in a message about this appointment: its person's, when the phone speaks for more than
    one person (a parent is told which child); None when the phone is one person's, or the name is unknown."""
    person = appointment.person
    if person is None or not person.name:
        return None
    return person.name if len(people.people_of(session, appointment.patient)) > 1 else None


# -- a no-show ------------------------------------------------------------------------------------------------


def mark_no_show(
    session: Session, clinic: Clinic, appointment_id: int, now: dt.datetime, actor: str
) -> OutboundMessage | None:
    """Staff mark a patient absent: the status, and the one message to rebook.

    Returns the message still to send (None when it was sent before or must not go); the caller writes
    its send job, due at `send_after`, into the same transaction (core.jobs.outbox).
    """
    appointment = board.mark_attendance(session, clinic, appointment_id, False, actor)
    message = no_show_message(session, appointment, now)
    if message.status != "pending" or message.attempts:
        return None
    session.flush()
    return message


def no_show_message(session: Session, appointment: Appointment, now: dt.datetime) -> OutboundMessage:
    """The message after a no-show (once per appointment): SMS, or a call for a patient who takes calls only.

    It goes inside 08:00–21:00 clinic time; an opted-out number is kept as not_sent and sent nothing.
    """
    clinic, patient = appointment.clinic, appointment.patient
    message = notifications.create_message(
        session,
        clinic=clinic,
        patient=patient,
        purpose=PURPOSE,
        subject=f"appointment:{appointment.id}",
        dedupe_key=f"{PURPOSE}:appointment:{appointment.id}",
        now=now,
        kind=notifications.reminder_kind(patient),
        send_after=notifications.next_send_window(clinic, now),
        appointment_id=appointment.id,
    )
    if message.status == "pending" and patient.opted_out:
        notifications._close(message, "not_sent", now, "patient opted out")
    elif message.status == "pending" and message.kind == "sms" and not message.body:
        message.body = no_show_text(session, appointment, message.lang or clinic.default_lang)
    return message


def no_show_text(session: Session, appointment: Appointment, lang: str) -> str:
    """The SMS after a no-show: the appointment missed (whose, on a phone of several people), how to rebook."""
    from core.dialog.types import Say  # the dialog package imports the services, not the other way

    clinic = appointment.clinic
    values = {
        "clinic": clinic.display_name(lang),
        "when": to_local(appointment.starts_at, clinic.timezone).replace(tzinfo=None),
        "phone": clinic.phone or notifications.sender_number(session, clinic.id) or "",
    }
    name = named_person(session, appointment)
    if name:  # a character GSM-7 lacks (ê, ô, È…) would make the whole SMS UCS-2: the name loses it
        return says_text([Say("notice_no_show_for", {"name": gsm_fold(name), **values})], lang)
    return says_text([Say("notice_no_show", values)], lang)


# -- what staff see ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoShows:
    """A patient's past no-shows at a clinic: how many, and the latest dates (clinic local)."""

    count: int
    dates: list[dt.date]


def no_show_history(
    session: Session, clinic: Clinic, patient_ids: list[int], before: dt.datetime
) -> dict[int, NoShows]:
    """Past no-shows (before `before`) at this clinic of each patient, by patient id; patients without none."""
    ids = sorted({p for p in patient_ids if p is not None})
    if not ids:
        return {}
    rows = session.execute(
        select(Appointment.patient_id, Appointment.starts_at)
        .where(
            Appointment.clinic_id == clinic.id,
            Appointment.patient_id.in_(ids),
            Appointment.status == AppointmentStatus.NO_SHOW,
            Appointment.starts_at < before,
        )
        .order_by(Appointment.starts_at.desc())
    ).all()
    found: dict[int, list[dt.date]] = {}
    for patient_id, starts_at in rows:
        found.setdefault(patient_id, []).append(to_local(starts_at, clinic.timezone).date())
    return {pid: NoShows(len(days), days[:HISTORY_SHOWN]) for pid, days in found.items()}
