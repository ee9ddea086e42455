"""The runtime a job runs with: the in-process queue's own, or one built lazily in an rq worker process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from core.runtime import Runtime

_current: ContextVar[Runtime | None] = ContextVar("clinicline_job_runtime", default=None)
_worker_runtime: Runtime | None = None
_lock = threading.Lock()


@contextmanager
def using(runtime: Runtime) -> Iterator[Runtime]:
    """Run the jobs called inside this block with this runtime (in-process queue, tests, benchmarks)."""
    token = _current.set(runtime)
    try:
        yield runtime
    finally:
        _current.reset(token)


def current_runtime() -> Runtime:
    """The runtime of the running job; an rq worker builds one from the environment on first use."""
    runtime = _current.get()
    if runtime is not None:
        return runtime
    global _worker_runtime
    with _lock:
        if _worker_runtime is None:
            from core.config import Config
            from core.jobs.queue import attach_queue
            from core.runtime import build_runtime

            built = build_runtime(Config.from_env())
            attach_queue(built, background=False)
            _worker_runtime = built
        return _worker_runtime
