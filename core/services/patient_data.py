"""Patient rights (Law 25): everything held about a phone number at some clinics, exported or erased.

Erasure anonymises instead of deleting what statistics count: the clinic's appointments and walk-in tickets
stay (day, time, status, channel) but move to a fresh anonymous patient; names, the number and message texts
go; conversations are deleted. The patient row itself goes when no other clinic still holds the person.
The audit log stays append-only: its lines name records by id and numbers only masked.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from core.models import (
    Appointment,
    AuditEntry,
    CallbackRequest,
    Conversation,
    InboxThread,
    OutboundMessage,
    Patient,
    Person,
    WaitlistEntry,
    WaitlistOffer,
    WalkinTicket,
)
from core.services.patients import find_patient

ERASED_PREFIX = "erased-"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula (a typed login or name may start with "=")."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _iso(value):
    return value.isoformat() if isinstance(value, dt.date | dt.datetime | dt.time) else value


def _row(obj, fields: tuple[str, ...]) -> dict:
    return {name: _iso(getattr(obj, name)) for name in fields}


def _records(session: Session, phone: str, clinic_ids: list[str]):
    """The rows about this number at these clinics."""
    patient = find_patient(session, phone)
    pid = patient.id if patient else None
    appointments = (
        session.scalars(
            select(Appointment)
            .where(Appointment.patient_id == pid, Appointment.clinic_id.in_(clinic_ids))
            .order_by(Appointment.starts_at)
        ).all()
        if pid
        else []
    )
    tickets = (
        session.scalars(
            select(WalkinTicket)
            .where(WalkinTicket.patient_id == pid, WalkinTicket.clinic_id.in_(clinic_ids))
            .order_by(WalkinTicket.joined_at)
        ).all()
        if pid
        else []
    )
    who = (
        OutboundMessage.to == phone
        if pid is None
        else or_(OutboundMessage.patient_id == pid, OutboundMessage.to == phone)
    )
    messages = session.scalars(
        select(OutboundMessage)
        .where(who, OutboundMessage.clinic_id.in_(clinic_ids))
        .order_by(OutboundMessage.id)
    ).all()
    conversations = session.scalars(
        select(Conversation).where(Conversation.phone == phone, Conversation.clinic_id.in_(clinic_ids))
    ).all()
    callbacks = session.scalars(
        select(CallbackRequest).where(
            CallbackRequest.phone == phone, CallbackRequest.clinic_id.in_(clinic_ids)
        )
    ).all()
    threads = session.scalars(
        select(InboxThread).where(InboxThread.phone == phone, InboxThread.clinic_id.in_(clinic_ids))
    ).all()
    return (
        patient,
        list(appointments),
        list(tickets),
        list(messages),
        list(conversations),
        list(callbacks),
        list(threads),
    )


def _subjects(patient, appointments, tickets, callbacks, threads) -> list[str]:
    subjects = [f"appointment:{a.id}" for a in appointments] + [f"ticket:{t.id}" for t in tickets]
    subjects += [f"callback:{c.id}" for c in callbacks] + [f"thread:{t.id}" for t in threads]
    if patient is not None:
        subjects.append(f"patient:{patient.id}")
    return subjects


def audit_subjects(session: Session, phone: str, clinic_ids: list[str]) -> list[str]:
    """The audit subjects ("appointment:12", …) that concern this number at these clinics."""
    patient, appointments, tickets, _m, _c, callbacks, threads = _records(session, phone, clinic_ids)
    return _subjects(patient, appointments, tickets, callbacks, threads)


def export(session: Session, phone: str, clinic_ids: list[str]) -> dict:
    """Everything held about the number at these clinics, as plain JSON-able data."""
    patient, appointments, tickets, messages, conversations, callbacks, threads = _records(
        session, phone, clinic_ids
    )
    subjects = _subjects(patient, appointments, tickets, callbacks, threads)
    audit_lines = (
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.clinic_id.in_(clinic_ids), AuditEntry.subject.in_(subjects))
            .order_by(AuditEntry.at, AuditEntry.id)
        ).all()
        if subjects
        else []
    )
    return {
        "phone": phone,
        "clinics": sorted(clinic_ids),
        "patient": _row(
            patient, ("id", "phone", "lang", "opted_out", "opted_out_at", "notify_by", "created_at")
        )
        if patient
        else None,
        "people": [
            _row(p, ("id", "first_name", "last_name", "birth_year", "card_last4", "created_at"))
            for p in (patient.people if patient else [])
        ],
        "appointments": [
            _row(
                a, ("id", "clinic_id", "code", "starts_at", "status", "channel", "created_at", "cancelled_at")
            )
            | {"practitioner": a.slot.practitioner.name, "person": a.person.name}
            for a in appointments
        ],
        "walkin_tickets": [
            _row(
                t,
                (
                    "id",
                    "clinic_id",
                    "number",
                    "status",
                    "channel",
                    "joined_at",
                    "called_at",
                    "served_at",
                    "ended_at",
                ),
            )
            | {"person": t.person.name}
            for t in tickets
        ],
        "messages": [
            _row(
                m,
                (
                    "id",
                    "clinic_id",
                    "to",
                    "kind",
                    "purpose",
                    "body",
                    "status",
                    "created_at",
                    "sent_at",
                    "error_code",
                ),
            )
            for m in messages
        ],
        "conversations": [
            _row(c, ("id", "clinic_id", "channel", "updated_at", "expires_at")) | {"state": c.state}
            for c in conversations
        ],
        "callbacks": [
            _row(c, ("id", "clinic_id", "name", "reason", "status", "created_at")) for c in callbacks
        ],
        "inbox": [
            _row(t, ("id", "clinic_id", "status", "reason", "opened_at", "closed_at"))
            | {"messages": [_row(m, ("direction", "body", "at")) for m in t.messages]}
            for t in threads
        ],
        "audit": [_row(e, ("at", "clinic_id", "action", "channel", "actor", "subject")) for e in audit_lines],
    }


def export_csv(data: dict) -> str:
    """The export as one CSV: a line per record (what it is, its id, clinic, when, status, and the rest as JSON)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["record", "id", "clinic", "when", "status", "details"])
    if data["patient"]:
        p = data["patient"]
        cells = ["patient", p["id"], "", p["created_at"], "", json.dumps(p, ensure_ascii=False)]
        writer.writerow(csv_cell(cell) for cell in cells)
    sections = (
        ("appointment", "appointments", "starts_at"),
        ("walkin_ticket", "walkin_tickets", "joined_at"),
        ("message", "messages", "created_at"),
        ("conversation", "conversations", "updated_at"),
        ("callback", "callbacks", "created_at"),
        ("inbox_thread", "inbox", "opened_at"),
        ("audit", "audit", "at"),
    )
    for record, key, at in sections:
        for row in data[key]:
            cells = [
                record,
                row.get("id", ""),
                row.get("clinic_id", ""),
                row.get(at, ""),
                row.get("status", ""),
            ]
            cells.append(json.dumps(row, ensure_ascii=False, default=str))
            writer.writerow(csv_cell(cell) for cell in cells)
    return out.getvalue()


