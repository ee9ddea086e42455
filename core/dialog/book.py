"""Booking (and the booking half of a reschedule): the day, up to three slots, a hold, the name, the read-back."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from core.dialog import closed, elsewhere, reasons, whom
from core.dialog.engine import (
    UNCLEAR,
    Question,
    Turn,
    describe_yes_no,
    question,
    starter,
    yes_no,
    yes_no_choices,
)
from core.dialog.heard import Heard
from core.dialog.people import need_phone, release_hold
from core.dialog.types import Choice, Parts, Reply, Say
from core.dialog.whom import FLOW_INTENTS
from core.errors import (
    AppointmentNotCancellable,
    AppointmentNotFound,
    PersonAlreadyBooked,
    SlotNotFound,
    SlotTaken,
    TooManyPeople,
)
from core.jobs.names import SEND_CONFIRMATION
from core.language import Who
from core.language import clean_name as full_name
from core.language.names import tidy_name
from core.language.normalize import fold
from core.models import Appointment, Person, Slot
from core.services import booking, people, waitlist
from core.services.booking import FreeSlots, SlotQuery
from core.timeutil import in_part_of_day, local_to_utc, to_local

OFFERED = 3
MORE = 9  # "others" on both channels (speech and text may also say it in words)
# Parts of a wish that are limits the patient set: an offer never breaks them, even to come near.
LIMITS = ("nb", "na", "after", "before")


# ---- wording ---------------------------------------------------------------------------------------------


def local_when(t: Turn, instant: dt.datetime) -> dt.datetime:
    """An instant as the clinic's wall time, the raw value a reply carries (the adapters word it)."""
    return to_local(instant, t.clinic.timezone).replace(tzinfo=None)


# ---- the wish: what the patient asked for, kept JSON-able in the state ----------------------------------------


def wish_from(t: Turn, h: Heard, day: bool = True, same: bool = True) -> dict:
    """The slot query a turn asks for (without its day when that day meant something else, e.g. the old one).

    Keys: date (a day), or (the other days that would do as well), from (an instant: "next week"), part, after / at / before (local times), nb / na
    (the first and last day allowed: "pas avant le 15", "au plus tard vendredi").
    """
    wish: dict = {}
    limit_days = {h.not_before, h.not_after} - {None}
    # "pas avant le 15" names a limit, not the day; "après jeudi" may name thursday, outside its own limit.
    outside = (h.not_before and h.date and h.date < h.not_before) or (
        h.not_after and h.date and h.date > h.not_after
    )
    if h.date and day and h.date not in limit_days and not outside:
        if h.span in ("week", "weekend", "month", "year"):  # "next week", "next month": from then on, any day
            wish["from"] = local_to_utc(h.date, dt.time(0, 0), t.clinic.timezone).isoformat()
        else:
            wish["date"] = h.date.isoformat()
            if h.also:  # "mercredi ou jeudi": the other days that would do as well
                wish["or"] = [day.isoformat() for day in h.also]
    if h.part_of_day:
        wish["part"] = h.part_of_day
    if h.after:
        wish["after"] = h.after.strftime("%H:%M")
    elif h.time:
        wish["at"] = h.time.strftime("%H:%M")
    if h.before:
        wish["before"] = h.before.strftime("%H:%M")
    if h.not_before:
        wish["nb"] = h.not_before.isoformat()
    if h.not_after:
        wish["na"] = h.not_after.isoformat()
    if h.same and day and same and not h.date:
        wish.update(_as_booked(t, h.same))
    return wish


RELATIVE = (
    "rel"  # a change's wish counted from the appointment it moves: "une heure plus tard", "le même jour"
)


def relative_wish(t: Turn, h: Heard | None, day: bool = True) -> dict:
    """A change's new wish: what it says, and what it counts from the appointment it moves (kept under
    RELATIVE until that appointment is known, then made plain by `moved_from`)."""
    if h is None:
        return {}
    wish = wish_from(t, h, day=day, same=False)
    if h.shift or h.same:
        wish[RELATIVE] = {"shift": list(h.shift) if h.shift else None, "same": h.same}
    return wish


def moved_from(t: Turn, appointment: Appointment, wish: dict | None) -> dict | None:
    """The wish of a change made plain from the appointment it moves: "une heure plus tard" is its time
    plus an hour, "plus tard" after its end on its day, "plus tôt" before its start, "le même jour" its day."""
    if not wish or RELATIVE not in wish:
        return wish
    rel, wish = wish[RELATIVE], {k: v for k, v in wish.items() if k != RELATIVE}
    starts = _local(t, appointment)
    ends = to_local(appointment.slot.ends_at, t.clinic.timezone).replace(tzinfo=None)
    day = starts.date().isoformat()
    if rel.get("shift"):
        direction, minutes = rel["shift"]
        if minutes:
            moment = starts + dt.timedelta(minutes=minutes if direction == "later" else -minutes)
            return {**wish, "date": moment.date().isoformat(), "at": moment.strftime("%H:%M")}
        if wish.get("date", day) == day and not any(wish.get(k) for k in ("from", "nb", "na")):
            at = starts.strftime("%H:%M")  # "plus tôt": the times just before it first, not the day's first
            edge = {"after": ends.strftime("%H:%M")} if direction == "later" else {"before": at, "at": at}
            return {**wish, "date": day, **edge}
        return wish
    if rel.get("same") and not wish.get("date"):
        wish["date"] = day
        if rel["same"] == "time":
            wish["at"] = starts.strftime("%H:%M")
        elif rel["same"] == "after":
            wish["after"] = ends.strftime("%H:%M")
    return wish


