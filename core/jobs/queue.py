"""Job queues: in-process (embedded default, no REDIS_URL) and rq (production, REDIS_URL).

Both take `enqueue("core.jobs.tasks.some_task", *ids, at=None)` after the transaction commits. The
in-process queue runs jobs in order on a background thread, timed jobs and the periodic tick from a
scheduler thread; tests build it without threads and call `drain()`.
"""

from __future__ import annotations

import datetime as dt
import heapq
import importlib
import itertools
import logging
import threading
import time
from collections import deque

from core.jobs import outbox
from core.jobs.context import using
from core.jobs.names import TICK
from core.runtime import Runtime

log = logging.getLogger(__name__)

QUEUE_NAME = "clinicline"  # the Procfile's worker listens on this queue
TICK_SECONDS = 60
RETRY_SECONDS = (10, 60, 300)  # a job that raised (database down…) runs again after these delays
JOB_TIMEOUT_SECONDS = 120
REDIS_TIMEOUT_SECONDS = 2.0  # connect and each command; a hanging Redis costs the dispatcher this, once


def resolve(path: str):
    """The function named by a dotted path."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


class InProcessQueue:
    """Runs jobs in this process: in order on a worker thread, timed ones when due (or on `drain()`)."""

    def __init__(self, runtime: Runtime, background: bool = True, tick_seconds: float = TICK_SECONDS):
        self.runtime = runtime
        self.dispatcher = None  # the outbox's thread, started with the others
        self.tick_seconds = tick_seconds
        self._ready: deque[tuple[str, tuple, int]] = deque()
        self._timed: list[tuple[dt.datetime, int, str, tuple, int]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopping = False
        self._threads: list[threading.Thread] = []
        if background:
            self._threads = [
                threading.Thread(target=self._work, name="clinicline-jobs", daemon=True),
                threading.Thread(target=self._schedule, name="clinicline-scheduler", daemon=True),
            ]
            for thread in self._threads:
                thread.start()
            self.dispatcher = outbox.Dispatcher(runtime)

    def enqueue(self, path: str, *args, at: dt.datetime | None = None, _failures: int = 0) -> None:
        """Run the job soon, or at `at` (an aware instant on the runtime's clock)."""
        resolve(path)  # a wrong path fails where it is enqueued, not later in a thread
        with self._wake:
            if at is None or at <= self.runtime.now():
                self._ready.append((path, args, _failures))
            else:
                heapq.heappush(self._timed, (at, next(self._order), path, args, _failures))
            self._wake.notify_all()

    def pending(self) -> int:
        """Jobs waiting, due or not."""
        with self._wake:
            return len(self._ready) + len(self._timed)

    def drain(self, include_timed: bool = True, limit: int = 10_000) -> int:
        """Run every ready job and due outbox row (and timed ones now due on the runtime's clock) here, in order.

        Returns how many jobs ran.
        """
        done = 0
        while done < limit:
            with self._wake:
                if include_timed:
                    self._release_due()
                empty = not self._ready
            if empty and not outbox.dispatch(self.runtime, include_timed=include_timed):
                return done
            with self._wake:
                if not self._ready:
                    continue
                job = self._ready.popleft()
            self._run(*job)
            done += 1
        return done

    def stop(self) -> None:
        """Stop the threads after the job in hand."""
        if self.dispatcher is not None:
            self.dispatcher.stop()
            self.dispatcher = None
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads = []

    def _release_due(self) -> None:
        now = self.runtime.now()
        while self._timed and self._timed[0][0] <= now:
            _, _, path, args, failures = heapq.heappop(self._timed)
            self._ready.append((path, args, failures))

    def _run(self, path: str, args: tuple, failures: int) -> None:
        try:
            with using(self.runtime):
                resolve(path)(*args)
        except Exception:
            log.exception("job %s%s failed", path, args)
            if failures < len(RETRY_SECONDS):
                later = self.runtime.now() + dt.timedelta(seconds=RETRY_SECONDS[failures])
                self.enqueue(path, *args, at=later, _failures=failures + 1)

    def _work(self) -> None:
        while True:
            with self._wake:
                while not self._ready and not self._stopping:
                    self._wake.wait()
                if self._stopping:
                    return
                job = self._ready.popleft()
            self._run(*job)

    def _schedule(self) -> None:
        next_tick = time.monotonic() + 5  # first tick soon after start: catch up on what was due meanwhile
        while True:
            with self._wake:
                if self._stopping:
                    return
                self._release_due()
                if time.monotonic() >= next_tick:
                    self._ready.append((TICK, (), len(RETRY_SECONDS)))
                    next_tick = time.monotonic() + self.tick_seconds
                if self._ready:
                    self._wake.notify_all()
                self._wake.wait(timeout=1.0)


class RQQueue:
    """Jobs on Redis for `rq worker --with-scheduler clinicline`; failed jobs retry with backoff.

    Every Redis call has a deadline (REDIS_TIMEOUT_SECONDS): a hanging Redis delays the outbox's
    dispatcher, never a webhook (webhooks write outbox rows and do not talk to Redis).
    """

    def __init__(self, redis_url: str, name: str = QUEUE_NAME, runtime: Runtime | None = None):
        from redis import Redis
        from rq import Queue

        self.connection = Redis.from_url(
            redis_url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            health_check_interval=30,
        )
        self.queue = Queue(name, connection=self.connection)
        self.dispatcher = outbox.Dispatcher(runtime) if runtime is not None else None

    def enqueue(self, path: str, *args, at: dt.datetime | None = None):
        """Put the job on the queue, or in rq's scheduled registry until `at`."""
        from rq import Retry

        options = dict(
            retry=Retry(max=len(RETRY_SECONDS), interval=list(RETRY_SECONDS)), job_timeout=JOB_TIMEOUT_SECONDS
        )
        if at is None:
            return self.queue.enqueue(path, *args, **options)
        return self.queue.enqueue_at(at, path, *args, **options)

    def stop(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.stop()
            self.dispatcher = None
        self.connection.close()


def attach_queue(runtime: Runtime, background: bool | None = None) -> None:
    """Give the runtime its job queue: rq with REDIS_URL, else in-process (threads unless testing)."""
    if background is None:
        background = not runtime.config.testing
    if runtime.config.redis_url:
        runtime.jobs = RQQueue(runtime.config.redis_url, runtime=runtime if background else None)
        return
    runtime.jobs = InProcessQueue(runtime, background=background)
