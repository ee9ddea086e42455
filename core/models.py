"""The data model: clinics, slots, patients, appointments, walk-in queues, conversations, audit, messages."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always hands back aware UTC datetimes (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is stored")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _enum(cls) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Base(DeclarativeBase):
    pass


class SlotStatus(enum.StrEnum):
    FREE = "free"
    HELD = "held"
    BOOKED = "booked"
    BLOCKED = "blocked"


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class TicketStatus(enum.StrEnum):
    WAITING = "waiting"
    NOTIFIED = "notified"
    CALLED = "called"
    SERVED = "served"
    LEFT = "left"
    NO_SHOW = "no_show"


# A walk-in ticket waits for its turn until staff call it, and stays active (in the queue) until it is served,
# left or marked no-show: a called ticket is still active.
WAITING_TICKET_STATUSES = (TicketStatus.WAITING, TicketStatus.NOTIFIED)
ACTIVE_TICKET_STATUSES = (*WAITING_TICKET_STATUSES, TicketStatus.CALLED)


class Channel(enum.StrEnum):
    SMS = "sms"
    VOICE = "voice"
    STAFF = "staff"
    SYSTEM = "system"


class Clinic(Base):
    __tablename__ = "clinics"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    default_lang: Mapped[str] = mapped_column(String(2), default="fr")
    timezone: Mapped[str] = mapped_column(String(64), default="America/Toronto")
    phone: Mapped[str | None] = mapped_column(String(20))  # the clinic's public number, said to patients
    reception_number: Mapped[str | None] = mapped_column(String(20))  # where calls are transferred
    slot_minutes: Mapped[int] = mapped_column(Integer, default=15)
    walkin_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    walkin_opens: Mapped[dt.time | None] = mapped_column(Time)
    walkin_closes: Mapped[dt.time | None] = mapped_column(Time)
    walkin_capacity: Mapped[int] = mapped_column(Integer, default=0)
    walkin_minutes_per_patient: Mapped[int] = mapped_column(Integer, default=15)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)

    numbers: Mapped[list[ClinicNumber]] = relationship(back_populates="clinic", cascade="all, delete-orphan")
    practitioners: Mapped[list[Practitioner]] = relationship(
        back_populates="clinic", cascade="all, delete-orphan", order_by="Practitioner.id"
    )
    hours: Mapped[list[OpeningHours]] = relationship(back_populates="clinic", cascade="all, delete-orphan")

    def display_name(self, lang: str) -> str:
        """The clinic's name in the patient's language."""
        return (self.name_en or self.name) if lang == "en" else self.name


class ClinicNumber(Base):
    """A phone number that belongs to a clinic: its Twilio number(s) and the lines it forwards to us."""

    __tablename__ = "clinic_numbers"

    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # "twilio" | "forwarded"

    clinic: Mapped[Clinic] = relationship(back_populates="numbers")


class Practitioner(Base):
    __tablename__ = "practitioners"
    __table_args__ = (UniqueConstraint("clinic_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    clinic: Mapped[Clinic] = relationship(back_populates="practitioners")


class OpeningHours(Base):
    """One opening period of a weekday (0 = Monday), in clinic local time."""

    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="appointments")  # "appointments" | "walkin"
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[dt.time] = mapped_column(Time)
    closes: Mapped[dt.time] = mapped_column(Time)

    clinic: Mapped[Clinic] = relationship(back_populates="hours")


class Slot(Base):
    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("practitioner_id", "starts_at"),
        Index("ix_slots_clinic_start", "clinic_id", "starts_at"),
        # The slot search walks this one in time order: only slots that may still be offered are in it,
        # so a busy schedule's booked slots (and the slots kept in a pool) are never read on the way to the
        # free ones.
        Index(
            "ix_slots_open",
            "clinic_id",
            "starts_at",
            "practitioner_id",
            sqlite_where=text("status IN ('free', 'held') AND pool IS NULL"),
            postgresql_where=text("status IN ('free', 'held') AND pool IS NULL"),
        ),
        # A conversation's offers are given back by its holder id.
        Index(
            "ix_slots_offered_to",
            "offered_to",
            sqlite_where=text("offered_to IS NOT NULL"),
            postgresql_where=text("offered_to IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[SlotStatus] = mapped_column(_enum(SlotStatus), default=SlotStatus.FREE)
    held_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    held_by: Mapped[str | None] = mapped_column(String(80))
    # A soft hold: the slot was offered to this conversation a moment ago. It only keeps the slot out of
    # other patients' offers until it lapses; it never stops anyone from taking the slot.
    offered_to: Mapped[str | None] = mapped_column(String(80))
    offered_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A slot kept for a purpose (the clinics file's [[clinic.pool]]): None is public. The line never offers
    # a pooled slot; staff may book it. At `public_at` (never, when None) the tick makes it public.
    pool: Mapped[str | None] = mapped_column(String(40))
    public_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Held or booked as the continuation of this slot's appointment (a visit reason that takes two slots).
    # The id of that first slot; no foreign key, so SQLite adds and drops the column without rebuilding
    # the table (a linked slot is never free, and only free slots are ever deleted).
    joined_to: Mapped[int | None] = mapped_column(Integer)

    practitioner: Mapped[Practitioner] = relationship()


class ScheduleKind(enum.StrEnum):
    CLOSURE = "closure"  # the whole clinic, a whole day
    ABSENCE = "absence"  # one practitioner, a day or part of it
    EXTRA = "extra"  # extra opening time: slots are made for it
    WALKIN = "walkin"  # that day's walk-in capacity, or registration closing early


class ScheduleChange(Base):
    """A change to a clinic's usual hours on one local day; slot generation and the line respect it."""

    __tablename__ = "schedule_changes"
    __table_args__ = (Index("ix_schedule_changes_clinic_day", "clinic_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id", ondelete="CASCADE"))
    kind: Mapped[ScheduleKind] = mapped_column(_enum(ScheduleKind))
    day: Mapped[dt.date] = mapped_column(Date)
    starts: Mapped[dt.time | None] = mapped_column(Time)  # local; None: from the start of the day
    ends: Mapped[dt.time | None] = mapped_column(Time)  # local; None: to the end of the day
    capacity: Mapped[int | None] = mapped_column(Integer)  # walkin: the day's places
    reason: Mapped[str | None] = mapped_column(String(200))  # said to patients (closures), in French
    reason_en: Mapped[str | None] = mapped_column(String(200))  # in English (else the French one)
    source: Mapped[str] = mapped_column(String(8), default="console")  # "console" | "file"
    created_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    practitioner: Mapped[Practitioner | None] = relationship()


