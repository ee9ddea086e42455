"""Arranging the database around a test, and reading it back: the one way to book a slot, to fill a walk-in
queue or a day, and to read a patient's rows. Everything goes through the real services (booking, walk-in,
people), each call in a transaction of its own, as if an earlier conversation or the desk had done it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from core.jobs.names import SEND_MESSAGE
from core.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    OutboundMessage,
    OutboxJob,
    Patient,
    Practitioner,
    Slot,
    SlotStatus,
    WalkinTicket,
)
from core.services import booking, people, walkin
from core.services.patients import find_patient, get_or_create_patient
from core.timeutil import local_day_bounds, local_to_utc, to_local

QUEUE_PHONES = 5145560000  # fill_queue's people: +15145560000, +15145560001, …


def _free_slot(
    session,
    clinic: Clinic,
    *,
    day: dt.date | None,
    at: dt.time | None,
    nth: int,
    after: dt.datetime | None,
    practitioner: str | None,
    now: dt.datetime,
) -> Slot:
    # as booking.book requires: free, and not started (a slot starting this instant is gone)
    query = select(Slot).where(
        Slot.clinic_id == clinic.id, Slot.status == SlotStatus.FREE, Slot.starts_at > now
    )
    if day is not None and at is not None:
        query = query.where(Slot.starts_at == local_to_utc(day, at, clinic.timezone))
    elif day is not None:
        start, end = local_day_bounds(day, clinic.timezone)
        query = query.where(Slot.starts_at >= start, Slot.starts_at < end)
    if after is not None:
        query = query.where(Slot.starts_at >= after)
    if practitioner is not None:
        query = query.join(Practitioner).where(Practitioner.key == practitioner)
    found = session.scalars(query.order_by(Slot.starts_at, Slot.practitioner_id)).all()
    assert len(found) > nth, f"no free slot #{nth} at {clinic.id} (day {day}, at {at}, after {after})"
    return found[nth]


def book(
    runtime,
    phone: str,
    *,
    day: dt.date | None = None,
    at: dt.time | None = None,
    nth: int = 0,
    after: dt.datetime | None = None,
    clinic: str = "parc",
    person: str | None = None,
    lang: str | None = None,
    calls_only: bool = False,
    channel: str = "sms",
    practitioner: str | None = None,
    slot_id: int | None = None,
) -> Appointment:
    """Book a free slot for a phone (and one of its people, by name) through the booking service.

    The slot: `slot_id` (someone else takes the very slot a conversation offered), else the free one at `day`
    `at` (local time of the clinic), else the `nth` free slot of `day`, else the `nth` free slot from now on;
    always one that has not started, as booking requires. `after` (an instant) and `practitioner` (a key)
    narrow the choice. `person` is a name of the phone's people (added when new; none: its first person).
    `lang` sets the phone's language, `calls_only` makes it a number reached only by calls (a landline).
    Returns the appointment, detached: its id, code, slot and start are readable after the transaction.
    """
    now = runtime.now()
    with runtime.session_factory.begin() as session:
        if slot_id is None:
            where = session.get(Clinic, clinic)
            found = _free_slot(
                session, where, day=day, at=at, nth=nth, after=after, practitioner=practitioner, now=now
            )
            slot_id = found.id
        patient = get_or_create_patient(session, phone, lang)
        if lang is not None:
            patient.lang = lang
        if calls_only:
            patient.notify_by = "call"
        who = people.person_for(session, patient, person, now)
        appointment = booking.book(session, slot_id, patient, channel, now, person=who)
        session.flush()
        session.expunge(appointment)
        return appointment


def queue_phone(n: int) -> str:
    """The phone of fill_queue's nth person."""
    return f"+1{QUEUE_PHONES + n}"


