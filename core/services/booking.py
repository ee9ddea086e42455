"""Appointments: free slots, holds, booking, cancelling, rescheduling, a patient's upcoming list."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, replace

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from core.errors import AppointmentNotCancellable, AppointmentNotFound, SlotNotFound, SlotTaken
from core.models import Appointment, AppointmentStatus, Channel, Clinic, Patient, Slot, SlotStatus
from core.services import audit, notifications
from core.timeutil import PARTS_OF_DAY, in_part_of_day, local_day_bounds, local_to_utc, to_local

CODE_DIGITS = 6


@dataclass(frozen=True)
class SlotQuery:
    """What the patient asked for; every field is optional."""

    date: dt.date | None = None
    part_of_day: str | None = None
    after: dt.time | None = None  # local time: "after 3"
    at: dt.time | None = None  # local time: "at 14:30" (the nearest slots to it come first)
    practitioner_id: int | None = None
    not_before: dt.datetime | None = None  # UTC instant, e.g. "others, later than the last one offered"
    before: dt.time | None = None  # local time: "avant midi", "before 3" (a slot must start before it)
    not_after: dt.date | None = None  # local day: "au plus tard vendredi" (inclusive)


@dataclass(frozen=True)
class FreeSlots:
    """Slots to offer; `exact` is False when nothing matched and these are the nearest alternatives."""

    slots: list[Slot]
    exact: bool


def bookable_now(now: dt.datetime, holder: str | None = None):
    """SQL condition: the slot can be taken now (free, or its hold expired, or held by this holder)."""
    held_ok = Slot.held_until < now
    if holder:
        held_ok = or_(held_ok, Slot.held_by == holder)
    return or_(Slot.status == SlotStatus.FREE, and_(Slot.status == SlotStatus.HELD, held_ok))


def _matches(slot: Slot, clinic: Clinic, query: SlotQuery) -> bool:
    local = to_local(slot.starts_at, clinic.timezone)
    if query.date and local.date() != query.date:
        return False
    if query.after and local.time() < query.after:
        return False
    if query.before and local.time() >= query.before:
        return False
    if query.not_after and local.date() > query.not_after:
        return False
    return in_part_of_day(local.time(), query.part_of_day)


def _distinct_times(slots: list[Slot], limit: int) -> list[Slot]:
    """One slot per start time: a patient chooses a time, not a practitioner (unless asked)."""
    seen, result = set(), []
    for slot in slots:
        if slot.starts_at not in seen:
            seen.add(slot.starts_at)
            result.append(slot)
            if len(result) == limit:
                break
    return result


def _target(clinic: Clinic, query: SlotQuery, now: dt.datetime) -> dt.datetime:
    """The instant the patient's wish points at, to rank alternatives by nearness."""
    local_now = to_local(now, clinic.timezone)
    day = query.date or local_now.date()
    at = query.at or query.after
    if at is None and query.part_of_day in PARTS_OF_DAY:
        start, _end = PARTS_OF_DAY[query.part_of_day]
        at = max(start, dt.time(8, 0)) if query.part_of_day == "morning" else start
    target = local_to_utc(day, at or dt.time(8, 0), clinic.timezone)
    return max(target, now)


def find_free_slots(
    session: Session,
    clinic: Clinic,
    now: dt.datetime,
    query: SlotQuery = SlotQuery(),
    limit: int = 3,
    horizon_days: int = 30,
    holder: str | None = None,
) -> FreeSlots:
    """The first free slots matching the wish, or the nearest alternatives when nothing matches."""
    earliest = max(now, query.not_before) if query.not_before else now
    base = (
        select(Slot)
        .where(Slot.clinic_id == clinic.id, Slot.starts_at > earliest, bookable_now(now, holder))
        .order_by(Slot.starts_at, Slot.practitioner_id)
    )
    if query.practitioner_id:
        base = base.where(Slot.practitioner_id == query.practitioner_id)
    if query.date:
        start, end = local_day_bounds(query.date, clinic.timezone)
        candidates = session.scalars(base.where(Slot.starts_at >= start, Slot.starts_at < end)).all()
    else:
        horizon = now + dt.timedelta(days=horizon_days)
        candidates = session.scalars(base.where(Slot.starts_at < horizon)).all()
    matching = [s for s in candidates if _matches(s, clinic, query)]
    if query.at:
        wanted = query.at.hour * 60 + query.at.minute

        def distance(slot: Slot) -> int:
            local = to_local(slot.starts_at, clinic.timezone)
            return abs(local.hour * 60 + local.minute - wanted)

        matching = sorted(_distinct_times(matching, len(matching)), key=distance)[:limit]
        matching.sort(key=lambda s: s.starts_at)
    if matching:
        return FreeSlots(_distinct_times(matching, limit), exact=True)
    return FreeSlots(_nearest(session, clinic, now, query, base, limit, horizon_days), exact=False)