class Patient(Base):
    """A phone: the number, its language, its opt-out and how to reach it. The people it speaks for are `people`."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    lang: Mapped[str | None] = mapped_column(String(2))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    notify_by: Mapped[str] = mapped_column(String(8), default="sms")  # "sms" | "call" (landlines)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Asked for a slower voice on a call ("plus lentement", key 8): later calls start slow too.
    slow_voice: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    people: Mapped[list[Person]] = relationship(
        back_populates="phone_row", cascade="all, delete-orphan", order_by="Person.id"
    )


class Person(Base):
    """Someone a phone books for: the caller, a child, an aging parent. Appointments and tickets are theirs;
    messages go to the phone and name them. The phone's first person is "moi" / "me"."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str | None] = mapped_column(String(60))
    last_name: Mapped[str | None] = mapped_column(String(60))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    # The last four digits of the health card, for the desk to tell two people apart (a clinic setting).
    card_last4: Mapped[str | None] = mapped_column(String(4))
    # How the phone's owner named them ("pour mon fils": son), so the same words find them next time.
    relation: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    phone_row: Mapped[Patient] = relationship(back_populates="people")

    @property
    def name(self) -> str | None:
        """First and last name as said to the patient, or None when never given."""
        return " ".join(part for part in (self.first_name, self.last_name) if part) or None


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("clinic_id", "code"),
        # The last line of defence against a double booking: one live appointment per slot.
        Index(
            "uq_appointments_live_slot",
            "slot_id",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        # A clinic's day (the board, its live stamp, the day sheet): a range of one clinic's appointments,
        # read without walking the clinic's whole history.
        Index("ix_appointments_clinic_start", "clinic_id", "starts_at"),
        # A person is in one place at a time: two live appointments of one person never start together.
        Index(
            "uq_appointments_person_start",
            "person_id",
            "starts_at",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)  # the phone
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)  # whom it is for
    status: Mapped[AppointmentStatus] = mapped_column(
        _enum(AppointmentStatus), default=AppointmentStatus.BOOKED
    )
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    code: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    reason: Mapped[str | None] = mapped_column(String(40))  # the visit reason's key, when the clinic has some
    # The patient said they are running late ("je serai en retard de 10 min"): when, and by how much
    # (None: late, minutes not said). Staff see it on the day's board.
    late_minutes: Mapped[int | None] = mapped_column(Integer)
    late_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    slot: Mapped[Slot] = relationship()
    patient: Mapped[Patient] = relationship()
    person: Mapped[Person] = relationship()
    clinic: Mapped[Clinic] = relationship()

    def is_upcoming(self, now: dt.datetime) -> bool:
        """Booked and not started yet: it may still be kept, cancelled or changed."""
        return self.status == AppointmentStatus.BOOKED and self.starts_at > now


