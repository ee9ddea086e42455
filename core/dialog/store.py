"""Conversation rows: the dialog state of one patient on one channel with one clinic, with an expiry.

The one place a `DialogState` (core/dialog/state.py) becomes a row's JSON and back: `dump` and `parse`.
A row keeps `{"v": 2, "question": …, "data": {…}, …}` with the defaults left out. Rows written before the
state was typed (`{"v": 1, "q": …, "d": {…}, "n": …}`, with older data key names such as `appt` and
`ticket`) still load, so a conversation under way at an upgrade goes on where it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sqlalchemy import bindparam, literal, select, true, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value

from core.dialog.state import DialogState
from core.dialog.types import Known
from core.flows import Flow
from core.models import Channel, Conversation, InboxThread, Patient
from core.sql import built

VERSION = 2
_FIELDS = tuple(
    f.name for f in dataclasses.fields(DialogState) if f.name != "expired"
)  # expired: this turn's
_DEFAULTS = DialogState()

# The first stored form: one-letter keys, "late_*" keys of the running-late flow, older data key names.
_V1_KEYS = {"q": "question", "d": "data", "n": "attempts"}
_V1_KEPT = ("lang", "primed", "phone", "last", "slow", "quiet", "wrote", "reached_by", "recent", "recalled")
_V1_LATE = {"late_m": "minutes", "late_day": "day", "late_who": "who", "late_text": "text"}
_V1_DATA = {
    "appt": "appointment_id",
    "appointment": "appointment_id",
    "ticket": "ticket_id",
    "tickets": "ticket_ids",
}
_V1_IDS = {"appt_pick": "appointment_ids"}  # "ids" were appointments here, people ("Pour qui?") elsewhere
_V1_CHECK = {
    "q": "question",
    "a": "answer",
    "d": "data",
}  # the read-back of a doubtful answer (question "check")


def fresh_state() -> DialogState:
    """The state of a conversation that has not started (no question pending)."""
    return DialogState()


def dump(state: DialogState) -> dict:
    """The JSON of a state, as a conversation row keeps it: only what differs from a fresh state."""
    out: dict = {"v": VERSION}
    for name in _FIELDS:
        value = getattr(state, name)
        if value != getattr(_DEFAULTS, name):
            out[name] = value
    return out


def parse(raw: dict | None) -> DialogState | None:
    """The state a row's JSON holds, or None when its version is unknown (the conversation starts afresh).

    A copy: the turn changes its state in place, and the row must still tell what it was loaded as, so
    that saving sees the change (SQLAlchemy compares a JSON column's new value with the loaded one).
    """
    raw = json.loads(json.dumps(raw)) if raw else {}  # a deep copy of JSON, faster than copy.deepcopy
    if raw.get("v") == VERSION:
        values = {name: raw[name] for name in _FIELDS if name in raw}
    elif raw.get("v") == 1:
        values = _from_v1(raw)
    else:
        return None
    state = DialogState(**values)
    state.data = state.data or {}
    state.recent = state.recent or []
    state.attempts = int(state.attempts or 0)
    state.quiet = int(state.quiet or 0)
    state.slow = bool(state.slow)
    state.primed = _flow(state.primed)
    return state


def _from_v1(raw: dict) -> dict:
    values = {new: raw[old] for old, new in _V1_KEYS.items() if old in raw}
    values |= {name: raw[name] for name in _V1_KEPT if name in raw}
    values["data"] = _v1_data(raw.get("d") or {}, raw.get("q"))
    late = {new: raw[old] for old, new in _V1_LATE.items() if old in raw}
    if late:
        values["late"] = late
    if isinstance(raw.get("done"), dict):
        values["done"] = _v1_data(raw["done"], None)
    return values


def _v1_data(data: dict, question: str | None) -> dict:
    """A flow's data under today's key names; the read-back's own keys and the data it carries, too."""
    if question == "check":
        renamed = {_V1_CHECK.get(key, key): value for key, value in data.items()}
        if isinstance(renamed.get("data"), dict):
            renamed["data"] = _v1_data(renamed["data"], renamed.get("question"))
        return renamed
    names = _V1_DATA | {"ids": _V1_IDS.get(question or "", "person_ids")}
    return {names.get(key, key): value for key, value in data.items()}


def _flow(value) -> Flow | None:
    try:
        return Flow(value) if value else None
    except ValueError:  # a flow no longer known: the next turn is read without its context
        return None


_FIND = (
    select(Conversation)
    .where(
        Conversation.channel == bindparam("channel"),
        Conversation.phone == bindparam("key"),
        Conversation.clinic_id == bindparam("clinic_id"),
    )
    .with_for_update()
)
_TABLE = Conversation.__table__


_CONVERSATIONS = Conversation.__table__
_SAVE = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
    .values(state=bindparam("state"), updated_at=bindparam("updated_at"), expires_at=bindparam("expires_at"))
)


def _upsert(insert):
    statement = insert(_TABLE)
    fresh = {name: statement.excluded[name] for name in ("state", "updated_at", "expires_at")}
    return statement.on_conflict_do_update(index_elements=["channel", "phone", "clinic_id"], set_=fresh)


