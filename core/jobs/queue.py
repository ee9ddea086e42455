"""Job queues: in-process (embedded default) and rq (production)."""

from __future__ import annotations

import datetime as dt
import importlib
import logging

from core.runtime import Runtime

log = logging.getLogger(__name__)


def resolve(path: str):
    """The function named by a dotted path."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


class InProcessQueue:
    """Runs jobs in this process (to be completed: background thread and scheduler)."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def enqueue(self, path: str, *args, at: dt.datetime | None = None) -> None:
        log.info("job %s%s at %s", path, args, at)
        resolve(path)(*args)

    def stop(self) -> None:
        pass


def attach_queue(runtime: Runtime) -> None:
    """Give the runtime its job queue."""
    runtime.jobs = InProcessQueue(runtime)
