"""`clinicline publish DIR` and `clinicline neighbours`: the region's federation from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from core.config import Config


def _runtime():
    from core.db import upgrade
    from core.runtime import build_runtime

    runtime = build_runtime(Config.from_env())
    upgrade(runtime.engine)
    return runtime


@click.command("publish")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--base-url",
    help="The public URL the files will be served from (default: PUBLIC_BASE_URL); the manifest "
    "names its files by full URL, under BASE_URL/fhir/.",
)
def publish_command(directory: Path, base_url: str | None) -> None:
    """Write the SMART Scheduling Links files ($bulk-publish and the NDJSON files) for a static web host."""
    from core.federation.publish import build

    base = (base_url or Config.from_env().public_base_url or "").rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise click.UsageError(
            "give --base-url https://… (or set PUBLIC_BASE_URL): the manifest needs full URLs"
        )
    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            publication = build(session, runtime.now(), base)
    finally:
        runtime.dispose()
    target = directory / "fhir"
    target.mkdir(parents=True, exist_ok=True)
    for name, body in publication.files.items():
        tmp = target / (name + ".tmp")
        tmp.write_bytes(body)
        tmp.replace(target / name)  # a web host never serves half a file
    click.echo(
        f"wrote {len(publication.files)} files to {target} (transactionTime {publication.transaction_time})"
    )
    click.echo(f"manifest URL: {base}/fhir/$bulk-publish")


@click.group("neighbours")
def neighbours_command() -> None:
    """The other clinicline instances this one reads (clinics file `neighbours`, CLINICLINE_NEIGHBOURS)."""


@neighbours_command.command("poll")
def neighbours_poll() -> None:
    """Read every neighbour's manifest now (the job tick does this once a minute)."""
    from core.federation.discover import poll_neighbours

    runtime = _runtime()
    try:
        result = poll_neighbours(runtime, force=True)
    finally:
        runtime.dispose()
    click.echo(json.dumps(result))


@neighbours_command.command("list")
def neighbours_list() -> None:
    """Each neighbour and how its last poll went."""
    from core.federation.discover import health

    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            rows = health(session)
    finally:
        runtime.dispose()
    if not rows:
        click.echo(
            "no neighbours: list them in the clinics file (neighbours = [...]) or CLINICLINE_NEIGHBOURS"
        )
    for row in rows:
        click.echo(
            f"{row['status']:<5} {row['url']}  last ok: {row['ok_at'] or 'never'}  {row['error'] or ''}"
        )
