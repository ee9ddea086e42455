"""The transactional outbox: jobs are rows written in the transaction that caused them, handed on when due.

    add(session, "core.jobs.tasks.some_task", *ids, now=…, at=None)   inside the causing transaction
    kick(runtime)                                                       after it commits: dispatch now

A dispatcher (a thread of each web process, the in-process queue's `drain()`, and the periodic tick) locks
due rows, hands them to the job queue as `run(row_id, …)` (rows asking for the same job with the same ids
go together and the job runs once), and marks them handed, in one transaction. `run` calls the job and
marks its rows done. So the queue may be down (rows wait and are handed once it is back)
or lose what it held (a row handed and not done after the lease is handed again): work is delayed, never
lost. A row may run twice (a lease that ran out, a crash after the job and before "done"), which is why
jobs take ids and are idempotent.

A job planned for later (a reminder) is a row due at its time rather than a job in rq's scheduler: the
database stays the one record of pending work, survives a Redis restart without persistence, and the
staff console and tests can read it; the cost is one indexed query per dispatch.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading

from sqlalchemy import select, update

from core.db import deadline
from core.jobs.context import current_runtime
from core.jobs.names import OUTBOX_RUN
from core.models import OutboxJob, utcnow

log = logging.getLogger(__name__)

LEASE_SECONDS = 600  # a handed row not done after this is handed again (the queue lost it, or is very late)
POLL_SECONDS = 2.0  # the dispatcher thread looks for due rows this often when nobody kicks it
BATCH = 200
DISPATCH_DEADLINE_SECONDS = 20.0
MAX_ATTEMPTS = 12
RETRY_SECONDS = (10, 30, 60, 300, 900, 3600)


def add(session, job: str, *args, now: dt.datetime, at: dt.datetime | None = None) -> OutboxJob:
    """Write a job into the transaction of `session`; it is handed on after commit, or at `at`."""
    from core.jobs.queue import resolve

    resolve(job)  # a wrong path fails in the transaction that wrote it, not later in a worker
    row = OutboxJob(job=job, args=list(args), due_at=at or now, created_at=now, attempts=0)
    session.add(row)
    return row


def add_effects(session, effects, now: dt.datetime) -> None:
    """The dialog's effects (core.dialog.types.Effect) as outbox rows of this transaction."""
    for effect in effects:
        add(session, effect.job, *effect.args, now=now, at=effect.at)


def add_jobs(session, jobs, now: dt.datetime) -> None:
    """Jobs given as (path, *args) tuples (the staff console's actions) as outbox rows of this transaction."""
    for job, *args in jobs:
        add(session, job, *args, now=now)


def kick(runtime) -> None:
    """Wake the process's dispatcher after a commit that wrote rows (never waits on the queue)."""
    dispatcher = getattr(getattr(runtime, "jobs", None), "dispatcher", None)
    if dispatcher is not None:
        dispatcher.kick()


def lease(runtime) -> dt.timedelta:
    return dt.timedelta(seconds=runtime.config.extra.get("outbox_lease_seconds", LEASE_SECONDS))


def dispatch(runtime, limit: int = BATCH, include_timed: bool = True) -> int:
    """Hand the due rows to the queue and mark them handed; returns how many were handed.

    `include_timed=False` hands only rows that were due when written (tests that keep reminders back).
    """
    now, wall = runtime.now(), utcnow()
    handed = 0
    with runtime.session_factory.begin() as session:
        query = (
            select(OutboxJob)
            .where(
                OutboxJob.done_at.is_(None),
                OutboxJob.due_at <= now,
                (OutboxJob.handed_at.is_(None)) | (OutboxJob.handed_at < wall - lease(runtime)),
            )
            .order_by(OutboxJob.due_at, OutboxJob.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if not include_timed:
            query = query.where(OutboxJob.due_at <= OutboxJob.created_at)
        # The same job with the same ids, asked for by several commits, runs once for all of them: jobs
        # read the state they act on, and every one of these rows was committed before the run.
        groups: dict[tuple, list[OutboxJob]] = {}
        for row in session.scalars(query).all():
            groups.setdefault((row.job, json.dumps(row.args)), []).append(row)
        for rows in groups.values():
            try:
                runtime.jobs.enqueue(OUTBOX_RUN, *(row.id for row in rows))
            except Exception as exc:  # the queue is down: the rows stay due and are handed next time
                log.warning("outbox: the job queue is unavailable, due jobs wait (%s)", exc)
                break
            for row in rows:
                row.handed_at = wall
                row.attempts += 1
            handed += len(rows)
    return handed


def run(row_id: int, *same_ids: int) -> str:
    """The queued job of outbox rows asking for the same job: run it once, then mark them all done."""
    runtime = current_runtime()
    ids = [row_id, *same_ids]
    with runtime.session_factory() as session:
        rows = session.scalars(
            select(OutboxJob).where(OutboxJob.id.in_(ids), OutboxJob.done_at.is_(None))
        ).all()
        if not rows:
            return "done"
        job, args = rows[0].job, tuple(rows[0].args or ())
        ids = [row.id for row in rows]
    from core.jobs.queue import resolve

    try:
        resolve(job)(*args)
    except Exception as exc:
        log.exception("outbox job %s%s (rows %s) failed", job, args, ids)
        _failed(runtime, ids, exc)
        return "failed"
    with runtime.session_factory.begin() as session:
        session.execute(
            update(OutboxJob)
            .where(OutboxJob.id.in_(ids), OutboxJob.done_at.is_(None))
            .values(done_at=runtime.now(), error=None)
            .execution_options(synchronize_session=False)
        )
    return "ran"


def _failed(runtime, ids: list[int], exc: Exception) -> None:
    """A job that raised is due again later; after MAX_ATTEMPTS it is closed with its error."""
    now = runtime.now()
    with runtime.session_factory.begin() as session:
        rows = session.scalars(
            select(OutboxJob).where(OutboxJob.id.in_(ids), OutboxJob.done_at.is_(None)).with_for_update()
        ).all()
        for row in rows:
            row.error = f"{type(exc).__name__}: {exc}"[:200]
            if row.attempts >= MAX_ATTEMPTS:
                row.done_at = now
                log.error("outbox row %s (%s) gave up after %s attempts", row.id, row.job, row.attempts)
                continue
            delay = RETRY_SECONDS[min(max(row.attempts, 1), len(RETRY_SECONDS)) - 1]
            row.due_at = now + dt.timedelta(seconds=delay)
            row.handed_at = None


class Dispatcher:
    """A thread that hands due outbox rows to the queue: at once when kicked, else every POLL_SECONDS."""

    def __init__(self, runtime, poll_seconds: float = POLL_SECONDS):
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="clinicline-outbox", daemon=True)
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake.wait(timeout=self.poll_seconds * (1 + min(failures, 5)))
            self._wake.clear()
            if self._stopping:
                return
            try:
                with deadline(DISPATCH_DEADLINE_SECONDS):  # a frozen database does not freeze this thread
                    while dispatch(self.runtime) >= BATCH:  # a backlog: keep going until it is handed
                        pass
                failures = 0
            except Exception:  # the database is down or slow: try again later, a little less often
                failures += 1
                if failures in (1, 10) or failures % 100 == 0:  # say so, without flooding the log
                    log.warning("outbox dispatch failed (%s in a row)", failures, exc_info=failures == 1)
