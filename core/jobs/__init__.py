"""Background jobs: plain functions that take ids, run in-process by default or on rq with REDIS_URL.

Interface used by the rest of the code:
    runtime.jobs.enqueue("core.jobs.tasks.some_task", *ids, at=None)  # after the transaction commits
"""

from __future__ import annotations

import logging

from core.jobs.queue import QUEUE_NAME, InProcessQueue, RQQueue, attach_queue

log = logging.getLogger(__name__)


def enqueue_effects(runtime, effects) -> None:
    """Hand the work a committed transaction asked for (core.dialog.types.Effect items) to the job queue.

    The one place where a turn's, the console's or a job's effects reach the queue. A queue problem never
    undoes what the patient was told: it is logged, and the periodic tick catches up on what was due.
    """
    jobs = getattr(runtime, "jobs", None)
    for effect in effects:
        if jobs is None:
            log.info("no job queue: %s%s not enqueued", effect.job, effect.args)
            continue
        try:
            if effect.at is None:
                jobs.enqueue(effect.job, *effect.args)
            else:
                jobs.enqueue(effect.job, *effect.args, at=effect.at)
        except Exception:
            log.exception("could not enqueue %s%s", effect.job, effect.args)


__all__ = ["QUEUE_NAME", "InProcessQueue", "RQQueue", "attach_queue", "enqueue_effects"]
