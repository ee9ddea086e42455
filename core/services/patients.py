"""Patients and phone numbers."""

from __future__ import annotations

import datetime as dt
import functools

import phonenumbers
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, make_transient_to_detached

from core.errors import InvalidPhoneNumber
from core.models import Patient
from core.sql import built

# A hidden caller ID, in one place: the words carriers put in From, and the same words spelled on a keypad,
# which is how Twilio shows them (+266696687 ANONYMOUS, +7378742833 RESTRICTED, +2562533 BLOCKED,
# +8656696 UNKNOWN, +86282452253 UNAVAILABLE).
HIDDEN_CALLER_IDS = frozenset(
    {"", "anonymous", "restricted", "unknown", "private", "blocked", "unavailable"}
    | {"266696687", "7378742833", "2562533", "8656696", "86282452253"}
)
TWILIO_ANONYMOUS = "+266696687"  # what Twilio puts in From when the caller hides their number


def is_hidden_caller_id(raw: str | None) -> bool:
    """Whether a From value is a hidden caller ID rather than a number."""
    return not isinstance(raw, str) or raw.strip().lower().lstrip("+") in HIDDEN_CALLER_IDS


def normalize_phone(raw: str | None, region: str = "CA") -> str:
    """A phone number in E.164, or InvalidPhoneNumber (hidden caller IDs, short codes, garbage)."""
    if is_hidden_caller_id(raw):
        raise InvalidPhoneNumber(raw)
    e164, _kind = _read_number(raw.strip(), region)
    if e164 is None:
        raise InvalidPhoneNumber(raw)
    return e164


@functools.lru_cache(maxsize=8192)  # a conversation's every turn reads the same number again
def _read_number(raw: str, region: str) -> tuple[str | None, int]:
    """The number in E.164 (None when it is not a valid number) and its type, from one parse.

    A number is valid exactly when its type is known (phonenumbers' is_valid_number compares the same type
    to UNKNOWN), so both come from one look at the metadata: the first turn of a call asks for both."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None, phonenumbers.PhoneNumberType.UNKNOWN
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        return None, kind
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), kind


def try_normalize_phone(raw: str | None) -> str | None:
    """E.164 or None."""
    try:
        return normalize_phone(raw)
    except InvalidPhoneNumber:
        return None


def can_take_sms(phone: str) -> bool:
    """Whether a number may receive SMS as far as its type tells (landlines cannot)."""
    _e164, kind = _read_number(phone, "CA")
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


_FIND = select(Patient).where(Patient.phone == bindparam("phone"))


# The columns a new patient row is written with here; those the database fills itself are left to it.
_WRITTEN = tuple(c for c in Patient.__table__.c if c.key != "id" and c.server_default is None)


def _create(insert):
    table = Patient.__table__
    values = {column.key: bindparam(column.key) for column in _WRITTEN}
    return insert(table).values(values).on_conflict_do_nothing(index_elements=["phone"]).returning(table.c.id)


def _new_row(phone: str, lang: str | None) -> dict:
    """A new patient's column values: the model's defaults, this phone and language."""
    values = {}
    for column in _WRITTEN:
        default = column.default
        if default is None:
            values[column.key] = None
        elif default.is_callable:
            values[column.key] = default.arg(None)
        else:
            values[column.key] = default.arg
    values.update(phone=phone, lang=lang)
    return values


def find_patient(session: Session, phone: str) -> Patient | None:
    """The patient with this E.164 number, if any."""
    return session.scalar(_FIND, {"phone": phone})


def get_or_create_patient(session: Session, phone: str, lang: str | None = None) -> Patient:
    """The patient with this E.164 number, created on first contact."""
    return find_patient(session, phone) or create_patient(session, phone, lang)


def create_patient(session: Session, phone: str, lang: str | None = None) -> Patient:
    """A new patient for a number not seen before (or the one a concurrent first message just created).

    One INSERT … ON CONFLICT DO NOTHING RETURNING: no savepoint, no second look in the common case.
    """
    return created_patient(session, phone, lang)[0]


def created_patient(session: Session, phone: str, lang: str | None = None) -> tuple[Patient, bool]:
    """create_patient, and whether this transaction wrote the row (False: a concurrent twin did)."""
    values = _new_row(phone, lang)
    created = session.execute(built(session, _create), values).first()
    if created is None:
        return find_patient(session, phone), False
    # The row as written, made a row of the session without reading it back.
    patient = Patient.__mapper__.class_manager.new_instance()
    patient.__dict__.update(values, id=created[0])
    make_transient_to_detached(patient)
    session.add(patient)
    return patient, True


def opt_out(session: Session, patient: Patient, now: dt.datetime) -> None:
    """Record a carrier opt-out: nothing more is sent to this number until it opts in again."""
    if not patient.opted_out:
        patient.opted_out = True
        patient.opted_out_at = now


def opt_in(session: Session, patient: Patient) -> None:
    """Record START / UNSTOP."""
    patient.opted_out = False
    patient.opted_out_at = None
