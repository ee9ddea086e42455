"""The flows a job or a call we place primes a conversation into, by name.

Shared by the routes that place calls, the jobs and services that send messages, and the dialog that reads
the next turn in that flow's context (core/dialog/primed.py, late.py, waitlist.py, people.py) and leaves a
voicemail for it (core/dialog/voicemail.py). The values are what conversation rows store: str-valued, so a
row written before this enum reads the same. This module imports nothing, so any layer may use it.
"""

from __future__ import annotations

from enum import StrEnum


class Flow(StrEnum):
    REMINDER = "reminder"  # a reminder (SMS or call): confirm, cancel or change this appointment
    QUEUE_NOTICE = "queue_notice"  # the walk-in turn is near: coming, or leave the queue
    CALLED = "called"  # staff are calling the patient now
    NO_SHOW = "no_show"  # the call after a missed appointment: book another one
    SCHEDULE_CANCELLED = "schedule_cancelled"  # the call after the clinic cancelled an appointment
    CALLBACK = "callback_name"  # a transfer nobody answered: a name for a callback
    WAITLIST_OFFER = "waitlist_offer"  # a freed slot (or walk-in place) offered from the waiting list

    @property
    def opening(self) -> str:
        """The starter key of the flow's first words (core.dialog.engine.STARTERS)."""
        return f"primed:{self.value}"
