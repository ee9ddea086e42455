"""Whether an appointment or a walk-in ticket is still active has one home each (core.models)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import (
    ACTIVE_TICKET_STATUSES,
    WAITING_TICKET_STATUSES,
    Appointment,
    AppointmentStatus,
    TicketStatus,
    WalkinTicket,
)

NOW = dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("status", "active"),
    [
        (TicketStatus.WAITING, True),
        (TicketStatus.NOTIFIED, True),
        (TicketStatus.CALLED, True),  # staff are calling the patient: still in the queue
        (TicketStatus.SERVED, False),
        (TicketStatus.LEFT, False),
        (TicketStatus.NO_SHOW, False),
    ],
)
def test_a_ticket_is_active_until_it_is_served_left_or_a_no_show(status, active):
    assert WalkinTicket(status=status).is_active is active
    assert (status in ACTIVE_TICKET_STATUSES) is active


def test_a_called_ticket_no_longer_waits_for_its_turn():
    assert TicketStatus.CALLED not in WAITING_TICKET_STATUSES
    assert set(WAITING_TICKET_STATUSES) < set(ACTIVE_TICKET_STATUSES)


@pytest.mark.parametrize(
    ("status", "starts_in", "upcoming"),
    [
        (AppointmentStatus.BOOKED, dt.timedelta(minutes=1), True),
        (AppointmentStatus.BOOKED, dt.timedelta(0), False),  # starting now: too late to cancel or change
        (AppointmentStatus.BOOKED, -dt.timedelta(hours=1), False),
        (AppointmentStatus.CANCELLED, dt.timedelta(days=1), False),
        (AppointmentStatus.ATTENDED, dt.timedelta(days=1), False),
        (AppointmentStatus.NO_SHOW, dt.timedelta(days=1), False),
    ],
)
def test_an_appointment_is_upcoming_while_booked_and_not_started(status, starts_in, upcoming):
    assert Appointment(status=status, starts_at=NOW + starts_in).is_upcoming(NOW) is upcoming