def _nearest(session, clinic, now, query, base, limit, horizon_days) -> list[Slot]:
    """The free slots nearest the wish, in time order.

    A wish for a time of day ("tomorrow after 3", "Friday morning") is kept on other days before it is
    given up: the nearest day with such slots wins, and within it the times nearest the wish.
    """
    target = _target(clinic, query, now)
    window = session.scalars(
        base.where(
            Slot.starts_at >= target - dt.timedelta(days=7), Slot.starts_at < target + dt.timedelta(days=14)
        )
    ).all()
    if not window:  # nothing near the wish: the first free slots at all
        window = session.scalars(base.where(Slot.starts_at < now + dt.timedelta(days=horizon_days))).all()
    candidates = _distinct_times(window, len(window))
    if query.date and (query.after or query.part_of_day or query.at):
        any_day = replace(query, date=None)
        same_time_of_day = [s for s in candidates if _matches(s, clinic, any_day)]
        if same_time_of_day:
            local_target = to_local(target, clinic.timezone)
            wished = local_target.hour * 60 + local_target.minute

            def day_then_time(slot: Slot) -> tuple[int, int]:
                local = to_local(slot.starts_at, clinic.timezone)
                return abs((local.date() - query.date).days), abs(local.hour * 60 + local.minute - wished)

            return sorted(sorted(same_time_of_day, key=day_then_time)[:limit], key=lambda s: s.starts_at)
    nearest = sorted(candidates, key=lambda s: abs((s.starts_at - target).total_seconds()))
    return sorted(nearest[:limit], key=lambda s: s.starts_at)


def hold_slot(session: Session, slot_id: int, holder: str, now: dt.datetime, minutes: int = 5) -> Slot:
    """Hold a slot for a few minutes while the patient confirms; SlotTaken if someone else has it."""
    result = session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.starts_at > now, bookable_now(now, holder))
        .values(status=SlotStatus.HELD, held_by=holder, held_until=now + dt.timedelta(minutes=minutes))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        if session.get(Slot, slot_id) is None:
            raise SlotNotFound(slot_id)
        raise SlotTaken(slot_id)
    slot = session.get(Slot, slot_id)
    session.refresh(slot)
    return slot


def release_hold(session: Session, slot_id: int, holder: str) -> None:
    """Give a held slot back (the patient said no, or chose another)."""
    session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.status == SlotStatus.HELD, Slot.held_by == holder)
        .values(status=SlotStatus.FREE, held_by=None, held_until=None)
        .execution_options(synchronize_session=False)
    )


