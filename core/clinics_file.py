"""The clinics file: a TOML description of clinics, numbers, hours, practitioners and the walk-in queue.

Loading is idempotent: clinics are matched by id, practitioners by key, numbers by value, so loading the
same file twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from core.models import Clinic, ClinicNumber, Practitioner
from core.services.clinics import generate_slots, replace_hours
from core.services.patients import normalize_phone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EXAMPLE_FILE = Path(__file__).parent / "demo_clinics.toml"


class ClinicsFileError(ValueError):
    """The clinics file is not valid; the message says where."""


@dataclass
class LoadReport:
    clinics: list[str]
    slots_added: int
    slots_withdrawn: int


def parse_days(spec: str) -> list[int]:
    """'mon-fri', 'mon-sat', 'sat', 'mon,wed,fri' -> weekday numbers."""
    days: list[int] = []
    for part in spec.lower().replace(" ", "").split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            days.extend(range(WEEKDAYS.index(a), WEEKDAYS.index(b) + 1))
        else:
            days.append(WEEKDAYS.index(part))
    return days


def parse_time(value: str) -> dt.time:
    """'08:00' -> time."""
    return dt.time.fromisoformat(value)


def parse_hours(table: dict[str, list[str]], where: str) -> list[tuple[int, dt.time, dt.time]]:
    """{'mon-fri': ['08:00-12:00', ...]} -> [(weekday, opens, closes), ...]."""
    result = []
    try:
        for days, ranges in table.items():
            for rng in ranges:
                opens, closes = (parse_time(x.strip()) for x in rng.split("-"))
                if closes <= opens:
                    raise ClinicsFileError(f"{where}: {rng} closes before it opens")
                result.extend((d, opens, closes) for d in parse_days(days))
    except (ValueError, AttributeError) as exc:
        raise ClinicsFileError(f"{where}: {exc}") from exc
    return result


def read_clinics_file(path: Path) -> list[dict]:
    """The clinic tables of a file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ClinicsFileError(f"{path}: {exc}") from exc
    clinics = data.get("clinic")
    if not clinics:
        raise ClinicsFileError(f"{path}: no [[clinic]] table")
    return clinics


def apply_clinic(session: Session, spec: dict) -> Clinic:
    """Create or update one clinic from its table."""
    try:
        cid = spec["id"]
        name = spec["name"]
    except KeyError as exc:
        raise ClinicsFileError(f"clinic without {exc}") from exc
    clinic = session.get(Clinic, cid) or Clinic(id=cid, settings={})
    session.add(clinic)
    walkin = spec.get("walkin") or {}
    fields = dict(
        name=name,
        name_en=spec.get("name_en"),
        default_lang=spec.get("default_lang", "fr"),
        timezone=spec.get("timezone", "America/Toronto"),
        phone=_phone(spec.get("phone"), cid),
        reception_number=_phone(spec.get("reception_number"), cid),
        slot_minutes=int(spec.get("slot_minutes", 15)),
        walkin_enabled=bool(walkin),
        walkin_capacity=int(walkin.get("capacity", 0)),
        walkin_minutes_per_patient=int(walkin.get("minutes_per_patient", 15)),
        settings=dict(spec.get("settings") or {}),
    )
    for key, value in fields.items():
        if getattr(clinic, key) != value:
            setattr(clinic, key, value)
    _apply_numbers(clinic, spec, cid)
    _apply_practitioners(clinic, spec.get("practitioner") or [{"key": "default", "name": name}])
    replace_hours(clinic, "appointments", parse_hours(spec.get("appointments", {}).get("hours", {}), cid))
    if walkin:
        days = parse_days(walkin.get("days", "mon-fri"))
        opens, closes = parse_time(walkin.get("opens", "07:00")), parse_time(walkin.get("closes", "17:00"))
        replace_hours(clinic, "walkin", [(d, opens, closes) for d in days])
    else:
        replace_hours(clinic, "walkin", [])
    return clinic


def _phone(value: str | None, where: str) -> str | None:
    if not value:
        return None
    try:
        return normalize_phone(value)
    except ValueError as exc:
        raise ClinicsFileError(f"{where}: invalid phone number {value!r}") from exc


def _apply_numbers(clinic: Clinic, spec: dict, cid: str) -> None:
    wanted = {_phone(n, cid): "twilio" for n in spec.get("twilio_numbers", [])}
    wanted.update({_phone(n, cid): "forwarded" for n in spec.get("forwarded_lines", [])})
    if not any(kind == "twilio" for kind in wanted.values()):
        raise ClinicsFileError(f"{cid}: at least one twilio_numbers entry is needed")
    current = {n.number: n for n in clinic.numbers}
    for number, row in current.items():
        if wanted.get(number) != row.kind:
            clinic.numbers.remove(row)
    for number, kind in wanted.items():
        if number not in current or current[number].kind != kind:
            clinic.numbers.append(ClinicNumber(number=number, kind=kind))


def _apply_practitioners(clinic: Clinic, specs: list[dict]) -> None:
    by_key = {p.key: p for p in clinic.practitioners}
    keys = set()
    for spec in specs:
        key, name = spec["key"], spec.get("name", spec["key"])
        keys.add(key)
        row = by_key.get(key)
        if row is None:
            clinic.practitioners.append(Practitioner(key=key, name=name, active=True))
        else:
            if row.name != name:
                row.name = name
            if not row.active:
                row.active = True
    for key, row in by_key.items():
        if key not in keys and row.active:
            row.active = False  # kept: past appointments refer to their slots


def load_clinics(session: Session, path: Path, now: dt.datetime, horizon_days: int = 30) -> LoadReport:
    """Create or update every clinic of a file and their slots; never touches a booked slot."""
    report = LoadReport(clinics=[], slots_added=0, slots_withdrawn=0)
    for spec in read_clinics_file(path):
        clinic = apply_clinic(session, spec)
        session.flush()
        added, withdrawn = generate_slots(session, clinic, now, horizon_days)
        report.clinics.append(clinic.id)
        report.slots_added += added
        report.slots_withdrawn += withdrawn
    return report
