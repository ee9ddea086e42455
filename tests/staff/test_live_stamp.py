"""The day page's change stamp and its poll, on SQLite and PostgreSQL: every change moves it, idling costs one query."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select

from core.models import Clinic, TicketStatus, WalkinTicket
from core.services import board, booking, walkin
from core.services.patients import get_or_create_patient
from tests.staff.conftest import sign_in
from tests.staff.test_live import DAY, stamp_of
from tests.support.apps import MARIE
from tests.support.arrange import book, fill_queue

# ---- the change stamp ---------------------------------------------------------------------------------------


@pytest.fixture
def runtime(both_databases):
    return both_databases


def test_the_day_stamp_moves_when_patients_join_leave_are_called_book_or_cancel(runtime):
    seen = [stamp_of(runtime)]

    def moved():
        stamp = stamp_of(runtime)
        assert stamp not in seen, "the stamp did not move"
        seen.append(stamp)

    assert stamp_of(runtime) == seen[0]  # nothing happened: the same stamp
    fill_queue(runtime, ["+15145551001", "+15145551002"], named=True)
    moved()
    now = runtime.now()
    with runtime.session_factory.begin() as s:
        walkin.call_next(s, s.get(Clinic, "parc"), now, room="4")
    moved()
    with runtime.session_factory.begin() as s:
        patient = get_or_create_patient(s, "+15145551002")
        walkin.leave_walkin_queue(s, s.get(Clinic, "parc"), patient, now, "sms")
    moved()
    appointment_id = book(runtime, MARIE, day=DAY, person="Marie Lavoie").id
    moved()
    with runtime.session_factory.begin() as s:
        board.mark_attendance(s, s.get(Clinic, "parc"), appointment_id, True, "Julie")
    moved()
    other_id = book(runtime, "+15145559876", day=DAY, nth=3, person="John Smith").id
    moved()
    with runtime.session_factory.begin() as s:
        booking.cancel(s, other_id, now, "sms")
    moved()
    assert stamp_of(runtime, DAY + dt.timedelta(days=1)) != seen[-1]  # another day has its own stamp


def test_the_console_polls_json_and_gets_the_board_only_when_it_changed(runtime, console):
    sign_in(console)
    first = console.get("/staff/parc/live.json").get_json()
    assert first["changed"] is True
    assert "live-queue" in first["html"]
    idle = console.get(f"/staff/parc/live.json?stamp={first['stamp']}").get_json()
    assert idle == {"stamp": first["stamp"], "changed": False, "every": 2.5}
    fill_queue(runtime, ["+15145551001"], named=True)
    moved = console.get(f"/staff/parc/live.json?stamp={first['stamp']}").get_json()
    assert moved["changed"] is True
    assert moved["stamp"] != first["stamp"]
    assert 'data-number="1"' in moved["html"]
    assert "Patient 1001" in moved["html"]
    assert "+15145551001" not in moved["html"]  # masked, as on the page


def test_an_idle_poll_costs_one_query_besides_loading_the_signed_in_account(runtime, console):
    sign_in(console)
    stamp = console.get("/staff/parc/live.json").get_json()["stamp"]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        assert console.get(f"/staff/parc/live.json?stamp={stamp}").get_json()["changed"] is False
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)
    plumbing = (
        "BEGIN",
        "SET LOCAL",
        "staff_accounts",
        "staff_roles",
    )  # the transaction, its deadline, sign-in
    ours = [s for s in statements if not any(word in s for word in plumbing)]
    assert len(ours) == 1, statements
    assert ours[0].lstrip().upper().startswith("SELECT")


def test_the_board_places_every_ticket_as_the_queue_itself_does(runtime):
    fill_queue(runtime, [f"+1514555{1000 + n}" for n in range(10)], named=True)
    now = runtime.now()
    with runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        for minutes in (0, 7, 16, 30, 41, 55, 62):  # enough calls for the queue to learn its own pace
            walkin.call_next(s, parc, now + dt.timedelta(minutes=minutes), room="1")
        s.flush()
    with runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        last = s.scalars(select(WalkinTicket).where(WalkinTicket.number == 8)).one()
        last.status = TicketStatus.NOTIFIED
        later = now + dt.timedelta(minutes=70)
        shown = board.todays_board(s, parc, later).queue
        one_by_one = [walkin.place_in_queue(s, parc, place.ticket, later) for place in shown]
        assert [(p.ticket.number, p.ahead, p.expected_at, p.minutes_per_patient) for p in shown] == [
            (p.ticket.number, p.ahead, p.expected_at, p.minutes_per_patient) for p in one_by_one
        ]
        assert {p.ticket.status for p in shown} == {
            TicketStatus.CALLED,
            TicketStatus.WAITING,
            TicketStatus.NOTIFIED,
        }
