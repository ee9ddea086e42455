"""Schedule changes: closure days, a practitioner's absence, extra opening time, the day's walk-in changes.

A change is a row (ScheduleChange) for one local day. Slot generation (core.services.clinics) reads the
changes of its horizon: slots under a closure or an absence are made (or turned) BLOCKED, extra time makes
slots, and removing a change gives the slots back. Booked appointments are never cancelled by a change on
its own: `appointments_hit` lists them, and `cancel_and_tell` cancels them and tells each patient once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.jobs.names import SEND_MESSAGE
from core.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    Practitioner,
    ScheduleChange,
    ScheduleKind,
    Slot,
    SlotStatus,
    WalkinDay,
)
from core.services import audit, booking, freed, notifications
from core.services.clinics import generate_slots_changed, local_now
from core.timeutil import local_day_bounds, local_to_utc, to_local
from prompts.sms import says_text

REASON_MAX = 200
BLOCKING = (ScheduleKind.CLOSURE, ScheduleKind.ABSENCE)
CANCELLED_PURPOSE = "schedule_cancelled"


class ScheduleChangeInvalid(DomainError):
    """A change that cannot be made; `reason` is the catalog key (staff_schedule_bad_…) that says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class CancelReport:
    """What `cancel_and_tell` did: appointments cancelled, messages planned, slots given to the waiting list."""

    cancelled: list[int] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)
    not_reached: list[int] = field(default_factory=list)  # patients who take no SMS: staff call them
    opened: list[int] = field(default_factory=list)


# ---- reading changes ------------------------------------------------------------------------------------


def changes_between(session: Session, clinic_id: str, first: dt.date, last: dt.date) -> list[ScheduleChange]:
    """The changes of a clinic from one local day to another (inclusive)."""
    return list(
        session.scalars(
            select(ScheduleChange)
            .where(
                ScheduleChange.clinic_id == clinic_id, ScheduleChange.day >= first, ScheduleChange.day <= last
            )
            .order_by(ScheduleChange.day, ScheduleChange.starts, ScheduleChange.id)
        )
    )


def upcoming_changes(session: Session, clinic: Clinic, now: dt.datetime) -> list[ScheduleChange]:
    """Today's and later changes, soonest first."""
    today = local_now(clinic, now).date()
    return list(
        session.scalars(
            select(ScheduleChange)
            .where(ScheduleChange.clinic_id == clinic.id, ScheduleChange.day >= today)
            .order_by(ScheduleChange.day, ScheduleChange.starts, ScheduleChange.id)
        )
    )


def closure_on(session: Session, clinic_id: str, day: dt.date) -> ScheduleChange | None:
    """The whole-clinic closure of a day, if there is one."""
    return session.scalar(
        select(ScheduleChange)
        .where(
            ScheduleChange.clinic_id == clinic_id,
            ScheduleChange.day == day,
            ScheduleChange.kind == ScheduleKind.CLOSURE,
        )
        .order_by(ScheduleChange.id)
        .limit(1)
    )


