"""`clinicline daysheet --clinic ID --date YYYY-MM-DD [--practitioner KEY] [--csv]`: a clinic's day on paper.

A page per practitioner and the walk-in queue (staff.paper), as PDF or CSV; from the database when it
answers, else from the local snapshot (core.snapshot), which the sheet says, with the snapshot's time.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from core.config import Config
from core.db import make_engine, make_session_factory
from staff.paper import Day, csv_text, day_from_database, day_from_snapshot, render_pdf

__all__ = ["daysheet_command", "Day"]


@click.command("daysheet")
@click.option("--clinic", "clinic_id", required=True, help="The clinic's id (clinicline clinics list).")
@click.option("--date", "date", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option(
    "--practitioner", "practitioner", help="Only this practitioner's page (their key in the clinics file)."
)
@click.option("--csv", "as_csv", is_flag=True, help="Write the same sheet as CSV instead of PDF.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Default: daysheet-ID-DATE.pdf (or .csv)",
)
@click.option("--from-snapshot", is_flag=True, help="Do not try the database.")
def daysheet_command(
    clinic_id: str,
    date: dt.datetime,
    practitioner: str | None,
    as_csv: bool,
    output: Path | None,
    from_snapshot: bool,
) -> None:
    """Print a clinic's day to PDF (or CSV): a page per practitioner and the walk-in queue."""
    config = Config.from_env()
    day_date = date.date()
    suffix = "csv" if as_csv else "pdf"
    key_part = f"-{practitioner}" if practitioner else ""
    output = output or Path(f"daysheet-{clinic_id}{key_part}-{day_date.isoformat()}.{suffix}")
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
    if practitioner:
        known = sorted({k for k, _ in day.practitioners} | {x.practitioner_key for x in day.lines} - {None})
        day = day.only(practitioner)
        if day is None:
            raise click.ClickException(
                f"no practitioner {practitioner!r} at {clinic_id!r} (known: {', '.join(known) or 'none'})"
            )
    if as_csv:
        output.write_text(csv_text(day), encoding="utf-8-sig")  # with a BOM: spreadsheets read the accents
    else:
        render_pdf(day, day_date, output, dt.datetime.now(dt.UTC))
    source = (
        "database"
        if day.snapshot_at is None
        else f"snapshot of {day.snapshot_at.isoformat(timespec='seconds')}"
    )
    queue = "" if day.queue is None else f", {len(day.queue)} walk-in ticket(s)"
    click.echo(f"{output}: {len(day.lines)} appointment(s){queue} from the {source}")
