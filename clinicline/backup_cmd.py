"""`clinicline backup` and `clinicline restore`: the database into a folder with retention, and back."""

from __future__ import annotations

import time
from pathlib import Path

import click

from core.config import Config
from core.services.backup import BackupError, backup, backups, restore


@click.command("backup")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where backups go (default: the instance folder's backups/).",
)
@click.option("--keep", default=14, show_default=True, type=click.IntRange(min=1), help="Backups kept.")
def backup_command(folder: Path | None, keep: int) -> None:
    """Back DATABASE_URL up (SQLite online backup, or pg_dump custom format), keeping the newest KEEP."""
    config = Config.from_env()
    folder = folder or config.instance_path / "backups"
    started = time.perf_counter()
    try:
        path = backup(config.database_url, folder, keep=keep)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    size = path.stat().st_size / 1e6
    click.echo(f"backup {path} ({size:.1f} MB) in {time.perf_counter() - started:.1f} s")
    click.echo(f"{len(backups(folder))} backup(s) kept in {folder}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Restore the newest backup of this folder.",
)
@click.option("--yes", is_flag=True, help="Do not ask: the database's current content is replaced.")
def restore_command(path: Path | None, folder: Path | None, yes: bool) -> None:
    """Replace DATABASE_URL's content with a backup (PATH, or the newest of --dir). Stop the line first."""
    config = Config.from_env()
    if path is None:
        found = backups(folder or config.instance_path / "backups")
        if not found:
            raise click.ClickException("no backup found: give its path")
        path = found[-1]
    if not yes:
        click.confirm(f"Replace everything in the database with {path}?", abort=True)
    started = time.perf_counter()
    try:
        restore(path, config.database_url)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {path} in {time.perf_counter() - started:.1f} s")
