"""Background jobs: plain functions that take ids, run in-process by default or on rq with REDIS_URL.

Interface used by the rest of the code:
    runtime.jobs.enqueue("core.jobs.tasks.some_task", *ids, at=None)  # after the transaction commits
"""

from __future__ import annotations

from core.jobs.queue import QUEUE_NAME, InProcessQueue, RQQueue, attach_queue


def enqueue_effects(runtime, effects) -> None:
    """Enqueue the work a committed transaction asked for (core.dialog.types.Effect items)."""
    for effect in effects:
        runtime.jobs.enqueue(effect.job, *effect.args)


__all__ = ["QUEUE_NAME", "InProcessQueue", "RQQueue", "attach_queue", "enqueue_effects"]
