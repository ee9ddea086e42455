"""The day on paper: one page per practitioner (time, name, masked phone, code) and the walk-in queue, as PDF
(fpdf2) or CSV, from the database or, when it is gone, from the local snapshot (core.snapshot).

`clinicline daysheet` prints it from the command line (so a scheduled job can print it every evening); the
console's day pages offer the same two files. Phone numbers are masked: the sheet lies on a desk.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import snapshot as snapshots
from core.models import (
    ACTIVE_TICKET_STATUSES,
    Appointment,
    AppointmentStatus,
    Clinic,
    Patient,
    Person,
    Practitioner,
    Slot,
    WalkinDay,
    WalkinTicket,
)
from core.services.patients import mask_phone
from core.timeutil import local_day_bounds, to_local
from prompts import render
from prompts.format import format_date, format_time

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian's fonts-dejavu-core: every accent
WIDTHS = (22, 66, 38, 24, 40)  # time, name, phone, code, status (a box to tick on paper)
QUEUE_WIDTHS = (22, 66, 38, 40, 24)  # number, name, phone, status, joined
ON_SHEET = (AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED, AppointmentStatus.NO_SHOW)


@dataclass(frozen=True)
class Line:
    starts_at: dt.datetime
    name: str | None
    phone: str
    code: str
    practitioner: str
    practitioner_key: str | None = None
    status: str = "booked"


@dataclass(frozen=True)
class QueueLine:
    number: int
    name: str | None
    phone: str
    status: str
    joined_at: dt.datetime
    room: str | None = None


@dataclass(frozen=True)
class Section:
    """One practitioner's page."""

    practitioner: str
    key: str | None
    lines: list[Line]


@dataclass(frozen=True)
class Day:
    clinic: str
    lang: str
    timezone: str
    lines: list[Line]
    snapshot_at: dt.datetime | None  # None: read from the database
    practitioners: list[tuple[str | None, str]] = field(default_factory=list)  # (key, name), page order
    queue: list[QueueLine] | None = None  # None: not known (the snapshot does not hold the queue)

    def sections(self) -> list[Section]:
        """A page per practitioner, in the clinic's order; a practitioner with no appointment gets one too."""
        order = list(self.practitioners)
        for line in self.lines:
            if (line.practitioner_key, line.practitioner) not in order:
                order.append((line.practitioner_key, line.practitioner))
        return [
            Section(name, key, [x for x in self.lines if (x.practitioner_key, x.practitioner) == (key, name)])
            for key, name in order
        ]

    def only(self, key: str) -> Day | None:
        """The sheet of one practitioner (by key), or None when the clinic has no such practitioner."""
        kept = [(k, n) for k, n in self.practitioners if k == key]
        lines = [x for x in self.lines if x.practitioner_key == key]
        if not kept and not lines:
            return None
        return Day(self.clinic, self.lang, self.timezone, lines, self.snapshot_at, kept, self.queue)


def day_from_session(session: Session, clinic: Clinic, day: dt.date) -> Day:
    """The day's appointments (not cancelled), every practitioner, and the day's walk-in queue still open."""
    start, end = local_day_bounds(day, clinic.timezone)
    rows = session.execute(
        select(Appointment, Patient, Person, Practitioner)
        .join(Patient, Appointment.patient_id == Patient.id)
        .join(Person, Appointment.person_id == Person.id)
        .join(Slot, Appointment.slot_id == Slot.id)
        .join(Practitioner, Slot.practitioner_id == Practitioner.id)
        .where(
            Appointment.clinic_id == clinic.id,
            Appointment.status.in_(ON_SHEET),
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
        )
        .order_by(Appointment.starts_at, Practitioner.id)
    ).all()
    lines = [
        Line(a.starts_at, person.name, p.phone, a.code, doc.name, doc.key, a.status.value)
        for a, p, person, doc in rows
    ]
    practitioners = [
        (doc.key, doc.name)
        for doc in session.scalars(
            select(Practitioner)
            .where(Practitioner.clinic_id == clinic.id, Practitioner.active.is_(True))
            .order_by(Practitioner.id)
        )
    ]
    queue = [
        QueueLine(t.number, person.name, p.phone, t.status.value, t.joined_at, t.room)
        for t, p, person in session.execute(
            select(WalkinTicket, Patient, Person)
            .join(Patient, WalkinTicket.patient_id == Patient.id)
            .join(Person, WalkinTicket.person_id == Person.id)
            .join(WalkinDay, WalkinTicket.walkin_day_id == WalkinDay.id)
            .where(
                WalkinDay.clinic_id == clinic.id,
                WalkinDay.day == day,
                WalkinTicket.status.in_(ACTIVE_TICKET_STATUSES),
            )
            .order_by(WalkinTicket.number)
        )
    ]
    return Day(
        clinic.display_name(clinic.default_lang),
        clinic.default_lang,
        clinic.timezone,
        lines,
        None,
        practitioners,
        queue if clinic.walkin_enabled else [],
    )


