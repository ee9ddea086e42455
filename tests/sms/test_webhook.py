"""POST /sms, /sms/status and /fallback/sms at the edges: signatures, unknown numbers, bad requests, outages."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

import prompts
from clinicline.app import create_app
from core.config import Config
from core.models import AuditEntry, OutboundMessage
from tests.conftest import make_runtime
from tests.support.apps import MARIE, PARC, TOKEN, RecordingQueue
from tests.support.twilio_requests import message_texts, signed_post, sms_form, status_form
from tests.support.twilio_requests import sign as twilio_sign

UNREACHABLE_DB = "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2"


def fallback_text() -> str:
    return prompts.render("sms_fallback", "fr") + "\n" + prompts.render("sms_fallback", "en")


def test_a_forged_signature_is_refused(client):
    form = sms_form(MARIE, PARC, "RDV")
    response = signed_post(client, "/sms", form, TOKEN, signature="bm90IGEgc2lnbmF0dXJl")
    assert response.status_code == 403
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_request_without_signature_is_refused(client):
    assert client.post("/sms", data=sms_form(MARIE, PARC, "RDV")).status_code == 403


def test_a_signature_over_other_parameters_is_refused(client):
    form = sms_form(MARIE, PARC, "RDV")
    signature = twilio_sign("http://localhost/sms", {**form, "Body": "AIDE"}, TOKEN)
    assert signed_post(client, "/sms", form, TOKEN, signature=signature).status_code == 403


def test_a_signature_made_with_another_token_is_refused(client):
    form = sms_form(MARIE, PARC, "RDV")
    assert signed_post(client, "/sms", form, "another-token").status_code == 403


def test_behind_a_proxy_the_signature_covers_the_public_url(sqlite_url, clock, tmp_path):
    public = "https://clinique.example.org"
    rt = make_runtime(sqlite_url, clock, tmp_path, twilio_auth_token=TOKEN, public_base_url=public)
    rt.jobs = RecordingQueue()
    try:
        client = create_app(runtime=rt).test_client()
        form = sms_form(MARIE, "+15145559999", "RDV")  # unknown number: no dialog engine needed
        assert signed_post(client, "/sms", form, TOKEN).status_code == 403  # signed for http://localhost
        response = signed_post(client, "/sms", form, TOKEN, base_url=public)
        assert response.status_code == 200
        assert message_texts(response.data)
    finally:
        rt.dispose()


def test_without_a_token_requests_are_not_checked(sqlite_url, clock, tmp_path):
    rt = make_runtime(sqlite_url, clock, tmp_path)
    rt.jobs = RecordingQueue()
    try:
        client = create_app(runtime=rt).test_client()
        response = client.post("/sms", data=sms_form(MARIE, "+15145559999", "RDV"))
        assert response.status_code == 200
        [text] = message_texts(response.data)
        assert prompts.render("sms_unknown_number", "fr") in text  # answered, not the fallback
    finally:
        rt.dispose()


def test_an_unknown_clinic_number_gets_a_polite_bilingual_answer_and_an_audit_entry(client, signed_rt):
    response = signed_post(client, "/sms", sms_form(MARIE, "+15145559999", "RDV"), TOKEN)
    assert response.status_code == 200
    [text] = message_texts(response.data)
    french, english = prompts.render("sms_unknown_number", "fr"), prompts.render("sms_unknown_number", "en")
    assert text.index(french) < text.index(english)
    assert "9-1-1" in text
    with signed_rt.session_factory() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "unknown_number"))
    assert entry is not None
    assert entry.channel == "sms"
    assert entry.detail["to"] == "+15145559999"
    assert MARIE not in (entry.actor or "")  # the patient's number is masked in the audit trail


@pytest.mark.parametrize("to", ["", "not a number", "12345"])
def test_a_garbage_clinic_number_is_unknown_not_an_error(client, to):
    response = signed_post(client, "/sms", sms_form(MARIE, to or "x", "RDV"), TOKEN)
    assert response.status_code == 200
    [text] = message_texts(response.data)
    assert prompts.render("sms_unknown_number", "fr") in text


@pytest.mark.parametrize("missing", ["From", "To"])
def test_a_request_without_from_or_to_is_a_bad_request_without_a_stack_trace(client, missing):
    form = sms_form(MARIE, PARC, "RDV")
    del form[missing]
    response = signed_post(client, "/sms", form, TOKEN)
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "sender", ["anonymous", "Restricted", "+266696687", "+86282452253", "12345", "CLINIQUE", "+1555"]
)
def test_an_unusable_sender_gets_a_polite_answer(client, sender):
    response = signed_post(client, "/sms", sms_form(sender, PARC, "RDV"), TOKEN)
    assert response.status_code == 200
    [text] = message_texts(response.data)
    assert prompts.render("sms_unusable_sender", "fr") in text


def test_the_fallback_answers_with_no_database_at_all(tmp_path):
    config = Config.from_env(
        {}, database_url=UNREACHABLE_DB, instance_path=tmp_path, twilio_auth_token=TOKEN, testing=True
    )
    client = create_app(config).test_client()
    response = signed_post(client, "/fallback/sms", sms_form(MARIE, PARC, "RDV"), TOKEN)
    assert response.status_code == 200
    [text] = message_texts(response.data)
    assert text == fallback_text()
    assert text.index("Réessayez") < text.index("try again")
    assert "9-1-1" in text
    assert "8-1-1" in text


def test_the_fallback_is_signed_like_every_webhook(client):
    form = sms_form(MARIE, PARC, "RDV")
    assert signed_post(client, "/fallback/sms", form, TOKEN, signature="forged").status_code == 403


def test_when_the_database_is_unreachable_the_patient_gets_the_fallback_text(tmp_path):
    config = Config.from_env(
        {}, database_url=UNREACHABLE_DB, instance_path=tmp_path, twilio_auth_token=TOKEN, testing=True
    )
    client = create_app(config).test_client()
    response = signed_post(client, "/sms", sms_form(MARIE, PARC, "RDV"), TOKEN)
    assert response.status_code == 200
    assert message_texts(response.data) == [fallback_text()]


def test_when_the_database_file_is_gone_the_patient_gets_the_fallback_text(client, signed_rt, sqlite_url):
    signed_rt.engine.dispose()
    os.remove(sqlite_url.removeprefix("sqlite:///"))
    response = signed_post(client, "/sms", sms_form(MARIE, PARC, "RDV"), TOKEN)
    assert response.status_code == 200
    assert message_texts(response.data) == [fallback_text()]


def test_the_status_callback_is_signed(client):
    form = status_form("SM" + "1" * 32, "delivered")
    assert signed_post(client, "/sms/status", form, TOKEN, signature="forged").status_code == 403


def test_a_status_callback_without_a_message_sid_is_a_bad_request(client):
    form = status_form("", "delivered")
    assert signed_post(client, "/sms/status", form, TOKEN).status_code == 400


def _outbound(signed_rt, sid: str) -> int:
    with signed_rt.session_factory.begin() as session:
        message = OutboundMessage(
            clinic_id="parc", to=MARIE, purpose="confirmation", body="x", status="sent", twilio_sid=sid
        )
        session.add(message)
        session.flush()
        return message.id


def _status_of(signed_rt, message_id: int) -> tuple[str, str | None]:
    with signed_rt.session_factory() as session:
        message = session.get(OutboundMessage, message_id)
        return message.status, message.error_code


def test_a_delivery_report_is_recorded_on_the_message(client, signed_rt):
    sid = "SM" + "a" * 32
    message_id = _outbound(signed_rt, sid)
    response = signed_post(client, "/sms/status", status_form(sid, "delivered"), TOKEN)
    assert response.status_code == 204
    assert _status_of(signed_rt, message_id) == ("delivered", None)


def test_a_failed_delivery_keeps_its_error_code(client, signed_rt):
    sid = "SM" + "b" * 32
    message_id = _outbound(signed_rt, sid)
    response = signed_post(client, "/sms/status", status_form(sid, "undelivered", "30005"), TOKEN)
    assert response.status_code == 204
    assert _status_of(signed_rt, message_id) == ("failed", "30005")


def test_a_report_about_an_unknown_message_is_accepted_and_ignored(client, signed_rt):
    sid = "SM" + "e" * 32
    message_id = _outbound(signed_rt, sid)
    response = signed_post(client, "/sms/status", status_form("SM" + "c" * 32, "delivered"), TOKEN)
    assert response.status_code == 204
    assert _status_of(signed_rt, message_id) == ("sent", None)  # no other message is touched


def test_a_delivery_report_while_the_database_is_down_is_kept_for_later(tmp_path):
    # Twilio does not send a status callback again after an error answer: it is spooled, and replayed.
    from core.spool import Spool

    config = Config.from_env(
        {}, database_url=UNREACHABLE_DB, instance_path=tmp_path, twilio_auth_token=TOKEN, testing=True
    )
    app = create_app(config)
    response = signed_post(app.test_client(), "/sms/status", status_form("SM" + "d" * 32, "delivered"), TOKEN)
    app.extensions["clinicline"].dispose()
    assert response.status_code == 204
    (entry,) = Spool(tmp_path / "spool").pending()
    assert (entry.kind, entry.data["sid"], entry.data["status"]) == ("status", "SM" + "d" * 32, "delivered")
