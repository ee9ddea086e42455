"""Background jobs: plain functions that take ids, run in-process by default or on rq with REDIS_URL.

Interface used by the rest of the code:
    runtime.jobs.enqueue("core.jobs.tasks.some_task", *ids, at=None)  # after the transaction commits
"""

from __future__ import annotations

from core.jobs.queue import InProcessQueue, attach_queue

__all__ = ["InProcessQueue", "attach_queue"]
