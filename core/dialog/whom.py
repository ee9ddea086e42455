"""Whom a booking is for: "Pour qui? 1) Léa Tremblay 2) Marc Tremblay 3) Quelqu'un d'autre", then the name
when it is not known yet.

The question is skipped when the message says ("pour mon fils", "pour moi", "for my mother Rita", "RDV pour
Léa"); the first time a phone books, only its own name is asked, as before. The chosen person is kept in the
dialog data as `person_id` (someone of the phone), or as `who` ("me" / "other") with a `name` and a
`relation` for someone added when the booking is made.
"""

from __future__ import annotations

from core.dialog.engine import Question, Turn, exhausted, question
from core.dialog.heard import Heard
from core.dialog.people import release_hold
from core.dialog.types import Choice, Reply, Say
from core.language import Who
from core.language.names import tidy_name
from core.language.normalize import fold
from core.models import Appointment, Patient, Person
from core.services import people

FLOW_INTENTS = ("book", "walkin", "position", "cancel", "reschedule", "list", "person", "help", "language")
# Relations remembered with a person, so "pour mon fils" finds him next time ("un ami" says too little).
REMEMBERED = ("son", "daughter", "child", "mother", "father", "spouse", "grandparent", "sibling")
DATA_KEYS = ("person_id", "who", "name", "relation")


# ---- the phone's people ---------------------------------------------------------------------------------------


def household(t: Turn) -> list[Person]:
    """The people of the turn's phone, its owner first; none before the phone first books (read once a turn)."""
    cached = t.__dict__.get("_household")
    if cached is not None:
        return cached
    patient = t.patient(create=False)
    if patient is None or patient.id is None:
        return []
    found = people.people_of(t.session, patient)
    t.__dict__["_household"] = found
    return found


def forget_household(t: Turn) -> None:
    """The phone's people are read again on next need (a booking may have added one)."""
    t.__dict__.pop("_household", None)


def several(t: Turn) -> bool:
    """Whether the phone speaks for more than one person (then lists and messages name each)."""
    return len(household(t)) > 1


def label(t: Turn, person: Person | None, everyone: list[Person] | None = None) -> str | None:
    """A person as a list names them: 'Léa' (the whole name when two share it); None when never named."""
    if person is None:
        return None
    return people.short_name(person, household(t) if everyone is None else everyone)


def appointment_name(t: Turn, appointment: Appointment) -> str | None:
    """Whose appointment it is, when the phone has several people ("RDV de Léa"), else None."""
    everyone = household(t)
    if len(everyone) < 2 or appointment.person is None:
        return None
    return label(t, appointment.person, everyone)


def person_called(everyone: list[Person], name: str, folded: str = "") -> Person | None:
    """The person of the phone a name said points at, as booking for someone finds them: the whole name,
    else a first name only one of them has; "emmas appt" (texted without its apostrophe) may be Emma's."""
    found = people.find_by_name(everyone, name)
    if found is None and f"{fold(name)}s" in folded.split():
        found = people.find_by_name(everyone, name + "s")  # "thomas appointment": Thomas, not Thoma
    return found


def resolve(t: Turn, who: Who) -> dict:
    """The booking data for one person a message names; empty when it does not tell who."""
    everyone = household(t)
    if who.me:
        return {"who": "me", "person_id": everyone[0].id} if everyone else {"who": "me"}
    if who.count != 1:
        return {}  # "mes enfants": several people are several bookings; the question tells them apart
    if who.name:
        found = people.find_by_name(everyone, who.name)
        if found is not None and (found.id != everyone[0].id or not who.relation):
            return {"person_id": found.id, "who": "other" if found.id != everyone[0].id else "me"}
        name = tidy_name(who.name)
        if name:
            return {"who": "other", "name": name, "relation": _remembered(who.relation)}
    if who.relation:
        kin = people.with_relation(everyone, who.relation)
        if len(kin) == 1:
            return {"who": "other", "person_id": kin[0].id}
        if not kin:
            return someone_new(who.relation)
    return {}


def someone_new(relation: str | None) -> dict:
    """The booking data for a person of the phone not known yet, of that relation: their name is asked."""
    return {"who": "other", "relation": _remembered(relation) or "other"}


def _remembered(relation: str | None) -> str | None:
    return relation if relation in REMEMBERED else None