def fill_queue(
    runtime,
    people_or_phones: int | list[str],
    *,
    clinic: str = "parc",
    notify_by: dict[str, str] | None = None,
    named: bool = False,
    channel: str = "sms",
) -> list[int]:
    """Put patients in today's walk-in queue, in order (a count: other patients, queue_phone(0), (1)…);
    `notify_by` maps a phone to how it wants its call; `named` names each "Patient <its last four digits>".
    Returns the ticket ids."""
    phones = (
        [queue_phone(n) for n in range(people_or_phones)]
        if isinstance(people_or_phones, int)
        else people_or_phones
    )
    with runtime.session_factory.begin() as session:
        where = session.get(Clinic, clinic)
        ids = []
        for phone in phones:
            patient = get_or_create_patient(session, phone)
            how = (notify_by or {}).get(phone)
            who = people.person_for(
                session, patient, f"Patient {phone[-4:]}" if named else None, runtime.now()
            )
            ticket = walkin.join_walkin_queue(
                session, where, patient, channel, runtime.now(), notify_by=how, person=who
            )
            ids.append(ticket.id)
        return ids


def fill_day(runtime, day: dt.date | None = None, *, clinic: str = "parc") -> None:
    """Every slot of a day (without a day: of the whole calendar) is taken, as by other patients."""
    with runtime.session_factory.begin() as session:
        query = update(Slot).where(Slot.clinic_id == clinic)
        if day is not None:
            start, end = local_day_bounds(day, session.get(Clinic, clinic).timezone)
            query = query.where(Slot.starts_at >= start, Slot.starts_at < end)
        session.execute(query.values(status=SlotStatus.BOOKED))


# ---- reading a patient's rows ------------------------------------------------------------------------------


def patient(runtime, phone: str) -> Patient | None:
    """The phone's patient row as stored now (detached), or None."""
    with runtime.session_factory() as session:
        found = find_patient(session, phone)
        if found is not None:
            session.expunge(found)
        return found


def appointments(
    runtime, phone: str | None = None, status: AppointmentStatus | None = None
) -> list[Appointment]:
    """A phone's appointments (without a phone: everyone's), soonest first, with their person loaded."""
    query = select(Appointment).options(selectinload(Appointment.person))
    if phone is not None:
        query = query.join(Patient).where(Patient.phone == phone)
    if status is not None:
        query = query.where(Appointment.status == status)
    with runtime.session_factory() as session:
        rows = list(session.scalars(query.order_by(Appointment.starts_at, Appointment.id)))
        session.expunge_all()
        return rows


def booked(runtime, phone: str | None = None) -> list[Appointment]:
    """A phone's appointments still booked, soonest first."""
    return appointments(runtime, phone, AppointmentStatus.BOOKED)


def tickets(runtime, phone: str | None = None) -> list[WalkinTicket]:
    """A phone's walk-in tickets (without a phone: everyone's), in the order they were taken."""
    query = select(WalkinTicket).options(selectinload(WalkinTicket.patient))
    if phone is not None:
        query = query.join(Patient).where(Patient.phone == phone)
    with runtime.session_factory() as session:
        rows = list(session.scalars(query.order_by(WalkinTicket.id)))
        session.expunge_all()
        return rows


def local_start(appointment: Appointment, tz: str = "America/Toronto") -> dt.datetime:
    """An appointment's start as a naive local wall-clock time."""
    return to_local(appointment.starts_at, tz).replace(tzinfo=None)


def booked_starts(runtime, phone: str) -> list[dt.datetime]:
    """The local starts of a phone's booked appointments, soonest first."""
    return [local_start(a) for a in booked(runtime, phone)]


def reminders(runtime, appointment_id: int) -> list[tuple[str, str, bool]]:
    """An appointment's planned reminders: (kind, status, whether an outbox row will send it), by send time."""
    with runtime.session_factory() as session:
        messages = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.appointment_id == appointment_id, OutboundMessage.purpose == "reminder")
            .order_by(OutboundMessage.send_after)
        ).all()
        sends = {
            (row.args or [None])[0]
            for row in session.scalars(select(OutboxJob).where(OutboxJob.job == SEND_MESSAGE)).all()
        }
        return [(m.kind, m.status, m.id in sends) for m in messages]