class WalkinDay(Base):
    """A clinic's walk-in queue for one local date; `issued` hands out gapless ticket numbers."""

    __tablename__ = "walkin_days"
    __table_args__ = (UniqueConstraint("clinic_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    capacity: Mapped[int] = mapped_column(Integer)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Registration closes early that day at this local time (a schedule change); None: at the usual hour.
    closes_at: Mapped[dt.time | None] = mapped_column(Time)


class WalkinTicket(Base):
    __tablename__ = "walkin_tickets"
    __table_args__ = (
        UniqueConstraint("walkin_day_id", "number"),
        # One live ticket per person (a phone may hold several: one per person of a family).
        Index(
            "uq_walkin_active_person",
            "walkin_day_id",
            "person_id",
            unique=True,
            sqlite_where=text("status IN ('waiting', 'notified', 'called')"),
            postgresql_where=text("status IN ('waiting', 'notified', 'called')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    walkin_day_id: Mapped[int] = mapped_column(ForeignKey("walkin_days.id", ondelete="CASCADE"))
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)  # the phone
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)  # who waits
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus), default=TicketStatus.WAITING)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    notify_by: Mapped[str] = mapped_column(String(8), default="sms")
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    served_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Where staff called the patient to: the waiting-room screen shows it beside the number.
    room: Mapped[str | None] = mapped_column(String(20))

    day: Mapped[WalkinDay] = relationship()
    patient: Mapped[Patient] = relationship()
    person: Mapped[Person] = relationship()

    @property
    def is_active(self) -> bool:
        """Still in the queue: waiting, told its turn is near, or called (see ACTIVE_TICKET_STATUSES)."""
        return self.status in ACTIVE_TICKET_STATUSES


class Conversation(Base):
    """Dialog state of one patient on one channel with one clinic; any web process can serve the next turn."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "phone", "clinic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    phone: Mapped[str] = mapped_column(String(40))  # E.164, or the CallSid for a hidden caller ID
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class AuditEntry(Base):
    """Append-only: what happened, when, through which channel or staff account."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    clinic_id: Mapped[str | None] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str | None] = mapped_column(String(80))  # staff account, or a masked phone number
    subject: Mapped[str | None] = mapped_column(String(80))  # e.g. "appointment:12"
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the staff account that acted


class ProcessedEvent(Base):
    """A webhook already answered (MessageSid, CallSid + step, idempotency token) and what we answered."""

    __tablename__ = "processed_events"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    response: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class OutboundMessage(Base):
    """Every SMS or call we send or mean to send, and why; the staff console shows these."""

    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str | None] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    to: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(8), default="sms")  # "sms" | "call"
    purpose: Mapped[str] = mapped_column(String(40))  # confirmation, reminder, queue_notice, ...
    body: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str | None] = mapped_column(String(80))  # e.g. "appointment:12"
    # A purpose + subject sends once: re-running a job finds the row instead of sending again.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    send_after: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    twilio_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    error_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    appointment_id: Mapped[int | None] = mapped_column(Integer, index=True)
    ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)
    from_number: Mapped[str | None] = mapped_column(String(20))  # the clinic's Twilio number it goes from
    lang: Mapped[str | None] = mapped_column(String(2))
    error_message: Mapped[str | None] = mapped_column(String(200))
    # The send lease: set and committed before Twilio is asked, so a re-run knows an attempt may have
    # reached Twilio (claimed_at is wall-clock time: it is compared with Twilio's clock and lease ages).
    attempt_token: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A call we placed: who or what answered, as Twilio's answering-machine detection said ("human",
    # "machine_end_beep", "fax", "unknown"…); a machine got the purpose's voicemail instead of the menu.
    answered_by: Mapped[str | None] = mapped_column(String(24))


