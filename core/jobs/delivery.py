"""Sending one OutboundMessage at most once, across retries, restarts and workers killed mid-request.

The steps, each its own transaction:

1. Claim: lock the row; if it is still pending and due (or its previous attempt's lease ran out), check it
   should still go (patient not opted out, appointment still booked, inside quiet hours…), render its text
   once, set status "sending" with a new attempt token and the wall-clock claim time, and COMMIT — before
   Twilio is asked anything.
2. Recover: when an earlier attempt was claimed (it may have reached Twilio and died before storing the
   answer), list the recent messages (or calls) to that number from that sender on Twilio and adopt one
   created since that attempt, with the same text, that no other row owns. Only if there is none, create it.
3. Record the sid (status "sent") — only if the row still carries this attempt's token.

Guarantee: one row (one dedupe key) leads to at most one message (or call) accepted by Twilio, as long
as Twilio lists an accepted message by the time a retry looks (a retry waits at least the lease, two
minutes) and nothing else sends the same text from the same number to that patient meanwhile. When the
lookup itself fails, nothing is sent; the row is tried again later. A pending row is tried until it is
sent or has failed MAX_ATTEMPTS times: the periodic tick picks up due rows and abandoned leases, so a lost
rq job or a dead worker delays a message but does not lose it.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import logging
import uuid

from sqlalchemy import select, update

from core.config import Config
from core.jobs import outbox
from core.jobs.sender import MACHINE_DETECTION, PermanentSendError, Sender, SendError, TransientSendError
from core.models import Appointment, Clinic, OutboundMessage, Patient, utcnow
from core.runtime import Runtime
from core.services import notifications
from core.services.patients import mask_phone

log = logging.getLogger(__name__)

LEASE_SECONDS = 120  # longer than one attempt can take (two HTTP calls of at most 10 s each)
CLOCK_SKEW = dt.timedelta(minutes=5)  # Twilio's clock against ours, for "created since that attempt"
REMINDER_CONTEXT_HOURS = 36
SEND = "core.jobs.tasks.send_message"


def lease(runtime: Runtime) -> dt.timedelta:
    """How long a claimed attempt is left alone before another may take the row over."""
    return dt.timedelta(seconds=runtime.config.extra.get("send_lease_seconds", LEASE_SECONDS))


@functools.cache
def _sender_for(account_sid: str, auth_token: str, api_base_url: str) -> Sender:
    return Sender(
        Config.from_env(
            {}, twilio_account_sid=account_sid, twilio_auth_token=auth_token, twilio_api_base_url=api_base_url
        )
    )


def _sender(runtime: Runtime) -> Sender:
    """One client per account and API, so its HTTP connections are reused from message to message."""
    config = runtime.config
    return _sender_for(config.twilio_account_sid, config.twilio_auth_token, config.twilio_api_base_url)


def _prime_reminder(session, message: OutboundMessage, patient: Patient, now: dt.datetime) -> None:
    """Put the patient's SMS conversation in the reminder flow so "1" or "ANNULER" is read about this appointment."""
    prime = getattr(importlib.import_module("core.dialog"), "prime", None)
    if prime is None:
        log.warning(
            "core.dialog.prime is missing: the reply to reminder %s is read without context", message.id
        )
        return
    appointment = session.get(Appointment, message.appointment_id)
    minutes = int(min((appointment.starts_at - now).total_seconds() / 60, REMINDER_CONTEXT_HOURS * 60))
    prime(
        session,
        channel="sms",
        conversation_key=patient.phone,
        clinic_id=message.clinic_id,
        flow="reminder",
        data={"appointment_id": message.appointment_id},
        now=now,
        minutes=max(minutes, 1),
    )


