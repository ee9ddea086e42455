"""The dotted paths of the jobs, one constant each: what the outbox stores and the queue imports and runs.

Code that enqueues a job names it by one of these, never by a copy of the string; tests/jobs/test_names.py
checks that each one still resolves to a function.
"""

from __future__ import annotations

SEND_MESSAGE = "core.jobs.tasks.send_message"
SEND_CONFIRMATION = "core.jobs.tasks.send_confirmation"
SCHEDULE_REMINDERS = "core.jobs.tasks.schedule_reminders"  # outbox rows written before bookings planned them
CHECK_QUEUE_NOTICES = "core.jobs.tasks.check_queue_notices"
NOTIFY_CALLED = "core.jobs.tasks.notify_called"
OFFER_FREED_SLOT = "core.jobs.tasks.offer_freed_slot"
OFFER_WALKIN_PLACE = "core.jobs.tasks.offer_walkin_place"
TICK = "core.jobs.tasks.tick"
OUTBOX_RUN = "core.jobs.outbox.run"
POLL_NEIGHBOURS = "core.federation.discover.poll_job"

ALL = (
    SEND_MESSAGE,
    SEND_CONFIRMATION,
    SCHEDULE_REMINDERS,
    CHECK_QUEUE_NOTICES,
    NOTIFY_CALLED,
    OFFER_FREED_SLOT,
    OFFER_WALKIN_PLACE,
    TICK,
    OUTBOX_RUN,
    POLL_NEIGHBOURS,
)