class CallRecord(Base):
    """How each call went: status callbacks fill in the end and the duration."""

    __tablename__ = "calls"

    call_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    clinic_id: Mapped[str | None] = mapped_column(String(40), index=True)
    from_number: Mapped[str | None] = mapped_column(String(40))
    forwarded_from: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="in-progress")
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CallbackRequest(Base):
    """A patient who asked to be called back (a person could not be reached); staff work through these."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---- federation (SMART Scheduling Links), API tokens, patients' postal areas --------------------------------


class FederationFeed(Base):
    """A neighbour's `$bulk-publish` manifest we poll, and how the last poll went."""

    __tablename__ = "federation_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500), unique=True)
    source: Mapped[str] = mapped_column(String(8), default="file")  # "file" (clinics file) | "env"
    status: Mapped[str] = mapped_column(String(12), default="new")  # new | ok | down
    error: Mapped[str | None] = mapped_column(String(200))
    checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ok_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    full_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # last read without `_since`
    transaction_time: Mapped[str | None] = mapped_column(String(40))  # the manifest's, as published
    etag: Mapped[str | None] = mapped_column(String(200))


class FederationResource(Base):
    """One Location, Schedule or Slot read from a neighbour's files: turns read these, never the network."""

    __tablename__ = "federation_resources"
    __table_args__ = (
        UniqueConstraint("feed_id", "type", "resource_id"),
        Index("ix_federation_resources_free_start", "type", "free", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("federation_feeds.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(12))  # Location | Schedule | Slot
    resource_id: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[str | None] = mapped_column(String(64))  # Slot -> Schedule id, Schedule -> Location id
    free: Mapped[bool] = mapped_column(Boolean, default=False)
    starts_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # the few fields a turn needs, already checked


class PatientArea(Base):
    """A patient's postal area (the first three characters of the postal code), asked once and remembered."""

    __tablename__ = "patient_areas"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)
    fsa: Mapped[str] = mapped_column(String(3))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A clinic system's key to the read API; only a hash is kept, and a revoked token stays for the audit."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists and the audit log
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DisplayLink(Base):
    """A waiting-room screen's link to a clinic's called numbers; only a hash of its token is kept.

    A manager creates it and rotates it (the old link stops working); a revoked link stays for the audit.
    """

    __tablename__ = "display_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in the console and the audit log
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class StaffAccount(Base):
    """A named person who signs in to the console; what they may do is in their roles, clinic by clinic."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(120), unique=True)  # an email or a short name, lower case
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))  # Argon2id, with its parameters and salt
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the signed-in id: bumped at logout, password change or disabling, so older cookies stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="account", cascade="all, delete-orphan", order_by="StaffRole.clinic_id"
    )


class StaffRole(Base):
    """One account's role in one clinic: "reception" (the day, bookings, the inbox) or "manager" (also the rest)."""

    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("account_id", "clinic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"))
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(12))

    account: Mapped[StaffAccount] = relationship(back_populates="roles")


