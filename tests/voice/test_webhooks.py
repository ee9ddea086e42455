"""The voice webhooks as Twilio sees them: signatures, unknown numbers, retries, status, a broken database."""

from __future__ import annotations

from sqlalchemy import select

from clinicline.app import create_app
from core.config import Config
from core.db import make_engine, make_session_factory
from core.models import AuditEntry, CallRecord, WalkinTicket
from core.runtime import Runtime
from prompts import render
from tests.support.apps import MARIE, PARC, TOKEN
from tests.support.twilio_requests import signed_post
from tests.voice.walker import Call, check_twiml


def call_form(**extra) -> dict[str, str]:
    form = {
        "CallSid": "CA" + "a" * 32,
        "From": MARIE,
        "To": PARC,
        "CallStatus": "ringing",
        "Direction": "inbound",
    }
    form.update(extra)
    return form


def test_a_forged_signature_is_refused(client):
    response = signed_post(client, "/voice", call_form(), TOKEN, signature="bm90IGEgc2lnbmF0dXJl")
    assert response.status_code == 403
    unsigned = client.post("/voice", data=call_form())
    assert unsigned.status_code == 403


def test_a_signature_for_other_parameters_is_refused(client):
    from tests.support.twilio_requests import sign

    signature = sign("http://localhost/voice", call_form(From="+15145550000"), TOKEN)
    response = signed_post(client, "/voice", call_form(), TOKEN, signature=signature)
    assert response.status_code == 403


def test_a_call_to_a_number_of_no_clinic_gets_a_polite_bilingual_goodbye_and_an_audit_entry(
    client, signed_rt
):
    call = Call(client, auth_token=TOKEN, to="+15145550999").start()
    assert call.ended
    assert call.said_in("fr-CA") == [render("voice_unknown_number", "fr", "voice")]
    assert call.said_in("en-US") == [render("voice_unknown_number", "en", "voice")]
    assert call.heard_langs == ["fr-CA", "en-US"]  # French first
    with signed_rt.session_factory() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "unknown_number"))
        assert entry is not None
        assert entry.channel == "voice"
        assert entry.detail["to"] == "+15145550999"
        assert MARIE not in (entry.actor or "")  # the caller's number is masked


def test_a_call_without_a_call_sid_gets_the_apology_not_an_error(client):
    response = signed_post(client, "/voice", {"From": MARIE, "To": PARC}, TOKEN)
    assert response.status_code == 200
    root = check_twiml(response.get_data(as_text=True))
    assert root[-1].tag == "Hangup"


def test_the_fallback_url_answers_without_any_database(tmp_path):
    config = Config.from_env(
        {}, database_url="postgresql+psycopg://nobody:x@127.0.0.1:9/nothing", instance_path=tmp_path
    )
    engine = make_engine(config.database_url)
    app = create_app(
        runtime=Runtime(config=config, engine=engine, session_factory=make_session_factory(engine))
    )
    call = Call(app.test_client(), auth_token=None, allow_apology=True).start("/fallback/voice")
    # The degraded line's short menu (walk-in, callback, appointments), French first, English offered.
    assert call.heard == [
        render("degraded_voice_menu", "fr", "voice"),
        render("offer_english", "en", "voice"),
    ]
    assert call.heard_langs == ["fr-CA", "en-US"]
    call.silence()
    call.silence()  # nobody answers twice: the apology, in both languages, then goodbye
    assert call.ended
    fr, en = call.heard
    assert "9-1-1" in fr
    assert "8-1-1" in fr
    assert "9-1-1" in en
    assert "8-1-1" in en
    app.extensions["clinicline"].dispose()  # its job threads too: they would tick on the missing database


def test_a_call_while_the_database_is_down_hears_the_short_menu_then_the_apology(tmp_path):
    config = Config.from_env(
        {},
        database_url="postgresql+psycopg://nobody:x@127.0.0.1:9/nothing?connect_timeout=2",
        instance_path=tmp_path,
        twilio_auth_token=TOKEN,
    )
    engine = make_engine(config.database_url)
    app = create_app(
        runtime=Runtime(config=config, engine=engine, session_factory=make_session_factory(engine))
    )
    client = app.test_client()
    call = Call(client, auth_token=TOKEN, allow_apology=True).start()
    assert call.requests[-1].status == 200
    assert call.heard[0] == render("degraded_voice_menu", "fr", "voice")
    call.press("7")  # no such key: once more, then the apology
    call.press("7")
    assert call.ended
    assert call.heard == [
        render("voice_application_error", "fr", "voice"),
        render("voice_application_error", "en", "voice"),
    ]
    status = signed_post(client, "/voice/status", call_form(CallStatus="completed"), TOKEN)
    assert status.status_code == 200
    app.extensions["clinicline"].dispose()  # its job threads too: they would tick on the missing database


