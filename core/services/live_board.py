"""What the live boards read: a cheap change stamp of a clinic's day, the numbers called, and display links.

The day page polls the stamp every few seconds and fetches the board again only when it moved, so an idle
poll costs one small aggregate query over indexed columns (no table of counters to keep up to date, so no
write and no lock is added to any booking or registration).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from core.models import (
    Appointment,
    AppointmentStatus,
    CallbackRequest,
    Clinic,
    DisplayLink,
    TicketStatus,
    WalkinDay,
    WalkinTicket,
)
from core.services import audit
from core.services.clinics import local_now
from core.timeutil import local_day_bounds

ROOM_MAX = 20
CALLED_SHOWN = 5  # the waiting-room screen: the latest call, large, and the four before it
DISPLAY_PREFIX = "tv_"


def day_stamp(session: Session, clinic: Clinic, day: dt.date) -> str:
    """A short string that changes whenever a ticket, an appointment or a callback request of the day does.

    Every change a board shows moves one of these aggregates: a new row moves a count and the highest id, a
    status change moves the counts per status, and the few changes that keep every count (a call, a move)
    stamp a time column. One statement of scalar subqueries, each on an indexed column.
    """
    start, end = local_day_bounds(day, clinic.timezone)
    queue_day = (
        select(WalkinDay.id).where(WalkinDay.clinic_id == clinic.id, WalkinDay.day == day).scalar_subquery()
    )
    tickets = (
        select(
            func.count(),
            func.max(WalkinTicket.id),
            *(func.count().filter(WalkinTicket.status == status) for status in TicketStatus),
            func.max(WalkinTicket.called_at),
            func.max(WalkinTicket.ended_at),
        )
        .where(WalkinTicket.clinic_id == clinic.id, WalkinTicket.walkin_day_id == queue_day)
        .subquery()
    )
    appointments = (
        select(
            func.count(),
            func.max(Appointment.id),
            *(func.count().filter(Appointment.status == status) for status in AppointmentStatus),
            func.max(Appointment.cancelled_at),
            func.max(Appointment.late_at),  # "running late" changes no count (core/services/noshow.py)
        )
        .where(
            Appointment.clinic_id == clinic.id, Appointment.starts_at >= start, Appointment.starts_at < end
        )
        .subquery()
    )
    callbacks = (
        select(func.count(), func.max(CallbackRequest.id))
        .where(CallbackRequest.clinic_id == clinic.id, CallbackRequest.status == "open")
        .subquery()
    )
    # Three one-row aggregates side by side (joined on true: each has exactly one row).
    every = tickets.join(appointments, true()).join(callbacks, true())
    row = session.execute(select(tickets, appointments, callbacks).select_from(every)).one()
    digest = hashlib.sha256("|".join("" if v is None else str(v) for v in row).encode()).hexdigest()
    return digest[:16]


# ---- the waiting-room screen ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Called:
    """A number called to a room: all the waiting-room screen may show of a patient."""

    number: int
    room: str | None
    called_at: dt.datetime


def clean_room(raw: str | None) -> str | None:
    """A room as typed ('4', 'Salle 4 ', 'B-12'): spaces folded, at most ROOM_MAX characters; '' is none."""
    room = " ".join((raw or "").split())[:ROOM_MAX]
    return room or None


def called_numbers(
    session: Session, clinic: Clinic, now: dt.datetime, limit: int = CALLED_SHOWN
) -> list[Called]:
    """Today's latest calls, newest first: number and room only (never a name, never a phone)."""
    day = local_now(clinic, now).date()
    rows = session.execute(
        select(WalkinTicket.number, WalkinTicket.room, WalkinTicket.called_at)
        .join(WalkinDay, WalkinTicket.walkin_day_id == WalkinDay.id)
        .where(
            WalkinDay.clinic_id == clinic.id,
            WalkinDay.day == day,
            WalkinTicket.called_at.is_not(None),
            WalkinTicket.status != TicketStatus.LEFT,
        )
        .order_by(WalkinTicket.called_at.desc(), WalkinTicket.number.desc())
        .limit(limit)
    ).all()
    return [Called(number, room, called_at) for number, room, called_at in rows]


def display_stamp(session: Session, clinic: Clinic, now: dt.datetime) -> str:
    """Changes when a number is called (or a called patient leaves): the screen's cheap poll."""
    day = local_now(clinic, now).date()
    row = session.execute(
        select(
            func.count(), func.max(WalkinTicket.called_at), func.count().filter(WalkinTicket.status == "left")
        )
        .join(WalkinDay, WalkinTicket.walkin_day_id == WalkinDay.id)
        .where(WalkinDay.clinic_id == clinic.id, WalkinDay.day == day, WalkinTicket.called_at.is_not(None))
    ).one()
    return hashlib.sha256(f"{day}|{row[0]}|{row[1]}|{row[2]}".encode()).hexdigest()[:16]


def _hash(token: str) -> str:
    # 256 random bits: a plain SHA-256 cannot be brute-forced, and finding the link stays one index hit.
    return hashlib.sha256(token.encode()).hexdigest()


def active_link(session: Session, clinic_id: str) -> DisplayLink | None:
    return session.scalar(
        select(DisplayLink)
        .where(DisplayLink.clinic_id == clinic_id, DisplayLink.revoked_at.is_(None))
        .order_by(DisplayLink.id.desc())
        .limit(1)
    )


def rotate_link(
    session: Session, clinic: Clinic, actor: str | None, now: dt.datetime
) -> tuple[DisplayLink, str]:
    """A new link for the clinic's screens; the one before stops working. Returns (row, token shown once)."""
    old = revoke_links(session, clinic, actor, now, audited=False)
    token = DISPLAY_PREFIX + secrets.token_urlsafe(32)
    row = DisplayLink(
        clinic_id=clinic.id, prefix=token[:10], token_hash=_hash(token), created_by=actor, created_at=now
    )
    session.add(row)
    session.flush()
    audit.record(
        session, "display_link.created", channel="staff", clinic_id=clinic.id, actor=actor,
        subject=f"display_link:{row.id}", prefix=row.prefix, replaced=[r.prefix for r in old],
    )  # fmt: skip
    return row, token


def revoke_links(
    session: Session, clinic: Clinic, actor: str | None, now: dt.datetime, audited: bool = True
) -> list[DisplayLink]:
    """Every active link of the clinic stops working at once (rows stay, for the audit)."""
    rows = session.scalars(
        select(DisplayLink).where(DisplayLink.clinic_id == clinic.id, DisplayLink.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
    if audited and rows:
        audit.record(
            session, "display_link.revoked", channel="staff", clinic_id=clinic.id, actor=actor,
            subject=f"display_link:{rows[-1].id}", prefixes=[r.prefix for r in rows],
        )  # fmt: skip
    return list(rows)


def link_for_token(session: Session, token: str | None) -> DisplayLink | None:
    """The active link a screen's token opens, or None (unknown, malformed or revoked alike)."""
    if not token or len(token) > 80 or not token.startswith(DISPLAY_PREFIX):
        return None
    return session.scalar(
        select(DisplayLink).where(DisplayLink.token_hash == _hash(token), DisplayLink.revoked_at.is_(None))
    )
