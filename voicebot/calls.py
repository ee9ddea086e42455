"""What a Twilio voice request tells us: the call, its clinic, the caller, and the patient's turn."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlalchemy.orm import Session

from core.dialog.types import Inbound
from core.models import CallRecord, Clinic, UTCDateTime
from core.services import audit
from core.services.clinics import clinic_by_id, clinic_for_forwarded_line, clinic_for_number
from core.services.patients import can_take_sms, mask_phone, try_normalize_phone
from core.sql import built

TERMINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
_SID = re.compile(r"[^A-Za-z0-9]")
_KEYS = re.compile(r"[^0-9*#]")
MAX_SPEECH = 500  # characters of a transcript passed on; a caller does not say more in one turn
# Twilio's answering-machine detection (AnsweredBy on a call we placed): with DetectMessageEnd a machine is
# reported once its greeting ended; "machine_start" comes only with MachineDetection=Enable.
MACHINE_ANSWERS = frozenset({"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other"})


@dataclass(frozen=True)
class CallContext:
    """Who is calling which clinic, as far as this call is concerned."""

    call_sid: str
    clinic: Clinic
    phone: str | None  # E.164, or None when the caller ID is hidden or unusable
    forwarded: bool

    @property
    def conversation_key(self) -> str:
        return self.phone or f"call:{self.call_sid}"

    @property
    def can_sms(self) -> bool:
        return bool(self.phone) and can_take_sms(self.phone)


def call_sid(form) -> str:
    """The CallSid, cleaned; empty when missing or garbage."""
    return _SID.sub("", form.get("CallSid", ""))[:34]


def caller_phone(raw: str | None) -> str | None:
    """The caller's E.164 number, or None for a hidden, anonymous or unusable caller ID."""
    return try_normalize_phone(raw)


def is_outbound(form) -> bool:
    """A call we placed (the queue notice): Twilio's `From` is then the clinic and `To` the patient."""
    return form.get("Direction", "").startswith("outbound")


def answered_by(form) -> str:
    """Who picked up a call we placed: "machine", "fax", or "person" (human, unknown, or not detected).

    "unknown" (detection timed out, or too little sound) is treated as a person: a menu a machine records is
    a wasted call, but a person who hears a voicemail instead of the menu loses the way to answer.
    """
    value = (form.get("AnsweredBy") or "").strip().lower()
    if value in MACHINE_ANSWERS:
        return "machine"
    if value == "fax":
        return "fax"
    return "person"


def inbound_turn(form, kind: str) -> Inbound:
    """The patient's turn: keys, speech with its confidence, or nothing heard."""
    if kind == "start":
        return Inbound(kind="start")
    digits = _KEYS.sub("", form.get("Digits", ""))
    if kind != "silence" and digits:
        return Inbound(kind="digits", digits=digits[:20])
    speech = " ".join(form.get("SpeechResult", "").split())[:MAX_SPEECH]
    if kind != "silence" and speech:
        return Inbound(kind="text", text=speech, confidence=_confidence(form.get("Confidence")))
    return Inbound(kind="silence")


def _confidence(raw: str | None) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    if value != value:  # NaN
        return None
    return min(max(value, 0.0), 1.0)


def event_key(sid: str, kind: str, step: int | None, token: str | None, form) -> str:
    """The idempotency key of one webhook: a retry of it carries the same token, URL step and fields."""
    if token:
        return f"voice:{sid}:t{hashlib.sha1(token.encode()).hexdigest()[:20]}"
    if step is not None:
        return f"voice:{sid}:{kind}:{step}"
    fields = "&".join(f"{k}={v}" for k, v in sorted(form.items(multi=True)))
    return f"voice:{sid}:{kind}:h{hashlib.sha1(fields.encode()).hexdigest()[:20]}"


def find_call(session: Session, form, now: dt.datetime, *, answering: bool) -> CallContext | None:
    """The call's clinic and caller; the first request of a call records it (and audits an unknown number)."""
    sid = call_sid(form)
    if answering and not is_outbound(form):
        context = _new_inbound_call(session, sid, form, now)
        if context is not None:
            return context
    record = session.get(CallRecord, sid)
    if record is not None and record.clinic_id:
        clinic = clinic_by_id(session, record.clinic_id)
        if clinic is not None:
            return CallContext(sid, clinic, record.from_number, bool(record.forwarded_from))
    forwarded_line = None
    if is_outbound(form):
        clinic = clinic_for_number(session, form.get("From"))
        phone = caller_phone(form.get("To"))
    else:
        clinic = clinic_for_forwarded_line(session, form.get("ForwardedFrom"))
        if clinic is not None:
            forwarded_line = try_normalize_phone(form.get("ForwardedFrom"))
        else:
            clinic = clinic_for_number(session, form.get("To"))
        phone = caller_phone(form.get("From"))
    if clinic is None:
        if answering:
            audit.record(
                session,
                "unknown_number",
                channel="voice",
                actor=mask_phone(phone),
                to=(form.get("To") or "")[:20],
                forwarded_from=(form.get("ForwardedFrom") or "")[:20] or None,
            )
        return None
    remember_call(session, sid, clinic.id, phone, forwarded_line, now, record=record)
    return CallContext(sid, clinic, phone, forwarded_line is not None)


def _record_new(insert):
    table = CallRecord.__table__
    values = {name: bindparam(name) for name in ("call_sid", "clinic_id", "from_number", "forwarded_from")}
    values.update(status="in-progress", started_at=bindparam("started_at", type_=UTCDateTime))
    return (
        insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=["call_sid"])
        .returning(table.c.call_sid)
    )


def _new_inbound_call(session: Session, sid: str, form, now: dt.datetime) -> CallContext | None:
    """The greeting of a call to a clinic's number, recorded in one INSERT … ON CONFLICT DO NOTHING.

    None when that is not the whole story (an unknown number, or a record a status callback wrote first):
    find_call then reads the record as for any other request of the call.
    """
    clinic = clinic_for_forwarded_line(session, form.get("ForwardedFrom"))
    forwarded_line = try_normalize_phone(form.get("ForwardedFrom")) if clinic is not None else None
    if clinic is None:
        clinic = clinic_for_number(session, form.get("To"))
    if clinic is None or not sid:
        return None
    phone = caller_phone(form.get("From"))
    row = {"call_sid": sid, "clinic_id": clinic.id, "from_number": phone, "forwarded_from": forwarded_line}
    if session.execute(built(session, _record_new), {**row, "started_at": now}).first() is None:
        return None
    return CallContext(sid, clinic, phone, forwarded_line is not None)


_UNREAD = object()


def remember_call(
    session: Session,
    sid: str,
    clinic_id: str,
    phone: str | None,
    forwarded: str | None,
    now: dt.datetime,
    record: CallRecord | None | object = _UNREAD,
) -> None:
    """Create the call's record (or fill in the clinic of one a status callback created first).

    `record` is the row the caller already read (None: there is none), which saves reading it again.
    """
    if record is _UNREAD:
        record = session.get(CallRecord, sid)
    if record is None:
        session.add(
            CallRecord(
                call_sid=sid,
                clinic_id=clinic_id,
                from_number=phone,
                forwarded_from=forwarded,
                status="in-progress",
                started_at=now,
            )
        )
    else:
        record.clinic_id = clinic_id
        record.from_number = phone
        record.forwarded_from = forwarded
