"""Replaying one spooled request through the normal services, with its processed-entry marker (never commits).

A walk-in request takes a number of the queue of the day it arrived (if that day is still today), at its
arrival instant, so its place follows arrival order; a callback request becomes a CallbackRequest the
console lists; a delivery status is recorded on its message. Each walk-in or callback request gets one
outcome message (an OutboundMessage, deduplicated by the entry's id), by SMS or by a call for numbers
that cannot take SMS.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import AlreadyInQueue, QueueFull, WalkinNotOpen, WalkinUnavailable
from core.models import CallbackRequest, CallRecord, Channel, Clinic, ProcessedEvent, WalkinTicket
from core.services import audit
from core.services.clinics import clinic_for_number, local_now
from core.services.notifications import create_message, record_delivery_status, reminder_kind
from core.services.patients import get_or_create_patient, mask_phone, try_normalize_phone
from core.services.walkin import join_walkin_queue
from core.spool import Entry
from prompts import render
from prompts.format import format_time
from prompts.sms import says_text

log = logging.getLogger(__name__)

MARKER_PREFIX = "spool:"
PURPOSE_PREFIX = "spooled_"
CALL_STATUS_TERMINAL = ("completed", "busy", "no-answer", "failed", "canceled")


@dataclass(frozen=True)
class Applied:
    """What replaying one entry did: `already` when its marker was there; the outcome message, if any."""

    already: bool = False
    outcome: str = ""
    message_id: int | None = None


def marker_key(entry: Entry) -> str:
    """The marker of an entry: its webhook event when it has one (Twilio's retry of it is the same request)."""
    return (MARKER_PREFIX + (entry.data.get("event") or entry.id))[:200]


def _claim(session: Session, entry: Entry) -> ProcessedEvent | None:
    """Insert the entry's marker first in this transaction; None when it was replayed already.

    On PostgreSQL a concurrent replay of the same entry waits on the marker's key until the first commits,
    then fails here and does nothing.
    """
    key = marker_key(entry)
    if session.get(ProcessedEvent, key) is not None:
        return None
    marker = ProcessedEvent(key=key, response="")
    try:
        with session.begin_nested():
            session.add(marker)
    except IntegrityError:
        return None
    return marker


def apply(session: Session, entry: Entry, now: dt.datetime) -> Applied:
    """Do what one spooled entry asked, in the caller's transaction, once."""
    marker = _claim(session, entry)
    if marker is None:
        return Applied(already=True)
    if entry.kind == "status":
        applied = _status(session, entry, now)
    else:
        clinic = _clinic(session, entry)
        phone = try_normalize_phone(entry.data.get("phone"))
        if clinic is None or phone is None:
            log.warning("spool entry %s: no clinic or no usable number; dropped", entry.id)
            applied = Applied(outcome="dropped")
        elif entry.kind == "walkin":
            applied = _walkin(session, entry, clinic, phone, now)
        else:
            applied = _callback(session, entry, clinic, phone, now)
    marker.response = applied.outcome
    return applied


def _clinic(session: Session, entry: Entry) -> Clinic | None:
    clinic_id = entry.data.get("clinic_id")
    clinic = session.get(Clinic, clinic_id) if clinic_id else None
    return clinic or clinic_for_number(session, entry.data.get("to"))


def _patient(session: Session, phone: str, entry: Entry):
    lang = entry.data.get("lang") if entry.data.get("lang") in ("fr", "en") else None
    patient = get_or_create_patient(session, phone, lang)
    if patient.lang is None and lang:
        patient.lang = lang
    return patient


def _walkin(session: Session, entry: Entry, clinic: Clinic, phone: str, now: dt.datetime) -> Applied:
    patient = _patient(session, phone, entry)
    channel = Channel(entry.data.get("channel", "sms"))
    ticket: WalkinTicket | None = None
    if local_now(clinic, entry.at).date() != local_now(clinic, now).date():
        outcome = "expired"  # the day it was asked for is over: a number for another day would mislead
    else:
        try:
            # At its arrival instant: the opening hours it was asked in, the day it was asked for.
            ticket = join_walkin_queue(session, clinic, patient, channel, entry.at, actor=mask_phone(phone))
            outcome = "joined"
        except AlreadyInQueue as exc:
            ticket = session.get(WalkinTicket, exc.ticket_id)
            outcome = "already"
        except QueueFull:
            outcome = "full"
        except WalkinNotOpen:
            outcome = "closed"
        except WalkinUnavailable:
            outcome = "unavailable"
    if outcome == "already" and _told_about(session, ticket):
        return Applied(outcome="already")  # asked twice during the outage: one message is enough
    audit.record(
        session,
        "spool.walkin_replayed",
        channel=channel,
        clinic_id=clinic.id,
        actor=mask_phone(phone),
        subject=f"ticket:{ticket.id}" if ticket is not None else None,
        outcome=outcome,
        arrived=entry.at.isoformat(),
    )
    values = {"number": ticket.number} if ticket is not None else {}
    message = _outcome_message(
        session, entry, clinic, patient, f"spooled_walkin_{outcome}", now, values, ticket
    )
    return Applied(outcome=outcome, message_id=message.id if message.status == "pending" else None)


def _told_about(session: Session, ticket: WalkinTicket) -> bool:
    """Whether an earlier spooled request already gave this ticket's patient its outcome."""
    from core.models import OutboundMessage

    return (
        session.scalar(
            select(OutboundMessage.id).where(
                OutboundMessage.ticket_id == ticket.id, OutboundMessage.purpose == PURPOSE_PREFIX + "walkin"
            )
        )
        is not None
    )


def _callback(session: Session, entry: Entry, clinic: Clinic, phone: str, now: dt.datetime) -> Applied:
    patient = _patient(session, phone, entry)
    name = (entry.data.get("name") or "").strip()[:120] or None
    session.add(
        CallbackRequest(clinic_id=clinic.id, phone=phone, name=name, reason="spooled", created_at=entry.at)
    )
    audit.record(
        session,
        "spool.callback_replayed",
        channel=entry.data.get("channel", "sms"),
        clinic_id=clinic.id,
        actor=mask_phone(phone),
        arrived=entry.at.isoformat(),
    )
    message = _outcome_message(session, entry, clinic, patient, "spooled_callback_recorded", now, {}, None)
    return Applied(outcome="recorded", message_id=message.id if message.status == "pending" else None)


def _outcome_message(session, entry, clinic, patient, key, now, values, ticket):
    """The one message that tells the patient what became of their request (text rendered now, kept)."""
    kind = reminder_kind(patient)
    lang = patient.lang or entry.data.get("lang") or clinic.default_lang
    arrived = local_now(clinic, entry.at).time().replace(second=0, microsecond=0)
    values = {"clinic": clinic.display_name(lang), "time": arrived, **values}
    if kind == "call":  # said by the call's own route (voicebot/routes.py), which reads the text kept
        body = render(key, lang, "voice", **(values | {"time": format_time(arrived, lang, "voice")}))
    else:
        from core.dialog.types import Say  # the dialog package imports the services, not the other way

        body = says_text([Say(key, values)], lang)
    message = create_message(
        session,
        clinic=clinic,
        patient=patient,
        purpose=PURPOSE_PREFIX + entry.kind,
        subject=f"spool:{entry.id}"[:80],
        dedupe_key=f"spool:{entry.id}"[:120],
        now=now,
        kind=kind,
        ticket_id=ticket.id if ticket is not None else None,
    )
    if not message.body:
        message.body = body
        message.lang = lang
    return message


def _status(session: Session, entry: Entry, now: dt.datetime) -> Applied:
    """A delivery or call status that arrived while the database was down: recorded as if on time."""
    data = entry.data
    sid, status = data.get("sid"), data.get("status")
    if data.get("channel") == "voice":
        record = session.get(CallRecord, sid)
        if record is not None:
            record.status = status
            duration = str(data.get("duration") or "")
            if duration.isdigit():
                record.duration_seconds = int(duration)
            if status in CALL_STATUS_TERMINAL:
                record.ended_at = record.ended_at or entry.at
        if not data.get("outbound"):
            return Applied(outcome="status")
    record_delivery_status(session, sid, status, data.get("error_code"), entry.at)
    return Applied(outcome="status")
