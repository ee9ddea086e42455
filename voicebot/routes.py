"""The phone line's webhooks: a call comes in, each answer, silence, a transfer's end, status, the calls we place."""

from __future__ import annotations

import logging

from flask import Response, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

import core.dialog as dialog
from core.dialog import hangup
from core.dialog.types import Inbound, Outcome, Reply
from core.dialog.voicemail import generic_voicemail, voicemail_for
from core.flows import Flow
from core.models import Appointment, AppointmentStatus, CallRecord, TicketStatus, WaitlistOffer, WalkinTicket
from core.replay import answer_once
from core.services import audit, waitlist
from core.services.clinics import clinic_by_id, clinic_for_number
from core.services.notifications import record_answered_by, record_delivery_status
from core.services.patients import mask_phone
from core.spool import replay_if_pending
from core.webhooks import runtime, twilio_webhook
from voicebot import bp, degraded
from voicebot.calls import (
    TERMINAL_STATUSES,
    CallContext,
    answered_by,
    call_sid,
    event_key,
    find_call,
    inbound_turn,
    is_outbound,
    remember_call,
)
from voicebot.twiml import bilingual_goodbye, hang_up, render_reply, say_and_hang_up

log = logging.getLogger(__name__)

TURN_URL = "/voice/turn"
SILENCE_URL = "/voice/silence"
TRANSFER_URL = "/voice/transfer"
PRIMED_MINUTES = 10  # a call we placed or a failed transfer is answered within the call, never later


