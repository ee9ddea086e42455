"""With the database gone, the line still takes walk-in and callback requests and answers "my appointments";
when it is back, the requests are replayed in arrival order, once, and each patient is told the outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import snapshot
from core.models import CallbackRequest, OutboundMessage, Patient, ProcessedEvent
from core.spool import replay, spool_for
from prompts import render
from smsbot.segments import segments
from tests.degraded.conftest import TOKEN, database_down
from tests.support.apps import JOHN, MARIE, PARC, WESTMOUNT
from tests.support.arrange import book, tickets
from tests.support.twilio_requests import Texter, signed_post, status_form
from tests.voice.walker import Call

LANDLINE = (
    "+15145550150"  # a Montréal number of the fixed-line kind is not told apart here: see reminder_kind
)


def patients(n: int) -> list[str]:
    return [f"+1514555{2000 + i:04d}" for i in range(n)]


def numbers(rt) -> list[tuple[str, int]]:
    """(phone, number) of every walk-in ticket, in number order."""
    return [(t.patient.phone, t.number) for t in sorted(tickets(rt), key=lambda t: t.number)]


def outcome_bodies(rt) -> dict[str, list[str]]:
    with rt.session_factory() as s:
        bodies: dict[str, list[str]] = {}
        for m in s.scalars(select(OutboundMessage).where(OutboundMessage.purpose.startswith("spooled_"))):
            bodies.setdefault(m.to, []).append(m.body)
        return bodies


def test_walkin_requests_texted_while_the_database_is_down_get_numbers_in_arrival_order(line, client, clock):
    people = patients(5)
    with database_down(line):
        for i, phone in enumerate(people):
            clock.advance(minutes=1)
            words = "SANS RDV" if i % 2 == 0 else "je voudrais une place au sans rendez-vous"
            reply = Texter(client, TOKEN, phone, PARC, max_segments=1)(words)
            assert reply.status == 200
            assert reply.text == render("degraded_walkin_recorded", "fr", "sms"), reply.xml
    assert numbers(line) == []
    assert spool_for(line).depth() == 5

    report = replay(line)

    assert (report.done, report.failed) == (5, 0)
    assert numbers(line) == [(phone, n) for n, phone in enumerate(people, start=1)]
    bodies = outcome_bodies(line)
    for n, phone in enumerate(people, start=1):
        (body,) = bodies[phone]
        assert f"Votre numéro: {n}." in body
        assert "Clinique du Parc" in body
    sends = [args for path, args, _at in line.jobs.jobs if path == "core.jobs.tasks.send_message"]
    assert sends == [(message_id,) for message_id in report.messages]
    assert not spool_for(line).has_pending()


def test_a_replay_after_a_crash_does_not_issue_anything_twice(line, client, clock):
    with database_down(line):
        for phone in patients(3):
            Texter(client, TOKEN, phone, PARC)("SANS RDV")
    spool = spool_for(line)
    # A replay that died after committing two entries, before noting how far it got.
    entries = spool.pending()
    from core.services import spooled

    for entry in entries[:2]:
        with line.session_factory.begin() as s:
            spooled.apply(s, entry, clock())
    report = replay(line)
    assert (report.done, report.skipped) == (1, 2)
    assert [n for _, n in numbers(line)] == [1, 2, 3]
    assert sum(len(b) for b in outcome_bodies(line).values()) == 3
    assert replay(line).done == 0  # nothing left


def test_capacity_is_respected_and_the_others_are_told_the_queue_is_full(line, client, clock):
    with line.session_factory.begin() as s:
        from core.models import Clinic

        s.get(Clinic, "parc").walkin_capacity = 3
    people = patients(5)
    with database_down(line):
        for phone in people:
            clock.advance(seconds=30)
            Texter(client, TOKEN, phone, PARC)("WALK-IN")
    replay(line)
    assert [p for p, _ in numbers(line)] == people[:3]
    bodies = outcome_bodies(line)
    for phone in people[3:]:
        (body,) = bodies[phone]
        assert "full" in body, body  # WALK-IN is English: the outcome is in English too


def test_a_patient_who_texts_after_the_database_is_back_comes_after_those_spooled_before(line, client, clock):
    early = patients(2)
    with database_down(line):
        for phone in early:
            Texter(client, TOKEN, phone, PARC)("SANS RDV")
    clock.advance(minutes=19)
    late = Texter(client, TOKEN, JOHN, PARC)("SANS RDV")  # the database answers again: served normally
    assert late.status == 200
    assert numbers(line) == [(early[0], 1), (early[1], 2), (JOHN, 3)]


def test_callback_requests_by_text_reach_the_console_with_their_name(line, client, clock):
    with database_down(line):
        reply = Texter(client, TOKEN, MARIE, PARC)("Pouvez-vous me rappeler svp")
        assert reply.text == render("degraded_callback_recorded", "fr", "sms")
        reply = Texter(client, TOKEN, JOHN, PARC)("please call me back")
        assert reply.text == render("degraded_callback_recorded", "en", "sms")
    replay(line)
    with line.session_factory() as s:
        rows = s.scalars(select(CallbackRequest).order_by(CallbackRequest.id)).all()
        assert [(r.phone, r.clinic_id, r.status) for r in rows] == [
            (MARIE, "parc", "open"),
            (JOHN, "parc", "open"),
        ]
    assert "rappellera" in outcome_bodies(line)[MARIE][0]
    assert "call you" in outcome_bodies(line)[JOHN][0]


def test_emergency_words_are_answered_first_and_nothing_else_is_recorded(line, client):
    with database_down(line):
        reply = Texter(client, TOKEN, MARIE, PARC)("SANS RDV j'ai une douleur à la poitrine")
    assert reply.text == render("emergency", "fr", "sms")
    assert spool_for(line).depth() == 0


def test_anything_else_gets_the_apology_and_nothing_is_recorded(line, client):
    with database_down(line):
        reply = Texter(client, TOKEN, MARIE, PARC)("RDV demain matin")
    assert "9-1-1" in reply.text
    assert "8-1-1" in reply.text
    assert spool_for(line).depth() == 0


def test_the_apology_gives_the_clinics_number_when_the_snapshot_knows_the_clinic(line, client):
    assert snapshot.refresh(line, force=True)
    with database_down(line):
        reply = Texter(client, TOKEN, MARIE, PARC)("RDV demain matin")
    assert "9-1-1" in reply.text
    assert "514-555-0199" in reply.text
    assert segments(reply.text).segments <= 2


def test_my_appointments_are_read_from_the_snapshot_saying_it_may_be_old(line, client, clock):
    code = book(line, MARIE, after=clock() + dt.timedelta(days=1), person="Marie Tremblay", lang="fr").code
    assert snapshot.refresh(line)
    clock.advance(minutes=3)
    with database_down(line):
        reply = Texter(client, TOKEN, MARIE, PARC, max_segments=2)("MES RDV")
        assert code in reply.text, reply.text
        assert "peut dater de quelques minutes" in reply.text, reply.text
        nothing = Texter(client, TOKEN, JOHN, PARC)("my appointments")
        assert "No upcoming appointment" in nothing.text
        assert "a few minutes old" in nothing.text
        call = Call(client, auth_token=TOKEN, from_=MARIE, to=PARC).start()
        call.press("3")
        assert call.ended
        assert ", ".join(code) in call.text
        assert "quelques minutes" in call.text


def test_a_retried_webhook_is_replayed_once(line, client):
    with database_down(line):
        texter = Texter(client, TOKEN, MARIE, PARC)
        texter("SANS RDV", message_sid="SM" + "7" * 32)
        texter("SANS RDV", message_sid="SM" + "7" * 32)  # Twilio's retry of the same message
    assert replay(line).done == 1
    assert len(outcome_bodies(line)[MARIE]) == 1


def test_a_delivery_status_that_came_while_the_database_was_down_is_recorded_later(line, client, clock):
    with line.session_factory.begin() as s:
        patient = Patient(phone=MARIE, lang="fr")
        s.add(patient)
        s.flush()
        s.add(
            OutboundMessage(
                clinic_id="parc",
                patient_id=patient.id,
                to=MARIE,
                purpose="queue_notice",
                status="sent",
                twilio_sid="SM" + "5" * 32,
                send_after=clock(),
            )
        )
    with database_down(line):
        answer = signed_post(client, "/sms/status", status_form("SM" + "5" * 32, "delivered"), TOKEN)
    assert answer.status_code == 204
    replay(line)
    with line.session_factory() as s:
        assert (
            s.scalar(select(OutboundMessage.status).where(OutboundMessage.twilio_sid == "SM" + "5" * 32))
            == "delivered"
        )
        assert (
            s.scalar(
                select(func.count())
                .select_from(ProcessedEvent)
                .where(ProcessedEvent.key.startswith("spool:"))
            )
            == 1
        )


def test_a_caller_registers_for_the_walkin_clinic_on_the_short_menu(line, client, clock):
    with database_down(line):
        call = Call(client, auth_token=TOKEN, from_=MARIE, to=PARC).start()
        assert "appuyez sur 1" in call.text
        assert "9-1-1" in call.text
        call.press("1")
        assert call.ended
        assert render("degraded_walkin_recorded", "fr", "voice") in call.text
    replay(line)
    assert numbers(line) == [(MARIE, 1)]


def test_a_caller_asks_for_a_callback_in_english_and_says_their_name(line, client):
    with database_down(line):
        call = Call(client, auth_token=TOKEN, from_=JOHN, to=PARC).start()
        call.press("9")
        assert "press 1" in call.text
        call.press("2")
        call.say("John O'Brien")
        assert call.ended
        assert render("degraded_callback_recorded", "en", "voice") in call.text
    replay(line)
    with line.session_factory() as s:
        (request,) = s.scalars(select(CallbackRequest)).all()
        assert (request.phone, request.name) == (JOHN, "John O'Brien")


def test_a_caller_with_a_hidden_number_types_one_in(line, client):
    with database_down(line):
        call = Call(client, auth_token=TOKEN, from_="+266696687", to=PARC).start()
        call.press("1")
        assert render("degraded_voice_number", "fr", "voice") in call.text
        call.press("5145551234#")
        assert call.ended
        assert render("degraded_walkin_recorded", "fr", "voice") in call.text
    replay(line)
    assert numbers(line) == [(MARIE, 1)]


def test_twilio_fallback_url_offers_the_same_menu_without_the_database(line, client):
    call = Call(client, auth_token=TOKEN, from_=MARIE, to=PARC, allow_apology=True).start("/fallback/voice")
    assert "appuyez sur 1" in call.text
    call.silence()
    call.silence()
    assert call.ended
    assert "9-1-1" in call.text


def test_walkin_is_not_taken_for_a_clinic_without_walkin(line, client, clock):
    snapshot.refresh(line, force=True)
    with database_down(line):
        reply = Texter(client, TOKEN, MARIE, WESTMOUNT)("WALK-IN")
    assert "9-1-1" in reply.text
    assert spool_for(line).depth() == 0


def test_a_landline_caller_is_called_back_with_the_outcome(line, client, clock):
    with line.session_factory.begin() as s:
        s.add(Patient(phone=JOHN, lang="en", notify_by="call"))  # takes calls only
    with database_down(line):
        call = Call(client, auth_token=TOKEN, from_=JOHN, to=PARC).start()
        call.press("1")
        assert render("degraded_walkin_recorded", "fr", "voice") in call.text
    replay(line)
    with line.session_factory() as s:
        (message,) = s.scalars(
            select(OutboundMessage).where(OutboundMessage.purpose.startswith("spooled_"))
        ).all()
    assert (message.kind, message.lang) == ("call", "en")
    from core.services.notifications import call_url

    assert call_url(message, "https://line.example") == f"https://line.example/voice/spooled/{message.id}"
    picked_up = Call(client, auth_token=TOKEN, from_=PARC, to=JOHN, direction="outbound-api").start(
        f"/voice/spooled/{message.id}"
    )
    assert picked_up.ended
    assert "Your number is 1" in picked_up.text
    assert "walk-in" in picked_up.text


def test_an_entry_that_cannot_be_replayed_stays_and_does_not_hold_back_the_others(line, client, clock):
    spool = spool_for(line)
    spool.append("walkin", clock(), channel="fax", phone=MARIE, to=PARC)  # written by a broken release
    with database_down(line):
        Texter(client, TOKEN, JOHN, PARC)("SANS RDV")
    report = replay(line)
    assert (report.done, report.failed) == (1, 1)
    assert numbers(line) == [(JOHN, 1)]
    again = replay(line)  # the broken entry is tried again; the one after it is known done
    assert (again.done, again.skipped, again.failed) == (0, 1, 1)
    assert numbers(line) == [(JOHN, 1)]
    assert spool.files()  # nothing twice, and the spool is kept


def test_a_patient_who_asked_twice_during_the_outage_gets_one_number_and_one_message(line, client, clock):
    with database_down(line):
        Texter(client, TOKEN, MARIE, PARC)("SANS RDV")
        clock.advance(minutes=5)
        Texter(client, TOKEN, MARIE, PARC)("sans rendez-vous svp")
    assert replay(line).done == 2
    assert numbers(line) == [(MARIE, 1)]
    assert len(outcome_bodies(line)[MARIE]) == 1


@pytest.mark.parametrize(
    ("said", "recorded"), [("un", "walkin"), ("le sans rendez-vous", "walkin"), ("deux", "callback")]
)
def test_a_caller_can_say_the_menu_choice_instead_of_pressing_it(line, client, said, recorded):
    with database_down(line):
        call = Call(client, auth_token=TOKEN, from_=MARIE, to=PARC).start()
        call.say(said)
        if recorded == "callback":
            call.say("Marie Tremblay")
        assert call.ended
        assert render(f"degraded_{recorded}_recorded", "fr", "voice") in call.text
    (entry,) = spool_for(line).pending()
    assert entry.kind == recorded


def test_an_emergency_said_on_the_short_menu_is_answered_first(line, client):
    with database_down(line):
        call = Call(client, auth_token=TOKEN, from_=MARIE, to=PARC).start()
        call.say("j'ai une douleur à la poitrine")
    assert call.ended
    assert render("emergency", "fr", "voice") in call.text
    assert spool_for(line).depth() == 0
