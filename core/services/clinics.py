"""Clinics: finding one by phone number, its clock, its opening hours, and its slot calendar."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from core.models import Appointment, Clinic, ClinicNumber, OpeningHours, Slot, SlotStatus
from core.services.patients import try_normalize_phone
from core.timeutil import local_day_bounds, local_to_utc, to_local


def clinic_for_number(session: Session, number: str | None) -> Clinic | None:
    """The clinic that owns a Twilio number or a forwarded line."""
    e164 = try_normalize_phone(number)
    if e164 is None:
        return None
    return session.scalar(select(Clinic).join(ClinicNumber).where(ClinicNumber.number == e164))


def clinic_for_forwarded_line(session: Session, number: str | None) -> Clinic | None:
    """The clinic whose forwarded (overflow) line this is."""
    e164 = try_normalize_phone(number)
    if e164 is None:
        return None
    return session.scalar(
        select(Clinic).join(ClinicNumber).where(ClinicNumber.number == e164, ClinicNumber.kind == "forwarded")
    )


def local_now(clinic: Clinic, now: dt.datetime) -> dt.datetime:
    """The clinic's wall clock at an instant."""
    return to_local(now, clinic.timezone)


def periods(clinic: Clinic, kind: str, weekday: int) -> list[tuple[dt.time, dt.time]]:
    """The opening periods of a weekday, in order."""
    return sorted((h.opens, h.closes) for h in clinic.hours if h.kind == kind and h.weekday == weekday)


def is_open(clinic: Clinic, kind: str, now: dt.datetime) -> bool:
    """Whether the clinic is inside one of its periods of this kind at an instant."""
    local = local_now(clinic, now)
    return any(o <= local.time() < c for o, c in periods(clinic, kind, local.weekday()))


def next_opening(clinic: Clinic, kind: str, now: dt.datetime, within_days: int = 14) -> dt.datetime | None:
    """The next instant (UTC) a period of this kind starts, strictly after now."""
    local = local_now(clinic, now)
    for offset in range(within_days + 1):
        day = local.date() + dt.timedelta(days=offset)
        for opens, _closes in periods(clinic, kind, day.weekday()):
            start = local_to_utc(day, opens, clinic.timezone)
            if start > now:
                return start
    return None


def expected_slot_starts(clinic: Clinic, first_day: dt.date, days: int) -> set[tuple[int, dt.datetime]]:
    """(practitioner id, UTC start) of every slot the hours call for over the horizon."""
    length = dt.timedelta(minutes=clinic.slot_minutes)
    wanted = set()
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        for opens, closes in periods(clinic, "appointments", day.weekday()):
            start = dt.datetime.combine(day, opens)
            end = dt.datetime.combine(day, closes)
            while start + length <= end:
                at = local_to_utc(day, start.time(), clinic.timezone)
                wanted.update((p.id, at) for p in clinic.practitioners if p.active)
                start += length
    return wanted


def generate_slots(session: Session, clinic: Clinic, now: dt.datetime, days: int) -> tuple[int, int]:
    """Create the slots of a rolling horizon from the hours; returns (added, withdrawn).

    Booked and held slots are never touched; free slots that the hours no longer call for are withdrawn
    (deleted, or blocked when a past appointment still refers to them).
    """
    first_day = local_now(clinic, now).date()
    window_start, _ = local_day_bounds(first_day, clinic.timezone)
    _, window_end = local_day_bounds(first_day + dt.timedelta(days=days - 1), clinic.timezone)
    wanted = expected_slot_starts(clinic, first_day, days)
    existing = {
        (pid, at): (sid, status, ends)
        for sid, pid, at, ends, status in session.execute(
            select(Slot.id, Slot.practitioner_id, Slot.starts_at, Slot.ends_at, Slot.status).where(
                Slot.clinic_id == clinic.id, Slot.starts_at >= window_start, Slot.starts_at < window_end
            )
        )
    }
    length = dt.timedelta(minutes=clinic.slot_minutes)
    # A patient's time (booked or held) is never moved, and no free slot may overlap it: after a change
    # of slot length the practitioner must not end up with two patients in the same minutes.
    taken: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for (pid, at), (_sid, status, ends) in existing.items():
        if status in (SlotStatus.BOOKED, SlotStatus.HELD):
            taken.setdefault(pid, []).append((at, ends))

    def collides(pid: int, at: dt.datetime) -> bool:
        return any(start < at + length and at < ends for start, ends in taken.get(pid, ()))

    new, stale, resized = [], [], []
    for pid, at in sorted(wanted - existing.keys()):
        if not collides(pid, at):
            new.append(
                {
                    "clinic_id": clinic.id,
                    "practitioner_id": pid,
                    "starts_at": at,
                    "ends_at": at + length,
                    "status": SlotStatus.FREE,
                }
            )
    for (pid, at), (sid, status, ends) in existing.items():
        if status != SlotStatus.FREE:
            continue
        if (pid, at) not in wanted or collides(pid, at):
            stale.append(sid)
        elif ends != at + length:
            resized.append((sid, at + length))
    if new:
        session.execute(Slot.__table__.insert(), new)
    for sid, ends in resized:  # the slot length changed: a free slot takes the new one
        session.execute(
            update(Slot).where(Slot.id == sid).values(ends_at=ends),
            execution_options={"synchronize_session": False},
        )
    if stale:
        referenced = exists().where(Appointment.slot_id == Slot.id)
        session.execute(
            update(Slot).where(Slot.id.in_(stale), referenced).values(status=SlotStatus.BLOCKED),
            execution_options={"synchronize_session": False},
        )
        session.execute(
            delete(Slot).where(Slot.id.in_(stale), ~referenced),
            execution_options={"synchronize_session": False},
        )
    return len(new), len(stale)


def replace_hours(clinic: Clinic, kind: str, hours: list[tuple[int, dt.time, dt.time]]) -> None:
    """Set the opening periods of one kind, keeping rows that did not change."""
    current = {(h.weekday, h.opens, h.closes): h for h in clinic.hours if h.kind == kind}
    target = set(hours)
    for key, row in current.items():
        if key not in target:
            clinic.hours.remove(row)
    for weekday, opens, closes in sorted(target - current.keys()):
        clinic.hours.append(OpeningHours(kind=kind, weekday=weekday, opens=opens, closes=closes))