def _as_booked(t: Turn, same: str) -> dict:
    """ "et pour moi le même jour", "pareil pour ma fille", "juste après": the wish of the appointment this
    phone booked last (its day; its time, or from its end), none when it has none ahead."""
    patient = t.patient(create=False) if t.phone else None
    if patient is None or patient.id is None:
        return {}
    ahead = booking.upcoming_appointments(t.session, patient, t.clinic, t.now)
    if not ahead:
        return {}
    last = max(ahead, key=lambda a: (a.created_at, a.id))
    starts = _local(t, last)
    wish = {"date": starts.date().isoformat()}
    if same == "time":
        wish["at"] = starts.strftime("%H:%M")
    elif same == "after":
        wish["after"] = to_local(last.slot.ends_at, t.clinic.timezone).strftime("%H:%M")
    return wish


def has_limits(wish: dict) -> bool:
    """Whether the wish sets a limit the offer must keep."""
    return any(wish.get(key) for key in LIMITS)


def wish_for_key(t: Turn, key: int) -> dict | None:
    """Phone keypad days: 1 today, 2 tomorrow, 3 later this week, 4 next week."""
    today = t.local_now.date()
    tz = t.clinic.timezone
    if key == 1:
        return {"date": today.isoformat()}
    if key == 2:
        return {"date": (today + dt.timedelta(days=1)).isoformat()}
    if key == 3:
        return {"from": local_to_utc(today + dt.timedelta(days=2), dt.time(0, 0), tz).isoformat()}
    if key == 4:
        monday = today + dt.timedelta(days=7 - today.weekday())
        return {"from": local_to_utc(monday, dt.time(0, 0), tz).isoformat()}
    return None


def slot_query(wish: dict, timezone: str = "America/Toronto") -> SlotQuery:
    starts = [dt.datetime.fromisoformat(wish["from"])] if wish.get("from") else []
    if wish.get("nb"):
        starts.append(local_to_utc(dt.date.fromisoformat(wish["nb"]), dt.time(0, 0), timezone))
    return SlotQuery(
        date=dt.date.fromisoformat(wish["date"]) if wish.get("date") else None,
        also=tuple(dt.date.fromisoformat(day) for day in wish.get("or") or ()) if wish.get("date") else (),
        part_of_day=wish.get("part"),
        after=dt.time.fromisoformat(wish["after"]) if wish.get("after") else None,
        at=dt.time.fromisoformat(wish["at"]) if wish.get("at") else None,
        not_before=max(starts) if starts else None,
        before=dt.time.fromisoformat(wish["before"]) if wish.get("before") else None,
        not_after=dt.date.fromisoformat(wish["na"]) if wish.get("na") else None,
    )


# ---- starting -------------------------------------------------------------------------------------------------

THEN_FOR = "then_for"  # the people a request named after the one being booked: booked next, in that order
BOOKED_BEFORE = "booked_before"  # the appointments that request booked already (a phone's text copy has all)
# "pour mes enfants", "my kids": several people of one relation, how many unsaid; after each booking the
# patient is asked whether there is another, up to whom.MOST_AT_ONCE.
SEVERAL_OF = "several_of"


@starter("book")
def start_booking(
    t: Turn,
    h: Heard | None,
    replaces: int | None = None,
    says: list[Say] | None = None,
    wish: dict | None = None,
) -> Reply:
    """'RDV', 'je voudrais voir un médecin jeudi matin', 1 on the phone menu; a change with its new wish."""
    waiting = need_phone(t, "book")
    if waiting is not None:
        return waiting
    release_hold(t)
    base = {"flow": "reschedule" if replaces else "book"}
    if replaces:
        base["replaces"] = replaces
    if not replaces:
        first, others = whom.wanted_in_turn(t, h)
        base.update(first)  # "pour mon fils", "for my mother Rita": not asked "for whom?"
        if others:
            base[THEN_FOR] = others  # "pour moi et mon fils": booked one after the other
        elif h is not None and len(h.whom) == 1 and h.whom[0].count is None and h.whom[0].relation:
            base[SEVERAL_OF] = h.whom[0].relation  # "pour mes enfants": another one is asked after each
            relation = h.whom[0].relation
            if not first and not people.with_relation(whom.household(t), relation):
                base.update(whom.someone_new(relation))  # none booked for before: a new one, name asked
    if h is not None and h.name and "who" not in base:
        named = tidy_name(h.name)
        if named:
            base["name"] = named  # "c'est Marc Gagnon, je voudrais un rendez-vous": not asked again
    if wish is None and h is not None and (h.has_when or h.before or h.not_before or h.not_after or h.same):
        wish = wish_from(t, h)
    asked = reasons.first(t, h, base, wish, says)  # the visit reason, when the clinic has several
    if asked is not None:
        return asked
    return go_on(t, base, wish, says)


