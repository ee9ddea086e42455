"""The walk-in queue: join, place and expected time, how to be told the turn is near, leave."""

from __future__ import annotations

import datetime as dt
import re

from core.dialog import elsewhere
from core.dialog.engine import REQUESTS, UNCLEAR, Question, Turn, question, starter, yes_no, yes_no_choices
from core.dialog.heard import Heard
from core.dialog.people import need_phone, release_hold, sms_or_call
from core.dialog.types import Choice, Parts, Reply, Say
from core.errors import (
    AlreadyInQueue,
    NotEnoughPlaces,
    QueueFull,
    TooManyPeople,
    WalkinNotOpen,
    WalkinUnavailable,
)
from core.jobs.names import CHECK_QUEUE_NOTICES
from core.language.names import clean_name
from core.models import Person, WalkinTicket
from core.services import people, walkin
from core.services.clinics import is_open, next_opening
from core.timeutil import to_local
from prompts import render
from prompts.format import numbers_text, people_ahead


def _time(t: Turn, instant: dt.datetime) -> dt.time:
    return to_local(instant, t.clinic.timezone).time().replace(tzinfo=None)


def opening_text(t: Turn, instant: dt.datetime) -> Say:
    """When registration opens: 'aujourd'hui à 7 h', 'demain à 7 h' or the date."""
    local = to_local(instant, t.clinic.timezone)
    today = t.local_now.date()
    if local.date() == today:
        return Say("opens_today", {"time": _time(t, instant)})
    if local.date() == today + dt.timedelta(days=1):
        return Say("opens_tomorrow", {"time": _time(t, instant)})
    return Say("opens_on", {"when": local.replace(tzinfo=None)})


def place_values(t: Turn, ticket: WalkinTicket) -> dict:
    place = walkin.place_in_queue(t.session, t.clinic, ticket, t.now)
    return {
        "number": str(ticket.number),
        "ahead": people_ahead(place.ahead, t.lang),
        "time": _time(t, place.expected_at),
    }


def _notify_by(t: Turn) -> str:
    """SMS when the number can take one, else a call (landlines)."""
    if t.channel == "sms":
        return "sms"
    return "sms" if t.can_text() else "call"


MAX_PARTY = people.MAX_PEOPLE  # one phone registers at most its whole household


def _whom_json(h: Heard | None) -> list[dict]:
    return [w.as_dict() for w in (h.whom if h is not None else ())]


def _says_also(t: Turn, h: Heard | None) -> bool:
    """'inscris-moi aussi', 'add me too': the writer joins besides those already in line."""
    return h is not None and any(w["me"] for w in _whom_json(h)) and t.mentions_any("words_also")


@starter("walkin")
def join(t: Turn, h: Heard | None) -> Reply:
    """'SANS RDV', 'walk-in', 2 on the phone menu; 'sans rdv pour 2', 'moi et mes 2 enfants' for a family."""
    waiting = need_phone(t, "walkin")
    if waiting is not None:
        return waiting
    release_hold(t)
    whom = _whom_json(h)
    if _says_also(t, h):
        return _join_party(t, 1, whom, also=True)
    count = h.party if h is not None else None
    several_unsaid = any(w["count"] is None for w in whom)
    if count is None and not whom:
        held = walkin.active_tickets(t.session, t.clinic, t.patient(), t.now)
        if held:  # "SANS RDV" again: the place (or the family's places) already held
            return _already(t, held)
    if count is None and (several_unsaid or (t.voice and not whom)):
        # a family whose size is unsaid, or any caller on the phone: "how many people?" on the keypad
        return t.ask("walkin_party", data={"whom": whom})
    return _join_party(t, count or 1, whom)