def wanted(t: Turn, h: Heard | None) -> dict:
    """Whom a request to book is for, when it says so ("RDV pour mon fils"); else empty."""
    if h is None or h.keyed or not h.text:
        return {}
    named = list(h.whom or ())
    if len(named) != 1:
        return {}
    return wanted_for(t, named[0])


def wanted_for(t: Turn, who: Who) -> dict:
    """The booking data for one person named."""
    return {k: v for k, v in resolve(t, who).items() if v is not None}


MOST_AT_ONCE = 4  # people one request may book, one after the other ("pour mes 3 enfants")


def wanted_in_turn(t: Turn, h: Heard | None) -> tuple[dict, list[dict]]:
    """Whom a request to book is for, and the others it names, each booked after it in the order said:
    "RDV pour moi et mon fils", "my husband and I both need one", "pour mes deux enfants" are several
    bookings, one after the other. Each of the others is {"data": its booking data, "who": how it is said}."""
    if h is None or h.keyed or not h.text:
        return {}, []
    named = list(h.whom or ())
    if not named or (len(named) == 1 and named[0].count == 1):
        return wanted(t, h), []  # nobody, or one person: the phone's people are read only when needed
    if len(set(named)) != len(named) or any(who.count is None for who in named):
        return wanted(t, h), []  # "mes enfants": how many is unsaid; the question tells them apart
    everyone = household(t)
    each: list[tuple[dict, Who]] = []
    for who in named:
        if who.count == 1:
            each.append((wanted_for(t, who), who))
            continue
        one = Who(relation=who.relation)
        kin = people.with_relation(everyone, who.relation) if who.relation else []
        if len(kin) == who.count:  # "mes deux enfants" of a phone that has booked for both before
            each += [({"who": "other", "person_id": person.id}, one) for person in kin]
        else:  # as many new people of that relation, each asked their name
            relation = _remembered(who.relation) or "other"
            each += [({"who": "other", "relation": relation}, one) for _ in range(who.count)]
    if len(each) < 2 or len(each) > MOST_AT_ONCE:
        return wanted(t, h), []
    return each[0][0], [{"data": data, "who": who.as_dict()} for data, who in each[1:]]


def next_person(who: Who) -> Say:
    """'Now, your son's appointment:' said before the slots offered to the next person of a request."""
    if who.me:
        return Say("next_person_me")
    if who.name:
        return Say("next_person_named", {"name": who.name})
    return Say("next_person_of", {"relation": Say("relation_" + (_remembered(who.relation) or "other"))})


def _data(t: Turn, answer: dict) -> dict:
    """The booking data with a new answer about the person (what was said before about them dropped)."""
    data = {k: v for k, v in t.data.items() if k not in DATA_KEYS and k not in ("person_ids", "full")}
    if "full" in t.data:
        data["full"] = t.data["full"]
    data.update({k: v for k, v in answer.items() if v is not None})
    return data


def chosen(t: Turn, data: dict | None = None) -> Person | None:
    """The person of the phone already chosen for this booking (None: someone to add, or not known yet)."""
    data = t.data if data is None else data
    person_id = data.get("person_id")
    if not person_id:
        return None
    return next((p for p in household(t) if p.id == person_id), None)


def booked_name(t: Turn) -> str | None:
    """The name the booking goes under, for the read-back."""
    data = t.data
    if data.get("replaces"):
        appointment = t.session.get(Appointment, data["replaces"])
        person = appointment.person if appointment is not None else None
        return data.get("name") or (person.name if person is not None else None)
    if data.get("name"):
        return data["name"]
    person = chosen(t)
    if person is not None:
        return person.name
    everyone = household(t)
    if data.get("who") != "other" and everyone:
        return everyone[0].name
    return None


# ---- after the slot is held: whom for, then the read-back -------------------------------------------------------


