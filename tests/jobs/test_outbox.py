"""The outbox: jobs are rows of the transaction that caused them, handed to the queue when due, never lost."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.jobs import outbox
from core.jobs.context import using
from core.models import OutboxJob

RAN: list[tuple] = []
JOB = "tests.jobs.test_outbox.record"
EXPLODING = "tests.jobs.test_outbox.explode"


def record(*args) -> None:
    """A job that remembers it ran."""
    RAN.append(args)


def explode(*_args) -> None:
    """A job whose database is down."""
    raise ConnectionError("database unavailable")


class ListQueue:
    """A queue that keeps what it was handed; `refuse` makes it behave like a dead Redis."""

    def __init__(self, refuse: bool = False):
        self.handed: list[tuple] = []
        self.refuse = refuse

    def enqueue(self, path: str, *args, at=None) -> None:
        if self.refuse:
            raise ConnectionError("Redis is down")
        self.handed.append((path, *args))

    def run_all(self, runtime) -> None:
        with using(runtime):
            for _path, *ids in self.handed:
                outbox.run(*ids)
        self.handed.clear()


@pytest.fixture
def queue(any_runtime):
    RAN.clear()
    any_runtime.jobs = ListQueue()
    return any_runtime.jobs


def rows(runtime) -> list[OutboxJob]:
    with runtime.session_factory() as s:
        return list(s.scalars(select(OutboxJob).order_by(OutboxJob.id)))


def test_jobs_are_written_with_their_transaction_and_vanish_with_its_rollback(any_runtime, queue):
    with any_runtime.session_factory.begin() as s:
        outbox.add(s, JOB, 1, now=any_runtime.now())

    def write_then_fail():
        with any_runtime.session_factory.begin() as s:
            outbox.add(s, JOB, 2, now=any_runtime.now())
            raise RuntimeError("the turn failed after writing its job")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert [row.args for row in rows(any_runtime)] == [[1]]


def test_due_rows_are_handed_once_and_run_once(any_runtime, queue):
    with any_runtime.session_factory.begin() as s:
        outbox.add(s, JOB, 7, now=any_runtime.now())
    assert outbox.dispatch(any_runtime) == 1
    assert outbox.dispatch(any_runtime) == 0  # handed: not again while its lease holds
    queue.run_all(any_runtime)
    assert RAN == [(7,)]
    (row,) = rows(any_runtime)
    assert row.done_at is not None
    assert row.attempts == 1


def test_a_job_planned_for_later_waits_in_the_database_until_it_is_due(any_runtime, queue, clock):
    at = clock() + dt.timedelta(hours=20)
    with any_runtime.session_factory.begin() as s:
        outbox.add(s, JOB, 3, now=clock(), at=at)
    assert outbox.dispatch(any_runtime) == 0
    clock.current = at
    assert outbox.dispatch(any_runtime) == 1


def test_a_dead_queue_delays_the_jobs_and_loses_none(any_runtime, clock):
    RAN.clear()
    any_runtime.jobs = ListQueue(refuse=True)
    with any_runtime.session_factory.begin() as s:
        outbox.add(s, JOB, 1, now=clock())
        outbox.add(s, JOB, 2, now=clock())
    assert outbox.dispatch(any_runtime) == 0
    assert all(row.handed_at is None and row.done_at is None for row in rows(any_runtime))
    any_runtime.jobs.refuse = False  # Redis is back
    assert outbox.dispatch(any_runtime) == 2
    any_runtime.jobs.run_all(any_runtime)
    assert sorted(RAN) == [(1,), (2,)]


def test_the_same_job_asked_for_by_several_commits_runs_once(any_runtime, queue):
    for _ in range(3):
        with any_runtime.session_factory.begin() as s:
            outbox.add(s, JOB, "parc", now=any_runtime.now())
    assert outbox.dispatch(any_runtime) == 3
    assert len(queue.handed) == 1
    queue.run_all(any_runtime)
    assert RAN == [("parc",)]
    assert all(row.done_at is not None for row in rows(any_runtime))


def test_a_row_handed_to_a_queue_that_lost_it_is_handed_again_after_the_lease(any_runtime, queue):
    with any_runtime.session_factory.begin() as s:
        outbox.add(s, JOB, 5, now=any_runtime.now())
    assert outbox.dispatch(any_runtime) == 1
    queue.handed.clear()  # Redis restarted without persistence
    any_runtime.config.extra["outbox_lease_seconds"] = 0
    assert outbox.dispatch(any_runtime) == 1
    queue.run_all(any_runtime)
    assert RAN == [(5,)]
    assert rows(any_runtime)[0].attempts == 2


def test_a_failing_job_is_due_again_later_with_its_error(any_runtime, queue, clock):
    with any_runtime.session_factory.begin() as s:
        outbox.add(s, EXPLODING, 9, now=clock())
    outbox.dispatch(any_runtime)
    queue.run_all(any_runtime)
    (row,) = rows(any_runtime)
    assert row.done_at is None
    assert row.handed_at is None
    assert row.due_at > clock()
    assert "database unavailable" in row.error
    assert outbox.dispatch(any_runtime) == 0  # not before its retry time


def test_a_wrong_job_path_fails_in_the_transaction_that_writes_it(any_runtime, queue):
    with pytest.raises(AttributeError), any_runtime.session_factory.begin() as s:
        outbox.add(s, "core.jobs.tasks.no_such_job", 1, now=any_runtime.now())
    assert rows(any_runtime) == []
