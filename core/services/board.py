"""The day as the clinic's staff see it: today's queue, appointments, callback requests and messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.errors import AppointmentNotFound, CallbackNotFound
from core.models import (
    ACTIVE_TICKET_STATUSES,
    WAITING_TICKET_STATUSES,
    Appointment,
    AppointmentStatus,
    CallbackRequest,
    Clinic,
    OutboundMessage,
    Slot,
    TicketStatus,
    WalkinDay,
    WalkinTicket,
)
from core.services import audit, booking, walkin
from core.services.clinics import local_now
from core.timeutil import local_day_bounds


@dataclass(frozen=True)
class Board:
    """Everything the console shows for one clinic and one local day."""

    clinic: Clinic
    day: dt.date
    queue: list[walkin.Place]
    issued: int
    capacity: int
    appointments: list[Appointment]
    callbacks: list[CallbackRequest]
    messages: list[OutboundMessage]


def todays_board(session: Session, clinic: Clinic, now: dt.datetime, messages: int = 20) -> Board:
    """The queue in order, today's appointments, open callback requests and the latest messages."""
    day = local_now(clinic, now).date()
    queue_day = session.scalar(
        select(WalkinDay).where(WalkinDay.clinic_id == clinic.id, WalkinDay.day == day)
    )
    tickets = []
    if queue_day is not None:
        tickets = session.scalars(
            select(WalkinTicket)
            .where(
                WalkinTicket.walkin_day_id == queue_day.id, WalkinTicket.status.in_(ACTIVE_TICKET_STATUSES)
            )
            .order_by(WalkinTicket.number)
            .options(joinedload(WalkinTicket.patient), joinedload(WalkinTicket.person))
        ).all()
    start, end = local_day_bounds(day, clinic.timezone)
    appointments = session.scalars(
        select(Appointment)
        .where(
            Appointment.clinic_id == clinic.id,
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
            Appointment.status != AppointmentStatus.CANCELLED,
        )
        .order_by(Appointment.starts_at)
        # The live board renders this again on every change: one statement, not one per row.
        .options(
            joinedload(Appointment.patient),
            joinedload(Appointment.person),
            joinedload(Appointment.slot).joinedload(Slot.practitioner),
        )
    ).all()
    callbacks = session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.clinic_id == clinic.id, CallbackRequest.status == "open")
        .order_by(CallbackRequest.created_at)
    ).all()
    recent = session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.clinic_id == clinic.id)
        .order_by(OutboundMessage.created_at.desc())
        .limit(messages)
    ).all()
    return Board(
        clinic=clinic,
        day=day,
        queue=places_of(session, clinic, list(tickets), now),
        issued=queue_day.issued if queue_day else 0,
        capacity=queue_day.capacity if queue_day else clinic.walkin_capacity,
        appointments=list(appointments),
        callbacks=list(callbacks),
        messages=list(recent),
    )


def places_of(
    session: Session, clinic: Clinic, tickets: list[WalkinTicket], now: dt.datetime
) -> list[walkin.Place]:
    """Every active ticket's place, as walkin.place_in_queue gives it, from the list itself and one pace."""
    if not tickets:
        return []
    pace = walkin.minutes_per_patient(session, clinic, tickets[0].walkin_day_id)
    places, waiting_before = [], 0
    for ticket in sorted(tickets, key=lambda t: t.number):
        ahead = 0 if ticket.status == TicketStatus.CALLED else waiting_before
        places.append(walkin.Place(ticket, ahead, now + dt.timedelta(minutes=ahead * pace), pace))
        if ticket.status in WAITING_TICKET_STATUSES:
            waiting_before += 1
    return places


def mark_attendance(
    session: Session, clinic: Clinic, appointment_id: int, attended: bool, actor: str
) -> Appointment:
    """Record that a patient came (or did not) to a booked appointment."""
    appointment = session.get(Appointment, appointment_id)
    if (
        appointment is None
        or appointment.clinic_id != clinic.id
        or appointment.status
        not in (AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED, AppointmentStatus.NO_SHOW)
    ):
        raise AppointmentNotFound(appointment_id)
    appointment.status = AppointmentStatus.ATTENDED if attended else AppointmentStatus.NO_SHOW
    audit.record(
        session,
        f"appointment.{appointment.status.value}",
        channel="staff",
        clinic_id=clinic.id,
        actor=actor,
        subject=f"appointment:{appointment.id}",
    )
    return appointment


def close_callback(session: Session, clinic: Clinic, callback_id: int, actor: str) -> CallbackRequest:
    """Staff called the patient back."""
    request = session.get(CallbackRequest, callback_id)
    if request is None or request.clinic_id != clinic.id:
        raise CallbackNotFound(callback_id)
    request.status = "done"
    audit.record(
        session,
        "callback.done",
        channel="staff",
        clinic_id=clinic.id,
        actor=actor,
        subject=f"callback:{request.id}",
    )
    return request


def free_slots_of_day(session: Session, clinic: Clinic, day: dt.date, now: dt.datetime) -> list[Slot]:
    """Every slot of a local day that can still be booked, each practitioner's own, in time order."""
    start, end = local_day_bounds(day, clinic.timezone)
    return list(
        session.scalars(
            select(Slot)
            .where(
                Slot.clinic_id == clinic.id,
                Slot.starts_at >= start,
                Slot.starts_at > now,  # as booking.book requires: a slot starting this instant is gone
                Slot.starts_at < end,
                booking.bookable_now(now),
            )
            .order_by(Slot.starts_at, Slot.practitioner_id)
        )
    )