def release_expired_holds(session: Session, now: dt.datetime) -> int:
    """Free every slot whose hold has run out (a caller hung up mid-booking); returns how many."""
    result = session.execute(
        update(Slot)
        .where(Slot.status == SlotStatus.HELD, Slot.held_until < now)
        .values(status=SlotStatus.FREE, held_by=None, held_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _new_code(session: Session, clinic_id: str) -> str:
    """A short numeric code, easy to read out and to key in, unique within the clinic."""
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        taken = session.scalar(
            select(Appointment.id).where(Appointment.clinic_id == clinic_id, Appointment.code == code)
        )
        if taken is None:
            return code


def book(
    session: Session,
    slot_id: int,
    patient: Patient,
    channel: Channel | str,
    now: dt.datetime,
    holder: str | None = None,
    replaces: Appointment | None = None,
    actor: str | None = None,
) -> Appointment:
    """Book a free slot (or one this holder holds); SlotTaken if anyone else got it first."""
    # A savepoint: a failure after the slot is marked booked must not leave it booked without an appointment.
    with session.begin_nested():
        return _book(session, slot_id, patient, channel, now, holder, replaces, actor)


def _book(session, slot_id, patient, channel, now, holder, replaces, actor) -> Appointment:
    result = session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.starts_at > now, bookable_now(now, holder))
        .values(status=SlotStatus.BOOKED, held_by=None, held_until=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        if session.get(Slot, slot_id) is None:
            raise SlotNotFound(slot_id)
        raise SlotTaken(slot_id)
    slot = session.get(Slot, slot_id)
    session.refresh(slot)
    appointment = Appointment(
        clinic_id=slot.clinic_id,
        slot_id=slot.id,
        patient_id=patient.id,
        status=AppointmentStatus.BOOKED,
        channel=Channel(channel),
        code=_new_code(session, slot.clinic_id),
        starts_at=slot.starts_at,
        created_at=now,
        replaces_id=replaces.id if replaces else None,
    )
    session.add(appointment)
    session.flush()
    audit.record(
        session,
        "appointment.booked",
        channel=channel,
        clinic_id=slot.clinic_id,
        actor=actor,
        subject=f"appointment:{appointment.id}",
        slot_id=slot.id,
    )
    return appointment


def _locked_appointment(session: Session, appointment_id: int) -> Appointment | None:
    """The appointment, re-read and locked: two cancels (or a cancel and a move) of it take turns."""
    return session.get(Appointment, appointment_id, with_for_update=True, populate_existing=True)


def _upcoming_of(
    session: Session, appointment_id: int, patient_id: int | None, now: dt.datetime
) -> Appointment:
    """A booked appointment that has not started, locked; a patient may only touch their own."""
    appointment = _locked_appointment(session, appointment_id)
    if appointment is None or (patient_id is not None and appointment.patient_id != patient_id):
        raise AppointmentNotFound(appointment_id)
    if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= now:
        raise AppointmentNotCancellable(appointment_id)
    return appointment


def cancel(
    session: Session,
    appointment_id: int,
    now: dt.datetime,
    channel: Channel | str,
    patient_id: int | None = None,
    actor: str | None = None,
) -> Appointment:
    """Cancel an upcoming appointment and free its slot; a patient may only cancel their own."""
    appointment = _upcoming_of(session, appointment_id, patient_id, now)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    notifications.withdraw_pending(session, now, appointment_id=appointment.id)
    session.execute(
        update(Slot)
        .where(Slot.id == appointment.slot_id, Slot.status == SlotStatus.BOOKED)
        .values(status=SlotStatus.FREE)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    audit.record(
        session,
        "appointment.cancelled",
        channel=channel,
        clinic_id=appointment.clinic_id,
        actor=actor,
        subject=f"appointment:{appointment.id}",
    )
    return appointment


def reschedule(
    session: Session,
    appointment_id: int,
    new_slot_id: int,
    now: dt.datetime,
    channel: Channel | str,
    patient_id: int | None = None,
    holder: str | None = None,
    actor: str | None = None,
) -> Appointment:
    """Book the new slot, then release the old one, in the caller's one transaction."""
    old = _upcoming_of(session, appointment_id, patient_id, now)
    new_slot = session.get(Slot, new_slot_id)
    if new_slot is None or new_slot.clinic_id != old.clinic_id:
        raise SlotNotFound(new_slot_id)
    # A savepoint: should the caller catch an error and commit anyway, neither half of the move survives.
    with session.begin_nested():
        new = book(session, new_slot_id, old.patient, channel, now, holder=holder, replaces=old, actor=actor)
        cancel(session, old.id, now, channel, actor=actor)
    return new


def upcoming_appointments(
    session: Session, patient: Patient, clinic: Clinic, now: dt.datetime
) -> list[Appointment]:
    """A patient's booked appointments at a clinic that have not started yet, soonest first."""
    return list(
        session.scalars(
            select(Appointment)
            .where(
                Appointment.patient_id == patient.id,
                Appointment.clinic_id == clinic.id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at > now,
            )
            .order_by(Appointment.starts_at)
        )
    )
