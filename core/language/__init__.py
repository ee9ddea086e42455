"""Understanding patients' messages (SMS text or speech transcripts) in Québec French and English.

Pure Python, rule-based and fast (thousands of messages per second); imports nothing else from the project.
See ``core/language/when.py`` for how dates and times are resolved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .detect import detect_language
from .household import Who, party_size, party_spans, whom, whose
from .intents import (
    asks_for_earlier,
    asks_for_more,
    carrier_keyword,
    choice_number,
    is_emergency,
    is_self_harm,
    language_switch,
    notify_choice,
    opt_out,
    picks_last,
    polarity,
    request_intent,
    says_no_first,
    wants_to_keep,
)
from .late import running_late
from .names import clean_name, extract_name
from .normalize import digitize, expand_shorthand, fold, repair_typos
from .politeness import find_politeness, without_politeness
from .when import When, find_when, old_day

__all__ = [
    "INTENTS",
    "Understanding",
    "clean_name",
    "detect_language",
    "extract_name",
    "mentions_emergency",
    "understand",
]

INTENTS = (
    "book",
    "walkin",
    "position",
    "cancel",
    "reschedule",
    "list",
    "help",
    "person",
    "yes",
    "no",
    "choice",
    "language",
    "stop",
    "start",
    "emergency",
    "other",
    "waitlist",  # LISTE / WAITLIST, "avertis-moi si ça se libère": join or show the waiting list
    "waitlist_leave",  # QUITTER LISTE / LEAVE LIST
    "code",  # "c'est quoi mon code déjà?", "what's my confirmation number": the codes of one's appointments
)

_KEYWORD_LANG = {"aide": "fr", "arret": "fr", "help": "en"}


@dataclass(frozen=True)
class Understanding:
    """What one message says: intent, when, which option, which language, plus optional details."""

    intent: str
    date: dt.date | None = None
    time: dt.time | None = None
    part_of_day: str | None = None
    choice: int | None = None
    lang: str = "fr"
    polarity: str | None = None
    target: str | None = None
    switch_to: str | None = None
    after: dt.time | None = None
    before: dt.time | None = None
    asap: bool = False
    span: str | None = None
    more: bool = False
    earlier: bool = False  # "plus tôt?", "anything earlier?": sooner than what was offered
    notify_by: str | None = None
    keep: bool = False
    # Filled by the rules as they learn to read them (defaults mean "not said"):
    not_before: dt.date | None = None  # earliest day allowed, inclusive ("pas avant le 15", "après jeudi")
    not_after: dt.date | None = None  # latest day allowed, inclusive ("au plus tard vendredi")
    also: tuple[dt.date, ...] = ()  # other days that would do as well as `date` ("mercredi ou jeudi")
    same: str | None = None  # "day" / "time" / "after": as the appointment just booked ("le même jour")
    shift: tuple[str, int | None] | None = None  # ("later" / "earlier", minutes): "une heure plus tard"
    old_date: dt.date | None = None  # a change: the day of the appointment to move ("je pourrai pas jeudi")
    pick_last: bool = False  # "le dernier", "the last one": the last option offered
    name: str | None = None  # a name said naturally ("c'est Marc Gagnon", "my name is Line Roy")
    self_harm: bool = False  # words of suicide or self-harm (also an emergency): 9-8-8 too
    smalltalk: str | None = None  # "thanks" / "bye" / "hello": politeness, not a request
    whom: tuple[Who, ...] = ()  # the people it is for ("pour moi et ma fille"): core/language/household.py
    party: int | None = None  # how many people, when said ("sans rdv pour 2", "nous sommes 3")
    whose: Who | None = None  # whose appointment a request names ("le RDV de Marc", "emmas appt")
    # "je serai en retard", "running late": the patient will come late (core/language/late.py)
    late: bool = False
    late_minutes: int | None = None  # by how much, when said ("de 10 min", "1/2 heure")

    def as_dict(self) -> dict:
        """JSON-ready form: dates as YYYY-MM-DD, times as HH:MM."""
        return {
            "intent": self.intent,
            "date": self.date.isoformat() if self.date else None,
            "time": _hhmm(self.time),
            "part_of_day": self.part_of_day,
            "choice": self.choice,
            "lang": self.lang,
            "polarity": self.polarity,
            "target": self.target,
            "switch_to": self.switch_to,
            "after": _hhmm(self.after),
            "before": _hhmm(self.before),
            "asap": self.asap,
            "span": self.span,
            "more": self.more,
            "earlier": self.earlier,
            "notify_by": self.notify_by,
            "keep": self.keep,
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "also": [day.isoformat() for day in self.also],
            "same": self.same,
            "shift": list(self.shift) if self.shift else None,
            "old_date": self.old_date.isoformat() if self.old_date else None,
            "pick_last": self.pick_last,
            "name": self.name,
            "self_harm": self.self_harm,
            "smalltalk": self.smalltalk,
            "whom": [who.as_dict() for who in self.whom],
            "party": self.party,
            "whose": self.whose.as_dict() if self.whose else None,
            "late": self.late,
            "late_minutes": self.late_minutes,
        }


def _hhmm(value: dt.time | None) -> str | None:
    """Time as HH:MM, or None."""
    return value.strftime("%H:%M") if value else None


def mentions_emergency(text: str) -> bool:
    """Whether any part of a text, however long, names an emergency (chest pain, can't breathe, …)."""
    return is_emergency(fold(text or ""))


def understand(text: str, lang: str | None = None, now: dt.datetime | None = None) -> Understanding:
    """Read one patient message; `now` is the clinic's local naive datetime, `lang` the known language."""
    now = now or dt.datetime.now()
    text = text or ""
    folded = fold(text)
    msg_lang = detect_language(text, lang)
    if is_emergency(folded):
        return Understanding("emergency", lang=msg_lang, self_harm=is_self_harm(folded))
    keyword = carrier_keyword(folded)
    if keyword is not None:
        return Understanding(keyword, lang=_keyword_language(folded, lang))
    stop_lang = opt_out(folded)
    if stop_lang is not None:
        return Understanding("stop", lang=stop_lang)
    switch = language_switch(folded)
    if switch is not None:
        return Understanding("language", lang=switch, switch_to=switch)
    expanded = expand_shorthand(folded)
    smalltalk, polite_spans = find_politeness(expanded)
    # Greetings and farewells say nothing of when: "bonne soirée" is no evening wish.
    reading = without_politeness(expanded, polite_spans) if polite_spans else expanded
    repaired = repair_typos(reading)
    request = request_intent(repaired)
    answer = polarity(expanded)
    if smalltalk and polarity(reading) is None:
        answer = None  # "bye", "merci": politeness, not an answer to the question asked
    choice = choice_number(expanded)
    digits = digitize(repaired, msg_lang)
    old_date = None
    if request is not None and request[0] in ("reschedule", "cancel"):
        # Only a request to move or cancel has an old day: while booking, "je peux pas lundi, mardi" just
        # refuses Monday (the date reader already skips a refused day).
        old_date, old_spans = old_day(digits, now.date())
        if request[0] == "reschedule" and old_spans:
            digits = _blank(digits, old_spans)  # what is left names the new wish
    counted = party_spans(digits)
    if counted:
        digits = _blank(digits, counted)  # "sans rdv pour 2": two people, not 2 o'clock
    when = find_when(digits, now)
    pick_last = picks_last(expanded)
    late, late_by = running_late(folded, msg_lang)
    intent, target = _main_intent(request, answer, choice, when)
    if pick_last and intent in ("other", "book", "yes"):
        intent = "choice"
    if smalltalk and request is None and answer is None and intent == "book":
        intent = "other"
    if intent == "no" and (when.not_before or when.not_after) and not says_no_first(expanded):
        intent = "book"  # "plus tard que jeudi": a limit to book within, not a refusal
    if intent == "choice" and not any(c.isdigit() for c in folded):
        # A spelled ordinal alone ("le premier", "the second one") picks an option; "le 1er" stays a date too.
        when = When()
    return Understanding(
        intent,
        date=when.date,
        time=when.time,
        part_of_day=when.part_of_day,
        choice=choice if intent == "choice" else None,
        lang=msg_lang,
        polarity=answer,
        target=target,
        after=when.after,
        before=when.before,
        asap=when.asap,
        span=when.span,
        more=asks_for_more(folded),
        earlier=asks_for_earlier(folded),
        notify_by=notify_choice(folded),
        keep=wants_to_keep(folded),
        not_before=when.not_before,
        not_after=when.not_after,
        also=when.also,
        same=when.same,
        shift=when.shift,
        old_date=old_date,
        pick_last=pick_last,
        name=extract_name(text, msg_lang),
        smalltalk=smalltalk,
        whom=whom(text),
        party=party_size(text),
        whose=whose(text),
        late=late,
        late_minutes=late_by,
    )


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace spans by spaces so the date reader cannot reuse them."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _keyword_language(folded: str, lang: str | None) -> str:
    """AIDE/ARRET are French and HELP English; other keywords keep the known language (else English)."""
    word = folded.strip(" .!?")
    if word in _KEYWORD_LANG:
        return _KEYWORD_LANG[word]
    return lang if lang in ("fr", "en") else "en"


def _main_intent(request, answer, choice, when) -> tuple[str, str | None]:
    """Pick one intent: a request beats yes/no, which beats a choice; a bare date or time means booking."""
    if request is not None:
        return request
    if choice is not None:
        return "choice", None
    if answer is not None:
        return answer, None
    if (
        when.date
        or when.time
        or when.part_of_day
        or when.asap
        or when.after
        or when.before
        or when.not_before
        or when.not_after
        or when.same
    ):
        return "book", None
    return "other", None
