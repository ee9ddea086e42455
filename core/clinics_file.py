"""The clinics file: a TOML description of clinics, numbers, hours, practitioners and the walk-in queue.

Loading is idempotent: clinics are matched by id, practitioners by key, numbers by value, so loading the
same file twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import InvalidPhoneNumber
from core.models import Clinic, ClinicNumber, Practitioner
from core.services.clinics import generate_slots, replace_hours
from core.services.patients import normalize_phone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LANGUAGES = ("fr", "en")
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
    for part in str(spec).lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ClinicsFileError(
                f"unknown day {part!r} in {spec!r} (use mon, tue, wed, thu, fri, sat, sun)"
            )
        a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if b < a:
            raise ClinicsFileError(f"day range {part!r} runs backwards")
        days.extend(range(a, b + 1))
    return days


def parse_time(value: str) -> dt.time:
    """'08:00' -> time."""
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ClinicsFileError(f"invalid time {value!r} (use HH:MM)") from exc


def parse_hours(table: dict[str, list[str]], where: str) -> list[tuple[int, dt.time, dt.time]]:
    """{'mon-fri': ['08:00-12:00', ...]} -> [(weekday, opens, closes), ...]."""
    result = []
    if not isinstance(table, dict):
        raise ClinicsFileError(f'{where}: hours must be a table such as "mon-fri" = ["08:00-12:00"]')
    try:
        for days, ranges in table.items():
            if isinstance(ranges, str):
                ranges = [ranges]
            for rng in ranges:
                parts = str(rng).split("-")
                if len(parts) != 2:
                    raise ClinicsFileError(f'{where}: {rng!r} is not a range such as "08:00-12:00"')
                opens, closes = (parse_time(x) for x in parts)
                if closes <= opens:
                    raise ClinicsFileError(f"{where}: {rng} closes before it opens")
                result.extend((d, opens, closes) for d in parse_days(days))
    except ClinicsFileError as exc:
        if str(exc).startswith(f"{where}:"):
            raise
        raise ClinicsFileError(f"{where}: {exc}") from exc
    except (ValueError, AttributeError, TypeError) as exc:
        raise ClinicsFileError(f"{where}: {exc}") from exc
    return result


def read_clinics_file(path: Path) -> list[dict]:
    """The clinic tables of a file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ClinicsFileError(f"{path}: {exc}") from exc
    clinics = data.get("clinic")
    if not clinics or not isinstance(clinics, list) or not all(isinstance(c, dict) for c in clinics):
        raise ClinicsFileError(f"{path}: no [[clinic]] table")
    ids = [c.get("id") for c in clinics]
    duplicates = sorted({str(i) for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ClinicsFileError(f"{path}: clinic id given twice: {', '.join(duplicates)}")
    return clinics


def apply_clinic(session: Session, spec: dict) -> Clinic:
    """Create or update one clinic from its table."""
    cid = spec.get("id")
    if not cid or not isinstance(cid, str):
        raise ClinicsFileError("a [[clinic]] table has no id")
    try:
        return _apply_clinic(session, spec, cid)
    except ClinicsFileError as exc:
        if str(exc).startswith(f"{cid}:"):
            raise
        raise ClinicsFileError(f"{cid}: {exc}") from exc
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise ClinicsFileError(f"{cid}: {exc!r}") from exc


def _number(spec: dict, key: str, default: int, low: int, high: int) -> int:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ClinicsFileError(f"{key} must be a whole number from {low} to {high}, not {value!r}")
    return value


def _apply_clinic(session: Session, spec: dict, cid: str) -> Clinic:
    name = spec.get("name")
    if not name or not isinstance(name, str):
        raise ClinicsFileError("name is missing")
    lang = spec.get("default_lang", "fr")
    if lang not in LANGUAGES:
        raise ClinicsFileError(f"default_lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    tz = spec.get("timezone", "America/Toronto")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ClinicsFileError(f"unknown timezone {tz!r} (use an IANA name such as America/Toronto)") from exc
    walkin = spec.get("walkin") or {}
    if not isinstance(walkin, dict):
        raise ClinicsFileError("[clinic.walkin] must be a table")
    walkin_days: list[int] = []
    opens = closes = None
    if walkin:
        walkin_days = parse_days(walkin.get("days", "mon-fri"))
        opens, closes = parse_time(walkin.get("opens", "07:00")), parse_time(walkin.get("closes", "17:00"))
        if closes <= opens:
            raise ClinicsFileError(f"walk-in closes ({closes}) before it opens ({opens})")
    clinic = session.get(Clinic, cid) or Clinic(id=cid, settings={})
    session.add(clinic)
    fields = dict(
        name=name,
        name_en=spec.get("name_en"),
        default_lang=lang,
        timezone=tz,
        phone=_phone(spec.get("phone"), cid),
        reception_number=_phone(spec.get("reception_number"), cid),
        slot_minutes=_number(spec, "slot_minutes", 15, 5, 240),
        walkin_enabled=bool(walkin),
        walkin_opens=opens,
        walkin_closes=closes,
        walkin_capacity=_number(walkin, "capacity", 0, 0, 10_000),
        walkin_minutes_per_patient=_number(walkin, "minutes_per_patient", 15, 1, 240),
        settings=_with_visits(
            _with_location(dict(spec.get("settings") or {}), spec.get("location")), spec, walkin_days
        ),
    )
    for key, value in fields.items():
        if getattr(clinic, key) != value:
            setattr(clinic, key, value)
    _apply_numbers(clinic, spec, cid)
    _apply_practitioners(clinic, spec.get("practitioner") or [{"key": "default", "name": name}])
    replace_hours(clinic, "appointments", parse_hours((spec.get("appointments") or {}).get("hours", {}), cid))
    replace_hours(clinic, "walkin", [(d, opens, closes) for d in walkin_days])
    return clinic


# ---- visit reasons, pools and the schedule changes a file sets ----------------------------------------------

KEY_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")
REASON_SLOTS_MAX = 8


def _key(value: object, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 40 or not set(value) <= KEY_CHARS:
        raise ClinicsFileError(f"{where}: key must be lower-case letters, digits, - or _ (at most 40)")
    return value


def _practitioner_keys(spec: dict, where: str, known: set[str]) -> list[str]:
    keys = spec.get("practitioners", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ClinicsFileError(f"{where}: practitioners must be a list of practitioner keys")
    unknown = sorted(set(keys) - known)
    if unknown:
        raise ClinicsFileError(f"{where}: unknown practitioner {', '.join(unknown)}")
    return keys


def parse_reasons(specs: object, known: set[str]) -> list[dict]:
    """[[clinic.reason]] tables -> the reasons kept in the clinic's settings, in the file's order."""
    if not isinstance(specs, list) or not all(isinstance(r, dict) for r in specs):
        raise ClinicsFileError("[[clinic.reason]] must be tables")
    reasons, keys = [], set()
    for spec in specs:
        key = _key(spec.get("key"), "reason")
        if key in keys:
            raise ClinicsFileError(f"reason {key!r} given twice")
        keys.add(key)
        label_fr, label_en = spec.get("fr"), spec.get("en") or spec.get("fr")
        if not isinstance(label_fr, str) or not label_fr.strip() or not isinstance(label_en, str):
            raise ClinicsFileError(f"reason {key}: fr (and en) labels are needed")
        words = spec.get("words", [])
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ClinicsFileError(f"reason {key}: words must be a list of words")
        reasons.append(
            {
                "key": key,
                "fr": label_fr.strip()[:60],
                "en": label_en.strip()[:60],
                "slots": _number(spec, "slots", 1, 1, REASON_SLOTS_MAX),
                "practitioners": _practitioner_keys(spec, f"reason {key}", known),
                "words": [w.strip()[:40] for w in words if w.strip()][:20],
            }
        )
    return reasons


def parse_pools(specs: object, known: set[str]) -> list[dict]:
    """[[clinic.pool]] tables -> the rules slot generation marks slots with."""
    if not isinstance(specs, list) or not all(isinstance(r, dict) for r in specs):
        raise ClinicsFileError("[[clinic.pool]] must be tables")
    pools = []
    for spec in specs:
        key = _key(spec.get("key"), "pool")
        times = spec.get("times", [])
        times = [times] if isinstance(times, str) else times
        if not times or not isinstance(times, list):
            raise ClinicsFileError(f'pool {key}: times such as ["08:00-09:00"] are needed')
        release = spec.get("release")
        if release is not None:
            release = parse_time(release).strftime("%H:%M")
        days = parse_days(spec.get("days", "mon-sun"))
        for rng in times:
            for weekday, opens, closes in parse_hours({"mon": [rng]}, f"pool {key}"):
                del weekday
                pools.append(
                    {
                        "key": key,
                        "days": days,
                        "from": opens.strftime("%H:%M"),
                        "to": closes.strftime("%H:%M"),
                        "practitioners": _practitioner_keys(spec, f"pool {key}", known),
                        "release": release,  # None: only staff (or the nurse line through staff) book it
                    }
                )
    return pools


def _with_visits(settings: dict, spec: dict, _walkin_days: list[int]) -> dict:
    known = {p.get("key") for p in spec.get("practitioner") or [] if isinstance(p, dict)} or {"default"}
    if "reason" in spec:
        settings["reasons"] = parse_reasons(spec["reason"], known)
    if "pool" in spec:
        settings["pools"] = parse_pools(spec["pool"], known)
    return settings


FILE_CHANGES = (("closure", "closure"), ("absence", "absence"), ("extra", "extra"))


def _day(value: object, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ClinicsFileError(f"{where}: day must be YYYY-MM-DD, not {value!r}") from exc


def file_changes(spec: dict, clinic: Clinic) -> list[dict]:
    """The closures, absences and extra opening times a clinic's table sets, as ScheduleChange values."""
    by_key = {p.key: p.id for p in clinic.practitioners}
    wanted = []
    for table, kind in FILE_CHANGES:
        rows = spec.get(table, [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ClinicsFileError(f"[[clinic.{table}]] must be tables")
        for row in rows:
            where = f"{table} {row.get('day')}"
            pid = None
            if row.get("practitioner") is not None:
                pid = by_key.get(row["practitioner"])
                if pid is None:
                    raise ClinicsFileError(f"{where}: unknown practitioner {row['practitioner']!r}")
            if kind == "absence" and pid is None:
                raise ClinicsFileError(f"{where}: an absence names its practitioner")
            starts = parse_time(row["from"]) if row.get("from") else None
            ends = parse_time(row["to"]) if row.get("to") else None
            if kind == "extra" and not (starts and ends):
                raise ClinicsFileError(f"{where}: extra time needs from and to")
            if starts and ends and ends <= starts:
                raise ClinicsFileError(f"{where}: ends before it starts")
            reason, reason_en = row.get("reason"), row.get("reason_en")
            if not isinstance(reason or "", str) or not isinstance(reason_en or "", str):
                raise ClinicsFileError(f"{where}: reason must be text")
            wanted.append(
                dict(
                    kind=kind,
                    day=_day(row.get("day"), table),
                    practitioner_id=None if kind == "closure" else pid,
                    starts=None if kind == "closure" else starts,
                    ends=None if kind == "closure" else ends,
                    reason=reason,
                    reason_en=reason_en,
                )
            )
    return wanted


def sync_file_changes(session: Session, clinic: Clinic, spec: dict, now: dt.datetime) -> None:
    """Make the clinic's file-set changes (source "file") what the file says; console changes stay."""
    from core.models import ScheduleChange, ScheduleKind
    from core.services.schedule import _apply_walkin, _reset_walkin

    fields = ("kind", "day", "practitioner_id", "starts", "ends", "reason", "reason_en")
    wanted = {tuple(w[f] for f in fields) for w in file_changes(spec, clinic)}
    current = session.scalars(
        select(ScheduleChange).where(ScheduleChange.clinic_id == clinic.id, ScheduleChange.source == "file")
    ).all()
    have = set()
    for row in current:
        key = (row.kind.value, row.day, row.practitioner_id, row.starts, row.ends, row.reason, row.reason_en)
        if key in wanted:
            have.add(key)
        else:
            session.delete(row)
            session.flush()
            if row.kind.value == "closure":
                _reset_walkin(session, clinic, row.day)
    for key in sorted(wanted - have, key=str):
        change = ScheduleChange(clinic_id=clinic.id, source="file", created_by="file", created_at=now)
        for name, value in zip(fields, key, strict=True):
            setattr(change, name, ScheduleKind(value) if name == "kind" else value)
        session.add(change)
        session.flush()
        if change.kind == "closure":
            _apply_walkin(session, clinic, change)


# ---- federation: where a clinic is, and the neighbours an instance reads ----------------------------------


def _with_location(settings: dict, location: object) -> dict:
    """The clinic's [clinic.location] (coordinates and address, for 'nearby' and the published Location)."""
    if location is None:
        return settings
    if not isinstance(location, dict):
        raise ClinicsFileError("[clinic.location] must be a table")
    place = {}
    for key, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        value = location.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise ClinicsFileError(f"location.{key} must be a number from {low} to {high}, not {value!r}")
        place[key] = float(value)
    for key in ("address", "city", "province", "postal_code"):
        value = location.get(key)
        if value is not None and not isinstance(value, str):
            raise ClinicsFileError(f"location.{key} must be text")
        if value:
            place[key] = value.strip()
    return {**settings, "location": place}


def read_neighbours(path: Path) -> list[str]:
    """The `neighbours` of a clinics file: the `$bulk-publish` manifest URLs of other clinicline instances."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ClinicsFileError(f"{path}: {exc}") from exc
    urls = data.get("neighbours", [])
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise ClinicsFileError(f"{path}: neighbours must be a list of URLs")
    for url in urls:
        if not url.startswith(("http://", "https://")) or not url.rstrip("/").endswith("$bulk-publish"):
            raise ClinicsFileError(f"{path}: neighbour {url!r} is not an http(s) URL ending in $bulk-publish")
    return [u.rstrip("/") for u in urls]


def _phone(value: str | None, where: str) -> str | None:
    if not value:
        return None
    try:
        return normalize_phone(str(value))
    except InvalidPhoneNumber as exc:
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
        if not isinstance(spec, dict) or not spec.get("key"):
            raise ClinicsFileError("every [[clinic.practitioner]] needs a key")
        key, name = spec["key"], spec.get("name", spec["key"])
        if key in keys:
            raise ClinicsFileError(f"practitioner {key!r} given twice")
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
        try:
            sync_file_changes(session, clinic, spec, now)
        except (KeyError, ValueError, TypeError) as exc:
            if isinstance(exc, ClinicsFileError):
                raise ClinicsFileError(f"{clinic.id}: {exc}") from exc
            raise ClinicsFileError(f"{clinic.id}: {exc!r}") from exc
        added, withdrawn = generate_slots(session, clinic, now, horizon_days)
        report.clinics.append(clinic.id)
        report.slots_added += added
        report.slots_withdrawn += withdrawn
    from core.federation.discover import set_file_neighbours  # the federation reads this file's neighbours

    set_file_neighbours(session, read_neighbours(path))
    return report
