"""Background jobs: plain functions that take ids, run in-process by default or on rq with REDIS_URL.

Work a turn, a console action or a job causes is written as outbox rows in the same transaction
(core.jobs.outbox.add / add_effects / add_jobs); after the commit `outbox.kick(runtime)` wakes the
dispatcher, which hands due rows to the queue (`runtime.jobs`: in-process, or rq with REDIS_URL).
"""

from __future__ import annotations

from core.jobs.queue import QUEUE_NAME, InProcessQueue, RQQueue, attach_queue

__all__ = ["QUEUE_NAME", "InProcessQueue", "RQQueue", "attach_queue"]
