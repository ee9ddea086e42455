"""`clinicline jobs`: run due scheduled work once, run a worker, list the recent outbound messages."""

from __future__ import annotations

import json

import click

from core.config import Config


def _runtime():
    from core.jobs import attach_queue
    from core.runtime import build_runtime

    runtime = build_runtime(Config.from_env())
    attach_queue(runtime, background=False)
    return runtime


@click.group("jobs")
def jobs_command() -> None:
    """Background jobs: reminders, walk-in notices, confirmations."""


@jobs_command.command("run-due")
def run_due() -> None:
    """Run the periodic tick once: due messages, walk-in notices, expired holds, slot horizon."""
    from core.jobs.context import using
    from core.jobs.tasks import tick

    runtime = _runtime()
    try:
        with using(runtime):
            result = tick()
            drained = runtime.jobs.drain() if hasattr(runtime.jobs, "drain") else 0
    finally:
        runtime.dispose()
    click.echo(json.dumps(result | {"jobs_run": drained}))


@jobs_command.command("purge")
def purge() -> None:
    """Apply the retention period now (old conversations and webhook events)."""
    from core.jobs.context import using
    from core.jobs.tasks import purge_old_data

    runtime = _runtime()
    try:
        with using(runtime):
            click.echo(json.dumps(purge_old_data()))
    finally:
        runtime.dispose()


@jobs_command.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def worker(burst: bool) -> None:
    """An rq worker with its scheduler on the "clinicline" queue (REDIS_URL), as the Procfile's worker."""
    from redis import Redis
    from rq import Queue

    from core.jobs.queue import QUEUE_NAME
    from core.jobs.worker import Worker

    config = Config.from_env()
    if not config.redis_url:
        raise click.ClickException("REDIS_URL is not set: without it jobs run inside `clinicline serve`")
    connection = Redis.from_url(config.redis_url)
    Worker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(
        burst=burst, with_scheduler=True
    )


@jobs_command.command("messages")
@click.option("--limit", default=20, show_default=True)
def messages(limit: int) -> None:
    """The latest outbound messages and what became of them."""
    from sqlalchemy import select

    from core.models import OutboundMessage
    from core.services.patients import mask_phone

    runtime = _runtime()
    try:
        with runtime.session_factory() as session:
            rows = session.scalars(
                select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(limit)
            ).all()
            for m in rows:
                click.echo(
                    f"{m.id:>6} {m.kind:<4} {m.purpose:<22} {mask_phone(m.to):<14} {m.status:<9} "
                    f"attempts={m.attempts} {m.error_code or ''} {m.error_message or ''}"
                )
    finally:
        runtime.dispose()
