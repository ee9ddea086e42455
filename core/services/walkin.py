"""The walk-in queue (sans rendez-vous): join, place and expected time, leave, call next, served, no-show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import (
    AlreadyInQueue,
    NoOneWaiting,
    NotEnoughPlaces,
    NotInQueue,
    QueueFull,
    WalkinNotOpen,
    WalkinUnavailable,
)
from core.models import (
    ACTIVE_TICKET_STATUSES,
    WAITING_TICKET_STATUSES,
    Channel,
    Clinic,
    Patient,
    Person,
    TicketStatus,
    WalkinDay,
    WalkinTicket,
)
from core.services import audit, people
from core.services.clinics import local_now, next_opening, periods
from core.timeutil import local_day_bounds

LEARN_FROM = 5  # served tickets needed before the queue's own pace replaces the clinic's estimate
LEARN_WINDOW = 10


@dataclass(frozen=True)
class Place:
    """Where a ticket stands: how many are ahead, and when its turn is expected (UTC)."""

    ticket: WalkinTicket
    ahead: int
    expected_at: dt.datetime
    minutes_per_patient: float

    @property
    def position(self) -> int:
        """1 means next."""
        return self.ahead + 1


def _today(session: Session, clinic: Clinic, now: dt.datetime, create: bool) -> WalkinDay | None:
    """Today's queue row, locked for the rest of the transaction (created on first use)."""
    day = local_now(clinic, now).date()
    query = select(WalkinDay).where(WalkinDay.clinic_id == clinic.id, WalkinDay.day == day)
    # populate_existing: a copy loaded earlier in this session may hold a stale `issued`.
    row = session.scalar(query.with_for_update().execution_options(populate_existing=True))
    if row is None and create:
        try:
            with session.begin_nested():
                session.add(
                    WalkinDay(clinic_id=clinic.id, day=day, capacity=clinic.walkin_capacity, issued=0)
                )
        except IntegrityError:  # another registration created it first
            pass
        row = session.scalar(query.with_for_update().execution_options(populate_existing=True))
    return row


def _check_open(clinic: Clinic, now: dt.datetime) -> None:
    if not clinic.walkin_enabled:
        raise WalkinUnavailable(clinic.id)
    local = local_now(clinic, now)
    todays = periods(clinic, "walkin", local.weekday())
    if not any(opens <= local.time() < closes for opens, closes in todays):
        raise WalkinNotOpen(next_opening(clinic, "walkin", now))


def active_ticket(
    session: Session, clinic: Clinic, patient: Patient, now: dt.datetime, person: Person | None = None
) -> WalkinTicket | None:
    """The phone's ticket in today's queue that is still waiting or called (its lowest number), or that
    person's when one is named."""
    query = _active_of_phone(clinic, patient, now).limit(1)
    if person is not None:
        query = query.where(WalkinTicket.person_id == person.id)
    return session.scalar(query)


def join_walkin_queue(
    session: Session,
    clinic: Clinic,
    patient: Patient,
    channel: Channel | str,
    now: dt.datetime,
    notify_by: str | None = None,
    actor: str | None = None,
    person: Person | None = None,
) -> WalkinTicket:
    """Give a person of the phone (its first person unless named) the next number of today's queue.

    Numbers are gapless and unique per clinic and day and capacity is never exceeded: the day's row is
    locked (SELECT … FOR UPDATE on PostgreSQL, the write lock on SQLite) while the number is taken.
    """
    _check_open(clinic, now)
    if person is None:
        person = people.first_person(session, patient, now)
    # A savepoint: whatever fails after the counter moved takes the counter back with it.
    with session.begin_nested():
        return _join(session, clinic, patient, person, channel, now, notify_by, actor)


