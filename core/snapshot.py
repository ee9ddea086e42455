"""A local snapshot for reading while the database is gone: the clinics and the next 7 days' appointments.

The periodic tick writes it every few minutes into the instance folder (`snapshot/appointments.json`,
mode 0600, written to a temporary file, fsynced, then renamed over the old one, so a reader never sees half
a file). With the database down, "MES RDV" / the keypad's "my appointments" and `clinicline daysheet` read
it, saying how old it is; the degraded line also finds the clinic of a Twilio number in it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    ClinicNumber,
    Patient,
    Person,
    Practitioner,
    Slot,
)

log = logging.getLogger(__name__)

HORIZON_DAYS = 7
EVERY_MINUTES = 5
FILE_MODE = 0o600
VERSION = 1


def snapshot_path(instance_path: Path | str) -> Path:
    return Path(instance_path) / "snapshot" / "appointments.json"


def build(session: Session, now: dt.datetime, days: int = HORIZON_DAYS) -> dict:
    """The snapshot's content: every clinic, its numbers, and the booked appointments from yesterday to `days` ahead."""
    clinics = {}
    for clinic in session.scalars(select(Clinic).order_by(Clinic.id)):
        clinics[clinic.id] = {
            "name": clinic.name,
            "name_en": clinic.name_en,
            "default_lang": clinic.default_lang,
            "timezone": clinic.timezone,
            "phone": clinic.phone,
            "walkin_enabled": clinic.walkin_enabled,
        }
    numbers = {n.number: n.clinic_id for n in session.scalars(select(ClinicNumber))}
    # From a day back, so today's early appointments are on the day sheet whatever the clinic's zone.
    start, end = now - dt.timedelta(days=1), now + dt.timedelta(days=days)
    rows = session.execute(
        select(Appointment, Patient, Practitioner.name, Practitioner.key, Person)
        .join(Patient, Appointment.patient_id == Patient.id)
        .join(Person, Appointment.person_id == Person.id)
        .join(Slot, Appointment.slot_id == Slot.id)
        .join(Practitioner, Slot.practitioner_id == Practitioner.id)
        .where(
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
        )
        .order_by(Appointment.clinic_id, Appointment.starts_at)
        .options(joinedload(Appointment.slot))
    ).all()
    appointments = [
        {
            "clinic_id": a.clinic_id,
            "starts_at": a.starts_at.isoformat(),
            "ends_at": a.slot.ends_at.isoformat(),
            "code": a.code,
            "practitioner": practitioner,
            "practitioner_key": practitioner_key,  # `clinicline daysheet --practitioner KEY` from the snapshot
            "phone": p.phone,
            "name": person.name,
            "lang": p.lang,
        }
        for a, p, practitioner, practitioner_key, person in rows
    ]
    return {
        "version": VERSION,
        "generated_at": now.astimezone(dt.UTC).isoformat(),
        "clinics": clinics,
        "numbers": numbers,
        "appointments": appointments,
    }


def write(path: Path, content: dict) -> None:
    """Replace the snapshot file atomically, readable only by the service user."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(content, out, ensure_ascii=False, separators=(",", ":"))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def refresh(runtime, force: bool = False) -> bool:
    """Write the snapshot if it is older than EVERY_MINUTES (or missing); True when written."""
    path = snapshot_path(runtime.config.instance_path)
    every = dt.timedelta(minutes=runtime.config.extra.get("snapshot_minutes", EVERY_MINUTES))
    if not force and path.exists():
        age = dt.datetime.now(dt.UTC) - dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        if age < every:
            return False
    with runtime.session_factory() as session:
        content = build(session, runtime.now())
    write(path, content)
    return True


@dataclass(frozen=True)
class SnapshotAppointment:
    clinic_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    code: str
    practitioner: str
    phone: str
    name: str | None
    lang: str | None
    practitioner_key: str | None = None  # absent from snapshots written before it was added


@dataclass
class Snapshot:
    """A snapshot read back: look-ups that need no database."""

    generated_at: dt.datetime
    clinics: dict[str, dict]
    numbers: dict[str, str]
    appointments: list[SnapshotAppointment] = field(default_factory=list)

    def clinic_for_number(self, number: str | None) -> tuple[str, dict] | None:
        clinic_id = self.numbers.get(number or "")
        return (clinic_id, self.clinics[clinic_id]) if clinic_id in self.clinics else None

    def upcoming(self, clinic_id: str, phone: str, now: dt.datetime) -> list[SnapshotAppointment]:
        """A patient's appointments at a clinic that have not started yet."""
        return [
            a
            for a in self.appointments
            if a.clinic_id == clinic_id and a.phone == phone and a.starts_at > now
        ]

    def patient_lang(self, phone: str) -> str | None:
        return next((a.lang for a in self.appointments if a.phone == phone and a.lang), None)

    def day(self, clinic_id: str, day: dt.date, timezone: str) -> list[SnapshotAppointment]:
        """A clinic's appointments on one local day, in order."""
        from core.timeutil import to_local

        return [
            a
            for a in self.appointments
            if a.clinic_id == clinic_id and to_local(a.starts_at, timezone).date() == day
        ]


def load(instance_path: Path | str) -> Snapshot | None:
    """The last snapshot written, or None (never written, unreadable)."""
    path = snapshot_path(instance_path)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError) as exc:
        if not isinstance(exc, FileNotFoundError):
            log.error("snapshot %s unreadable: %s", path, exc)
        return None
    appointments = [
        SnapshotAppointment(
            clinic_id=a["clinic_id"],
            starts_at=dt.datetime.fromisoformat(a["starts_at"]),
            ends_at=dt.datetime.fromisoformat(a["ends_at"]),
            code=a["code"],
            practitioner=a["practitioner"],
            phone=a["phone"],
            name=a.get("name"),
            lang=a.get("lang"),
            practitioner_key=a.get("practitioner_key"),
        )
        for a in content.get("appointments", [])
    ]
    return Snapshot(
        generated_at=dt.datetime.fromisoformat(content["generated_at"]),
        clinics=content.get("clinics", {}),
        numbers=content.get("numbers", {}),
        appointments=appointments,
    )