def _for_someone(t: Turn, h: Heard) -> Reply | None:
    """'pour ma fille Léa', 'for my son' said alone, the first words of a call or a text: a booking for them.

    With no request word the menu would take it, and the person said would be lost; while the day or the
    slot is asked, the person is kept for the booking under way. The same on both channels."""
    if h.keyed or h.intent != "other" or not h.whom or len(h.whom) != 1:
        return None
    if h.whom[0].me or not (h.whom[0].relation or h.whom[0].name):
        return None
    pending = t.state.question
    if pending in (None, "menu", "more"):
        return start_booking(t, h)
    if pending in ("book_day", "book_pick") and not t.data.get("replaces"):
        person = whom.wanted(t, h)
        if person:
            data = {k: v for k, v in t.data.items() if k not in whom.DATA_KEYS}
            return t.ask(pending, data={**data, **person})
    return None


UNCLEAR.append(_for_someone)


def _also_after_booking(t: Turn, h: Heard) -> Reply | None:
    """ "et pour moi aussi", "my daughter too" right after a booking: one more, offered on that day first."""
    done = t.state.done
    if h.keyed or h.intent != "other" or not h.whom or not done or done.get("reason") != "booked":
        return None
    if t.state.question not in (None, "more") or not t.mentions_any("words_also"):
        return None
    return start_booking(t, h, wish=_as_booked(t, "day") or None)


UNCLEAR.append(_also_after_booking)


def go_on(t: Turn, base: dict, wish: dict | None, says: list[Say] | None = None) -> Reply:
    """The booking once its start (and visit reason) is known: the day, or slots for the wish."""
    if wish:
        t.state.data = base
        t.lead.extend(says or [])
        return offer(t, wish)
    if t.voice:
        return t.ask("book_day", data=base, says=says)
    t.state.data = base
    t.lead.extend(says or [])
    return offer(t, {})  # a text with no day: the first free slots, and "or write a day"


def _search(t: Turn, query: SlotQuery, near: bool = True) -> FreeSlots:
    # Offered slots are kept out of other patients' offers for a few minutes (a fair rush).
    found = booking.offer_free_slots(
        t.session,
        t.clinic,
        t.now,
        t.holder,
        reasons.narrow(t.clinic, t.data, query),
        limit=OFFERED,
        horizon_days=t.ctx.config.slot_horizon_days,
        near=near,
        fresh=t.offered_nothing,
    )
    if found.slots:
        t.offered_nothing = False
    return found


def _anything_free(t: Turn) -> bool:
    """Whether the clinic has any free slot at all (else another day would not help: other clinics may)."""
    found = booking.find_free_slots(
        t.session,
        t.clinic,
        t.now,
        reasons.narrow(t.clinic, t.data, SlotQuery()),
        limit=1,
        horizon_days=t.ctx.config.slot_horizon_days,
    )
    return bool(found.slots)


def offer(t: Turn, wish: dict, more: bool = False) -> Reply:
    """Find up to three slots for the wish and offer them (saying so when they only come near it).

    Limits are kept strictly; a day with nothing free gives the first slots after it, never before it.
    """
    query = slot_query(wish, t.clinic.timezone)
    if more and t.data.get("offered"):
        last = t.session.get(Slot, t.data["offered"][-1])
        if last is not None:
            query = replace(
                query, at=None, not_before=max(last.starts_at, query.not_before or last.starts_at)
            )
    # A day or a limit has its own answer when nothing keeps the whole wish (below): no nearest slots then.
    found = _search(t, query, near=query.date is None and not has_limits(wish))
    after_day = False
    if not found.exact and query.date is not None:
        # Nothing free that day (closed, full): the first slots from that day on that keep the rest.
        why = closed.why_closed(t, query.date)  # a closure day says why
        if why is not None:
            t.lead.append(why)
        day_start = local_to_utc(query.date, dt.time(0, 0), t.clinic.timezone)
        later = _search(
            t,
            replace(query, date=None, not_before=max(day_start, query.not_before or day_start)),
            near=False,  # only slots that keep the rest of the wish are offered then
        )
        found = FreeSlots(later.slots if later.exact else [], exact=False)
        after_day = True
    elif not found.exact and has_limits(wish):
        found = FreeSlots([], exact=False)  # near is not good enough when the patient set a limit
    if not found.slots and more:
        t.lead.append(Say("no_more_slots"))
        return t.ask("book_day", data=_keep(t))
    if not found.slots:
        from core.dialog.waitlist import ask_to_wait

        # A change may wait too: its entry carries `replaces`, so a freed earlier slot moves the appointment.
        if (has_limits(wish) or wish.get("date")) and _anything_free(t):
            t.lead.append(Say("slots_none_within", {"limit": limits_text(t, wish)}))
            return ask_to_wait(t, wish, [], then="day")  # told when one frees, or another day
        if not elsewhere.room_elsewhere(t):  # nothing here, nor nearby: the waiting list
            return ask_to_wait(t, wish, [Say("slots_none", {"phone": t.clinic_phone()})])
        # Nothing here at all: other clinics of the region (core/dialog/elsewhere.py)
        return elsewhere.when_full(t, Say("slots_none", {"phone": t.clinic_phone()}))
    data = _keep(t)
    data.update(
        wish=wish,
        offered=[s.id for s in found.slots],
        exact=found.exact,
    )
    if after_day:
        data["after_day"] = True
    return t.ask("book_pick", data=data)