def test_the_status_callback_records_how_the_call_ended_and_how_long_it_lasted(dial, signed_rt):
    call = dial()
    call.hang_up(duration=37)
    with signed_rt.session_factory() as session:
        record = session.get(CallRecord, call.sid)
        assert record.status == "completed"
        assert record.duration_seconds == 37
        assert record.ended_at is not None
        assert record.clinic_id == "parc"
        assert record.from_number == MARIE


def test_a_status_for_a_call_we_never_answered_is_kept_too(client, signed_rt):
    response = signed_post(
        client, "/voice/status", call_form(CallStatus="no-answer", Direction="outbound-api", From=PARC), TOKEN
    )
    assert response.status_code == 200
    with signed_rt.session_factory() as session:
        record = session.get(CallRecord, "CA" + "a" * 32)
        assert record.status == "no-answer"
        assert record.clinic_id == "parc"


def test_a_retried_request_is_answered_the_same_without_acting_twice(dial, client, signed_rt):
    call = dial()
    call.press("2")  # walk-in queue
    call.press("1")  # for oneself only
    before = call.requests[-1]
    with signed_rt.session_factory() as session:
        tickets = session.scalars(select(WalkinTicket.id)).all()
    assert len(tickets) == 1
    again = signed_post(client, before.path, before.params, TOKEN)
    assert again.get_data(as_text=True) == before.xml
    with signed_rt.session_factory() as session:
        assert session.scalars(select(WalkinTicket.id)).all() == tickets


def test_a_retry_carrying_twilio_s_idempotency_token_is_answered_once(dial, client, signed_rt):
    call = dial()
    call.press("2")  # walk-in queue: how many people?
    path = call.gather["action"]  # the next turn's URL, as Twilio would post it
    first = signed_post(
        client,
        path,
        dict(call.params, Digits="1"),
        TOKEN,
        headers={"I-Twilio-Idempotency-Token": "tok-123"},
    )
    second = signed_post(
        client,
        path,
        dict(call.params, Digits="1"),
        TOKEN,
        headers={"I-Twilio-Idempotency-Token": "tok-123"},
    )
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data()
    with signed_rt.session_factory() as session:
        assert len(session.scalars(select(WalkinTicket.id)).all()) == 1


def test_every_step_of_a_call_is_a_distinct_event_even_with_the_same_key_pressed(dial):
    call = dial()
    call.press("7")  # not a menu choice: the retry prompt
    first = call.text
    call.press("7")  # the same key again, at the next step: a new turn, not a replay
    assert call.requests[-1].path != call.requests[-2].path
    assert call.state == "gather"
    assert call.text == first  # the same retry prompt...
    assert call.requests[-1].xml != call.requests[-2].xml  # ...in a new answer that moves the call on
    call.press("7")  # the third miss counts: every step was a turn of its own
    assert call.state != "gather" or call.text != first


def test_the_status_of_an_outbound_notice_call_is_recorded_on_its_message(client, signed_rt):
    from core.models import OutboundMessage

    sid = "CA" + "b" * 32
    with signed_rt.session_factory.begin() as session:
        session.add(
            OutboundMessage(
                clinic_id="parc", to=MARIE, kind="call", purpose="queue_notice", twilio_sid=sid, status="sent"
            )
        )
    response = signed_post(
        client,
        "/voice/status",
        call_form(CallSid=sid, CallStatus="no-answer", Direction="outbound-api", From=PARC, To=MARIE),
        TOKEN,
    )
    assert response.status_code == 200
    with signed_rt.session_factory() as session:
        assert (
            session.scalar(select(OutboundMessage.status).where(OutboundMessage.twilio_sid == sid))
            == "failed"
        )
