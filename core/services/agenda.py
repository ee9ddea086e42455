"""Any day or week of a clinic's schedule, practitioner by practitioner: every slot, what holds it, who is booked.

A slot kept for a purpose (`Slot.pool`, when the schedule has pools) is shown as pooled while it is free:
the line never offers it to patients, staff may still book it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Appointment, AppointmentStatus, Clinic, Practitioner, Slot, SlotStatus
from core.timeutil import local_day_bounds, to_local

KINDS = ("booked", "free", "pooled", "held", "blocked")


def slot_kind(slot: Slot, now: dt.datetime) -> str:
    """What a slot is now: booked, free, pooled (free but kept for a purpose), held (for a moment), blocked."""
    status = slot.status
    if status == SlotStatus.HELD and (slot.held_until is None or slot.held_until <= now):
        status = SlotStatus.FREE  # a lapsed hold is free again, as booking sees it
    if status == SlotStatus.FREE:
        return "pooled" if getattr(slot, "pool", None) else "free"
    return status.value


@dataclass(frozen=True)
class SlotRow:
    slot: Slot
    kind: str
    appointment: Appointment | None

    @property
    def pool(self) -> str | None:
        return getattr(self.slot, "pool", None)


@dataclass
class Column:
    """One practitioner's day."""

    practitioner: Practitioner
    rows: list[SlotRow] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(row.kind for row in self.rows)


def _practitioners(session: Session, clinic: Clinic) -> list[Practitioner]:
    return list(
        session.scalars(
            select(Practitioner)
            .where(Practitioner.clinic_id == clinic.id, Practitioner.active.is_(True))
            .order_by(Practitioner.id)
        )
    )


def day_agenda(session: Session, clinic: Clinic, day: dt.date, now: dt.datetime) -> list[Column]:
    """Every slot of a local day per practitioner, with the appointment (not cancelled) that holds it."""
    start, end = local_day_bounds(day, clinic.timezone)
    columns = {p.id: Column(p) for p in _practitioners(session, clinic)}
    slots = session.scalars(
        select(Slot)
        .where(Slot.clinic_id == clinic.id, Slot.starts_at >= start, Slot.starts_at < end)
        .order_by(Slot.starts_at, Slot.practitioner_id)
    ).all()
    appointments = {
        a.slot_id: a
        for a in session.scalars(
            select(Appointment).where(
                Appointment.clinic_id == clinic.id,
                Appointment.starts_at >= start,
                Appointment.starts_at < end,
                Appointment.status != AppointmentStatus.CANCELLED,
            )
        )
    }
    for slot in slots:
        column = columns.get(slot.practitioner_id)
        if column is None:  # an inactive practitioner's slot: shown only when someone is booked in it
            if slot.id not in appointments:
                continue
            column = columns[slot.practitioner_id] = Column(slot.practitioner)
        appointment = appointments.get(slot.id)
        kind = "booked" if appointment is not None else slot_kind(slot, now)
        column.rows.append(SlotRow(slot, kind, appointment))
    return list(columns.values())


def week_of(day: dt.date) -> list[dt.date]:
    """The seven days, Monday first, of the week that holds `day`."""
    monday = day - dt.timedelta(days=day.weekday())
    return [monday + dt.timedelta(days=n) for n in range(7)]


def week_counts(
    session: Session, clinic: Clinic, days: list[dt.date], now: dt.datetime
) -> tuple[list[Practitioner], dict[tuple[int, dt.date], Counter]]:
    """Per practitioner and day, how many slots are booked, free, pooled, held, blocked (one query of slots)."""
    start, _ = local_day_bounds(days[0], clinic.timezone)
    _, end = local_day_bounds(days[-1], clinic.timezone)
    counts: dict[tuple[int, dt.date], Counter] = {}
    practitioners = _practitioners(session, clinic)
    for slot in session.scalars(
        select(Slot).where(Slot.clinic_id == clinic.id, Slot.starts_at >= start, Slot.starts_at < end)
    ):
        local_day = to_local(slot.starts_at, clinic.timezone).date()
        counts.setdefault((slot.practitioner_id, local_day), Counter())[slot_kind(slot, now)] += 1
    return practitioners, counts