def limits_text(t: Turn, wish: dict) -> Parts:
    """The rules an empty search kept: 'ven. 11 déc., avant 12 h, au plus tard le 18 déc.' once worded."""
    parts = []
    if wish.get("date"):
        parts.append(waitlist.day_or_days(wish))
    if wish.get("nb"):
        parts.append(Say("limit_not_before", {"date": dt.date.fromisoformat(wish["nb"])}))
    if wish.get("after"):
        parts.append(Say("limit_after", {"time": dt.time.fromisoformat(wish["after"])}))
    if wish.get("before"):
        parts.append(Say("limit_before", {"time": dt.time.fromisoformat(wish["before"])}))
    if wish.get("na"):
        parts.append(Say("limit_not_after", {"date": dt.date.fromisoformat(wish["na"])}))
    return Parts(tuple(parts))


def _keep(t: Turn) -> dict:
    """The parts of the booking data that survive a new search."""
    kept = ("flow", "replaces", "wish", "reason", THEN_FOR, BOOKED_BEFORE, SEVERAL_OF, *whom.DATA_KEYS)
    return {k: v for k, v in t.data.items() if k in kept}


# ---- the day --------------------------------------------------------------------------------------------------


def _day_recognise(t: Turn, h: Heard) -> object | None:
    if h.keyed and h.choice is not None:
        wish = wish_for_key(t, h.choice)
        return {"wish": wish} if wish is not None else None
    if h.has_when:
        return {"wish": wish_from(t, h)}
    if h.intent in ("yes", "book") and not h.has_when:
        return {"wish": {}}  # "any time": the first free slots
    return None


def _day_choices(t: Turn) -> list[Choice]:
    return [
        Choice("1", Say("day_today"), "today", keypad_only=True),
        Choice("2", Say("day_tomorrow"), "tomorrow", keypad_only=True),
        Choice("3", Say("day_this_week"), "this_week", keypad_only=True),
        Choice("4", Say("day_next_week"), "next_week", keypad_only=True),
    ]


question(
    Question(
        name="book_day",
        prompt="ask_day",
        retry="ask_day_retry",
        expects="date",
        recognise=_day_recognise,
        act=lambda t, a: offer(t, a["wish"]),
        choices=_day_choices,
        hints="hints_day",
    )
)


# ---- the slot -------------------------------------------------------------------------------------------------


def _offered(t: Turn) -> list[Slot]:
    slots = [t.session.get(Slot, sid) for sid in t.data.get("offered", [])]
    return [s for s in slots if s is not None]


def _pick_lead(t: Turn) -> list[Say]:
    if t.data.get("exact", True):
        return []
    wish = t.data.get("wish") or {}
    if wish.get("date"):
        days = waitlist.day_or_days(wish) if wish.get("or") else dt.date.fromisoformat(wish["date"])
        return [Say("slots_after_day" if t.data.get("after_day") else "slots_nearest_day", {"date": days})]
    return [Say("slots_nearest")]


def _slot_labels(t: Turn, slots: list[Slot]) -> list[Say]:
    """Each offered slot in words; on the phone, slots of one day say that day once, before the first time."""
    starts = [to_local(s.starts_at, t.clinic.timezone).replace(tzinfo=None) for s in slots]
    if not t.voice or len(starts) < 2 or len({start.date() for start in starts}) != 1:
        return [Say("slot_label", {"when": start}) for start in starts]
    times = [start.time() for start in starts]
    return [Say("slot_day_time", {"date": starts[0].date(), "time": times[0]})] + [
        Say("slot_time", {"time": time}) for time in times[1:]
    ]


def _pick_choices(t: Turn) -> list[Choice]:
    slots = _offered(t)
    choices = [
        Choice(str(i), label, f"slot:{s.id}")
        for i, (s, label) in enumerate(zip(slots, _slot_labels(t, slots), strict=True), start=1)
    ]
    choices.append(Choice(str(MORE), Say("choice_more"), "more"))
    return choices