def day_from_database(sessions, clinic_id: str, day: dt.date) -> Day | None:
    with sessions() as session:
        clinic = session.get(Clinic, clinic_id)
        return day_from_session(session, clinic, day) if clinic is not None else None


def day_from_snapshot(instance_path: Path, clinic_id: str, day: dt.date) -> Day | None:
    snap = snapshots.load(instance_path)
    if snap is None or clinic_id not in snap.clinics:
        return None
    clinic = snap.clinics[clinic_id]
    timezone = clinic.get("timezone") or "America/Toronto"
    lines = [
        Line(a.starts_at, a.name, a.phone, a.code, a.practitioner, a.practitioner_key)
        for a in snap.day(clinic_id, day, timezone)
    ]
    lang = clinic.get("default_lang") or "fr"
    name = (clinic.get("name_en") if lang == "en" else None) or clinic["name"]
    ordered = sorted(lines, key=lambda x: (x.starts_at, x.practitioner))
    return Day(name, lang, timezone, ordered, snap.generated_at, [], None)


# ---- PDF ----------------------------------------------------------------------------------------------------


class _Sheet:
    """An fpdf2 document with the sheet's font and a words() of the clinic's language."""

    def __init__(self, lang: str):
        self.lang = lang
        self.pdf = FPDF(format="Letter")
        self.pdf.set_auto_page_break(auto=True, margin=15)
        if FONT.exists():
            self.pdf.add_font("Sheet", fname=str(FONT))
            self.family = "Sheet"
        else:  # the built-in font has Latin-1 only; names keep their letters where it can
            self.family = "Helvetica"

    def words(self, key: str, **values) -> str:
        return render(key, self.lang, "print", **values)

    def text(self, value: str) -> str:
        return _printable(value, self.family)

    def title(self, value: str, size: int = 15) -> None:
        self.pdf.set_font(self.family, size=size)
        self.pdf.multi_cell(0, 8, self.text(value), align="L")
        self.pdf.ln(1)

    def note(self, value: str) -> None:
        self.pdf.set_font(self.family, size=9)
        self.pdf.multi_cell(0, 5, self.text(value), align="L")
        self.pdf.ln(2)

    def table(self, widths, titles: list[str], rows: list[tuple[str, ...]], empty: str) -> None:
        self.pdf.set_font(self.family, size=10)
        for width, title in zip(widths, titles, strict=True):
            self.pdf.cell(width, 7, self.text(title), border=1)
        self.pdf.ln(7)
        if not rows:
            self.pdf.cell(0, 8, self.text(empty))
            self.pdf.ln(8)
        for cells in rows:
            for width, value in zip(widths, cells, strict=True):
                self.pdf.cell(width, 7, self.text(value)[:40], border=1)
            self.pdf.ln(7)