def after_slot(t: Turn, data: dict) -> Reply:
    """What a held slot needs next: the person (asked only when not known), their name, or the read-back."""
    if data.get("replaces"):
        return t.ask("book_confirm", data=data)  # a change stays with the appointment's person
    everyone = household(t)
    person = chosen(t, data)
    if person is None:
        data.pop("person_id", None)
    if person is not None:
        if person.name or data.get("name"):
            return t.ask("book_confirm", data=data)
        return t.ask("book_name", data=data)  # the phone's owner, never named: their name, as before
    if data.get("who") == "other":
        if _full(t, data):
            return _too_many(t, data)
        if data.get("name"):
            return t.ask("book_confirm", data=data)
        return t.ask(
            "book_name_of" if data.get("relation") not in (None, "other") else "book_name_other", data=data
        )
    if data.get("name"):
        if _full(t, data):
            return _too_many(t, data)
        return t.ask("book_confirm", data=data)
    if data.get("who") == "me" or not any(p.name for p in everyone):
        if everyone and everyone[0].name:
            data["person_id"] = everyone[0].id
            return t.ask("book_confirm", data=data)
        return t.ask("book_name", data=data)  # the first time: the name, asked as today
    data["person_ids"] = [p.id for p in everyone]
    return t.ask("book_who", data=data)


def _full(t: Turn, data: dict) -> bool:
    """Whether booking for this name would add a ninth person to the phone."""
    everyone = household(t)
    if len(everyone) < people.MAX_PEOPLE:
        return False
    name = data.get("name")
    return not (name and people.find_by_name(everyone, name))


def _too_many(t: Turn, data: dict) -> Reply:
    """A ninth person: said politely; the list of the eight once more, then the clinic's number."""
    values = {"max": people.MAX_PEOPLE, "phone": t.clinic_phone()}
    if data.get("full"):
        release_hold(t)
        return t.done(Say("too_many_people_end", values))
    data = {k: v for k, v in data.items() if k not in DATA_KEYS}
    data.update(full=1, person_ids=[p.id for p in household(t)])
    t.lead.append(Say("too_many_people", values))
    return t.ask("book_who", data=data)


# ---- "Pour qui?" -------------------------------------------------------------------------------------------------


def _digits(t: Turn) -> list[int]:
    """The keys of the choices in order; on the phone 8 is "slower, please" (core/dialog/engine.py)."""
    return [1, 2, 3, 4, 5, 6, 7, 9] if t.voice else [1, 2, 3, 4, 5, 6, 7, 8, 9]


def _whom_choices(t: Turn) -> list[Choice]:
    everyone = {p.id: p for p in household(t)}
    ids = [i for i in t.data.get("person_ids", []) if i in everyone]
    out = []
    for index, (digit, person_id) in enumerate(zip(_digits(t), ids, strict=False)):
        person = everyone[person_id]
        if person.name:
            said = Say("whom_person", {"name": person.name})
        else:
            said = Say("whom_me" if index == 0 else "whom_unnamed")
        out.append(Choice(str(digit), said, f"person:{person_id}"))
    if len(everyone) < people.MAX_PEOPLE:
        out.append(Choice(str(_digits(t)[len(ids)]), Say("whom_other"), "other"))
    return out


def _whom_recognise(t: Turn, h: Heard) -> object | None:
    ids = t.data.get("person_ids", [])
    room = len(household(t)) < people.MAX_PEOPLE
    if h.choice is not None and (h.intent == "choice" or h.keyed):
        digits = _digits(t)
        index = digits.index(h.choice) if h.choice in digits else -1
        if 0 <= index < len(ids):
            return {"person_id": ids[index], "who": "me" if index == 0 else "other"}
        if index == len(ids) and room:
            return {"who": "other"}
        return None
    if h.keyed or not h.text:
        return None
    if h.intent in FLOW_INTENTS and h.intent != "book":
        return None  # "annule celui de Léa vendredi" names Léa for another request, never for this booking
    if t.mentions_any("words_someone_else"):
        return {"who": "other"}
    named = list(h.whom or ())
    if len(named) == 1:
        found = resolve(t, named[0])
        if found:
            return found
    everyone = [p for p in household(t) if p.id in ids]
    person = people.find_by_name(everyone, h.text)
    mentioned = people.named_in(everyone, h.text)
    if person is None and len(mentioned) == 1:
        person = mentioned[0]
    if person is not None:
        return {"person_id": person.id, "who": "me" if person.id == ids[0] else "other"}
    if h.intent in FLOW_INTENTS or h.intent in ("yes", "no", "choice", "number") or h.has_when:
        return None
    name = tidy_name(h.name) if h.name else tidy_name(h.text)
    return {"who": "other", "name": name} if name else None


def _whom_act(t: Turn, answer: object) -> Reply:
    return after_slot(t, _data(t, dict(answer)))