def twiml(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/xml")


def apology() -> Response:
    """What a caller hears when something is broken: French first, 911/811, goodbye. Needs no database."""
    return twiml(bilingual_goodbye("voice_application_error"))


def _step() -> int | None:
    raw = request.args.get("s", "")
    return int(raw) if raw.isdigit() and len(raw) < 6 else None


def render(reply: Reply, step: int) -> str:
    """A turn's reply as TwiML: the next gather, redirect and transfer carry the next step number."""
    nxt = step + 1
    return render_reply(
        reply,
        turn_url=f"{TURN_URL}?s={nxt}",
        silence_url=f"{SILENCE_URL}?s={nxt}",
        transfer_url=f"{TRANSFER_URL}?s={nxt}&lang={reply.lang}",
    )


def _run(session, call: CallContext, inbound: Inbound, step: int) -> tuple[str, Outcome]:
    """The dialog's turn of a call, rendered."""
    rt = runtime()
    outcome = dialog.run_turn(
        session,
        channel="voice",
        clinic=call.clinic,
        conversation_key=call.conversation_key,
        phone=call.phone,
        inbound=inbound,
        now=rt.now(),
        config=rt.config,
        forwarded=call.forwarded,
        can_sms=call.can_sms,
    )
    return render(outcome.reply, step), outcome


def _answer(key: str, respond) -> Response:
    """One transaction: `respond(session) -> (TwiML, outcome)`, then keep the answer and its jobs (core.replay).

    A retried event gets the TwiML it got the first time, and nothing is done twice.
    """
    body, _ = answer_once(runtime(), key, respond)
    return twiml(body)


def _turn(kind: str) -> Response:
    """One webhook of a call: find the call, hand the patient's turn to the dialog, answer TwiML."""
    sid = call_sid(request.form)
    if not sid:
        return apology()
    step = 0 if kind == "start" else _step()
    key = event_key(sid, kind, step, request.headers.get("I-Twilio-Idempotency-Token"), request.form)

    def respond(session):
        call = find_call(session, request.form, runtime().now(), answering=kind == "start")
        if call is None:
            return bilingual_goodbye("voice_unknown_number"), None
        return _run(session, call, inbound_turn(request.form, kind), step or 0)

    replay_if_pending(runtime())  # requests spooled while the database was down go first, in arrival order
    return _answer(key, respond)


@bp.post("/voice")
@twilio_webhook
def incoming_call():
    """A call comes in: greet the caller."""
    return _turn("start")


@bp.post(TURN_URL)
@twilio_webhook
def answer():
    """The caller pressed keys or spoke."""
    return _turn("turn")


@bp.post(SILENCE_URL)
@twilio_webhook
def silence():
    """The gather heard nothing and fell through to its redirect."""
    return _turn("silence")


@bp.post(TRANSFER_URL)
@twilio_webhook
def transfer_ended():
    """A transfer to the reception ended: goodbye if someone answered, else offer a callback."""
    sid = call_sid(request.form)
    if not sid:
        return apology()
    lang = request.args.get("lang", "fr")
    if request.form.get("DialCallStatus") == "completed":
        return twiml(say_and_hang_up("voice_transfer_done", lang))
    step = _step() or 0
    key = event_key(sid, "transfer", step, request.headers.get("I-Twilio-Idempotency-Token"), request.form)

    def respond(session):
        rt = runtime()
        call = find_call(session, request.form, rt.now(), answering=False)
        if call is None:
            return bilingual_goodbye("voice_unknown_number"), None
        dialog.prime(
            session,
            channel="voice",
            conversation_key=call.conversation_key,
            clinic_id=call.clinic.id,
            flow=Flow.CALLBACK,
            data={"reason": request.form.get("DialCallStatus", "no-answer")[:20]},
            now=rt.now(),
            minutes=PRIMED_MINUTES,
        )
        return _run(session, call, Inbound(kind="start"), step)

    return _answer(key, respond)


def _placed_call(
    kind: str, flow: Flow, data: dict, gone_key: str, find, voicemail: tuple[Flow, int] | None = None
) -> Response:
    """A call we placed was picked up: the dialog speaks first, primed into `flow`; a subject gone → goodbye.

    `find(session, now)` returns (clinic, patient, active) for what the call is about (None, None, False when
    it no longer exists). Twilio's answering-machine detection says who picked up (AnsweredBy): a machine
    gets the voicemail of `voicemail` = (purpose, subject id) (core/dialog/voicemail.py) instead of a menu,
    a fax is hung up on, a person (or "unknown") gets the flow.
    """
    sid = call_sid(request.form)
    if not sid:
        return apology()
    key = event_key(sid, kind, 0, request.headers.get("I-Twilio-Idempotency-Token"), request.form)
    answer = answered_by(request.form)

    def respond(session):
        rt = runtime()
        record_answered_by(session, sid, request.form.get("AnsweredBy"))
        if answer == "fax":
            return hang_up(), None
        clinic, patient, active = find(session, rt.now())
        if not active:
            clinic = clinic or clinic_for_number(session, request.form.get("From"))
            lang = (patient.lang if patient is not None else None) or (
                clinic.default_lang if clinic else "fr"
            )
            return say_and_hang_up(gone_key, lang, clinic=clinic.display_name(lang) if clinic else ""), None
        remember_call(session, sid, clinic.id, patient.phone, None, rt.now())
        if answer == "machine":
            reply = voicemail_for(session, *voicemail, rt.now()) if voicemail else None
            audit.record(
                session,
                "call.voicemail_left",
                channel="voice",
                clinic_id=clinic.id,
                actor=mask_phone(patient.phone),
                subject=f"{voicemail[0]}:{voicemail[1]}" if voicemail else kind,
                answered_by=request.form.get("AnsweredBy", "")[:24],
            )
            return render(reply or generic_voicemail(clinic, patient), 0), None
        call = CallContext(sid, clinic, patient.phone, False)
        dialog.prime(
            session,
            channel="voice",
            conversation_key=call.conversation_key,
            clinic_id=clinic.id,
            flow=flow,
            data=data,
            now=rt.now(),
            minutes=PRIMED_MINUTES,
        )
        return _run(session, call, Inbound(kind="start"), 0)

    return _answer(key, respond)


@bp.post("/voice/notice/<int:ticket_id>")
@twilio_webhook
def queue_notice(ticket_id: int):
    """Our call to a landline patient whose walk-in turn is near: read the notice, 1 coming, 2 leave."""

    def find(session, now):
        ticket = session.get(WalkinTicket, ticket_id)
        if ticket is None:
            return None, None, False
        return clinic_by_id(session, ticket.clinic_id), ticket.patient, ticket.is_active

    data = {"ticket_id": ticket_id}
    voicemail = (Flow.QUEUE_NOTICE, ticket_id)
    return _placed_call("notice", Flow.QUEUE_NOTICE, data, "voice_notice_gone", find, voicemail)


@bp.post("/voice/called/<int:ticket_id>")
@twilio_webhook
def called_notice(ticket_id: int):
    """Our call to a landline patient staff have just called: it is their turn, and where to go."""

    def find(session, now):
        ticket = session.get(WalkinTicket, ticket_id)
        if ticket is None:
            return None, None, False
        return clinic_by_id(session, ticket.clinic_id), ticket.patient, ticket.status == TicketStatus.CALLED

    data = {"ticket_id": ticket_id}
    return _placed_call("called", Flow.CALLED, data, "voice_notice_gone", find, (Flow.CALLED, ticket_id))


def _appointment_call(kind: str, flow: Flow, appointment_id: int, gone_key: str, active) -> Response:
    """A call we placed about an appointment: `active(appointment, now)` says whether it still stands."""

    def find(session, now):
        appointment = session.get(Appointment, appointment_id)
        if appointment is None:
            return None, None, False
        return appointment.clinic, appointment.patient, active(appointment, now)

    data = {"appointment_id": appointment_id}
    return _placed_call(kind, flow, data, gone_key, find, (flow, appointment_id))


@bp.post("/voice/reminder/<int:appointment_id>")
@twilio_webhook
def reminder(appointment_id: int):
    """Our reminder call to a patient who takes calls only: the appointment, 1 confirm, 2 cancel, 3 change."""
    return _appointment_call(
        "reminder",
        Flow.REMINDER,
        appointment_id,
        "voice_reminder_gone",
        lambda a, now: a.is_upcoming(now),
    )


@bp.post("/voice/missed/<int:appointment_id>")
@twilio_webhook
def missed(appointment_id: int):
    """Our call after a no-show, to a patient who takes calls only: 1 books another appointment, 2 goodbye."""
    return _appointment_call(
        "missed",
        Flow.NO_SHOW,
        appointment_id,
        "voice_missed_gone",
        lambda a, _now: a.status == AppointmentStatus.NO_SHOW,
    )


@bp.post("/voice/cancelled/<int:appointment_id>")
@twilio_webhook
def schedule_cancelled(appointment_id: int):
    """Our call after the clinic cancelled an appointment (a closure or an absence), to a patient who takes
    calls only: which appointment, then 1 books another one (the no-show call's question)."""
    return _appointment_call(
        "cancelled",
        Flow.SCHEDULE_CANCELLED,
        appointment_id,
        "voice_missed_gone",
        lambda a, _now: a.status == AppointmentStatus.CANCELLED,
    )


@bp.post("/voice/offer/<int:offer_id>")
@twilio_webhook
def waitlist_offer(offer_id: int):
    """Our call offering a freed slot (or walk-in place) to a patient who takes calls only: 1 takes it.

    Answering-machine detection hooks in here as one argument: `voicemail=(Flow.WAITLIST_OFFER, offer_id)`,
    its words being core.services.waitlist.voicemail_says.
    """

    def find(session, now):
        offer = session.get(WaitlistOffer, offer_id)
        if offer is None:
            return None, None, False
        active = offer.status == waitlist.OPEN and offer.expires_at > now and offer.entry.status == "waiting"
        return clinic_by_id(session, offer.clinic_id), offer.entry.patient, active

    data = {"offer_id": offer_id}
    voicemail = (Flow.WAITLIST_OFFER, offer_id)  # core/dialog/voicemail.py: the offer's own words
    return _placed_call("offer", Flow.WAITLIST_OFFER, data, "voice_offer_gone", find, voicemail)


@bp.post("/voice/spooled/<int:message_id>")
@twilio_webhook
def spooled_outcome(message_id: int):
    """Our call telling a landline what became of the request it made while the database was down.

    The outcome is a complete message said twice, fit for a person and a machine alike; a fax is hung up on.
    """
    if answered_by(request.form) == "fax":
        return twiml(hang_up())
    return twiml(degraded.spooled_outcome_call(runtime(), message_id))


@bp.post("/voice/status")
@twilio_webhook
def call_status():
    """How a call ended: keep its status and duration, and give back a slot a hang-up left on hold."""
    sid = call_sid(request.form)
    status = request.form.get("CallStatus", "")[:20]
    if not sid or not status:
        return twiml("<Response/>")
    rt = runtime()
    try:
        _record_call_status(rt, sid, status)
    except SQLAlchemyError:
        log.error("voice: database unavailable while recording the status of %s", sid)
        degraded.spool_call_status(rt, request.form)  # Twilio does not send it again: kept for replay
    return twiml("<Response/>")


def _record_call_status(rt, sid: str, status: str) -> None:
    with rt.session_factory.begin() as session:
        record = session.get(CallRecord, sid)
        if record is None:
            number = request.form.get("From") if is_outbound(request.form) else request.form.get("To")
            clinic = clinic_for_number(session, number)
            record = CallRecord(call_sid=sid, clinic_id=clinic.id if clinic else None, started_at=rt.now())
            session.add(record)
        record.status = status
        duration = request.form.get("CallDuration", "")
        if duration.isdigit():
            record.duration_seconds = int(duration)
        if status in TERMINAL_STATUSES:
            record.ended_at = record.ended_at or rt.now()
            if record.clinic_id:
                key = record.from_number or f"call:{sid}"
                hangup.abandon(session, key, record.clinic_id, "voice")
        if is_outbound(request.form):  # the calls we place are deliveries too: their message keeps the status
            record_delivery_status(
                session,
                sid,
                status,
                request.form.get("ErrorCode") or None,
                rt.now(),
                answered_by=request.form.get("AnsweredBy") or None,
            )


@bp.post("/fallback/voice")
@twilio_webhook
def fallback():
    """Twilio's fallback URL and the degraded menu's steps: no database, no Redis."""
    return twiml(degraded.handle(runtime(), request.form, request.args))


@bp.errorhandler(SQLAlchemyError)
def database_down(exc):
    log.error("voice: database unavailable: %s", exc.__class__.__name__)
    return twiml(degraded.menu(runtime(), request.form))


@bp.errorhandler(Exception)
def unexpected(exc):
    if isinstance(exc, HTTPException):
        return exc
    log.exception("voice: unexpected error")
    return apology()
