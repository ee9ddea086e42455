"""`clinicline daysheet --clinic ID --date YYYY-MM-DD`: a clinic's day on paper (PDF), with or without the database.

From the database when it answers, else from the local snapshot (core.snapshot), which the sheet says,
with the snapshot's time. Phone numbers are masked: the sheet lies on a desk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import click
from fpdf import FPDF
from sqlalchemy import select

from core import snapshot as snapshots
from core.config import Config
from core.db import make_engine, make_session_factory
from core.models import Appointment, AppointmentStatus, Clinic, Patient, Person, Practitioner, Slot
from core.services.patients import mask_phone
from core.timeutil import local_day_bounds, to_local
from prompts import render
from prompts.format import format_date, format_time

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian's fonts-dejavu-core: every accent
WIDTHS = (22, 60, 38, 22, 48)


@dataclass(frozen=True)
class Line:
    starts_at: dt.datetime
    name: str | None
    phone: str
    code: str
    practitioner: str


@dataclass(frozen=True)
class Day:
    clinic: str
    lang: str
    timezone: str
    lines: list[Line]
    snapshot_at: dt.datetime | None  # None: read from the database


def day_from_database(sessions, clinic_id: str, day: dt.date) -> Day | None:
    with sessions() as session:
        clinic = session.get(Clinic, clinic_id)
        if clinic is None:
            return None
        start, end = local_day_bounds(day, clinic.timezone)
        rows = session.execute(
            select(Appointment, Patient, Practitioner.name, Person)
            .join(Patient, Appointment.patient_id == Patient.id)
            .join(Person, Appointment.person_id == Person.id)
            .join(Slot, Appointment.slot_id == Slot.id)
            .join(Practitioner, Slot.practitioner_id == Practitioner.id)
            .where(
                Appointment.clinic_id == clinic_id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at >= start,
                Appointment.starts_at < end,
            )
            .order_by(Appointment.starts_at, Practitioner.name)
        ).all()
        lines = [Line(a.starts_at, who.name, p.phone, a.code, name) for a, p, name, who in rows]
        return Day(
            clinic.display_name(clinic.default_lang), clinic.default_lang, clinic.timezone, lines, None
        )


def day_from_snapshot(instance_path: Path, clinic_id: str, day: dt.date) -> Day | None:
    snap = snapshots.load(instance_path)
    if snap is None or clinic_id not in snap.clinics:
        return None
    clinic = snap.clinics[clinic_id]
    timezone = clinic.get("timezone") or "America/Toronto"
    lines = [
        Line(a.starts_at, a.name, a.phone, a.code, a.practitioner) for a in snap.day(clinic_id, day, timezone)
    ]
    lang = clinic.get("default_lang") or "fr"
    name = (clinic.get("name_en") if lang == "en" else None) or clinic["name"]
    return Day(name, lang, timezone, sorted(lines, key=lambda x: x.starts_at), snap.generated_at)


def render_pdf(day: Day, date: dt.date, output: Path, printed_at: dt.datetime) -> None:
    """The sheet: title, where it comes from, then one row per appointment."""
    lang = day.lang

    def words(key: str, **values) -> str:
        return render(key, lang, "print", **values)

    pdf = FPDF(format="Letter")
    pdf.set_auto_page_break(auto=True, margin=15)
    if FONT.exists():
        pdf.add_font("Sheet", fname=str(FONT))
        family = "Sheet"
    else:  # the built-in font has Latin-1 only; names keep their letters where it can
        family = "Helvetica"
    pdf.add_page()
    pdf.set_font(family, size=15)
    pdf.cell(
        0, 10, _printable(words("daysheet_title", clinic=day.clinic, date=format_date(date, lang)), family)
    )
    pdf.ln(10)
    pdf.set_font(family, size=9)
    if day.snapshot_at is None:
        source = words("daysheet_from_database", time=_clock(printed_at, day.timezone, lang))
    else:
        source = words(
            "daysheet_from_snapshot", time=_clock(day.snapshot_at, day.timezone, lang, with_date=True)
        )
    pdf.multi_cell(0, 5, _printable(source, family), align="L")
    pdf.ln(3)
    pdf.set_font(family, size=10)
    for width, title in zip(WIDTHS, words("daysheet_columns").split("|"), strict=True):
        pdf.cell(width, 7, _printable(title, family), border=1)
    pdf.ln(7)
    if not day.lines:
        pdf.cell(0, 8, _printable(words("daysheet_none"), family))
    for line in day.lines:
        cells = (
            format_time(to_local(line.starts_at, day.timezone).time(), lang, "sms"),
            line.name or words("daysheet_unnamed"),
            mask_phone(line.phone),
            line.code,
            line.practitioner,
        )
        for width, value in zip(WIDTHS, cells, strict=True):
            pdf.cell(width, 7, _printable(value, family)[:40], border=1)
        pdf.ln(7)
    pdf.output(str(output))


def _clock(instant: dt.datetime, timezone: str, lang: str, with_date: bool = False) -> str:
    local = to_local(instant, timezone)
    time = format_time(local.time().replace(second=0, microsecond=0), lang, "sms")
    return f"{format_date(local.date(), lang)} {time}" if with_date else time


def _printable(text: str, family: str) -> str:
    if family != "Helvetica":
        return text
    return text.replace("’", "'").replace("œ", "oe").encode("latin-1", "replace").decode("latin-1")


@click.command("daysheet")
@click.option("--clinic", "clinic_id", required=True, help="The clinic's id (clinicline clinics list).")
@click.option("--date", "date", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: daysheet-ID-DATE.pdf"
)
@click.option("--from-snapshot", is_flag=True, help="Do not try the database.")
def daysheet_command(clinic_id: str, date: dt.datetime, output: Path | None, from_snapshot: bool) -> None:
    """Print a clinic's appointments of one day to PDF: from the database, or from the local snapshot."""
    config = Config.from_env()
    day_date = date.date()
    output = output or Path(f"daysheet-{clinic_id}-{day_date.isoformat()}.pdf")
    day = None
    if not from_snapshot:
        engine = make_engine(config.database_url)
        try:
            day = day_from_database(make_session_factory(engine), clinic_id, day_date)
            if day is None:
                raise click.ClickException(f"no clinic {clinic_id!r}")
        except click.ClickException:
            raise
        except Exception as exc:  # the database does not answer: the snapshot is what the sheet is for
            click.echo(
                f"database unavailable ({exc.__class__.__name__}): printing from the local snapshot", err=True
            )
        finally:
            engine.dispose()
    if day is None:
        day = day_from_snapshot(config.instance_path, clinic_id, day_date)
        if day is None:
            raise click.ClickException(f"no snapshot of clinic {clinic_id!r} in {config.instance_path}")
    render_pdf(day, day_date, output, dt.datetime.now(dt.UTC))
    source = (
        "database"
        if day.snapshot_at is None
        else f"snapshot of {day.snapshot_at.isoformat(timespec='seconds')}"
    )
    click.echo(f"{output}: {len(day.lines)} appointment(s) from the {source}")
