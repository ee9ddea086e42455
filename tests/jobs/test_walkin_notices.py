"""Walk-in notices: "your turn is near" once when the threshold is crossed, by SMS or call; "it is your turn"."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Clinic, TicketStatus, WalkinTicket
from core.services import walkin
from tests.jobs.conftest import messages
from tests.support.arrange import fill_queue

PHONES = [f"+1514555{2000 + i}" for i in range(1, 8)]  # seven patients, in arrival order
LANDLINE = PHONES[5]


def staff_call_next(runtime) -> int:
    with runtime.session_factory.begin() as s:
        ticket = walkin.call_next(s, s.get(Clinic, "parc"), runtime.now(), actor="reception")
        ticket_id = ticket.id
    runtime.jobs.enqueue("core.jobs.tasks.notify_called", ticket_id)
    runtime.jobs.drain()
    return ticket_id


def check(runtime) -> None:
    runtime.jobs.enqueue("core.jobs.tasks.check_queue_notices", "parc")
    runtime.jobs.drain()


def test_patients_are_told_once_when_their_turn_gets_near(jobs_runtime, clock, fake_twilio):
    fill_queue(jobs_runtime, PHONES)
    check(jobs_runtime)
    # three places or 30 minutes (15 min a patient): the first four are near, the rest are not
    assert [bool(fake_twilio.messages_to(p)) for p in PHONES] == [True] * 4 + [False] * 3
    assert "votre tour approche (no 4, 3 avant vous)" in fake_twilio.messages_to(PHONES[3])[0]["body"]
    assert "personne avant vous" in fake_twilio.messages_to(PHONES[0])[0]["body"]
    check(jobs_runtime)
    clock.advance(minutes=5)
    jobs_runtime.jobs.enqueue("core.jobs.tasks.tick")
    jobs_runtime.jobs.drain()
    assert len(fake_twilio.messages) == 4

    staff_call_next(jobs_runtime)  # number 1 is called: number 5 now has three ahead
    check(jobs_runtime)
    assert len(fake_twilio.messages_to(PHONES[4])) == 1
    assert fake_twilio.messages_to(PHONES[5]) == []
    with jobs_runtime.session_factory() as s:
        statuses = list(s.scalars(select(WalkinTicket.status).order_by(WalkinTicket.number)))
    assert statuses[:5] == [TicketStatus.CALLED] + [TicketStatus.NOTIFIED] * 4


def test_a_landline_patient_is_called_with_the_notice(jobs_runtime, fake_twilio):
    tickets = fill_queue(jobs_runtime, PHONES, notify_by={LANDLINE: "call"})
    check(jobs_runtime)
    staff_call_next(jobs_runtime)
    staff_call_next(jobs_runtime)
    check(jobs_runtime)
    assert fake_twilio.messages_to(LANDLINE) == []
    (call,) = fake_twilio.creates("Calls", to=LANDLINE)
    assert call.value("Url") == f"https://clinic.example/voice/notice/{tickets[5]}"
    assert call.value("StatusCallback") == "https://clinic.example/voice/status"
    assert call.value("From") == "+15145550100"
    (row,) = messages(jobs_runtime, ticket_id=tickets[5])
    assert (row.kind, row.status, row.twilio_sid) == (
        "call",
        "sent",
        fake_twilio.calls_to(LANDLINE)[0]["sid"],
    )


def test_a_notice_refused_as_landline_is_placed_as_a_call_instead(jobs_runtime, fake_twilio):
    fake_twilio.fail(PHONES[0], 21614)
    (ticket_id,) = fill_queue(jobs_runtime, PHONES[:1])
    check(jobs_runtime)
    sms, call = messages(jobs_runtime, ticket_id=ticket_id)
    assert (sms.kind, sms.status, sms.error_code) == ("sms", "failed", "21614")
    assert (call.kind, call.status) == ("call", "sent")
    assert len(fake_twilio.calls_to(PHONES[0])) == 1


def test_staff_calling_the_next_patient_tells_them_at_once(jobs_runtime, fake_twilio):
    fill_queue(jobs_runtime, PHONES[:2])
    ticket_id = staff_call_next(jobs_runtime)
    jobs_runtime.jobs.enqueue("core.jobs.tasks.notify_called", ticket_id)  # a repeated job
    jobs_runtime.jobs.drain()
    (sms,) = fake_twilio.messages_to(PHONES[0])
    assert sms["body"] == "Clinique du Parc: c'est votre tour (no 1). Présentez-vous à l'accueil maintenant."
    check(jobs_runtime)  # the called patient gets no "near" notice afterwards
    assert len(fake_twilio.messages_to(PHONES[0])) == 1


def test_leaving_the_queue_withdraws_a_notice_not_yet_sent(jobs_runtime, clock, fake_twilio):
    fake_twilio.fail(PHONES[0], 500)
    (ticket_id,) = fill_queue(jobs_runtime, PHONES[:1])
    check(jobs_runtime)  # the first attempt fails; the notice waits for its retry
    with jobs_runtime.session_factory.begin() as s:
        ticket = s.get(WalkinTicket, ticket_id)
        walkin.leave_walkin_queue(s, s.get(Clinic, "parc"), ticket.patient, clock(), "sms")
    clock.advance(minutes=1)
    jobs_runtime.jobs.drain()
    (row,) = messages(jobs_runtime, ticket_id=ticket_id)
    assert row.status == "withdrawn"
    assert fake_twilio.messages_to(PHONES[0]) == []