def _pick_recognise(t: Turn, h: Heard) -> object | None:
    offered = t.data.get("offered", [])
    if h.choice is not None and (h.intent == "choice" or h.keyed):
        if 1 <= h.choice <= len(offered):
            return {"slot": offered[h.choice - 1]}
        if h.choice == MORE:
            return {"more": True}
        return None
    if h.pick_last and offered:
        return {"slot": offered[-1]}
    if h.intent == "yes" and not h.has_when:
        said_yes_to = _the_one_asked_for(t)
        if said_yes_to is not None:
            return {"slot": said_yes_to}
    if _asks_another_day(t, h):
        return {"day": True}
    if h.earlier and offered:  # "plus tôt?", "anything earlier?"
        return {"earlier": True}
    if h.more and h.date:  # "none of those work, friday?", "d'autres moments vendredi": that day
        return {"wish": refined(t.data.get("wish") or {}, wish_from(t, h))}
    if h.more:  # core.language reads 'autres', 'plus tard', 'other times'… (asks_for_more)
        return {"more": True}
    pointed = _pointed_at(t, h)
    if pointed is not None:
        return pointed
    if h.has_when or h.before or h.not_before or h.not_after:
        return {"wish": refined(t.data.get("wish") or {}, wish_from(t, h))}
    if h.intent == "no":
        return {"day": True, "none_suit": True}
    return None


_DAY_KEYS = ("date", "or", "from", "nb", "na")
_TIME_KEYS = ("part", "after", "at", "before")


def refined(old: dict, new: dict) -> dict:
    """A wish said over an offer keeps what it does not name of the wish the offer was for: "plutôt
    l'après-midi" after "jeudi" is Thursday afternoon, "and Friday?" after "Thursday morning" Friday morning."""
    if not any(new.get(key) for key in _DAY_KEYS):
        return {**{key: old[key] for key in _DAY_KEYS if old.get(key)}, **new}
    if not any(new.get(key) for key in _TIME_KEYS):
        return {**{key: old[key] for key in _TIME_KEYS if old.get(key)}, **new}
    return new


def _the_one_asked_for(t: Turn) -> int | None:
    """The slot a bare "oui" takes: the only one offered, or the one at the very time asked ("RDV jeudi
    14h", offered 13 h 45, 14 h and 14 h 15); None when a yes does not tell which."""
    offered = _offered(t)
    if len(offered) == 1:
        return offered[0].id
    at = (t.data.get("wish") or {}).get("at")
    if not at:
        return None
    wished = dt.time.fromisoformat(at)
    matching = [s for s in offered if _local(t, s).time() == wished]
    return matching[0].id if len(matching) == 1 else None


def _asks_another_day(t: Turn, h: Heard) -> bool:
    """'un autre jour', 'another day' with no day named: which day, rather than later times of this one."""
    if h.has_when or h.intent not in ("other", "no", "reschedule", "book"):
        return False
    return t.mentions_any("words_other_day")


def _local(t: Turn, slot: Slot) -> dt.datetime:
    return to_local(slot.starts_at, t.clinic.timezone).replace(tzinfo=None)


def _pointed_at(t: Turn, h: Heard) -> dict | None:
    """'celle de 9 h 15', 'the 10:30 one', 'vendredi' when the offer spans days: one of the slots offered.

    A time alone that matches no slot offered keeps the offered day and searches near that time.
    """
    if (h.intent in FLOW_INTENTS and h.intent != "book") or not (h.time or h.date or h.part_of_day):
        return None
    if h.not_before or h.not_after or h.before or h.after or h.more:
        return None  # a new limit is a new search
    slots = _offered(t)
    if not slots:
        return None
    days = sorted({_local(t, s).date() for s in slots})
    matching = [
        s
        for s in slots
        if (h.time is None or _local(t, s).time() == h.time)
        and (h.date is None or _local(t, s).date() == h.date)
        and (h.part_of_day is None or in_part(t, s, h.part_of_day))
    ]
    if h.time is None and h.date is not None and len(days) < 2:
        return None  # a day named over a one-day offer asks for that day
    if h.time is None and h.date is None:
        return None  # "plutôt l'après-midi" is a new search
    if len(matching) == 1:
        return {"slot": matching[0].id}
    if h.time is not None and h.date is None and not matching:
        wished = t.data.get("wish") or {}
        day = wished.get("date") or days[0].isoformat()
        return {"wish": {"date": day, "at": h.time.strftime("%H:%M")}}
    return None


def _sooner(t: Turn) -> Reply:
    """'plus tôt?': the first free slots before the first one offered (any time of day, from now on), or
    the same offer again, said to be the soonest."""
    slots = _offered(t)
    if not slots:
        return t.ask("book_day", data=_keep(t))
    first = min(slots, key=lambda s: s.starts_at)
    day = _local(t, first).date()
    found = _search(t, SlotQuery(not_after=day), near=False)
    sooner = [s for s in found.slots if s.starts_at < first.starts_at]
    data = _keep(t)
    if not sooner:
        t.lead.append(Say("no_earlier_slots"))
        data.update(offered=[s.id for s in slots], exact=t.data.get("exact", True))
        return t.ask("book_pick", data=data)
    data.update(wish={"na": day.isoformat()}, offered=[s.id for s in sooner], exact=True)
    return t.ask("book_pick", data=data)