def find(session: Session, channel: str, key: str, clinic_id: str) -> Conversation | None:
    """The conversation row of a patient on a channel with a clinic, if any, locked for this turn.

    Two messages of one patient arriving together take turns instead of both answering the same question.
    """
    return session.scalar(_FIND, {"channel": Channel(channel), "key": key, "clinic_id": clinic_id})


# The conversation (locked) and the patient behind the number, in one round trip: a one-row FROM, so a
# missing conversation or patient is a row of NULLs. The lock is taken inside the WITH, which PostgreSQL
# allows where FOR UPDATE on the nullable side of an outer join is refused. An SMS turn also reads whether
# the patient has an open inbox thread with the clinic (core/dialog/inbox.py relays the text to it).
_LOCKED = _FIND.cte("locked")
_OPEN_THREAD = (
    select(InboxThread.id)
    .where(
        InboxThread.clinic_id == bindparam("clinic_id"),
        InboxThread.phone == bindparam("phone"),
        InboxThread.status == "open",
    )
    .limit(1)
    .scalar_subquery()
)


def _with_patient(*columns):
    return (
        select(aliased(Conversation, _LOCKED), Patient, *columns)
        .select_from(select(literal(1).label("one")).subquery("one"))
        .outerjoin(_LOCKED, true())
        .outerjoin(Patient, Patient.phone == bindparam("phone"))
    )


_WITH_PATIENT = {"voice": _with_patient(), "sms": _with_patient(_OPEN_THREAD.label("open_thread"))}


@dataclasses.dataclass(frozen=True)
class Loaded:
    """A turn's conversation row (None before the first turn), its state, and what was read beside it for
    the caller's number (None without one)."""

    row: Conversation | None
    state: DialogState
    known: Known | None = None


def load(
    session: Session, channel: str, key: str, clinic_id: str, now: dt.datetime, phone: str | None = None
) -> Loaded:
    """The conversation, locked; an idle or unknown-version one starts fresh (`state.expired` says a question
    was lost). With `phone`, the patient with that number (and on SMS an open inbox thread) is read in the
    same statement."""
    if phone is None:
        row = find(session, channel, key, clinic_id)
        return Loaded(row, _state_of(row, now))
    params = {"channel": Channel(channel), "key": key, "clinic_id": clinic_id, "phone": phone}
    found = session.execute(_WITH_PATIENT[Channel(channel).value], params).one()
    row, patient = found[0], found[1]
    if channel == "sms":
        known = Known(patient, open_thread_id=found[2], threads_read=True)
    else:
        known = Known(patient)
    return Loaded(row, _state_of(row, now), known)


def warm(session: Session, now: dt.datetime) -> None:
    """Run each channel's load once, before the process serves requests.

    SQLAlchemy fills some of a statement's parts on first use (the CTE's column collection, the ORM's
    compiled state); threads of a new process that use it for the first time at the same instant can each
    fill them differently, and one then fails reading its own row (NoSuchColumnError 'locked.id').
    """
    for channel in ("sms", "voice"):
        load(session, channel, "warm-up", "", now, phone="warm-up")


def _state_of(row: Conversation | None, now: dt.datetime) -> DialogState:
    state = parse(row.state) if row is not None else None
    if state is None:
        return fresh_state()
    if row.expires_at <= now:
        return DialogState(expired=state.pending)
    return state


def save(
    session: Session,
    row: Conversation | None,
    *,
    channel: str,
    key: str,
    clinic_id: str,
    state: DialogState,
    now: dt.datetime,
    minutes: int,
) -> None:
    """Store the state; the conversation stays alive `minutes` from now.

    Without a row (a first turn), one INSERT … ON CONFLICT DO UPDATE: a concurrent first turn that created
    the row meanwhile is overwritten, as the later of two turns always is.
    """
    expires = now + dt.timedelta(minutes=minutes)
    if row is not None:
        # One plain UPDATE by id rather than the ORM's unit of work for a row nothing else changes; the
        # loaded row is given the stored values, as if read again.
        stored = dump(state)
        session.execute(
            _SAVE, {"conversation_id": row.id, "state": stored, "updated_at": now, "expires_at": expires}
        )
        for key, value in (("state", stored), ("updated_at", now), ("expires_at", expires)):
            set_committed_value(row, key, value)
        return
    values = {
        "channel": Channel(channel),
        "phone": key,
        "clinic_id": clinic_id,
        "state": dump(state),
        "updated_at": now,
        "expires_at": expires,
    }
    session.execute(built(session, _upsert), values)


def prime(
    session: Session,
    *,
    channel: str,
    conversation_key: str,
    clinic_id: str,
    flow: Flow,
    data: dict,
    now: dt.datetime,
    minutes: int,
) -> None:
    """Put a conversation into a flow (Flow.REMINDER, Flow.QUEUE_NOTICE…) so the next turn is read in its context."""
    from core.dialog.engine import primed_state

    row = find(session, channel, conversation_key, clinic_id)
    known = parse(row.state) if row is not None else None
    lang = known.lang if known is not None else None
    save(
        session,
        row,
        channel=channel,
        key=conversation_key,
        clinic_id=clinic_id,
        state=primed_state(flow, data, lang),
        now=now,
        minutes=minutes,
    )