def _closed(t: Turn, exc: Exception) -> Reply:
    """No place to give: no walk-in here, not open now, or full for today."""
    if isinstance(exc, WalkinUnavailable):
        return t.done(Say("walkin_unavailable", {"clinic": t.clinic_name()}))
    if isinstance(exc, WalkinNotOpen):
        if exc.opens_at is None:
            return t.done(Say("walkin_closed", {"phone": t.clinic_phone()}))
        t.lead.append(Say("walkin_not_open"))
        return t.done(opening_text(t, exc.opens_at))
    t.lead.append(Say("walkin_full"))
    if exc.reopens_at is not None:
        t.lead.append(opening_text(t, exc.reopens_at))
    if not elsewhere.room_elsewhere(t):
        if is_open(t.clinic, "walkin", t.now):  # a place given back today may still be offered
            from core.dialog.waitlist import ask_to_wait

            return ask_to_wait(t, {}, [Say("walkin_full_811")], kind="walkin")
        return t.done(Say("walkin_full_811"))
    # Full for today: other clinics of the region with room (core/dialog/elsewhere.py)
    t.lead.append(Say("walkin_full_811"))
    return elsewhere.when_full(t, None, none_here=None)


def _choose(
    t: Turn, count: int, whom: list[dict], also: bool
) -> tuple[list[Person], list[str | None]] | None:
    """Who the numbers are for: people of the phone already known, and new ones to add (by name, or
    nameless). None when everyone asked for already holds a number."""
    patient = t.patient()
    known = people.people_of(t.session, patient)
    held = {ticket.person_id for ticket in walkin.active_tickets(t.session, t.clinic, patient, t.now)}
    first = known[0] if known else None
    chosen: list[Person] = []
    new: list[str | None] = []
    if also:  # the writer, besides whoever is already in line (a new person when the first already is)
        if first is None or first.id not in held:
            return ([first], []) if first else ([], [None])
        return [], [None]
    named = [w["name"] for w in whom if w["name"]]
    me = any(w["me"] for w in whom) or not whom or count > sum(w["count"] or 1 for w in whom if not w["me"])
    if me:
        if first is None:
            new.append(None)  # the phone's first person, created now ("moi")
        elif first.id not in held:
            chosen.append(first)
        elif count == 1 or held:
            count -= 1  # the writer already holds a number: the others are what is asked
    elif first is None:
        first = people.first_person(t.session, patient, t.now)  # the writer exists before the child
        known = [first]
    for name in named:
        if len(chosen) + len(new) >= count:
            break
        found = people.find_by_name(known, name)
        if found is None:
            new.append(name)
        elif found.id not in held and found not in chosen:
            chosen.append(found)
    if me and first is not None and first.id in held and not chosen and not new and count <= 0:
        return None
    rest = count - len(chosen) - len(new)
    others = [p for p in known[1:] if p.id not in held and p not in chosen]
    if rest > 0 and len(others) == rest:
        chosen.extend(others)  # the household comes back: the same people as last time
    elif rest > 0:
        new.extend([None] * rest)
    if not chosen and not new:
        return None
    return chosen, new


def _join_party(t: Turn, count: int, whom: list[dict], also: bool = False, take_fewer: bool = False) -> Reply:
    if count > MAX_PARTY:
        t.lead.append(Say("walkin_party_too_many"))
        return t.ask("walkin_party", data={"whom": whom})
    patient = t.patient()
    picked = _choose(t, count, whom, also)
    if picked is None:
        return _already(t, walkin.active_tickets(t.session, t.clinic, patient, t.now))
    chosen, new = picked
    notify_by = _notify_by(t)
    try:
        with t.session.begin_nested():  # the people added for the group go if the group gets no places
            added = [people.add_person(t.session, patient, name, now=t.now) for name in new]
            first_id = people.first_person(t.session, patient, t.now).id
            order = sorted(chosen + added, key=lambda p: (p.id != first_id, p.id))
            tickets = walkin.join_group(
                t.session,
                t.clinic,
                patient,
                order,
                t.channel,
                t.now,
                notify_by=notify_by,
                take_fewer=take_fewer,
            )
    except AlreadyInQueue as exc:
        return _already(t, [t.session.get(WalkinTicket, exc.ticket_id)])
    except TooManyPeople:
        return t.done(Say("walkin_too_many_people"))
    except NotEnoughPlaces as exc:
        key = "walkin_fewer_one" if exc.left == 1 else "walkin_fewer"
        return t.ask(key, data={"left": exc.left, "whom": whom, "also": also}, says=[])
    except (WalkinUnavailable, WalkinNotOpen, QueueFull) as exc:
        return _closed(t, exc)
    t.settle_language(patient)
    t.enqueue(CHECK_QUEUE_NOTICES, t.clinic.id)
    data = {"ticket_id": tickets[0].id, "ticket_ids": [ticket.id for ticket in tickets]}
    if also and len(walkin.active_tickets(t.session, t.clinic, patient, t.now)) > 1:
        joined = Say("walkin_added", place_values(t, tickets[0]))
    elif len(tickets) == 1:
        joined = Say("walkin_joined", place_values(t, tickets[0]))
    else:
        joined = Say("walkin_group_joined", group_values(t, tickets))
    unnamed = [p.id for p in added if p.name is None and p.id != order[0].id and p in tickets_people(tickets)]
    if not t.voice and unnamed:
        # For the front desk, which calls people by name: one question for the others' names (optional).
        data["people"] = unnamed
        key = "walkin_group_name_one" if len(unnamed) == 1 else "walkin_group_names"
        return t.ask(key, data=data, says=[joined])
    if t.voice and notify_by == "sms" and not t.state.reached_by:
        return t.ask("walkin_notify", data=data, says=[joined])
    return t.done(joined, Say("walkin_notice_" + notify_by))