def join_group(
    session: Session,
    clinic: Clinic,
    patient: Patient,
    persons: list[Person],
    channel: Channel | str,
    now: dt.datetime,
    notify_by: str | None = None,
    actor: str | None = None,
    take_fewer: bool = False,
) -> list[WalkinTicket]:
    """Give several people of one phone consecutive numbers of today's queue, all or nothing.

    The day's row is locked once, so no other registration can slip a number between them and the group
    never takes more places than are left: with fewer left than asked, NotEnoughPlaces says how many (or,
    with `take_fewer`, the first people get what is left). A person already waiting is AlreadyInQueue.
    """
    _check_open(clinic, now)
    if not persons:
        raise ValueError("a group of no one")
    with session.begin_nested():
        day = _today(session, clinic, now, create=True)
        for person in persons:
            existing = active_ticket(session, clinic, patient, now, person=person)
            if existing is not None:
                raise AlreadyInQueue(existing.id)
        left = 0 if day.closed else max(0, day.capacity - places_taken(session, day))
        if left == 0:
            _, tomorrow = local_day_bounds(local_now(clinic, now).date(), clinic.timezone)
            raise QueueFull(next_opening(clinic, "walkin", tomorrow - dt.timedelta(seconds=1)))
        if left < len(persons):
            if not take_fewer:
                raise NotEnoughPlaces(left, len(persons))
            persons = persons[:left]
        return [_issue(session, clinic, day, patient, p, channel, now, notify_by, actor) for p in persons]


def places_left(session: Session, clinic: Clinic, now: dt.datetime) -> int:
    """Places still free in today's queue (nothing is locked: a hint for what to offer, not a promise)."""
    day = local_now(clinic, now).date()
    row = session.scalar(select(WalkinDay).where(WalkinDay.clinic_id == clinic.id, WalkinDay.day == day))
    if row is None:
        return clinic.walkin_capacity
    return 0 if row.closed else max(0, row.capacity - places_taken(session, row))


def active_tickets(
    session: Session, clinic: Clinic, patient: Patient, now: dt.datetime
) -> list[WalkinTicket]:
    """Every ticket of the phone still waiting or called today, in number order."""
    return list(session.scalars(_active_of_phone(clinic, patient, now)))


def _active_of_phone(clinic: Clinic, patient: Patient, now: dt.datetime):
    """The phone's tickets still waiting or called in today's queue, in number order (a query)."""
    return (
        select(WalkinTicket)
        .join(WalkinDay)
        .where(
            WalkinDay.clinic_id == clinic.id,
            WalkinDay.day == local_now(clinic, now).date(),
            WalkinTicket.patient_id == patient.id,
            WalkinTicket.status.in_(ACTIVE_TICKET_STATUSES),
        )
        .order_by(WalkinTicket.number)
    )


def groups(tickets: list[WalkinTicket]) -> list[list[WalkinTicket]]:
    """A day's tickets (in number order) cut into groups: runs of consecutive numbers of one phone. A
    family that joined together holds such a run (join_group takes its numbers under one lock)."""
    runs: list[list[WalkinTicket]] = []
    for ticket in tickets:
        if runs and runs[-1][-1].patient_id == ticket.patient_id:
            runs[-1].append(ticket)
        else:
            runs.append([ticket])
    return runs


def group_leads(places: list[Place]) -> dict[int, WalkinTicket]:
    """A board's tickets: each ticket's id -> the first ticket of its group (a family's rows sit under it)."""
    return {t.id: run[0] for run in groups([p.ticket for p in places]) for t in run}


def group_of(session: Session, ticket: WalkinTicket) -> list[WalkinTicket]:
    """The active tickets of the group a ticket belongs to (itself included), in number order."""
    day_tickets = list(
        session.scalars(
            select(WalkinTicket)
            .where(WalkinTicket.walkin_day_id == ticket.walkin_day_id)
            .order_by(WalkinTicket.number)
        )
    )
    for run in groups(day_tickets):
        if any(t.id == ticket.id for t in run):
            return [t for t in run if t.is_active or t.id == ticket.id]
    return [ticket]