class InboxThread(Base):
    """A patient who asked for a person by text: staff read and answer by SMS until they close it."""

    __tablename__ = "inbox_threads"
    __table_args__ = (
        # One open thread per patient and clinic: the patient's next texts land in it.
        Index(
            "uq_inbox_open_thread",
            "clinic_id",
            "phone",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")  # "open" | "closed"
    reason: Mapped[str] = mapped_column(String(20))  # "asked" | "misunderstood"
    lang: Mapped[str | None] = mapped_column(String(2))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(Integer)  # staff account id

    messages: Mapped[list[InboxMessage]] = relationship(
        back_populates="thread", cascade="all, delete-orphan", order_by="InboxMessage.id"
    )


class InboxMessage(Base):
    """One text of an inbox thread: the patient's ("in") or a staff member's answer ("out")."""

    __tablename__ = "inbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("inbox_threads.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(4))  # "in" | "out"
    body: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    account_id: Mapped[int | None] = mapped_column(Integer)  # who answered
    outbound_message_id: Mapped[int | None] = mapped_column(Integer)  # the SMS row that carries an answer

    thread: Mapped[InboxThread] = relationship(back_populates="messages")


class OutboxJob(Base):
    """A job a transaction caused, written in that transaction; a dispatcher hands it to the queue when due."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "done_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(120))  # dotted path of a function in core.jobs.tasks
    args: Mapped[list] = mapped_column(JSON, default=list)  # ids only
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Handed to the queue at (wall clock); a row handed long ago and never done is handed again.
    handed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(200))


# ---- the waiting list: freed slots offered to those who asked to be told --------------------------------------


class WaitlistEntry(Base):
    """A person of a phone waiting for a slot (or, for a walk-in entry, a place today) at a clinic."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        Index("ix_waitlist_entries_clinic_waiting", "clinic_id", "status", "joined_at"),
        # A person waits once per clinic and kind: LISTE again shows the entry instead of adding one.
        Index(
            "uq_waitlist_entries_waiting_person",
            "clinic_id",
            "person_id",
            "kind",
            unique=True,
            sqlite_where=text("status = 'waiting'"),
            postgresql_where=text("status = 'waiting'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="appointment")  # "appointment" | "walkin"
    # The booking flow's wish (core/dialog/book.py wish_from) plus "days": the weekdays allowed (0 = Monday).
    wish: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="waiting")  # waiting | booked | left | expired
    channel: Mapped[str] = mapped_column(String(12))  # how they joined: sms | voice | staff
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    appointment_id: Mapped[int | None] = mapped_column(Integer)  # the booking that ended it
    ticket_id: Mapped[int | None] = mapped_column(Integer)  # a walk-in entry: the place it got
    # The person's appointment this entry waits to bring forward: only earlier slots are offered, and taking
    # one moves that appointment (core.services.booking.reschedule) instead of booking a second one.
    replaces_id: Mapped[int | None] = mapped_column(Integer)

    patient: Mapped[Patient] = relationship()
    person: Mapped[Person] = relationship()


class WaitlistOffer(Base):
    """One freed slot (or walk-in place) offered to one entry: sent, then taken, declined, expired or gone."""

    __tablename__ = "waitlist_offers"
    __table_args__ = (
        Index("ix_waitlist_offers_open", "status", "expires_at"),
        UniqueConstraint("entry_id", "slot_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entries.id", ondelete="CASCADE"), index=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"), index=True)
    walkin_day_id: Mapped[int | None] = mapped_column(ForeignKey("walkin_days.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8), default="sms")  # "sms" | "call"
    # open (sent, waiting for an answer) | accepted | declined | expired | taken (someone else was first)
    # | withdrawn (the slot went another way before any answer)
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(Integer)
    appointment_id: Mapped[int | None] = mapped_column(Integer)

    entry: Mapped[WaitlistEntry] = relationship()
