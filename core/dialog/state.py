"""The dialog state of one conversation: what is pending, what the flow gathered, how the talk goes.

A turn reads and changes a `DialogState`; core/dialog/store.py alone turns it into the JSON of a conversation
row and back (including rows written in the older form). Flows keep what they gather in `data`, one key per
thing: `appointment_id`, `ticket_id`, `ticket_ids`, `slot`, `offered`, `offer_id`, `wish`…
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.flows import Flow


@dataclass
class DialogState:
    question: str | None = None  # the question waiting for an answer (core.dialog.engine.QUESTIONS)
    data: dict = field(default_factory=dict)  # what the flow gathered so far, JSON-able
    attempts: int = 0  # answers to `question` not understood so far
    lang: str | None = None  # the language of the conversation (None: not settled yet this conversation)
    primed: Flow | None = None  # the flow a job or a call we placed put the conversation into
    phone: str | None = None  # the number a hidden caller keyed in
    last: dict | None = (
        None  # the last question said on the phone, for "*" (core.dialog.engine._reply_to_json)
    )
    slow: bool = False  # the caller asked for a slower voice
    quiet: int = 0  # silences in a row on the phone
    wrote: str | None = None  # the language the patient has been writing in, this conversation
    reached_by: str | None = None  # "sms" / "call": asked once a call, the walk-in does not ask again
    recent: list[str] = field(default_factory=list)  # the last texts, for a person if one is asked for
    done: dict | None = None  # what the last completed flow did (core/dialog/recall.py)
    recalled: bool = False  # this turn told that again
    late: dict | None = (
        None  # "running late" while a hidden caller keys in their number (core/dialog/late.py)
    )
    expired: bool = False  # a question was lost to idle expiry before this turn (never stored)

    @property
    def pending(self) -> bool:
        """Whether a question is waiting for an answer."""
        return bool(self.question)

    def close(self) -> None:
        """No question pending any more: its data and attempts go with it."""
        self.question = None
        self.data = {}
        self.attempts = 0