def tickets_people(tickets: list[WalkinTicket]) -> list[Person]:
    return [ticket.person for ticket in tickets]


def group_values(t: Turn, tickets: list[WalkinTicket]) -> dict:
    """A family's numbers, how many are ahead of the first, and when the first turn is expected."""
    values = place_values(t, tickets[0])
    values["numbers"] = numbers_text([ticket.number for ticket in tickets], t.lang)
    return values


def _party_recognise(t: Turn, h: Heard) -> object | None:
    if h.keyed:
        return h.choice if h.intent == "choice" and h.choice and 1 <= h.choice <= 9 else None
    if h.intent in REQUESTS and h.intent != "walkin":
        return None  # "un RDV pour mon fils demain": another request, not the size of a party
    if h.party:
        return h.party
    if h.intent == "choice" and h.choice and 1 <= h.choice <= 20:
        return h.choice
    whom = _whom_json(h)
    if whom and all(w["count"] for w in whom):
        return sum(w["count"] for w in whom)  # "moi seulement": 1; "moi et ma fille": 2
    return None


def _party_act(t: Turn, answer: object) -> Reply:
    whom = t.data.get("whom") or []
    heard = _whom_json(t.heard) if t.heard is not None and not t.heard.keyed else []
    return _join_party(t, int(answer), heard or whom)


question(
    Question(
        name="walkin_party",
        prompt="walkin_party",
        retry="walkin_party_retry",
        recognise=_party_recognise,
        act=_party_act,
        hints="hints_party",
    )
)


def _fewer_act(t: Turn, answer: object) -> Reply:
    if answer != "yes":
        return t.done(Say("walkin_fewer_declined"))
    data = t.data
    return _join_party(t, int(data.get("left") or 1), data.get("whom") or [], bool(data.get("also")), True)


for _name in ("walkin_fewer", "walkin_fewer_one"):
    question(
        Question(
            name=_name,
            prompt=_name,
            retry="walkin_fewer_retry",
            expects="yes_no",
            recognise=yes_no,
            act=_fewer_act,
            values=lambda t: {"left": str(t.data.get("left", ""))},
            choices=yes_no_choices,
            hints="hints_yes_no",
            exhausted=lambda t: t.done(Say("walkin_fewer_declined")),
        )
    )


def _names_recognise(t: Turn, h: Heard) -> object | None:
    if h.keyed:
        return "skip" if h.intent == "skip" else None
    if h.intent in REQUESTS and h.intent != "walkin":
        return None  # "POSITION", "RDV": a request, not names
    if h.intent == "no" or t.said_any("words_skip"):
        return "skip"
    wanted = len(t.data.get("people") or [])
    parts = [p for p in re.split(r"\s*(?:,|;|/|&|\+|\n|\bet\b|\band\b)\s*", h.text or "") if p.strip()]
    if h.name and wanted == 1:
        return [h.name]
    names = [clean_name(p) for p in parts]
    if not names or len(names) > wanted or any(n is None for n in names):
        return None  # emoji, digits, a sentence, 500 characters: asked again in other words
    return names


