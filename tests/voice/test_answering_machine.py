"""Calls we place reach people, not machines: a machine gets a short complete voicemail, a person the menu.

Twilio asks a placed call's URL with `AnsweredBy` once answering-machine detection (DetectMessageEnd) has
decided; every request here is signed, and every answer is parsed as TwiML by the walker.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from core.models import AuditEntry, Clinic, Conversation, OutboundMessage, TicketStatus, WalkinTicket
from core.services import booking, walkin
from prompts import text as template
from tests.support.apps import JOHN, PARC, TOKEN
from tests.support.arrange import book, fill_queue
from tests.support.twilio_requests import signed_post
from tests.voice.walker import Call, check_twiml

WEDNESDAY = dt.date(2026, 12, 9)  # the clock starts on Monday 2026-12-07 at 09:00
HEARD_DAY = {"fr": "mercredi neuf décembre", "en": "Wednesday, December ninth"}
CALL_BACK = "5 1 4, 5 5 5, 0 1 9 9"  # Clinique du Parc's public number, read digit by digit
MACHINES = ("machine_end_beep", "machine_end_silence", "machine_end_other", "machine_start")


@pytest.fixture(params=["fr", "en"])
def lang(request):
    return request.param


def placed(client, path: str, answered_by: str | None) -> Call:
    """Twilio places our call and asks its URL, with what detection found."""
    call = Call(client, auth_token=TOKEN, from_=PARC, to=JOHN, direction="outbound-api")
    if answered_by is not None:
        call.params["AnsweredBy"] = answered_by
    return call.start(path)


def verbs(call: Call) -> list[ET.Element]:
    return list(check_twiml(call.requests[0].xml))


def said(call: Call, key: str, lang: str) -> bool:
    fixed = template(key, lang, "voice").split("{")[0].strip()
    return any(fixed in sentence for sentence in call.heard)


def assert_voicemail(call: Call) -> str:
    """The answer is sentences then <Hangup>: no <Gather>, no <Redirect>, no <Dial>; returns what was said."""
    root = verbs(call)
    assert [v.tag for v in root if v.tag != "Say"] == ["Hangup"]
    assert root[-1].tag == "Hangup"
    assert not list(check_twiml(call.requests[0].xml).iter("Gather"))
    assert call.ended
    assert call.turns == 1
    return " ".join(call.heard)


def audit_actions(rt) -> list[str]:
    with rt.session_factory() as session:
        return list(session.scalars(select(AuditEntry.action)))


# ---- the reminder call ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("machine", MACHINES)
def test_a_machine_gets_the_reminder_voicemail_with_clinic_day_time_and_number(
    client, signed_rt, clock, machine
):
    appointment_id = book(
        signed_rt, JOHN, day=WEDNESDAY, at=dt.time(10, 0), lang="fr", calls_only=True, channel="staff"
    ).id
    call = placed(client, f"/voice/reminder/{appointment_id}", machine)
    words = assert_voicemail(call)
    assert "Clinique du Parc" in words
    assert HEARD_DAY["fr"] in words
    assert "dix heures" in words
    assert CALL_BACK in words
    assert said(call, "voicemail_reminder", "fr")
    assert "appuyez" not in words  # no menu read to a recording
    assert audit_actions(signed_rt).count("call.voicemail_left") == 1
    with signed_rt.session_factory() as session:  # nobody will answer: no conversation is primed
        assert session.scalar(select(Conversation).where(Conversation.phone == JOHN)) is None


def test_the_voicemail_is_in_the_patients_language(client, signed_rt, clock, lang):
    appointment_id = book(
        signed_rt, JOHN, day=WEDNESDAY, at=dt.time(14, 30), lang=lang, calls_only=True, channel="staff"
    ).id
    call = placed(client, f"/voice/reminder/{appointment_id}", "machine_end_beep")
    words = assert_voicemail(call)
    assert HEARD_DAY[lang] in words
    assert {"fr": "quatorze heures trente", "en": "two thirty PM"}[lang] in words
    assert CALL_BACK in words
    assert said(call, "voicemail_hello", lang)
    tag = {"fr": "fr-CA", "en": "en-US"}[lang]
    assert call.said_in(tag) == call.heard


@pytest.mark.parametrize("answered_by", ["human", "unknown", None])
def test_a_person_or_an_unknown_answer_gets_the_reminder_menu(client, signed_rt, clock, answered_by):
    appointment_id = book(
        signed_rt, JOHN, day=WEDNESDAY, at=dt.time(10, 0), lang="fr", calls_only=True, channel="staff"
    ).id
    call = placed(client, f"/voice/reminder/{appointment_id}", answered_by)
    assert call.state == "gather"
    assert said(call, "reminder_prompt", "fr")
    assert "appuyez sur 1" in call.text
    assert not said(call, "voicemail_reminder", "fr")
    call.press("1")  # and the menu works
    assert call.ended
    assert said(call, "reminder_confirmed", "fr")
    assert "call.voicemail_left" not in audit_actions(signed_rt)


def test_a_fax_is_hung_up_on_without_a_word(client, signed_rt, clock):
    appointment_id = book(
        signed_rt, JOHN, day=WEDNESDAY, at=dt.time(10, 0), lang="fr", calls_only=True, channel="staff"
    ).id
    call = placed(client, f"/voice/reminder/{appointment_id}", "fax")
    assert [v.tag for v in verbs(call)] == ["Hangup"]
    assert call.ended
    assert call.heard == []


def test_a_machine_for_a_cancelled_appointment_hears_the_short_goodbye(client, signed_rt, clock):
    appointment_id = book(
        signed_rt, JOHN, day=WEDNESDAY, at=dt.time(10, 0), lang="fr", calls_only=True, channel="staff"
    ).id
    with signed_rt.session_factory.begin() as session:
        booking.cancel(session, appointment_id, clock(), "staff")
    call = placed(client, f"/voice/reminder/{appointment_id}", "machine_end_beep")
    assert call.ended
    assert said(call, "voice_reminder_gone", "fr")
    assert not said(call, "voicemail_reminder", "fr")


def test_a_retried_machine_request_gets_the_same_voicemail_once(client, signed_rt, clock):
    appointment_id = book(
        signed_rt, JOHN, day=WEDNESDAY, at=dt.time(10, 0), lang="fr", calls_only=True, channel="staff"
    ).id
    call = placed(client, f"/voice/reminder/{appointment_id}", "machine_end_silence")
    first = call.requests[0]
    again = signed_post(client, first.path, first.params, TOKEN)
    assert again.get_data(as_text=True) == first.xml
    assert audit_actions(signed_rt).count("call.voicemail_left") == 1


def test_a_machine_request_with_a_forged_signature_is_refused(client, signed_rt, clock):
    appointment_id = book(
        signed_rt, JOHN, day=WEDNESDAY, at=dt.time(10, 0), lang="fr", calls_only=True, channel="staff"
    ).id
    form = {
        "CallSid": "CA" + "c" * 32,
        "From": PARC,
        "To": JOHN,
        "CallStatus": "in-progress",
        "Direction": "outbound-api",
        "AnsweredBy": "machine_end_beep",
    }
    path = f"/voice/reminder/{appointment_id}"
    assert signed_post(client, path, form, TOKEN, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert signed_post(client, path, form, "another-token").status_code == 403
    assert "call.voicemail_left" not in audit_actions(signed_rt)


def test_who_answered_is_kept_on_the_calls_message(client, signed_rt, clock):
    appointment_id = book(
        signed_rt, JOHN, day=WEDNESDAY, at=dt.time(10, 0), lang="fr", calls_only=True, channel="staff"
    ).id
    call = Call(client, auth_token=TOKEN, from_=PARC, to=JOHN, direction="outbound-api")
    with signed_rt.session_factory.begin() as session:  # the row the reminder job stored for this call
        session.add(
            OutboundMessage(
                clinic_id="parc",
                to=JOHN,
                kind="call",
                purpose="reminder",
                appointment_id=appointment_id,
                twilio_sid=call.sid,
                status="sent",
            )
        )
    call.params["AnsweredBy"] = "machine_end_beep"
    call.start(f"/voice/reminder/{appointment_id}")
    call.hang_up(duration=19)  # the status callback carries AnsweredBy too
    with signed_rt.session_factory() as session:
        message = session.scalar(select(OutboundMessage).where(OutboundMessage.twilio_sid == call.sid))
    assert (message.status, message.answered_by) == ("delivered", "machine_end_beep")


# ---- the walk-in notice call ------------------------------------------------------------------------------------


@pytest.fixture
def landline_ticket(signed_rt):
    (ticket_id,) = fill_queue(signed_rt, [JOHN], notify_by={JOHN: "call"}, channel="voice")
    return ticket_id


def test_a_machine_gets_the_walk_in_voicemail_with_the_number_and_the_time(
    client, signed_rt, landline_ticket
):
    call = placed(client, f"/voice/notice/{landline_ticket}", "machine_end_beep")
    words = assert_voicemail(call)
    assert "Clinique du Parc" in words
    assert said(call, "voicemail_queue_notice", "fr")
    assert "numéro 1" in words
    assert "heures" in words
    assert CALL_BACK in words
    with signed_rt.session_factory() as session:  # the place is kept: a voicemail is no answer
        assert session.get(WalkinTicket, landline_ticket).status.value == "waiting"


def test_a_person_gets_the_walk_in_menu(client, landline_ticket):
    call = placed(client, f"/voice/notice/{landline_ticket}", "human")
    assert call.state == "gather"
    assert "appuyez sur 1" in call.text


def test_a_fax_on_the_spooled_outcome_call_is_hung_up_on(client):
    call = placed(client, "/voice/spooled/1", "fax")
    assert [v.tag for v in verbs(call)] == ["Hangup"]
    assert call.heard == []


# ---- the waiting list's offer call (its words: core.services.waitlist.voicemail_says) ---------------------------


def test_a_machine_gets_the_offer_voicemail_and_the_slot_is_not_taken(client, signed_rt, clock):
    from tests.voice.test_waitlist_offer_calls import offered

    offer_id, _slot_id = offered(signed_rt, clock, "fr")
    call = placed(client, f"/voice/offer/{offer_id}", "machine_end_beep")
    words = assert_voicemail(call)
    assert said(call, "waitlist_offer_voicemail", "fr")
    assert CALL_BACK in words
    assert "mercredi" in words
    assert "appuyez" not in words


def test_a_person_gets_the_offer_menu(client, signed_rt, clock):
    from tests.voice.test_waitlist_offer_calls import offered

    offer_id, _slot_id = offered(signed_rt, clock, "fr")
    call = placed(client, f"/voice/offer/{offer_id}", "human")
    assert call.state == "gather"
    assert "appuyez sur 1" in call.text


# ---- the "it is your turn" call -------------------------------------------------------------------------------


def _called(signed_rt, clock, ticket_id: int, room: str | None) -> None:
    with signed_rt.session_factory.begin() as session:
        ticket = walkin.call_next(session, session.get(Clinic, "parc"), clock())
        assert ticket.id == ticket_id
        ticket.room = room


def test_a_person_called_by_staff_hears_it_is_their_turn_and_the_room(
    client, signed_rt, clock, landline_ticket
):
    _called(signed_rt, clock, landline_ticket, "4")
    call = placed(client, f"/voice/called/{landline_ticket}", "human")
    words = " ".join(call.heard)
    assert said(call, "called_call_room", "fr")
    assert "numéro 1" in words
    assert "salle 4" in words
    assert "n'est plus active" not in words
    assert call.ended


def test_a_person_called_without_a_room_is_sent_to_the_front_desk(client, signed_rt, clock, landline_ticket):
    _called(signed_rt, clock, landline_ticket, None)
    call = placed(client, f"/voice/called/{landline_ticket}", None)
    assert said(call, "called_call", "fr")
    assert "accueil" in " ".join(call.heard)


def test_a_machine_gets_the_called_voicemail(client, signed_rt, clock, landline_ticket):
    _called(signed_rt, clock, landline_ticket, "4")
    words = assert_voicemail(placed(client, f"/voice/called/{landline_ticket}", "machine_end_silence"))
    assert "numéro 1" in words
    assert CALL_BACK in words


def test_a_notice_call_answered_after_staff_called_the_ticket_reads_the_notice_not_a_lost_place(
    client, signed_rt, clock, landline_ticket
):
    _called(signed_rt, clock, landline_ticket, None)  # a called ticket is still in the queue
    call = placed(client, f"/voice/notice/{landline_ticket}", "human")
    assert call.state == "gather"
    assert "n'est plus active" not in " ".join(call.heard)
    call.press("2")  # leaving still works
    with signed_rt.session_factory() as session:
        assert session.get(WalkinTicket, landline_ticket).status == TicketStatus.LEFT


def test_a_machine_answering_a_notice_call_after_the_ticket_was_called_gets_the_walk_in_voicemail(
    client, signed_rt, clock, landline_ticket
):
    _called(signed_rt, clock, landline_ticket, None)
    call = placed(client, f"/voice/notice/{landline_ticket}", "machine_end_beep")
    assert said(call, "voicemail_queue_notice", "fr")


def test_a_ticket_no_longer_called_says_so(client, signed_rt, landline_ticket):
    call = placed(client, f"/voice/called/{landline_ticket}", "human")  # still waiting: nobody called it
    assert "n'est plus active" in " ".join(call.heard)
    assert call.ended


def test_the_called_notice_call_asks_the_called_url():
    from core.models import OutboundMessage
    from core.services.notifications import call_url

    message = OutboundMessage(purpose="called", ticket_id=7, to=JOHN)
    assert call_url(message, "https://line.example") == "https://line.example/voice/called/7"


# ---- the call after the clinic cancelled an appointment (a schedule change) -------------------------------------


def _cancelled_by_the_clinic(signed_rt, clock) -> int:
    appointment_id = book(
        signed_rt, JOHN, day=WEDNESDAY, at=dt.time(10, 0), lang="fr", calls_only=True, channel="staff"
    ).id
    with signed_rt.session_factory.begin() as session:
        booking.cancel(session, appointment_id, clock(), "staff")
    return appointment_id


def test_a_person_hears_the_clinic_cancelled_the_appointment_and_1_books_another(client, signed_rt, clock):
    appointment_id = _cancelled_by_the_clinic(signed_rt, clock)
    call = placed(client, f"/voice/cancelled/{appointment_id}", "human")
    words = " ".join(call.heard)
    assert "annuler votre rendez-vous" in words
    assert "changement d'horaire" in words
    assert call.state == "gather"
    call.press("1")
    assert "Pour quel jour" in " ".join(call.heard)  # booking another one starts
    assert "appointment.rebook_after_cancel" in audit_actions(signed_rt)


def test_a_machine_gets_the_cancellation_voicemail(client, signed_rt, clock):
    appointment_id = _cancelled_by_the_clinic(signed_rt, clock)
    words = assert_voicemail(placed(client, f"/voice/cancelled/{appointment_id}", "machine_end_beep"))
    assert "annuler votre rendez-vous" in words
    assert CALL_BACK in words


def test_the_cancellation_call_for_a_booked_appointment_says_the_message_is_out_of_date(
    client, signed_rt, clock
):
    appointment_id = book(
        signed_rt, JOHN, day=WEDNESDAY, at=dt.time(10, 0), lang="fr", calls_only=True, channel="staff"
    ).id  # still booked: no cancellation to tell
    call = placed(client, f"/voice/cancelled/{appointment_id}", "human")
    assert call.ended
    assert "annuler votre rendez-vous" not in " ".join(call.heard)