def in_part(t: Turn, slot: Slot, part: str) -> bool:
    return in_part_of_day(_local(t, slot).time(), part)


def _pick_describe(t: Turn, answer: dict) -> dt.datetime | str:
    slot = t.session.get(Slot, answer.get("slot")) if answer.get("slot") else None
    return local_when(t, slot.starts_at) if slot else ""


def _pick_act(t: Turn, answer: dict) -> Reply:
    if answer.get("earlier"):
        return _sooner(t)
    if answer.get("more"):
        return offer(t, t.data.get("wish") or {}, more=True)
    if answer.get("wish") is not None:
        return offer(t, answer["wish"])
    if answer.get("day"):
        booking.release_offers(t.session, t.holder)  # none of these: they go back to other patients
        if answer.get("none_suit"):
            from core.dialog.waitlist import ask_to_wait

            # "non": none of these suit; told when one that does frees up, or another day
            return ask_to_wait(t, t.data.get("wish") or {}, [Say("waitlist_none_suit")], then="day")
        return t.ask("book_day", data=_keep(t))
    return hold(t, int(answer["slot"]))


question(
    Question(
        name="book_pick",
        prompt="pick_slot",
        retry="pick_slot_retry",
        recognise=_pick_recognise,
        act=_pick_act,
        lead=_pick_lead,
        choices=_pick_choices,
        hints="hints_pick",
        matters=True,
        describe=_pick_describe,
    )
)


def hold(t: Turn, slot_id: int) -> Reply:
    """Hold the chosen slot while the patient confirms; taken meanwhile: apologise and offer the next ones."""
    previous = t.data.get("slot")
    if previous and previous != slot_id:
        booking.release_hold(t.session, previous, t.holder)
    try:
        booking.hold_slot(
            t.session,
            slot_id,
            t.holder,
            t.now,
            minutes=t.ctx.config.hold_minutes,
            length=reasons.length(t.clinic, t.data),
        )
    except (SlotTaken, SlotNotFound):
        return _taken(t)
    data = _keep(t)
    data["slot"] = slot_id
    return whom.after_slot(t, data)  # for whom, their name, then the read-back (core/dialog/whom.py)


def _taken(t: Turn) -> Reply:
    t.lead.append(Say("slot_taken"))
    t.data.pop("slot", None)
    return offer(t, t.data.get("wish") or {})


# ---- the read-back ------------------------------------------------------------------------------------------


def _confirm_values(t: Turn) -> dict:
    slot = t.session.get(Slot, t.data.get("slot"))
    return {"when": local_when(t, slot.starts_at) if slot else "", "clinic": t.clinic_name()}


def _confirm_lead(t: Turn) -> list[Say]:
    """The name the appointment goes under, read back with the rest (on the phone, in the same sentence)."""
    name = whom.booked_name(t)
    if t.voice:
        values = _confirm_values(t)
        if name:
            return [Say("confirm_recap_named", {**values, "name": name})]
        return [Say("confirm_recap", values)]
    return [Say("booking_name", {"name": name})] if name else []


def _confirm_recognise(t: Turn, h: Heard) -> object | None:
    answer = yes_no(t, h)
    if not h.keyed and len(h.whom or ()) == 1 and not h.name:
        other = whom.resolve(t, h.whom[0])  # "non, c'est pour ma fille": the person, not the slot
        if other and (_differs(t, other) if answer == "yes" else _not_the_chosen(t, other)):
            return {"whom": other}  # "oui, pour Léa Roy" read back for Marc: Léa's, read back again
    if h.name and not h.keyed:
        # "non, c'est à mon nom, Julie Côté": the name was wrong, not the slot.
        name = tidy_name(h.name)
        if name:
            return {"name": name}
    typed = _typed_name(t, h)
    if typed:  # "Bob Lee" texted on its own after "For Bob: …?": the name completed or corrected
        return {"name": typed}
    if answer is None and h.intent == "cancel":
        return "no"
    return answer


def _not_the_chosen(t: Turn, other: dict) -> bool:
    return other.get("person_id") != t.data.get("person_id") or "person_id" not in other


def _differs(t: Turn, other: dict) -> bool:
    """Whether a person said with a yes is someone other than the one read back ("oui, pour Léa")."""
    if other.get("person_id"):
        return other["person_id"] != t.data.get("person_id")
    if other.get("name"):
        return fold(other["name"]) != fold(whom.booked_name(t) or "")
    return bool(other.get("relation")) and other.get("relation") != t.data.get("relation")