def _names_act(t: Turn, answer: object) -> Reply:
    notice = Say("walkin_notice_" + _notify_by(t))
    if answer == "skip":
        return t.done(Say("walkin_group_names_skipped"), notice)
    patient = t.patient()
    placeholders = [t.session.get(Person, pid) for pid in t.data.get("people") or []]
    placeholders = [p for p in placeholders if p is not None and p.patient_id == patient.id]
    held = {ticket.person_id for ticket in walkin.active_tickets(t.session, t.clinic, patient, t.now)}
    known = [p for p in people.people_of(t.session, patient) if p.id not in held]
    said = []
    for person, name in zip(placeholders, answer, strict=False):
        same = people.find_by_name(known, name)
        if same is not None and same.name:  # someone the phone named before: the ticket is theirs
            ticket = walkin.active_ticket(t.session, t.clinic, patient, t.now, person=person)
            if ticket is not None:
                ticket.person_id = same.id
                t.session.flush()
                t.session.delete(person)
            known.remove(same)
            said.append(same.name)
        else:
            people.rename(person, name)
            said.append(person.name)
    return t.done(Say("walkin_group_names_saved", {"names": ", ".join(said)}), notice)


for _name in ("walkin_group_names", "walkin_group_name_one"):
    question(
        Question(
            name=_name,
            prompt=_name,
            retry="walkin_group_names_retry",
            recognise=_names_recognise,
            act=_names_act,
            values=lambda t: {"count": str(len(t.data.get("people") or []))},
            exhausted=lambda t: _names_act(t, "skip"),
            optional=True,
        )
    )


def _tell_place(t: Turn, tickets: list[WalkinTicket], key: str, group_key: str) -> Reply:
    """The patient's place (or the family's); a caller may then leave the queue or go back to the menu."""
    if len(tickets) > 1:
        said = Say(group_key, group_values(t, tickets))
    else:
        said = Say(key, place_values(t, tickets[0]))
    if t.voice:
        return t.ask("queue_action", data={"ticket_id": tickets[0].id}, says=[said])
    return t.done(said)


def _already(t: Turn, tickets: list[WalkinTicket]) -> Reply:
    return _tell_place(t, tickets, "walkin_already", "walkin_group_already")


def _no_walkin_here(t: Turn) -> Reply | None:
    """At a clinic without a walk-in queue, asking about one gets that said, not "text WALK-IN to join"."""
    if t.clinic.walkin_enabled:
        return None
    return t.done(Say("walkin_unavailable", {"clinic": t.clinic_name()}))


@starter("position")
def position(t: Turn, _h: Heard | None) -> Reply:
    """'POSITION', 'PLACE', 'where am I'."""
    waiting = need_phone(t, "position")
    if waiting is not None:
        return waiting
    tickets = walkin.active_tickets(t.session, t.clinic, t.patient(), t.now)
    if not tickets:
        return _no_walkin_here(t) or _not_in_queue(t)
    return _tell_place(t, tickets, "walkin_place", "walkin_group_place")


def _not_in_queue(t: Turn) -> Reply:
    """Not in today's queue: joining is offered while registration is open, else when it opens is said
    (a "yes" to joining would only have been told that it is closed)."""
    if is_open(t.clinic, "walkin", t.now):
        return t.ask("offer_join", data={}, says=[Say("walkin_not_in_queue")])
    t.lead.append(Say("walkin_not_in_queue"))
    opens = next_opening(t.clinic, "walkin", t.now)
    if opens is None:
        return t.done(Say("walkin_closed", {"phone": t.clinic_phone()}))
    return t.done(Say("walkin_not_open"), opening_text(t, opens))