def _claim(runtime: Runtime, message_id: int) -> tuple[str, dict | None]:
    """Step 1: ("go", attempt) with what step 2 needs, or (an outcome, None) when nothing is to be sent."""
    now, wall = runtime.now(), utcnow()
    with runtime.session_factory.begin() as session:
        message = session.get(OutboundMessage, message_id, with_for_update=True)
        if message is None:
            return "missing", None
        if message.status in notifications.FINAL:
            return message.status, None
        if message.status == "sending" and message.claimed_at and wall - message.claimed_at < lease(runtime):
            return "busy", None
        if message.send_after > now:
            return "not_due", None
        patient = session.get(Patient, message.patient_id) if message.patient_id else None
        if patient is not None and patient.opted_out:
            notifications._close(message, "not_sent", now, "patient opted out")
            return "not_sent", None
        reason = notifications.why_not_send(session, message, now)
        if reason:
            notifications._close(message, "withdrawn", now, reason)
            return "withdrawn", None
        clinic = session.get(Clinic, message.clinic_id)
        first_sms_reminder = message.purpose == "reminder" and message.kind == "sms" and message.attempts == 0
        if first_sms_reminder and patient is not None and notifications.reminder_kind(patient) == "call":
            message.kind = "call"  # the number refused SMS since this reminder was planned
        if message.purpose in notifications.QUIET_HOURS_PURPOSES:
            window = notifications.next_send_window(clinic, now)
            if window > now:  # picked up late, at night: wait for the morning
                message.status = "pending"
                message.send_after = window
                outbox.add(session, SEND, message.id, now=now, at=window)
                return "postponed", {"at": window}
        if message.kind == "sms" and not message.body:
            message.body = notifications.render_body(session, message, now)
        config = runtime.config
        if not config.sends_for_real:
            notifications._close(message, "not_sent", now, "no Twilio credentials")
            log.info(
                "not sent (no Twilio credentials) %s %s to %s: %s",
                message.kind,
                message.purpose,
                mask_phone(message.to),
                message.body,
            )
            return "not_sent", None
        if not message.from_number:
            notifications._close(message, "failed", now, "the clinic has no Twilio number")
            return "failed", None
        if message.kind == "call" and not config.public_base_url:
            notifications._close(message, "not_sent", now, "PUBLIC_BASE_URL is needed for calls")
            return "not_sent", None
        if message.attempts >= notifications.MAX_ATTEMPTS:
            notifications._close(message, "failed", now, message.error_message or "too many attempts")
            return "failed", None
        previous_claim = message.claimed_at
        token = uuid.uuid4().hex
        message.status = "sending"
        message.attempts += 1
        message.attempt_token = token
        message.claimed_at = wall
        message.updated_at = now
        if message.kind == "sms" and message.purpose == "reminder" and patient is not None:
            _prime_reminder(session, message, patient, now)
        others = session.scalars(
            select(OutboundMessage.twilio_sid).where(
                OutboundMessage.to == message.to,
                OutboundMessage.twilio_sid.is_not(None),
                OutboundMessage.id != message.id,
            )
        ).all()
        base = config.public_base_url
        attempt = {
            "token": token,
            "kind": message.kind,
            "to": message.to,
            "from": message.from_number,
            "body": message.body,
            "previous_claim": previous_claim,
            "others": set(others),
            "url": notifications.call_url(message, base) if base else None,
            "sms_callback": f"{base}/sms/status" if base else None,
            "call_callback": f"{base}/voice/status" if base else None,
            # "" turns answering-machine detection off (an account without it, a test of plain calls)
            "machine_detection": config.extra.get("machine_detection", MACHINE_DETECTION),
        }
    return "go", attempt


def _ask_twilio(sender: Sender, attempt: dict) -> str:
    """Step 2: the sid of the message or call, found from an earlier attempt or created now."""
    since = attempt["previous_claim"]
    if since is not None:
        since -= CLOCK_SKEW
        if attempt["kind"] == "sms":
            found = sender.find_sms(attempt["to"], attempt["from"], attempt["body"], since, attempt["others"])
        else:
            found = sender.find_call(attempt["to"], attempt["from"], since, attempt["others"])
        if found:
            log.info("adopting %s, created by an earlier attempt", found)
            return found
    if attempt["kind"] == "sms":
        return sender.send_sms(attempt["to"], attempt["from"], attempt["body"], attempt["sms_callback"])
    return sender.place_call(
        attempt["to"], attempt["from"], attempt["url"], attempt["call_callback"], attempt["machine_detection"]
    )


def send_message(runtime: Runtime, message_id: int) -> str:
    """Send one stored message (idempotent); returns what became of it."""
    outcome, attempt = _claim(runtime, message_id)
    if outcome != "go":
        return outcome
    token = attempt["token"]
    try:
        sid = _ask_twilio(_sender(runtime), attempt)
    except SendError as exc:
        return _after_error(runtime, message_id, token, exc)
    now = runtime.now()
    with runtime.session_factory.begin() as session:
        stored = session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id, OutboundMessage.attempt_token == token)
            .values(status="sent", twilio_sid=sid, sent_at=now, updated_at=now, error_code=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    if not stored:  # another attempt took over meanwhile; it finds and adopts this same sid
        log.warning("message %s: attempt %s superseded after Twilio accepted %s", message_id, token, sid)
    return "sent"


def _after_error(runtime: Runtime, message_id: int, token: str, exc: SendError) -> str:
    now = runtime.now()
    code = str(exc.code) if exc.code is not None else None
    with runtime.session_factory.begin() as session:
        message = session.get(OutboundMessage, message_id, with_for_update=True)
        if message is None or message.attempt_token != token:
            return "superseded"
        message.error_code = code
        message.error_message = str(exc)[:200]
        message.updated_at = now
        if isinstance(exc, TransientSendError) and message.attempts < notifications.MAX_ATTEMPTS:
            message.status = "pending"
            message.send_after = now + notifications.retry_delay(message.attempts)
            outbox.add(session, SEND, message_id, now=now, at=message.send_after)
            outcome = "retry"
        else:
            message.status = "failed"
            outcome = "failed"
            if isinstance(exc, PermanentSendError):
                follow = notifications.apply_permanent_error(session, message, code, now)
                if follow is not None and follow.status == "pending":
                    session.flush()
                    outbox.add(session, SEND, follow.id, now=now)
    log.info("message %s: %s (%s)", message_id, outcome, exc)
    outbox.kick(runtime)
    return outcome
