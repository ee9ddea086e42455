"""Twilio Messaging webhooks: POST /sms, POST /sms/status, POST /fallback/sms."""

from __future__ import annotations

import logging
import unicodedata

from flask import Response, abort, request
from sqlalchemy.exc import SQLAlchemyError

from core.dialog import run_turn
from core.dialog.types import Inbound
from core.services import audit
from core.services.clinics import clinic_for_number
from core.services.notifications import record_delivery_status
from core.services.patients import mask_phone, try_normalize_phone
from core.spool import replay_if_pending
from core.webhooks import runtime, signature_is_valid
from smsbot import bp, degraded
from smsbot.reply import bilingual, renderer, twiml

log = logging.getLogger(__name__)

# Twilio reassembles long messages (up to 1,600 characters). The dialog reads a request from the first
# words, but safety words count anywhere, so the whole message goes to it.
MAX_BODY_CHARS = 1600


def clean_body(raw: str | None) -> str:
    """The text of a message: control characters dropped, spaces collapsed, capped at a word boundary."""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in raw or "")
    text = " ".join(text.split())
    if len(text) > MAX_BODY_CHARS:
        cut = text[:MAX_BODY_CHARS]
        text = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return text


def _xml(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="application/xml")


def _check_signature() -> None:
    config = runtime().config
    if config.verify_signatures and not signature_is_valid(
        request, config.twilio_auth_token, config.public_base_url
    ):
        log.warning("rejected %s: invalid X-Twilio-Signature", request.path)
        abort(403)


@bp.post("/sms")
def inbound_sms() -> Response:
    """A message comes in: find the clinic and the patient, take one dialog turn, answer in TwiML."""
    _check_signature()
    form = request.form
    to, sender = form.get("To", "").strip(), form.get("From", "").strip()
    if not to or not sender:
        return _xml(twiml(), 400)
    rt = runtime()
    message_sid = form.get("MessageSid") or form.get("SmsSid")
    phone = try_normalize_phone(sender)
    try:
        with rt.session_factory.begin() as session:
            clinic = clinic_for_number(session, to)
            if clinic is None:
                audit.record(session, "unknown_number", channel="sms", actor=mask_phone(phone), to=to[:20])
                return _xml(twiml(bilingual("sms_unknown_number")))
            if phone is None:
                audit.record(session, "unusable_sender", channel="sms", clinic_id=clinic.id)
                return _xml(twiml(bilingual("sms_unusable_sender")))
            clinic_id, timezone = clinic.id, clinic.timezone
        replay_if_pending(rt)  # requests spooled while the database was down go first, in arrival order
        body, _outcome = run_turn(
            rt,
            channel="sms",
            clinic=clinic_id,
            conversation_key=phone,
            phone=phone,
            inbound=Inbound(kind="text", text=clean_body(form.get("Body"))),
            render=renderer(timezone),
            event_key=f"sms:{message_sid}" if message_sid else None,
        )
    except SQLAlchemyError as exc:  # an outage: one line each, not a traceback per patient
        log.error("database unavailable while answering an SMS: %s", exc.__class__.__name__)
        return _xml(degraded.fallback(rt, form, clean_body(form.get("Body"))))
    except Exception:  # a patient must get an answer even when a turn breaks; the log keeps the error
        log.exception("SMS turn failed")
        return _xml(twiml(bilingual("sms_fallback")))
    return _xml(body)


@bp.post("/sms/status")
def sms_status() -> Response:
    """Twilio reports the delivery of an outbound message."""
    _check_signature()
    form = request.form
    message_sid = form.get("MessageSid") or form.get("SmsSid")
    status = form.get("MessageStatus") or form.get("SmsStatus")
    if not message_sid or not status:
        return Response(status=400)
    rt = runtime()
    try:
        with rt.session_factory.begin() as session:
            record_delivery_status(session, message_sid, status, form.get("ErrorCode") or None, rt.now())
    except SQLAlchemyError as exc:
        log.error(
            "database unavailable while recording SMS status %s: %s", message_sid, exc.__class__.__name__
        )
        degraded.spool_status(rt, form)  # Twilio does not send a status again: keep it for replay
    return Response(status=204)


@bp.post("/fallback/sms")
def fallback_sms() -> Response:
    """Twilio's fallback when /sms fails: the degraded line, with no database and no Redis."""
    _check_signature()
    return _xml(degraded.fallback(runtime(), request.form, clean_body(request.form.get("Body"))))