def places_taken(session: Session, day: WalkinDay) -> int:
    """Places of a day's queue in use: every ticket issued except those whose patient gave theirs back."""
    left = session.scalar(
        select(func.count())
        .select_from(WalkinTicket)
        .where(WalkinTicket.walkin_day_id == day.id, WalkinTicket.status == TicketStatus.LEFT)
    )
    return day.issued - left


def _join(session, clinic, patient, person, channel, now, notify_by, actor) -> WalkinTicket:
    day = _today(session, clinic, now, create=True)
    existing = active_ticket(session, clinic, patient, now, person=person)
    if existing is not None:
        raise AlreadyInQueue(existing.id)
    closed_early = day.closes_at is not None and local_now(clinic, now).time() >= day.closes_at
    if day.closed or closed_early or places_taken(session, day) >= day.capacity:
        _, tomorrow = local_day_bounds(local_now(clinic, now).date(), clinic.timezone)
        raise QueueFull(next_opening(clinic, "walkin", tomorrow - dt.timedelta(seconds=1)))
    return _issue(session, clinic, day, patient, person, channel, now, notify_by, actor)


def _issue(session, clinic, day, patient, person, channel, now, notify_by, actor) -> WalkinTicket:
    """The day's next number for one person (the day's row is locked by the caller)."""
    day.issued += 1
    ticket = WalkinTicket(
        walkin_day_id=day.id,
        clinic_id=clinic.id,
        patient_id=patient.id,
        person_id=person.id,
        number=day.issued,
        status=TicketStatus.WAITING,
        channel=Channel(channel),
        notify_by=notify_by or patient.notify_by,
        joined_at=now,
    )
    session.add(ticket)
    session.flush()
    audit.record(
        session,
        "walkin.joined",
        channel=channel,
        clinic_id=clinic.id,
        actor=actor,
        subject=f"ticket:{ticket.id}",
        number=ticket.number,
    )
    return ticket


def minutes_per_patient(session: Session, clinic: Clinic, day_id: int) -> float:
    """The queue's pace: learned from the gaps between recent calls once there are enough, else the clinic's."""
    called = session.scalars(
        select(WalkinTicket.called_at)
        .where(WalkinTicket.walkin_day_id == day_id, WalkinTicket.called_at.is_not(None))
        .order_by(WalkinTicket.called_at.desc())
        .limit(LEARN_WINDOW + 1)
    ).all()
    if len(called) <= LEARN_FROM:
        return float(clinic.walkin_minutes_per_patient)
    gaps = [(a - b).total_seconds() / 60 for a, b in zip(called, called[1:], strict=False)]
    return max(1.0, sum(gaps) / len(gaps))


def place_in_queue(session: Session, clinic: Clinic, ticket: WalkinTicket, now: dt.datetime) -> Place:
    """How many are ahead of a ticket and when its turn is expected."""
    ahead = session.scalar(
        select(func.count())
        .select_from(WalkinTicket)
        .where(
            WalkinTicket.walkin_day_id == ticket.walkin_day_id,
            WalkinTicket.status.in_(WAITING_TICKET_STATUSES),
            WalkinTicket.number < ticket.number,
        )
    )
    pace = minutes_per_patient(session, clinic, ticket.walkin_day_id)
    if ticket.status == TicketStatus.CALLED:
        ahead = 0
    return Place(
        ticket=ticket,
        ahead=ahead,
        expected_at=now + dt.timedelta(minutes=ahead * pace),
        minutes_per_patient=pace,
    )


def leave_walkin_queue(
    session: Session,
    clinic: Clinic,
    patient: Patient,
    now: dt.datetime,
    channel: Channel | str,
    person: Person | None = None,
) -> WalkinTicket:
    """Take the patient (the phone's lowest ticket, or that person's) out of today's queue."""
    ticket = active_ticket(session, clinic, patient, now, person=person)
    if ticket is None:
        raise NotInQueue(patient.id)
    return give_back(session, clinic, ticket, now, channel)