def erase(session: Session, phone: str, clinic_ids: list[str], now: dt.datetime) -> dict[str, int]:
    """Anonymise what these clinics hold about the number, keeping counts; returns what was done."""
    patient, appointments, tickets, messages, conversations, callbacks, threads = _records(
        session, phone, clinic_ids
    )
    anonymous = Patient(phone=ERASED_PREFIX + uuid.uuid4().hex[:12], lang=None, created_at=now)
    session.add(anonymous)
    session.flush()
    nobody = Person(patient_id=anonymous.id, created_at=now)
    session.add(nobody)
    session.flush()
    for row in (*appointments, *tickets):
        row.patient_id = anonymous.id
        row.person_id = nobody.id
    for message in messages:
        message.patient_id = anonymous.id
        message.to = anonymous.phone
        message.body = ""
        message.error_message = None
    for callback in callbacks:
        callback.phone = anonymous.phone
        callback.name = None
    for thread in threads:
        thread.phone = anonymous.phone
        thread.patient_id = anonymous.id
        for line in thread.messages:
            line.body = ""
    for conversation in conversations:
        session.delete(conversation)
    if patient is not None:  # waiting-list entries say who waits for what: nothing of them is kept
        _erase_waitlist(session, patient.id, clinic_ids)
    session.flush()
    removed = False
    if patient is not None and not _held_elsewhere(session, patient.id):
        session.delete(patient)
        removed = True
    return {
        "appointments": len(appointments),
        "walkin_tickets": len(tickets),
        "messages": len(messages),
        "conversations": len(conversations),
        "callbacks": len(callbacks),
        "inbox_threads": len(threads),
        "patient_removed": int(removed),
        "anonymous_patient": anonymous.id,
    }


def _erase_waitlist(session: Session, patient_id: int, clinic_ids: list[str]) -> None:
    entries = select(WaitlistEntry.id).where(
        WaitlistEntry.patient_id == patient_id, WaitlistEntry.clinic_id.in_(clinic_ids)
    )
    session.execute(
        delete(WaitlistOffer)
        .where(WaitlistOffer.entry_id.in_(entries))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(WaitlistEntry)
        .where(WaitlistEntry.patient_id == patient_id, WaitlistEntry.clinic_id.in_(clinic_ids))
        .execution_options(synchronize_session=False)
    )


def _held_elsewhere(session: Session, patient_id: int) -> bool:
    """Whether another clinic still has rows that point at this patient."""
    for model in (Appointment, WalkinTicket, OutboundMessage, InboxThread, WaitlistEntry):
        if session.scalar(select(model.id).where(model.patient_id == patient_id).limit(1)) is not None:
            return True
    return False