@starter("leave")
def leave(t: Turn, h: Heard | None) -> Reply:
    """'QUITTER', 'leave': out of today's queue; a family says who leaves ('QUITTER Léa', 'QUITTER TOUS')."""
    waiting = need_phone(t, "leave")
    if waiting is not None:
        return waiting
    tickets = walkin.active_tickets(t.session, t.clinic, t.patient(), t.now)
    if not tickets:
        return _no_walkin_here(t) or t.done(Say("walkin_not_in_queue_short"))
    if len(tickets) == 1:
        return _leave(t, tickets)
    if h is not None and not h.keyed:
        which = _which(t, h, tickets, asked=False)
        if which is not None:
            return _leave(t, which)
    return t.ask("walkin_leave_which", data={"ticket_ids": [ticket.id for ticket in tickets]})


def _leave(t: Turn, tickets: list[WalkinTicket]) -> Reply:
    everyone = len(walkin.active_tickets(t.session, t.clinic, t.patient(), t.now))
    for ticket in tickets:
        walkin.give_back(t.session, t.clinic, ticket, t.now, t.channel)
    t.enqueue(CHECK_QUEUE_NOTICES, t.clinic.id)
    if len(tickets) == everyone == 1:
        return t.done(Say("walkin_left"))
    if len(tickets) == everyone:
        return t.done(Say("walkin_left_all", {"count": str(len(tickets))}))
    return t.done(Say("walkin_left_one", {"who": _who(t, tickets)}))


def _who(t: Turn, tickets: list[WalkinTicket]) -> str:
    """'Léa (no 23)', or 'no 23' for someone never named; several joined with 'et' / 'and'."""
    said = [
        render("ticket_who", t.lang, t.channel, name=ticket.person.name, number=ticket.number)
        if ticket.person.name
        else render("ticket_who_unnamed", t.lang, t.channel, number=ticket.number)
        for ticket in tickets
    ]
    return numbers_text(said, t.lang)


def _which(t: Turn, h: Heard, tickets: list[WalkinTicket], asked: bool) -> list[WalkinTicket] | None:
    """The tickets a 'who leaves?' answer points at: everyone, a digit of the list, a ticket number, a name
    or 'moi' / 'me'; None when it does not say."""
    if t.mentions_any("words_everyone"):
        return tickets
    if h.keyed or (asked and h.intent == "choice" and h.choice):
        if h.choice and 1 <= h.choice <= len(tickets):
            return [tickets[h.choice - 1]]
        if t.voice and h.choice == len(tickets) + 1:
            return tickets
    numbers = [int(n) for n in re.findall(r"\d{1,4}", h.text or h.digits or "")]
    by_number = [ticket for ticket in tickets if ticket.number in numbers]
    if by_number:
        return by_number
    if h.keyed:
        return None
    persons = [ticket.person for ticket in tickets]
    for word_start in range(len((h.text or "").split())):
        candidate = " ".join((h.text or "").split()[word_start:])
        found = people.find_by_name([p for p in persons if p.name], candidate)
        if found is not None:
            return [ticket for ticket in tickets if ticket.person_id == found.id]
    if any(w["me"] for w in _whom_json(h)):
        first = people.first_person(t.session, t.patient(), t.now)
        mine = [ticket for ticket in tickets if ticket.person_id == first.id]
        return mine or None
    return None


def _which_tickets(t: Turn) -> list[WalkinTicket]:
    found = [t.session.get(WalkinTicket, tid) for tid in t.data.get("ticket_ids") or []]
    return [ticket for ticket in found if ticket is not None and ticket.is_active]


def _which_recognise(t: Turn, h: Heard) -> object | None:
    tickets = _which_tickets(t)
    which = _which(t, h, tickets, asked=True) if tickets else None
    return [ticket.id for ticket in which] if which else None


def _which_act(t: Turn, answer: object) -> Reply:
    tickets = [ticket for ticket in _which_tickets(t) if ticket.id in answer]
    if not tickets:
        return t.done(Say("walkin_not_in_queue_short"))
    return _leave(t, tickets)


def _which_values(t: Turn) -> dict:
    options = []
    for n, ticket in enumerate(_which_tickets(t), 1):
        key, name = _label(t, ticket)
        options.append(Say(key, {"n": n, "name": name, "number": ticket.number}))
    return {"options": Parts(tuple(options))}