def give_back(
    session: Session, clinic: Clinic, ticket: WalkinTicket, now: dt.datetime, channel: Channel | str
) -> WalkinTicket:
    """One ticket leaves the queue (its place counts as free again)."""
    if not ticket.is_active:
        raise NotInQueue(ticket.id)
    ticket.status = TicketStatus.LEFT
    ticket.ended_at = now
    audit.record(session, "walkin.left", channel=channel, clinic_id=clinic.id, subject=f"ticket:{ticket.id}")
    from core.services import waitlist  # the place is given back: a walk-in entry may be offered it

    waitlist.walkin_place_opened(session, clinic.id, now)
    return ticket


def call_next(
    session: Session, clinic: Clinic, now: dt.datetime, actor: str | None = None, room: str | None = None
) -> WalkinTicket:
    """Call the first waiting patient of today's queue (to a room, which the waiting-room screen shows)."""
    day = _today(session, clinic, now, create=False)
    ticket = None
    if day is not None:
        ticket = session.scalar(
            select(WalkinTicket)
            .where(WalkinTicket.walkin_day_id == day.id, WalkinTicket.status.in_(WAITING_TICKET_STATUSES))
            .order_by(WalkinTicket.number)
            .limit(1)
        )
    if ticket is None:
        raise NoOneWaiting(clinic.id)
    ticket.status = TicketStatus.CALLED
    ticket.called_at = now
    ticket.room = room
    audit.record(
        session,
        "walkin.called",
        channel=Channel.STAFF,
        clinic_id=clinic.id,
        actor=actor,
        subject=f"ticket:{ticket.id}",
        **({"room": room} if room else {}),
    )
    return ticket


def _finish(
    session: Session, ticket_id: int, status: TicketStatus, now: dt.datetime, actor: str | None
) -> WalkinTicket:
    ticket = session.get(WalkinTicket, ticket_id)
    if ticket is None or not ticket.is_active:
        raise NotInQueue(ticket_id)
    ticket.status = status
    ticket.ended_at = now
    if status == TicketStatus.SERVED:
        ticket.served_at = now
    audit.record(
        session,
        f"walkin.{status.value}",
        channel=Channel.STAFF,
        clinic_id=ticket.clinic_id,
        actor=actor,
        subject=f"ticket:{ticket.id}",
    )
    return ticket


def mark_served(session: Session, ticket_id: int, now: dt.datetime, actor: str | None = None) -> WalkinTicket:
    """The patient was seen."""
    return _finish(session, ticket_id, TicketStatus.SERVED, now, actor)


def mark_no_show(
    session: Session, ticket_id: int, now: dt.datetime, actor: str | None = None
) -> WalkinTicket:
    """The patient was called and did not come."""
    return _finish(session, ticket_id, TicketStatus.NO_SHOW, now, actor)


def tickets_due_notice(session: Session, clinic: Clinic, now: dt.datetime) -> list[Place]:
    """Waiting tickets whose turn is near by the clinic's thresholds (places ahead or minutes), not yet told."""
    day = local_now(clinic, now).date()
    places_threshold = int(clinic.settings.get("notice_places", 3))
    minutes_threshold = int(clinic.settings.get("notice_minutes", 30))
    tickets = session.scalars(
        select(WalkinTicket)
        .join(WalkinDay)
        .where(
            WalkinDay.clinic_id == clinic.id,
            WalkinDay.day == day,
            WalkinTicket.status == TicketStatus.WAITING,
        )
        .order_by(WalkinTicket.number)
    ).all()
    due = []
    for ticket in tickets:
        place = place_in_queue(session, clinic, ticket, now)
        near_in_time = place.expected_at - now <= dt.timedelta(minutes=minutes_threshold)
        if place.ahead <= places_threshold or near_in_time:
            due.append(place)
        else:
            break  # later numbers are further away still
    return due