def render_pdf(day: Day, date: dt.date, output: Path | io.BytesIO, printed_at: dt.datetime) -> None:
    """The sheet: a page per practitioner (title, where it comes from, a row per appointment), then the queue."""
    sheet = _Sheet(day.lang)
    lang = day.lang
    date_label = format_date(date, lang)
    if day.snapshot_at is None:
        source = sheet.words("daysheet_from_database", time=_clock(printed_at, day.timezone, lang))
    else:
        source = sheet.words(
            "daysheet_from_snapshot", time=_clock(day.snapshot_at, day.timezone, lang, with_date=True)
        )
    sections = day.sections() or [Section(sheet.words("daysheet_unnamed"), None, [])]
    for section in sections:
        sheet.pdf.add_page()
        sheet.title(sheet.words("daysheet_title", clinic=day.clinic, date=date_label))
        sheet.title(sheet.words("daysheet_practitioner", practitioner=section.practitioner), size=13)
        sheet.note(source)
        rows = [
            (
                format_time(to_local(line.starts_at, day.timezone).time(), lang, "sms"),
                line.name or sheet.words("daysheet_unnamed"),
                mask_phone(line.phone),
                line.code,
                "" if line.status == "booked" else sheet.words(f"daysheet_status_{line.status}"),
            )
            for line in section.lines
        ]
        sheet.table(
            WIDTHS, sheet.words("daysheet_page_columns").split("|"), rows, sheet.words("daysheet_none")
        )
    if day.queue is None or day.queue:
        sheet.pdf.add_page()
        sheet.title(sheet.words("daysheet_title", clinic=day.clinic, date=date_label))
        sheet.title(sheet.words("daysheet_queue"), size=13)
        sheet.note(source)
        if day.queue is None:
            sheet.note(sheet.words("daysheet_queue_unknown"))
        else:
            rows = [
                (
                    str(q.number),
                    q.name or sheet.words("daysheet_unnamed"),
                    mask_phone(q.phone),
                    sheet.words(f"daysheet_ticket_{q.status}"),
                    format_time(to_local(q.joined_at, day.timezone).time(), lang, "sms"),
                )
                for q in day.queue
            ]
            sheet.table(
                QUEUE_WIDTHS,
                sheet.words("daysheet_queue_columns").split("|"),
                rows,
                sheet.words("daysheet_none"),
            )
    sheet.pdf.output(output if isinstance(output, io.BytesIO) else str(output))


def pdf_bytes(day: Day, date: dt.date, printed_at: dt.datetime) -> bytes:
    out = io.BytesIO()
    render_pdf(day, date, out, printed_at)
    return out.getvalue()


# ---- CSV ----------------------------------------------------------------------------------------------------


def csv_rows(day: Day) -> list[list[str]]:
    """The same sheet as rows: the header, every appointment (by practitioner, in time order), then the queue."""

    def words(key: str, **values) -> str:
        return render(key, day.lang, "print", **values)

    rows = [words("daysheet_csv_columns").split("|")]
    for section in day.sections():
        for line in section.lines:
            local = to_local(line.starts_at, day.timezone)
            rows.append(
                [
                    words("daysheet_csv_appointment"),
                    section.practitioner,
                    local.strftime("%Y-%m-%d"),
                    local.strftime("%H:%M"),
                    line.name or "",
                    mask_phone(line.phone),
                    line.code,
                    words(f"daysheet_status_{line.status}"),
                ]
            )
    for q in day.queue or []:
        local = to_local(q.joined_at, day.timezone)
        rows.append(
            [
                words("daysheet_csv_walkin"),
                "",
                local.strftime("%Y-%m-%d"),
                local.strftime("%H:%M"),
                q.name or "",
                mask_phone(q.phone),
                str(q.number),
                words(f"daysheet_ticket_{q.status}"),
            ]
        )
    return rows


def csv_text(day: Day) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in csv_rows(day):
        writer.writerow([_spreadsheet_safe(cell) for cell in row])
    return out.getvalue()


def _spreadsheet_safe(cell: str) -> str:
    # A name typed as "=HYPERLINK(…)" must stay text when the file is opened in a spreadsheet.
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _clock(instant: dt.datetime, timezone: str, lang: str, with_date: bool = False) -> str:
    local = to_local(instant, timezone)
    time = format_time(local.time().replace(second=0, microsecond=0), lang, "sms")
    return f"{format_date(local.date(), lang)} {time}" if with_date else time


def _printable(text: str, family: str) -> str:
    if family != "Helvetica":
        return text
    return text.replace("’", "'").replace("œ", "oe").encode("latin-1", "replace").decode("latin-1")