def span(change: ScheduleChange, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants a change covers: its times on its day, or the whole day."""
    day_start, day_end = local_day_bounds(change.day, tz)
    start = local_to_utc(change.day, change.starts, tz) if change.starts else day_start
    end = local_to_utc(change.day, change.ends, tz) if change.ends else day_end
    return start, end


def blocks(changes: list[ScheduleChange], tz: str) -> list[tuple[int | None, dt.datetime, dt.datetime]]:
    """(practitioner id or None for everyone, start, end) of every closure and absence."""
    return [(c.practitioner_id, *span(c, tz)) for c in changes if c.kind in BLOCKING]


def is_blocked(spans, practitioner_id: int, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether a practitioner's time overlaps a closure or one of their absences."""
    return any((pid is None or pid == practitioner_id) and lo < end and start < hi for pid, lo, hi in spans)


def extra_starts(clinic: Clinic, changes: list[ScheduleChange]) -> set[tuple[int, dt.datetime]]:
    """(practitioner id, UTC start) of the slots extra opening time calls for."""
    length = dt.timedelta(minutes=clinic.slot_minutes)
    wanted = set()
    active = [p.id for p in clinic.practitioners if p.active]
    for change in changes:
        if change.kind != ScheduleKind.EXTRA or change.starts is None or change.ends is None:
            continue
        who = [change.practitioner_id] if change.practitioner_id else active
        start = dt.datetime.combine(change.day, change.starts)
        end = dt.datetime.combine(change.day, change.ends)
        while start + length <= end:
            at = local_to_utc(change.day, start.time(), clinic.timezone)
            wanted.update((pid, at) for pid in who)
            start += length
    return wanted


# ---- making and removing changes ---------------------------------------------------------------------------


def _check(session: Session, clinic: Clinic, kind: ScheduleKind, values: dict, now: dt.datetime) -> None:
    day: dt.date = values["day"]
    if day < local_now(clinic, now).date():
        raise ScheduleChangeInvalid("past_day")
    starts, ends = values.get("starts"), values.get("ends")
    if starts and ends and ends <= starts:
        raise ScheduleChangeInvalid("times")
    pid = values.get("practitioner_id")
    if pid is not None:
        practitioner = session.get(Practitioner, pid)
        if practitioner is None or practitioner.clinic_id != clinic.id:
            raise ScheduleChangeInvalid("practitioner")
    if kind == ScheduleKind.ABSENCE and pid is None:
        raise ScheduleChangeInvalid("practitioner")
    if kind == ScheduleKind.EXTRA and not (starts and ends):
        raise ScheduleChangeInvalid("times")
    if kind == ScheduleKind.WALKIN:
        if day != local_now(clinic, now).date() and values.get("capacity") is None:
            raise ScheduleChangeInvalid("walkin_today")
        if values.get("capacity") is None and ends is None:
            raise ScheduleChangeInvalid("walkin_nothing")
        if not clinic.walkin_enabled:
            raise ScheduleChangeInvalid("walkin_none")


def add_change(
    session: Session,
    clinic: Clinic,
    kind: ScheduleKind | str,
    *,
    day: dt.date,
    now: dt.datetime,
    horizon_days: int,
    practitioner_id: int | None = None,
    starts: dt.time | None = None,
    ends: dt.time | None = None,
    capacity: int | None = None,
    reason: str | None = None,
    reason_en: str | None = None,
    actor: str | None = None,
    source: str = "console",
) -> ScheduleChange:
    """Record a change and apply it: slots blocked or made, the walk-in day changed; extra slots go to the
    waiting list. Booked appointments under it stay booked (see appointments_hit / cancel_and_tell)."""
    kind = ScheduleKind(kind)
    values = dict(day=day, practitioner_id=practitioner_id, starts=starts, ends=ends, capacity=capacity)
    if kind == ScheduleKind.CLOSURE:
        values.update(practitioner_id=None, starts=None, ends=None)
    if kind == ScheduleKind.WALKIN:
        values.update(practitioner_id=None, starts=None)
    _check(session, clinic, kind, values, now)
    change = ScheduleChange(
        clinic_id=clinic.id,
        kind=kind,
        reason=(reason or "").strip()[:REASON_MAX] or None,
        reason_en=(reason_en or "").strip()[:REASON_MAX] or None,
        created_by=actor,
        created_at=now,
        source=source,
        **values,
    )
    session.add(change)
    session.flush()
    if kind == ScheduleKind.WALKIN or kind == ScheduleKind.CLOSURE:
        _apply_walkin(session, clinic, change)
    refresh_slots(session, clinic, now, horizon_days)
    audit.record(
        session,
        "schedule.added",
        channel="staff" if source == "console" else "system",
        clinic_id=clinic.id,
        actor=actor,
        subject=f"schedule_change:{change.id}",
        kind=kind.value,
        day=day.isoformat(),
    )
    return change


def refresh_slots(session: Session, clinic: Clinic, now: dt.datetime, horizon_days: int) -> list[int]:
    """Generate the horizon again under the current changes; the slots that became free go to the waiting list."""
    opened = generate_slots_changed(session, clinic, now, horizon_days)
    if opened:
        freed.slots_opened(session, clinic.id, opened, now)
    return opened


def remove_change(
    session: Session, clinic: Clinic, change_id: int, now: dt.datetime, horizon_days: int, actor: str | None
) -> list[int]:
    """Take a change back: blocked slots open again (to the waiting list first), extra free slots go."""
    change = session.get(ScheduleChange, change_id)
    if change is None or change.clinic_id != clinic.id:
        raise ScheduleChangeInvalid("not_found")
    kind, day = change.kind, change.day
    session.delete(change)
    session.flush()
    if kind in (ScheduleKind.WALKIN, ScheduleKind.CLOSURE):
        _reset_walkin(session, clinic, day)
    opened = refresh_slots(session, clinic, now, horizon_days)
    audit.record(
        session,
        "schedule.removed",
        channel="staff",
        clinic_id=clinic.id,
        actor=actor,
        subject=f"schedule_change:{change_id}",
        kind=kind.value,
        day=day.isoformat(),
    )
    return opened


def _walkin_day(session: Session, clinic: Clinic, day: dt.date) -> WalkinDay:
    row = session.scalar(
        select(WalkinDay).where(WalkinDay.clinic_id == clinic.id, WalkinDay.day == day).with_for_update()
    )
    if row is None:
        row = WalkinDay(clinic_id=clinic.id, day=day, capacity=clinic.walkin_capacity, issued=0)
        session.add(row)
    return row


def _apply_walkin(session: Session, clinic: Clinic, change: ScheduleChange) -> None:
    """A closure closes that day's queue; a walk-in change sets its places or its early closing time."""
    if not clinic.walkin_enabled:
        return
    row = _walkin_day(session, clinic, change.day)
    if change.kind == ScheduleKind.CLOSURE:
        row.closed = True
        return
    if change.capacity is not None:
        row.capacity = change.capacity
    if change.ends is not None:
        row.closes_at = change.ends
    session.flush()


def _reset_walkin(session: Session, clinic: Clinic, day: dt.date) -> None:
    """The day's queue as the remaining changes (and otherwise the clinic) say."""
    row = session.scalar(select(WalkinDay).where(WalkinDay.clinic_id == clinic.id, WalkinDay.day == day))
    if row is None:
        return
    rest = [
        c
        for c in changes_between(session, clinic.id, day, day)
        if c.kind in (ScheduleKind.WALKIN, ScheduleKind.CLOSURE)
    ]
    row.closed = any(c.kind == ScheduleKind.CLOSURE for c in rest)
    walkins = [c for c in rest if c.kind == ScheduleKind.WALKIN]
    capacities = [c.capacity for c in walkins if c.capacity is not None]
    closes = [c.ends for c in walkins if c.ends is not None]
    row.capacity = capacities[-1] if capacities else clinic.walkin_capacity
    row.closes_at = min(closes) if closes else None


# ---- pools: kept slots that open to patients at a set time ------------------------------------------------


def release_pools(session: Session, now: dt.datetime) -> int:
    """Make public the pooled slots whose release time has come (the tick runs this every minute); the free
    ones go to the waiting list first. Returns how many were released."""
    released = session.execute(
        update(Slot)
        .where(Slot.pool.is_not(None), Slot.public_at <= now)
        .values(pool=None, public_at=None)
        .returning(Slot.id, Slot.clinic_id, Slot.status)
        .execution_options(synchronize_session=False)
    ).all()
    by_clinic: dict[str, list[int]] = {}
    for slot_id, clinic_id, status in released:
        if status == SlotStatus.FREE:
            by_clinic.setdefault(clinic_id, []).append(slot_id)
    for clinic_id, slot_ids in sorted(by_clinic.items()):
        freed.slots_opened(session, clinic_id, sorted(slot_ids), now)
    return len(released)


# ---- the appointments a change hits, and cancelling them ---------------------------------------------------


def appointments_hit(
    session: Session, clinic: Clinic, change: ScheduleChange, now: dt.datetime
) -> list[Appointment]:
    """Booked appointments still to come whose time (any of their slots) falls under a closure or absence."""
    if change.kind not in BLOCKING:
        return []
    start, end = span(change, clinic.timezone)
    first = Slot.__table__.alias("first_slot")
    joined = Slot.__table__.alias("joined_slot")
    query = (
        select(Appointment)
        .join(first, first.c.id == Appointment.slot_id)
        .where(
            Appointment.clinic_id == clinic.id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at > now,
            or_(
                (first.c.starts_at < end) & (first.c.ends_at > start),
                select(joined.c.id)
                .where(joined.c.joined_to == first.c.id, joined.c.starts_at < end, joined.c.ends_at > start)
                .exists(),
            ),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if change.practitioner_id is not None:
        query = query.where(first.c.practitioner_id == change.practitioner_id)
    return list(session.scalars(query))


def cancel_and_tell(
    session: Session, clinic: Clinic, change_id: int, now: dt.datetime, actor: str | None
) -> CancelReport:
    """Cancel every appointment a closure or absence hits, in the caller's one transaction.

    Each patient gets one SMS (however many of their appointments it hits) that says how to book again;
    a patient who takes no SMS is listed for staff to call. Slots under the change stay blocked; a
    linked slot outside it opens, and goes to the waiting list.
    """
    change = session.get(ScheduleChange, change_id)
    if change is None or change.clinic_id != clinic.id or change.kind not in BLOCKING:
        raise ScheduleChangeInvalid("not_found")
    report = CancelReport()
    hit = appointments_hit(session, clinic, change, now)
    spans = blocks([change], clinic.timezone)
    by_patient: dict[int, list[Appointment]] = {}
    for appointment in hit:
        slot_ids = [appointment.slot_id] + list(
            session.scalars(
                select(Slot.id).where(Slot.joined_to == appointment.slot_id, Slot.status == SlotStatus.BOOKED)
            )
        )
        booking.cancel(session, appointment.id, now, "staff", actor=actor)
        for slot in session.scalars(
            select(Slot).where(Slot.id.in_(slot_ids)).execution_options(populate_existing=True)
        ):
            if is_blocked(spans, slot.practitioner_id, slot.starts_at, slot.ends_at):
                slot.status = SlotStatus.BLOCKED
            elif slot.status == SlotStatus.FREE:
                report.opened.append(slot.id)
        report.cancelled.append(appointment.id)
        by_patient.setdefault(appointment.patient_id, []).append(appointment)
    session.flush()
    for patient_id, appointments in by_patient.items():
        message = _tell(session, clinic, change, appointments, now)
        if message.status == "pending":
            report.messages.append(message.id)
        else:
            report.not_reached.append(patient_id)
    if report.opened:
        freed.slots_opened(session, clinic.id, report.opened, now)
    audit.record(
        session,
        "schedule.cancelled_appointments",
        channel="staff",
        clinic_id=clinic.id,
        actor=actor,
        subject=f"schedule_change:{change.id}",
        appointments=report.cancelled,
        messages=len(report.messages),
    )
    return report


def _tell(session: Session, clinic: Clinic, change: ScheduleChange, appointments: list[Appointment], now):
    """The one SMS a patient gets about the appointments a change cancelled, written now (body included)."""
    first = appointments[0]
    patient = first.patient
    kind = notifications.reminder_kind(patient)  # a landline is called: 1 books another appointment
    message = notifications.create_message(
        session,
        clinic=clinic,
        patient=patient,
        purpose=CANCELLED_PURPOSE,
        subject=f"appointment:{first.id}",
        dedupe_key=f"{CANCELLED_PURPOSE}:change:{change.id}:patient:{patient.id}",
        now=now,
        appointment_id=first.id,
        kind=kind,
    )
    if message.status != "pending" or message.body:
        return message
    from core.jobs import outbox  # the jobs package imports the services, not the other way

    if kind == "call":
        outbox.add(session, SEND_MESSAGE, message.id, now=now)
        return message
    if patient.opted_out:
        message.status = "not_sent"
        message.error_message = "no SMS to this number: staff call the patient"
        return message
    lang = message.lang or clinic.default_lang
    from core.dialog.types import Say  # the dialog package imports the services, not the other way

    values = {
        "clinic": clinic.display_name(lang),
        "when": to_local(first.starts_at, clinic.timezone).replace(tzinfo=None),
        "count": len(appointments),
        "phone": clinic.phone or message.from_number or "",
    }
    key = "notice_schedule_cancelled" if len(appointments) == 1 else "notice_schedule_cancelled_many"
    message.body = says_text([Say(key, values)], lang)
    outbox.add(session, SEND_MESSAGE, message.id, now=now)
    return message


def reason_text(change: ScheduleChange, lang: str) -> str | None:
    """The reason of a closure in a language (the French one when no English one was given)."""
    return (change.reason_en or change.reason) if lang == "en" else (change.reason or change.reason_en)


def blocked_slot_ids(session: Session, clinic: Clinic, change: ScheduleChange) -> list[int]:
    """The slots a closure or absence keeps blocked (for the console's count)."""
    start, end = span(change, clinic.timezone)
    query = select(Slot.id).where(
        Slot.clinic_id == clinic.id,
        Slot.status == SlotStatus.BLOCKED,
        Slot.starts_at >= start,
        Slot.starts_at < end,
    )
    if change.practitioner_id is not None:
        query = query.where(Slot.practitioner_id == change.practitioner_id)
    return list(session.scalars(query))
