"""The walk-in queue: joining, place and expected time, leaving, calling, served, no-show, notices."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.errors import AlreadyInQueue, NoOneWaiting, NotInQueue, QueueFull, WalkinNotOpen, WalkinUnavailable
from core.models import AuditEntry, TicketStatus, WalkinDay, WalkinTicket
from core.services import walkin
from tests.core.helpers import MONDAY, SATURDAY, SUNDAY, TUESDAY, clinic, local, patient


def join(session, n, now, cid="parc"):
    return walkin.join_walkin_queue(session, clinic(session, cid), patient(session, n), "sms", now)


def test_patients_get_the_next_numbers_of_the_day(any_runtime, clock):
    with any_runtime.session_factory.begin() as s:
        numbers = [join(s, n, clock()).number for n in range(3)]
        assert numbers == [1, 2, 3]
        assert s.scalar(select(WalkinDay)).issued == 3
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "walkin.joined")) is not None


def test_one_active_ticket_per_patient_per_clinic_and_day(any_runtime, clock):
    with any_runtime.session_factory.begin() as s:
        first = join(s, 1, clock())
        with pytest.raises(AlreadyInQueue) as refused:
            join(s, 1, clock())
        assert refused.value.ticket_id == first.id
        walkin.leave_walkin_queue(s, clinic(s), patient(s, 1), clock(), "sms")
        again = join(s, 1, clock())
        assert again.number == 2
        assert again.id != first.id


def test_numbers_start_again_the_next_day(session, clock):
    join(session, 1, clock())
    assert walkin.active_ticket(session, clinic(session), patient(session, 1), local(TUESDAY, 8)) is None
    assert join(session, 1, local(TUESDAY, 8)).number == 1


@pytest.mark.parametrize(
    ("now", "opens"),
    [
        (local(MONDAY, 6, 30), local(MONDAY, 7)),  # before opening: today at 07:00
        (local(MONDAY, 17), local(TUESDAY, 7)),  # after closing: tomorrow
        (local(SATURDAY, 18), local(dt.date(2026, 12, 14), 7)),  # Saturday evening: Monday
        (local(SUNDAY, 10), local(dt.date(2026, 12, 14), 7)),  # no walk-in on Sunday at parc
    ],
)
def test_joining_outside_opening_hours_is_refused_with_the_opening_time(session, now, opens):
    with pytest.raises(WalkinNotOpen) as refused:
        join(session, 1, now)
    assert refused.value.opens_at == opens


def test_westmount_has_no_walkin(session, clock):
    with pytest.raises(WalkinUnavailable):
        join(session, 1, clock(), "westmount")


def test_a_full_queue_says_when_it_reopens(session, clock):
    for n in range(30):
        join(session, n, clock())
    with pytest.raises(QueueFull) as full:
        join(session, 30, clock())
    assert full.value.reopens_at == local(TUESDAY, 7)


def test_a_full_saturday_queue_reopens_on_monday(session, clock):
    saturday = local(SATURDAY, 9)
    for n in range(30):
        join(session, n, saturday)
    with pytest.raises(QueueFull) as full:
        join(session, 30, saturday)
    assert full.value.reopens_at == local(dt.date(2026, 12, 14), 7)


def test_a_patient_who_leaves_gives_the_place_back(session, clock):
    for n in range(30):
        join(session, n, clock())
    walkin.leave_walkin_queue(session, clinic(session), patient(session, 4), clock(), "voice")
    assert join(session, 30, clock()).number == 31  # numbers stay gapless; places are what is limited
    with pytest.raises(QueueFull):
        join(session, 31, clock())


def test_a_closed_day_refuses_new_patients(session, clock):
    join(session, 1, clock())
    session.scalar(select(WalkinDay)).closed = True
    with pytest.raises(QueueFull):
        join(session, 2, clock())


# ---------------------------------------------------------------- place and expected time


def test_place_and_expected_time_use_the_clinics_average_at_first(session, clock):
    tickets = [join(session, n, clock()) for n in range(3)]
    place = walkin.place_in_queue(session, clinic(session), tickets[2], clock())
    assert (place.ahead, place.position) == (2, 3)
    assert place.minutes_per_patient == 15
    assert place.expected_at == clock() + dt.timedelta(minutes=30)
    walkin.call_next(session, clinic(session), clock())
    assert walkin.place_in_queue(session, clinic(session), tickets[2], clock()).ahead == 1


def test_the_pace_is_learned_from_recently_called_tickets_once_there_are_enough(session, clock):
    parc = clinic(session)
    tickets = [join(session, n, clock()) for n in range(10)]
    for _ in range(walkin.LEARN_FROM):  # five calls, six minutes apart: not enough yet
        walkin.call_next(session, parc, clock.advance(minutes=6))
    assert walkin.place_in_queue(session, parc, tickets[-1], clock()).minutes_per_patient == 15
    walkin.call_next(session, parc, clock.advance(minutes=6))
    place = walkin.place_in_queue(session, parc, tickets[-1], clock())
    assert place.minutes_per_patient == pytest.approx(6)
    assert place.ahead == 3
    assert place.expected_at == clock() + dt.timedelta(minutes=18)


def test_people_who_left_are_not_counted_ahead(session, clock):
    tickets = [join(session, n, clock()) for n in range(4)]
    walkin.leave_walkin_queue(session, clinic(session), patient(session, 1), clock(), "sms")
    assert walkin.place_in_queue(session, clinic(session), tickets[3], clock()).ahead == 2


# ---------------------------------------------------------------- leaving, calling, finishing


def test_leaving_the_queue(session, clock):
    ticket = join(session, 1, clock())
    left = walkin.leave_walkin_queue(session, clinic(session), patient(session, 1), clock(), "sms")
    assert left.id == ticket.id
    assert (left.status, left.ended_at) == (TicketStatus.LEFT, clock())
    with pytest.raises(NotInQueue):
        walkin.leave_walkin_queue(session, clinic(session), patient(session, 1), clock(), "sms")


def test_call_next_takes_the_lowest_waiting_number(any_runtime, clock):
    with any_runtime.session_factory.begin() as s:
        parc = clinic(s)
        with pytest.raises(NoOneWaiting):
            walkin.call_next(s, parc, clock())  # no queue yet today
        tickets = [join(s, n, clock()) for n in range(3)]
        walkin.leave_walkin_queue(s, parc, patient(s, 0), clock(), "sms")
        called = walkin.call_next(s, parc, clock())
        assert called.id == tickets[1].id
        assert called.status == TicketStatus.CALLED
        assert called.called_at == clock()
        assert walkin.call_next(s, parc, clock()).id == tickets[2].id
        with pytest.raises(NoOneWaiting):
            walkin.call_next(s, parc, clock())


def test_served_and_no_show_end_a_ticket(session, clock):
    a, b = join(session, 1, clock()), join(session, 2, clock())
    walkin.call_next(session, clinic(session), clock())
    served = walkin.mark_served(session, a.id, clock.advance(minutes=12), actor="staff:1")
    assert (served.status, served.served_at, served.ended_at) == (TicketStatus.SERVED, clock(), clock())
    walkin.call_next(session, clinic(session), clock())
    assert walkin.mark_no_show(session, b.id, clock()).status == TicketStatus.NO_SHOW
    with pytest.raises(NotInQueue):
        walkin.mark_served(session, b.id, clock())
    with pytest.raises(NotInQueue):
        walkin.mark_no_show(session, 10_000_000, clock())
    assert walkin.active_ticket(session, clinic(session), patient(session, 1), clock()) is None
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"walkin.called", "walkin.served", "walkin.no_show"} <= actions


def test_tickets_due_notice_are_the_waiting_ones_near_their_turn(session, clock):
    parc = clinic(session)
    tickets = [join(session, n, clock()) for n in range(8)]
    # notice_places = 3, notice_minutes = 30, 15 minutes a patient: numbers 1-4 (0 to 3 ahead) are near.
    due = walkin.tickets_due_notice(session, parc, clock())
    assert [p.ticket.number for p in due] == [1, 2, 3, 4]
    tickets[0].status = TicketStatus.NOTIFIED  # already told: not again, but still ahead of the others
    session.flush()
    assert [p.ticket.number for p in walkin.tickets_due_notice(session, parc, clock())] == [2, 3, 4]
    walkin.call_next(session, parc, clock())  # number 1
    assert [p.ticket.number for p in walkin.tickets_due_notice(session, parc, clock())] == [2, 3, 4, 5]
    assert walkin.tickets_due_notice(session, parc, local(TUESDAY, 9)) == []


def test_a_ticket_lookup_ignores_other_clinics_and_days(session, clock):
    ticket = join(session, 1, clock())
    assert walkin.active_ticket(session, clinic(session), patient(session, 1), clock()).id == ticket.id
    assert walkin.active_ticket(session, clinic(session, "westmount"), patient(session, 1), clock()) is None
    assert session.scalar(select(WalkinTicket)).clinic_id == "parc"