def _typed_name(t: Turn, h: Heard) -> str | None:
    """A name said alone at the read-back (after a "non," or a "oui," too), other than the one read back.

    One of the phone's people is taken on both channels, by first name alone too ("non, Léa"). Someone new
    takes a first and last name, by SMS only (a call's speech is too easily misheard for a lone name to
    replace what was said), capitalised when it follows a yes or a no ("non trop tôt" is no name)."""
    if h.keyed or h.smalltalk or h.has_when or h.intent in FLOW_INTENTS or h.intent == "choice":
        return None
    name = full_name(h.text)
    if not name or name == whom.booked_name(t):
        return None
    known = people.find_by_name(whom.household(t), name)
    if known is not None:
        return None if known.name == whom.booked_name(t) else name
    if t.voice or len(name.split()) < 2:
        return None
    if h.intent in ("yes", "no") and not all(w[:1].isupper() for w in h.text.split()[-len(name.split()) :]):
        return None
    return name


def _confirm_describe(t: Turn, answer: object) -> str:
    if isinstance(answer, dict):
        return str(answer.get("name", "") or whom.label(t, whom.chosen(t, answer.get("whom"))) or "")
    return describe_yes_no(t, answer)


def _confirm_act(t: Turn, answer: object) -> Reply:
    if isinstance(answer, dict) and answer.get("whom"):
        # What was said of the person read back goes: "Marc" kept beside Léa's id would read Marc, book Léa.
        kept = {k: v for k, v in _keep(t).items() if k not in whom.DATA_KEYS}
        return whom.after_slot(t, {**kept, "slot": t.data.get("slot"), **answer["whom"]})
    if isinstance(answer, dict) and answer.get("name"):
        return _renamed(t, answer["name"])
    slot_id = t.data.get("slot")
    if answer != "yes":
        if slot_id:
            booking.release_hold(t.session, slot_id, t.holder)
        t.lead.append(Say("slot_released"))
        data = _keep(t)
        return t.ask("book_day", data=data)
    return book_now(t)


question(
    Question(
        name="book_confirm",
        prompt="confirm_slot",
        retry="confirm_slot_retry",
        expects="yes_no",
        recognise=_confirm_recognise,
        act=_confirm_act,
        values=_confirm_values,
        lead=_confirm_lead,
        choices=yes_no_choices,
        hints="hints_yes_no",
        matters=True,
        describe=_confirm_describe,
    )
)


def _renamed(t: Turn, name: str) -> Reply:
    """A name said at the read-back: one of the phone's people, a correction of a new one, or one's own."""
    data = dict(t.data)
    everyone = whom.household(t)
    if data.get("replaces"):
        appointment = t.session.get(Appointment, data["replaces"])
        found = people.find_by_name(everyone, name)
        if found is not None and appointment is not None and found.id != appointment.person_id:
            return t.ask("book_confirm", retry=True)  # a change stays with its person: never renamed Léa
        data["name"] = name  # a change stays with its person: the name is theirs, corrected
        return t.ask("book_confirm", data=data)
    found = people.find_by_name(everyone, name)
    if found is not None and found.name and found.name != name and not found.last_name:
        found = None  # "Bob" completed as "Bob Lee": kept as the name said
    data.pop("person_id", None)
    if found is not None:
        data.pop("name", None)
        data["person_id"] = found.id
    else:
        data["name"] = name
        if data.get("who") == "me" and everyone and everyone[0].name:
            data.pop("who")  # one's own name said differently: the phone's person with it, or a new one
    return whom.after_slot(t, data)


def book_now(t: Turn) -> Reply:
    """Book (or move) into the held slot; the confirmation code and how to cancel."""
    slot_id = t.data.get("slot")
    patient = t.patient()
    replaces = t.data.get("replaces")
    try:
        if replaces:
            appointment = booking.reschedule(
                t.session,
                replaces,
                slot_id,
                t.now,
                t.channel,
                patient_id=patient.id,
                holder=t.holder,
                length=reasons.length(t.clinic, t.data),
            )
        else:
            person = whom.person_to_book(t, patient)
            appointment = booking.book(
                t.session,
                slot_id,
                patient,
                t.channel,
                t.now,
                holder=t.holder,
                person=person,
                length=reasons.length(t.clinic, t.data),
                reason=t.data.get("reason"),
            )
    except (SlotTaken, SlotNotFound):
        return _taken(t)
    except (AppointmentNotFound, AppointmentNotCancellable):
        booking.release_hold(t.session, slot_id, t.holder)
        return t.done(Say("reschedule_gone", {"phone": t.clinic_phone()}))
    except PersonAlreadyBooked:
        booking.release_hold(t.session, slot_id, t.holder)
        who = whom.booked_name(t)
        return t.done(Say("person_already_booked", {"name": who}) if who else Say("self_already_booked"))
    except TooManyPeople:
        booking.release_hold(t.session, slot_id, t.holder)
        return t.done(Say("too_many_people_end", {"max": people.MAX_PEOPLE, "phone": t.clinic_phone()}))
    if replaces and t.data.get("name"):
        people.rename(appointment.person, t.data["name"])
    t.settle_language(patient)
    reason = "rescheduled" if replaces else "booked"
    t.booked.append(appointment.id)  # its reminders were planned with it (booking.book)
    values = {
        "when": local_when(t, appointment.starts_at),
        "clinic": t.clinic_name(),
        "code": appointment.code,
    }
    named = whom.appointment_name(t, appointment)
    said = Say(reason + "_named", {**values, "name": named}) if named else Say(reason, values)
    booked = [*t.data.get(BOOKED_BEFORE, []), appointment.id]
    if t.data.get(THEN_FOR) and not replaces:
        return _book_next(t, said, appointment)
    if t.data.get(SEVERAL_OF) and not replaces and len(booked) < whom.MOST_AT_ONCE:
        data = {"reason": t.data["reason"]} if t.data.get("reason") else {}
        data.update({SEVERAL_OF: t.data[SEVERAL_OF], BOOKED_BEFORE: booked, "booked_as": reason})
        return t.ask("book_another", data=data, says=[said])
    return _booked_all(t, booked, reason, said)


