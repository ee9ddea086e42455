"""The data that crosses the seam between a channel adapter and the dialog engine.

An adapter turns a Twilio request into an `Inbound`, calls `core.dialog.advance(state, inbound, ctx)`, and
renders the `Reply` of the returned `Outcome` (TwiML for voice, SMS text for messages). Only the adapters
know Twilio's field names and TwiML; the engine knows only these types.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from core.config import Config
from core.dialog.state import DialogState
from core.models import Clinic, Patient

InboundKind = Literal["start", "text", "digits", "silence"]


@dataclass(frozen=True)
class Inbound:
    """One turn from the patient.

    start:   a call was answered / a conversation begins without words (voice only)
    text:    an SMS body, or a speech transcript (voice) with its recognition confidence
    digits:  keys pressed on the keypad ("1", "*", "5145551234#")
    silence: the gather timed out with nothing heard (voice only)
    """

    kind: InboundKind
    text: str = ""
    digits: str = ""
    confidence: float | None = None


@dataclass(frozen=True)
class Say:
    """One sentence of the reply: a prompt key of prompts/ and the values of its placeholders.

    Values are raw — `datetime` (clinic-local wall time), `date`, `time`, E.164 numbers, ints, names — or a
    `Say` (or `Parts`) for a part composed by a flow ("avant 15 h"); each channel's adapter words them
    (prompts/sms.py short for the eye, voicebot/twiml.py for the ear).
    """

    key: str
    values: dict = field(default_factory=dict)
    lang: str | None = None  # said in another language than the reply's ("For English, press 9")


@dataclass(frozen=True)
class Parts:
    """Several phrases inside one placeholder ('ven. 11 déc., avant 12 h'), joined once each is worded."""

    items: tuple[Say | str, ...]
    sep: str = ", "


_RAW_TAGS = {"$dt": dt.datetime, "$d": dt.date, "$t": dt.time}


def value_to_json(value: object) -> object:
    """A raw value as JSON, to keep a reply in the conversation's state (dates, times and parts tagged)."""
    if isinstance(value, Say):
        return {"$say": [value.key, {k: value_to_json(v) for k, v in value.values.items()}, value.lang]}
    if isinstance(value, Parts):
        return {"$parts": [value.sep, [value_to_json(item) for item in value.items]]}
    for tag, kind in _RAW_TAGS.items():  # datetime first: it is also a date
        if isinstance(value, kind):
            return {tag: value.isoformat()}
    return value


def value_from_json(data: object) -> object:
    """The raw value `value_to_json` kept."""
    if isinstance(data, dict) and len(data) == 1:
        ((tag, raw),) = data.items()
        if tag == "$say":
            key, values, lang = raw
            return Say(key, {k: value_from_json(v) for k, v in values.items()}, lang)
        if tag == "$parts":
            sep, items = raw
            return Parts(tuple(value_from_json(item) for item in items), sep)
        if tag in _RAW_TAGS:
            return _RAW_TAGS[tag].fromisoformat(raw)
    return data


@dataclass(frozen=True)
class Choice:
    """An option offered: its keypad digit (also the number texted back), its label, what it means.

    A keypad-only choice is one a caller presses a key for; a text answers it in words its prompt already
    names (OUI / NON, the menu's keywords), so the SMS adapter leaves it out.
    """

    digit: str
    label: Say
    value: str
    keypad_only: bool = False


@dataclass(frozen=True)
class Reply:
    """What to tell the patient, as data; the adapter decides how it sounds or reads."""

    says: list[Say]
    lang: str
    choices: list[Choice] = field(default_factory=list)
    expects: str | None = (
        None  # None: no answer expected; else "choice", "yes_no", "date", "name", "phone", "any"
    )
    hints: list[str] = field(default_factory=list)  # words speech recognition should expect
    ends: bool = False  # the conversation is over (voice: hang up after speaking)
    transfer_to: str | None = None  # voice: connect the caller to this number (E.164)
    max_digits: int | None = None  # voice: keys to gather (a phone number needs 10, a menu 1)
    slow: bool = False  # voice: the caller asked for a slower voice (slower speech, longer timeouts)


@dataclass(frozen=True)
class Effect:
    """Work to do after the transaction commits: a job path, the ids it takes, and when (None: now)."""

    job: str
    args: tuple = ()
    at: dt.datetime | None = None


@dataclass(frozen=True)
class Known:
    """What a turn's first statement read beside its conversation, for the caller's number: the patient
    (None: none yet), and on SMS the id of the patient's open inbox thread with the clinic (None: none).
    Each is then not looked up again in the turn."""

    patient: Patient | None
    open_thread_id: int | None = None
    threads_read: bool = False


@dataclass
class Context:
    """What the engine may know about the turn besides the patient's words."""

    channel: Literal["sms", "voice"]
    clinic: Clinic
    session: Session  # owned by the adapter: the engine never commits
    now: dt.datetime  # aware UTC
    config: Config
    phone: str | None  # the patient's E.164 number; None when the caller ID is hidden or unusable
    forwarded: bool = False  # a call forwarded from the clinic's own busy line
    can_sms: bool = True  # whether the patient's number can receive SMS
    conversation_key: str | None = None  # the conversation's key (E.164 or "call:<CallSid>"): holds slots
    known: Known | None = None  # read with the conversation (core/dialog/store.py); None: look up as needed
    first_turn: bool = False  # no conversation row existed for its key: nothing was ever offered to it


@dataclass
class Outcome:
    """The engine's answer: the new state to store, the reply to render, the work to enqueue after commit."""

    state: DialogState
    reply: Reply
    effects: list[Effect] = field(default_factory=list)
