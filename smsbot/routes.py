"""Twilio Messaging webhooks: POST /sms, POST /sms/status, POST /fallback/sms."""

from __future__ import annotations

import logging
import unicodedata

from flask import Response, request
from sqlalchemy.exc import SQLAlchemyError

from core.dialog import run_turn
from core.dialog.types import Inbound, Outcome
from core.replay import answer_once
from core.services import audit
from core.services.clinics import clinic_for_number
from core.services.notifications import record_delivery_status
from core.services.patients import mask_phone, try_normalize_phone
from core.spool import replay_if_pending
from core.webhooks import runtime, twilio_webhook
from smsbot import bp, degraded
from smsbot.reply import bilingual, reply_text, twiml

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


@bp.post("/sms")
@twilio_webhook
def inbound_sms() -> Response:
    """A message comes in: one transaction finds the clinic, takes the turn and keeps the answer (once)."""
    form = request.form
    to, sender = form.get("To", "").strip(), form.get("From", "").strip()
    if not to or not sender:
        return _xml(twiml(), 400)
    rt = runtime()
    message_sid = form.get("MessageSid") or form.get("SmsSid")
    key = f"sms:{message_sid}" if message_sid else None
    phone = try_normalize_phone(sender)
    inbound = Inbound(kind="text", text=clean_body(form.get("Body")))

    def respond(session) -> tuple[str, Outcome | None]:
        return _turn(session, rt, to, phone, inbound)

    try:
        replay_if_pending(rt)  # requests spooled while the database was down go first, in arrival order
        body, _ = answer_once(rt, key, respond)
    except SQLAlchemyError as exc:  # an outage: one line each, not a traceback per patient
        log.error("database unavailable while answering an SMS: %s", exc.__class__.__name__)
        return _xml(degraded.fallback(rt, form, clean_body(form.get("Body"))))
    except Exception:  # a patient must get an answer even when a turn breaks; the log keeps the error
        log.exception("SMS turn failed")
        return _xml(twiml(bilingual("sms_fallback")))
    return _xml(body)


def _turn(session, rt, to: str, phone: str | None, inbound: Inbound) -> tuple[str, Outcome | None]:
    """The TwiML answer to a message (and the turn's outcome when the dialog took it)."""
    clinic = clinic_for_number(session, to)
    if clinic is None:
        audit.record(session, "unknown_number", channel="sms", actor=mask_phone(phone), to=to[:20])
        return twiml(bilingual("sms_unknown_number")), None
    if phone is None:
        audit.record(session, "unusable_sender", channel="sms", clinic_id=clinic.id)
        return twiml(bilingual("sms_unusable_sender")), None
    outcome = run_turn(
        session,
        channel="sms",
        clinic=clinic,
        conversation_key=phone,
        phone=phone,
        inbound=inbound,
        now=rt.now(),
        config=rt.config,
    )
    return twiml(reply_text(outcome.reply, clinic.timezone)), outcome


@bp.post("/sms/status")
@twilio_webhook
def sms_status() -> Response:
    """Twilio reports the delivery of an outbound message."""
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
@twilio_webhook
def fallback_sms() -> Response:
    """Twilio's fallback when /sms fails: the degraded line, with no database and no Redis."""
    return _xml(degraded.fallback(runtime(), request.form, clean_body(request.form.get("Body"))))