question(
    Question(
        name="book_who",
        prompt="ask_whom",
        retry="ask_whom_retry",
        recognise=_whom_recognise,
        act=_whom_act,
        choices=_whom_choices,
        hints="hints_whom",
        names=True,
    )
)


# ---- the name ----------------------------------------------------------------------------------------------------


def _name_recognise(t: Turn, h: Heard) -> object | None:
    if t.voice and h.keyed and h.intent == "skip" and t.state.question == "book_name":
        return {"skip": True}
    if h.name and not h.keyed:  # "c'est Marc Gagnon", "my name is Line Roy": the name, not the sentence
        name = tidy_name(h.name)
        return {"name": name} if name else None
    if h.keyed or h.intent in FLOW_INTENTS or h.intent in ("yes", "no", "choice"):
        return None
    name = tidy_name(h.text)
    return {"name": name} if name else None


def _name_act(t: Turn, answer: dict) -> Reply:
    data = dict(t.data)
    if answer.get("name"):
        data["name"] = answer["name"]
        if data.get("who") != "other" and chosen(t, data) is None:
            data["who"] = "me"  # asked "what is your name?": the phone's owner
    elif data.get("who") != "other":
        everyone = household(t)
        if everyone:
            data["person_id"] = everyone[0].id
        return t.ask("book_confirm", data=data)  # a name that cannot be made out is not worth the slot
    return after_slot(t, data)


def _own_name_exhausted(t: Turn) -> Reply:
    """One's own name that cannot be made out is not worth losing the slot for: book without it."""
    return _name_act(t, {"skip": True})


def _relation_values(t: Turn) -> dict:
    relation = t.data.get("relation") or "other"
    return {"relation": Say("relation_" + relation)}


question(
    Question(
        name="book_name",
        prompt="ask_name",
        retry="ask_name_retry",
        expects="name",
        names=True,
        recognise=_name_recognise,
        act=_name_act,
        exhausted=_own_name_exhausted,
    )
)
question(
    Question(
        name="book_name_other",
        prompt="ask_name_other",
        retry="ask_name_other_retry",
        expects="name",
        names=True,
        recognise=_name_recognise,
        act=_name_act,
        exhausted=exhausted,
    )
)
question(
    Question(
        name="book_name_of",
        prompt="ask_name_of",
        retry="ask_name_of_retry",
        expects="name",
        names=True,
        recognise=_name_recognise,
        act=_name_act,
        values=_relation_values,
        exhausted=exhausted,
    )
)


# ---- when the booking is made ---------------------------------------------------------------------------------------


def person_to_book(t: Turn, patient: Patient) -> Person:
    """The person the booking is for, named or added now (TooManyPeople past eight)."""
    everyone = people.locked_people(t.session, patient)
    person = _person_to_book(t, patient, everyone)
    if person not in everyone:
        everyone = [*everyone, person]
    t.__dict__["_household"] = everyone  # read once a turn: the reply names the person from it
    return person


def _person_to_book(t: Turn, patient: Patient, everyone: list[Person]) -> Person:
    session, data = t.session, t.data
    person = next((p for p in everyone if p.id == data.get("person_id")), None)
    name = data.get("name")
    if person is not None:
        if name and not person.name:
            people.rename(person, name)
        return person
    found = people.find_by_name(everyone, name) if name else None
    if found is not None:
        _complete(found, name)
        return found
    if data.get("who") == "other":
        relation = data.get("relation") if data.get("relation") in REMEMBERED else None
        if not everyone:
            owner = people.add_to_empty(session, patient, None, t.now)  # the phone's owner comes first
            everyone.append(owner)
        return people.add_person(session, patient, name, now=t.now, relation=relation)
    if not everyone:
        return people.add_to_empty(session, patient, name, t.now)  # the first time: the phone's own person
    if not name:
        return everyone[0]
    if everyone[0].name is None:
        people.rename(everyone[0], name)  # the phone's person was never named: this is their name
        return everyone[0]
    return people.add_person(session, patient, name, now=t.now)


def _complete(person: Person, name: str | None) -> None:
    """'Bob' booked again as 'Bob Lee': the last name is added, never a different person renamed."""
    if name and not person.last_name and len(name.split()) > 1:
        people.rename(person, name)