def _label(t: Turn, ticket: WalkinTicket) -> tuple[str, str]:
    """How a ticket is named in 'who leaves?': its person's name, 'vous' for the phone's own, else its number."""
    if ticket.person.name:
        return "ticket_of", ticket.person.name
    if ticket.person_id == people.first_person(t.session, t.patient(), t.now).id:
        return "ticket_of_me", ""
    return "ticket_of_unnamed", ""


def _which_choices(t: Turn) -> list[Choice]:
    # Keypad only: a text names the tickets in its prompt ("options") and is answered in words or numbers.
    tickets = _which_tickets(t)
    choices = []
    for n, ticket in enumerate(tickets, 1):
        key, name = _label(t, ticket)
        label = Say(key, {"n": n, "name": name, "number": ticket.number})
        choices.append(Choice(str(n), label, [ticket.id], keypad_only=True))
    everyone = [ticket.id for ticket in tickets]
    choices.append(Choice(str(len(tickets) + 1), Say("choice_everyone"), everyone, keypad_only=True))
    return choices


question(
    Question(
        name="walkin_leave_which",
        prompt="walkin_leave_which",
        retry="walkin_leave_which_retry",
        recognise=_which_recognise,
        act=_which_act,
        values=_which_values,
        choices=_which_choices,
        hints="hints_leave_which",
        exhausted=lambda t: t.done(Say("walkin_kept")),
    )
)


def _also(t: Turn, h: Heard) -> Reply | None:
    """'inscris-moi aussi' / 'add me too' with nothing pending, from a phone already in today's queue."""
    if not t.phone or not _says_also(t, h) or not t.clinic.walkin_enabled:
        return None
    patient = t.patient(create=False)
    if patient is None or not walkin.active_tickets(t.session, t.clinic, patient, t.now):
        return None
    return _join_party(t, 1, _whom_json(h), also=True)


UNCLEAR.append(_also)


def _notify_act(t: Turn, answer: object) -> Reply:
    for ticket_id in t.data.get("ticket_ids") or [t.data.get("ticket_id")]:
        ticket = t.session.get(WalkinTicket, ticket_id)
        if ticket is not None:
            ticket.notify_by = str(answer)
    patient = t.patient()
    if patient is not None:
        patient.notify_by = str(answer)
    return t.done(Say("walkin_notice_" + str(answer)))


question(
    Question(
        name="walkin_notify",
        prompt="walkin_notify",
        retry="walkin_notify_retry",
        recognise=sms_or_call,
        act=_notify_act,
        choices=lambda t: [
            Choice("1", Say("choice_by_sms"), "sms"),
            Choice("2", Say("choice_by_call"), "call"),
        ],
        hints="hints_notify",
        exhausted=lambda t: _notify_act(t, "sms"),
    )
)


def _queue_recognise(t: Turn, h: Heard) -> object | None:
    if h.choice in (1, 2) and (h.intent == "choice" or h.keyed):
        return "keep" if h.choice == 1 else "leave"
    if h.intent == "cancel":
        return "leave"
    if h.keep or h.intent == "yes":  # "yes" to "would you like to keep your place?"
        return "keep"
    return None  # a bare "no" is asked again with the keys: leaving the queue is not undone


def _queue_act(t: Turn, answer: object) -> Reply:
    if answer == "leave":
        return leave(t, None)
    return t.done(Say("walkin_kept"))


question(
    Question(
        name="queue_action",
        prompt="queue_action",
        retry="queue_action_retry",
        recognise=_queue_recognise,
        act=_queue_act,
        choices=lambda t: [
            Choice("1", Say("choice_keep_place"), "keep"),
            Choice("2", Say("choice_leave"), "leave"),
        ],
        hints="hints_queue",
    )
)


def _offer_join_act(t: Turn, answer: object) -> Reply:
    if answer == "yes":
        return join(t, None)
    return t.done(Say("ok"))


question(
    Question(
        name="offer_join",
        prompt="offer_join",
        retry="offer_join_retry",
        expects="yes_no",
        recognise=yes_no,
        act=_offer_join_act,
        choices=yes_no_choices,
        hints="hints_yes_no",
    )
)
