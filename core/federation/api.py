"""The read API for a clinic's own systems: its Slots and Appointments as FHIR search results."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.federation import fhir
from core.federation.publish import appointment_slots, booking_phone, walkin_slot
from core.models import Appointment, AppointmentStatus, Clinic
from core.timeutil import local_to_utc

LIMIT = 2000
_PREFIXED = re.compile(r"^(eq|ge|gt|le|lt)?(\d{4}-\d{2}-\d{2})(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$")
APPOINTMENT_STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.ATTENDED: "fulfilled",
    AppointmentStatus.NO_SHOW: "noshow",
}


class BadSearch(ValueError):
    """A search parameter the API does not understand; the message says which."""


def time_bounds(values: list[str], tz: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """FHIR date search values ('ge2026-12-07', 'lt2026-12-10T12:00:00-05:00') -> [from, until) in UTC."""
    low = high = None
    for value in values:
        match = _PREFIXED.match(value.strip())
        if not match:
            raise BadSearch(f"not a FHIR date search value: {value!r}")
        prefix, day, clock = match.group(1) or "eq", dt.date.fromisoformat(match.group(2)), match.group(3)
        if clock:
            moment = dt.datetime.fromisoformat(match.group(2) + clock.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = local_to_utc(moment.date(), moment.time(), tz)
            start = end = moment.astimezone(dt.UTC)
            end = start + dt.timedelta(seconds=1)
        else:
            start = local_to_utc(day, dt.time(0, 0), tz)
            end = local_to_utc(day + dt.timedelta(days=1), dt.time(0, 0), tz)
        if prefix in ("ge", "eq"):
            low = max(low, start) if low else start
        if prefix == "gt":
            low = max(low, end) if low else end
        if prefix in ("lt",):
            high = min(high, start) if high else start
        if prefix in ("le", "eq"):
            high = min(high, end) if high else end
    return low, high


def schedule_kind(clinic: Clinic, schedule: str | None) -> str:
    """'appointments' or 'walkin' for a `schedule` parameter of this clinic (Schedule/parc-appointments)."""
    if not schedule:
        return "appointments"
    wanted = schedule.split("/", 1)[1] if schedule.startswith("Schedule/") else schedule
    for kind in ("appointments", "walkin"):
        if wanted == f"{clinic.id}-{kind}":
            return kind
    raise BadSearch(f"no schedule {schedule!r} at this clinic")


def search_slots(
    session: Session,
    clinic: Clinic,
    now: dt.datetime,
    *,
    schedule: str | None,
    start: list[str],
    status: str | None,
) -> list:
    """The clinic's slots of one schedule, optionally by start time and status."""
    kind = schedule_kind(clinic, schedule)
    low, high = time_bounds(start, clinic.timezone)
    if kind == "walkin":
        today = walkin_slot(session, clinic, now, booking_phone(clinic))
        found = [fhir.as_dict(today)] if today is not None else []
    else:
        found = appointment_slots(session, clinic, now, low, high, limit=LIMIT)
    return [s for s in found if status is None or s["status"] == status]


def search_appointments(
    session: Session, clinic: Clinic, now: dt.datetime, *, date: list[str], status: str | None
) -> list:
    """The clinic's appointments (upcoming ones unless a date range is given)."""
    low, high = time_bounds(date, clinic.timezone)
    query = (
        select(Appointment)
        .where(Appointment.clinic_id == clinic.id, Appointment.starts_at >= (low or now))
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if high:
        query = query.where(Appointment.starts_at < high)
    wanted = {v: k for k, v in APPOINTMENT_STATUS.items()}
    if status:
        if status not in wanted:
            raise BadSearch(f"unknown appointment status {status!r}")
        query = query.where(Appointment.status == wanted[status])
    return [
        fhir.as_dict(
            fhir.appointment(
                id=f"{clinic.id}-{row.id}",
                status=APPOINTMENT_STATUS[row.status],
                start=fhir.instant(row.starts_at, clinic.timezone),
                end=fhir.instant(row.slot.ends_at, clinic.timezone),
                slot_id=f"{clinic.id}-{row.slot_id}",
                code=row.code,
                patient=row.person.name or "-",
                phone=row.patient.phone,
            )
        )
        for row in session.scalars(query.limit(LIMIT))
    ]
