"""The `clinicline` command line: serve, db, clinics, understand, sms, call."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import func, select

import prompts
from core.clinics_file import EXAMPLE_FILE, ClinicsFileError, load_clinics
from core.config import Config
from core.db import make_engine, make_session_factory, upgrade
from core.models import Clinic, ClinicNumber, utcnow


def _session_factory(config: Config):
    engine = make_engine(config.database_url)
    return engine, make_session_factory(engine)


@click.group()
def main() -> None:
    """clinicline: a phone and SMS line for clinics."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to DATABASE_URL (default: the SQLite file of the instance folder)."""
    config = Config.from_env()
    engine, _ = _session_factory(config)
    upgrade(engine)
    click.echo(f"database is up to date: {engine.url.render_as_string(hide_password=True)}")


@main.group()
def clinics() -> None:
    """Clinics, their numbers and hours."""


@clinics.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def clinics_load(path: Path) -> None:
    """Create or update the clinics of a TOML file (loading twice changes nothing)."""
    config = Config.from_env()
    engine, sessions = _session_factory(config)
    upgrade(engine)
    try:
        with sessions.begin() as session:
            report = load_clinics(session, path, utcnow(), config.slot_horizon_days)
    except ClinicsFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"loaded {', '.join(report.clinics)}: {report.slots_added} slots added, "
        f"{report.slots_withdrawn} withdrawn"
    )


@clinics.command("list")
def clinics_list() -> None:
    """Show the clinics that are loaded."""
    config = Config.from_env()
    engine, sessions = _session_factory(config)
    upgrade(engine)
    with sessions() as session:
        rows = session.scalars(select(Clinic).order_by(Clinic.id)).all()
        if not rows:
            click.echo("no clinics loaded: clinicline clinics load FILE")
        for clinic in rows:
            numbers = ", ".join(
                f"{n.number} ({n.kind})" for n in sorted(clinic.numbers, key=lambda n: n.kind)
            )
            walkin = f"walk-in {clinic.walkin_capacity} places" if clinic.walkin_enabled else "no walk-in"
            click.echo(
                f"{clinic.id:<12} {clinic.name} [{clinic.default_lang}] {numbers}; "
                f"{clinic.slot_minutes}-min slots, {len([p for p in clinic.practitioners if p.active])} "
                f"practitioner(s); {walkin}"
            )


def prepare_embedded(config: Config) -> list[str]:
    """Migrate, and load the demo clinics when the database has none; returns the clinic ids loaded."""
    engine, sessions = _session_factory(config)
    upgrade(engine)
    with sessions.begin() as session:
        empty = session.scalar(select(func.count()).select_from(ClinicNumber)) == 0
        path = config.clinics_file or (EXAMPLE_FILE if empty else None)
        loaded = load_clinics(session, path, utcnow(), config.slot_horizon_days).clinics if path else []
    engine.dispose()
    return loaded


# The embedded server (waitress): its asynchronous core holds every open connection, idle keep-alive ones
# cost nothing, and the threads run requests. Its default of 100 connections left a rush of patients
# waiting past Twilio's 15 s; these hold 1,000 texts in 10 s and 200 patients racing for slots
# (bench/serve_rush.py).
SERVE_CONNECTION_LIMIT = 2000
SERVE_BACKLOG = 2048
SERVE_CHANNEL_TIMEOUT = 60  # seconds an idle keep-alive connection stays open


def _raise_open_files(wanted: int) -> None:
    """Allow as many open files as connections the server holds (within the hard limit)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--connection-limit",
    default=SERVE_CONNECTION_LIMIT,
    show_default=True,
    type=int,
    help="open connections held",
)
def serve(host: str, port: int, threads: int, connection_limit: int) -> None:
    """Run the server: SQLite file, in-process jobs, demo clinics on an empty database."""
    from waitress import serve as waitress_serve

    from clinicline.app import create_app

    config = Config.from_env()
    try:
        loaded = prepare_embedded(config)
    except ClinicsFileError as exc:
        raise click.ClickException(str(exc)) from exc
    app = create_app(config)
    base = config.public_base_url or f"http://{host}:{port}"
    click.echo(f"clinicline on http://{host}:{port}  (database: {make_engine(config.database_url).url})")
    if loaded:
        click.echo(f"clinics loaded: {', '.join(loaded)}")
    click.echo("Paste these into the Twilio console (Phone Numbers > your number):")
    click.echo(f"  A call comes in:        POST {base}/voice     fallback: POST {base}/fallback/voice")
    click.echo(f"  Call status changes:    POST {base}/voice/status")
    click.echo(f"  A message comes in:     POST {base}/sms       fallback: POST {base}/fallback/sms")
    click.echo(f"  Message status:         POST {base}/sms/status (set by clinicline on outbound messages)")
    click.echo(f"  Health:                 GET  {base}/healthz")
    # Staff accounts: an empty instance gets a first manager, whose password is printed this once.
    first_manager = first_manager_notice(config, f"{base}/staff/")
    click.echo(first_manager or prompts.render("staff_console_at", "en", url=f"{base}/staff/"))
    sys.stdout.flush()
    _raise_open_files(connection_limit + 256)
    waitress_serve(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="clinicline",
        connection_limit=connection_limit,
        backlog=SERVE_BACKLOG,
        channel_timeout=SERVE_CHANNEL_TIMEOUT,
        asyncore_use_poll=True,  # select() stops at 1,024 descriptors
    )


from clinicline.backup_cmd import backup_command, restore_command  # noqa: E402
from clinicline.call_cmd import call_command  # noqa: E402  (the commands beside the channels' code)
from clinicline.daysheet_cmd import daysheet_command  # noqa: E402
from clinicline.jobs_cmd import jobs_command  # noqa: E402
from clinicline.publish_cmd import neighbours_command, publish_command  # noqa: E402
from clinicline.sms_cmd import sms_command  # noqa: E402
from clinicline.staff_cmd import first_manager_notice, staff_command  # noqa: E402
from clinicline.token_cmd import token_command  # noqa: E402
from clinicline.understand_cmd import understand_command  # noqa: E402

for _command in (
    understand_command,
    sms_command,
    call_command,
    jobs_command,
    staff_command,
    backup_command,
    restore_command,
    daysheet_command,
):
    main.add_command(_command)
for _command in (publish_command, neighbours_command, token_command):  # federation and the read API
    main.add_command(_command)


if __name__ == "__main__":
    main()
