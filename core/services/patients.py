"""Patients and phone numbers."""

from __future__ import annotations

import datetime as dt

import phonenumbers
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import InvalidPhoneNumber
from core.models import Patient

ANONYMOUS = {"", "anonymous", "restricted", "unknown", "private", "blocked", "unavailable"}
# What Twilio puts in From for a hidden caller ID: the words above spelled on a keypad.
TWILIO_ANONYMOUS = {"266696687", "7378742833", "2562533", "8656696", "86282452253"}


def normalize_phone(raw: str | None, region: str = "CA") -> str:
    """A phone number in E.164, or InvalidPhoneNumber (hidden caller IDs, short codes, garbage)."""
    if not isinstance(raw, str) or raw.strip().lower().lstrip("+") in ANONYMOUS | TWILIO_ANONYMOUS:
        raise InvalidPhoneNumber(raw)
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(raw) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize_phone(raw: str | None) -> str | None:
    """E.164 or None."""
    try:
        return normalize_phone(raw)
    except InvalidPhoneNumber:
        return None


def can_take_sms(phone: str) -> bool:
    """Whether a number may receive SMS as far as its type tells (landlines cannot)."""
    number = phonenumbers.parse(phone)
    kind = phonenumbers.number_type(number)
    return kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        phonenumbers.PhoneNumberType.UNKNOWN,
    )


def mask_phone(phone: str | None) -> str:
    """A number with its middle hidden, for logs and the audit trail."""
    if not phone:
        return "-"
    return phone[:-4].rstrip()[:5] + "…" + phone[-4:] if len(phone) > 8 else "…" + phone[-2:]


def find_patient(session: Session, phone: str) -> Patient | None:
    """The patient with this E.164 number, if any."""
    return session.scalar(select(Patient).where(Patient.phone == phone))


def get_or_create_patient(session: Session, phone: str, lang: str | None = None) -> Patient:
    """The patient with this E.164 number, created on first contact."""
    patient = find_patient(session, phone)
    if patient is not None:
        return patient
    try:
        with session.begin_nested():
            patient = Patient(phone=phone, lang=lang)
            session.add(patient)
    except IntegrityError:  # created meanwhile by a concurrent first message
        patient = find_patient(session, phone)
    return patient


def opt_out(session: Session, patient: Patient, now: dt.datetime) -> None:
    """Record a carrier opt-out: nothing more is sent to this number until it opts in again."""
    if not patient.opted_out:
        patient.opted_out = True
        patient.opted_out_at = now


def opt_in(session: Session, patient: Patient) -> None:
    """Record START / UNSTOP."""
    patient.opted_out = False
    patient.opted_out_at = None