def _booked_all(t: Turn, booked: list[int], reason: str, *says: Say) -> Reply:
    """Every booking of the request is made: on the phone a copy of them all by text is offered."""
    if t.voice and t.can_text():
        return t.ask("sms_copy", data={"appointment_ids": booked, "reason": reason}, says=list(says))
    return t.done(*says)


def _another_act(t: Turn, answer: object) -> Reply:
    """ "Un RDV pour quelqu'un d'autre aussi?" yes: the next one of "mes enfants", from the end of the last."""
    booked = list(t.data.get(BOOKED_BEFORE, []))
    last = t.session.get(Appointment, booked[-1]) if booked else None
    if answer != "yes" or last is None:
        return _booked_all(t, booked, t.data.get("booked_as", "booked"), Say("ok"))
    relation = t.data[SEVERAL_OF]
    whom.forget_household(t)  # the booking may have added a person to the phone
    done = {a.person_id for a in (t.session.get(Appointment, i) for i in booked) if a is not None}
    left = [p for p in people.with_relation(whom.household(t), relation) if p.id not in done]
    # One of "mes enfants" booked for before and not yet now: "Pour qui?" tells which; else a new one.
    wanted = {} if left else whom.someone_new(relation)
    then = {"data": wanted, "who": Who(relation=relation).as_dict()}
    t.state.data = {**t.data, THEN_FOR: [then]}
    return _book_next(t, None, last)


question(
    Question(
        name="book_another",
        prompt="book_another",
        retry="book_another_retry",
        expects="yes_no",
        recognise=yes_no,
        act=_another_act,
        choices=yes_no_choices,
        hints="hints_yes_no",
        exhausted=lambda t: _another_act(t, "no"),
    )
)


def _book_next(t: Turn, said: Say | None, appointment: Appointment) -> Reply:
    """One person of "RDV pour moi et mon fils" is booked: the next one's slots, from the end of this one on
    that day (or the first days after it), the booking said first."""
    following = list(t.data[THEN_FOR])
    then = following.pop(0)
    who = Who(**then["who"])
    whom.forget_household(t)  # the booking may have added a person to the phone
    data = {"flow": "book", **then["data"]}
    if following:
        data[THEN_FOR] = following
    if t.data.get("reason"):
        data["reason"] = t.data["reason"]
    if t.data.get(SEVERAL_OF):
        data[SEVERAL_OF] = t.data[SEVERAL_OF]
    booked = t.data.get(BOOKED_BEFORE, [])
    data[BOOKED_BEFORE] = booked if appointment.id in booked else [*booked, appointment.id]
    slot = t.session.get(Slot, appointment.slot_id)
    ends = to_local(slot.ends_at if slot is not None else appointment.starts_at, t.clinic.timezone)
    known = t.session.get(Person, data["person_id"]) if data.get("person_id") else None
    name = whom.label(t, known) if known is not None and data.get("who") == "other" else None
    t.lead.extend([said] if said else [])
    t.lead.append(Say("next_person_named", {"name": name}) if name else whom.next_person(who))
    t.state.data = data
    return offer(t, {"date": ends.date().isoformat(), "after": ends.strftime("%H:%M")})


def _copy_act(t: Turn, answer: object) -> Reply:
    if answer == "yes":
        # (A conversation stored before copies of several appointments holds the one id.)
        for appointment_id in t.data.get("appointment_ids") or [t.data["appointment_id"]]:
            t.enqueue(SEND_CONFIRMATION, appointment_id, t.data["reason"])
        return t.done(Say("sms_copy_yes"))
    return t.done(Say("sms_copy_no"))


question(
    Question(
        name="sms_copy",
        prompt="sms_copy",
        retry="sms_copy_retry",
        expects="yes_no",
        recognise=yes_no,
        act=_copy_act,
        choices=yes_no_choices,
        hints="hints_yes_no",
        exhausted=lambda t: _copy_act(t, "no"),
    )
)


def appointment_when(t: Turn, appointment: Appointment) -> dt.datetime:
    return local_when(t, appointment.starts_at)
