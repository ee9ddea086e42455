"""The turn: read what the patient said, let the pending question recognise it, act, and answer.

Every question has the same shape (`Question`): a prompt, a retry prompt worded differently, a recogniser,
an attempt limit and what happens when attempts run out. Flows (book, walk-in, appointments, person…) are
questions and the actions that follow their answers; they live in the sibling modules and register here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from core.dialog import heard as hearing
from core.dialog import recall
from core.dialog.heard import Heard
from core.dialog.inbox import hand_to_staff
from core.dialog.inbox import relay as inbox_relay
from core.dialog.state import DialogState
from core.dialog.types import (
    Choice,
    Context,
    Effect,
    Inbound,
    Outcome,
    Reply,
    Say,
    value_from_json,
    value_to_json,
)
from core.flows import Flow
from core.language.intents import carrier_keyword
from core.models import Patient
from core.services import audit, booking, patients
from core.services.clinics import local_now
from prompts import catalog
from prompts import text as prompt_text

LANGS = ("fr", "en")
LOW_CONFIDENCE = 0.5
ATTEMPTS = 3
# Silences on the phone: the question with its choices once more, then a short "are you there?", then a way
# out (a transfer while open, else the clinic's number). About 40 s of gather timeouts and speech in all.
SILENCES = 3
SLOW_KEY = 8  # the phone's "slower, please": no question offers an 8 (menus use 0-5 and 9)
# Flows a request in words can start whatever is pending; small talk never ends one of them.
REQUESTS = (
    "book",
    "walkin",
    "position",
    "cancel",
    "reschedule",
    "list",
    "person",
    "help",
    "language",
    "waitlist",
    "waitlist_leave",
    "code",
)
_WORD = re.compile(r"[^\w']+")

# Questions answered with a number on the keypad: 8 is a count there, not "slower, please".
KEYPAD_NUMBERS = ("phone_entry", "walkin_party")


@dataclass(frozen=True)
class Question:
    """One question: prompt, retry prompt, recogniser, attempt limit, and what to do when attempts run out."""

    name: str
    prompt: str  # prompt key
    retry: str  # prompt key, worded differently
    recognise: Callable[[Turn, Heard], object | None]  # a JSON-able answer, or None when not understood
    act: Callable[[Turn, object], Reply]
    expects: str = "choice"
    choices: Callable[[Turn], list[Choice]] | None = None
    values: Callable[[Turn], dict] | None = None
    lead: Callable[[Turn], list[Say]] | None = None  # said before the prompt each time (e.g. what is offered)
    hints: str | None = None  # catalog key of the words speech recognition should expect
    max_digits: int | None = 1
    limit: int = ATTEMPTS
    exhausted: Callable[[Turn], Reply] | None = None  # default: a person (voice) or the clinic's number (SMS)
    matters: bool = False  # a doubtful spoken answer is read back before acting on it
    describe: Callable[[Turn, object], str] | None = None  # the answer in words, for that read-back
    silent_end: Callable[[Turn], Reply] | None = None  # the third silence; default: a person or the number
    silence_retry: bool = False  # the first silence hears the retry prompt (a call we placed), not the prompt
    optional: bool = False  # the patient already has what was asked; "merci" by SMS leaves it unanswered
    variant: Callable[[Turn], str] | None = None  # a suffix of the prompt and retry keys ("_named")
    names: bool = False  # the answer may be a name: "Léa-Rose Bélanger-Côté" says nothing of the language


QUESTIONS: dict[str, Question] = {}
# Flows a patient can start from anywhere by saying so: intent -> starter(turn, heard).
STARTERS: dict[str, Callable[[Turn, Heard], Reply]] = {}
# Readers of a message no starter took, tried in turn before "not understood" ("inscris-moi aussi" while the
# phone is in the walk-in queue): each returns a reply, or None to pass.
UNCLEAR: list[Callable[[Turn, Heard], Reply | None]] = []
# Primed flows (a job puts a conversation into one): flow -> the question its next turn answers.
PRIMED: dict[Flow, str] = {}


def question(q: Question) -> Question:
    """Register a question."""
    QUESTIONS[q.name] = q
    return q


def starter(*intents: str):
    """Register the function that starts a flow when the patient asks for it."""

    def register(fn):
        for intent in intents:
            STARTERS[intent] = fn
        return fn

    return register


def primed_state(flow: Flow, data: dict, lang: str | None) -> DialogState:
    """The state a job leaves a conversation in so the next turn answers its message."""
    flow = Flow(flow)
    return DialogState(question=PRIMED.get(flow, flow.value), data=dict(data), primed=flow, lang=lang or None)


@dataclass
class Turn:
    """One turn of a conversation: the context, the state being changed, what was heard, what to do after."""

    state: DialogState
    inbound: Inbound
    ctx: Context
    effects: list[Effect] = field(default_factory=list)
    booked: list[int] = field(
        default_factory=list
    )  # appointments this turn booked or moved (core.dialog.recall)
    lead: list[Say] = field(default_factory=list)  # said first, whatever comes next (safety, apologies)
    heard: Heard | None = None
    _patient: Patient | None = None
    _patient_phone: str | None = None  # the number last looked up (found or not)
    patient_is_new: bool = False  # this turn wrote the patient's row: nothing else can point at it yet
    offered_nothing: bool = False  # no slot was ever offered to this conversation: none to give back

    def __post_init__(self) -> None:
        self.offered_nothing = self.ctx.first_turn
        if self.ctx.known is not None:  # read with the conversation (core/dialog/store.py)
            self._patient, self._patient_phone = self.ctx.known.patient, self.ctx.phone

    # ---- what the turn knows -------------------------------------------------------------------------

    @property
    def channel(self) -> str:
        return self.ctx.channel

    @property
    def voice(self) -> bool:
        return self.ctx.channel == "voice"

    @property
    def clinic(self):
        return self.ctx.clinic

    @property
    def session(self):
        return self.ctx.session

    @property
    def now(self) -> dt.datetime:
        return self.ctx.now

    @property
    def local_now(self) -> dt.datetime:
        return local_now(self.clinic, self.now)

    @property
    def lang(self) -> str:
        return self.state.lang or self.clinic.default_lang or "fr"

    @lang.setter
    def lang(self, value: str) -> None:
        if value in LANGS:
            self.state.lang = value

    @property
    def phone(self) -> str | None:
        """The patient's number: the caller ID, or the one keyed in when it was hidden."""
        return self.ctx.phone or self.state.phone

    @property
    def data(self) -> dict:
        return self.state.data

    @property
    def holder(self) -> str:
        """A stable id of this conversation, for slot holds."""
        key = self.ctx.conversation_key or self.phone or "anonymous"
        return booking.holder_id(self.channel, self.clinic.id, key)

    def patient(self, create: bool = True) -> Patient | None:
        """The patient behind this number (created on first need), or None without a number."""
        if self._patient is None and self.phone:
            if self._patient_phone != self.phone:  # look a number up once a turn, found or not
                self._patient_phone = self.phone
                self._patient = patients.find_patient(self.session, self.phone)
            if self._patient is None and create:
                # No language yet: Patient.lang is a choice (ENGLISH / FRANÇAIS) or set by a first booking.
                self._patient, self.patient_is_new = patients.created_patient(self.session, self.phone)
        return self._patient

    def settle_language(self, patient: Patient) -> None:
        """A patient who books or queues is written to later (reminders, notices): in this turn's language."""
        if patient is None:
            return
        # The language the patient writes in now outranks the one an earlier flow settled.
        if patient.lang not in LANGS or self.state.wrote == self.lang:
            patient.lang = self.lang

    def clinic_name(self) -> str:
        return self.clinic.display_name(self.lang)

    def walkin_words(self, key: str) -> Say | str:
        """The walk-in part of a menu or help text, empty where the clinic has no walk-in queue."""
        return Say(key) if self.clinic.walkin_enabled else ""

    def can_text(self) -> bool:
        """Whether SMS can reach this patient: a number that may take SMS, not known to be a landline."""
        # A number keyed in by a hidden caller is judged by its own type (the caller ID said nothing).
        adapter_says = self.ctx.can_sms if self.ctx.phone else True
        if not (self.phone and adapter_says and patients.can_take_sms(self.phone)):
            return False
        known = self.patient(create=False)
        return known is None or known.notify_by != "call"

    def clinic_phone(self) -> str:
        """The clinic's public number, E.164 (the adapters write it 514-555-0199 or read it out in groups)."""
        return self.clinic.phone or next((n.number for n in self.clinic.numbers if n.kind == "twilio"), "")

    def actor(self) -> str:
        """Who acted, for the audit trail: the number, masked."""
        return patients.mask_phone(self.phone)

    def audit(self, action: str, subject: str | None = None, **detail) -> None:
        audit.record(
            self.session,
            action,
            channel=self.channel,
            clinic_id=self.clinic.id,
            actor=self.actor(),
            subject=subject,
            **detail,
        )

    def words(self, key: str) -> list[str]:
        """A list of words from the catalog of the turn's language (keywords, hints)."""
        value = catalog(self.lang).get(key, [])
        return list(value) if isinstance(value, list) else []

    def mentions_any(self, key: str) -> bool:
        """Whether the text contains one of the catalog's phrases for `key` (either language), as words."""
        if not self.heard or not self.heard.text:
            return False
        text = f" {_WORD.sub(' ', self.heard.folded)} "
        for lang in LANGS:
            for phrase in catalog(lang).get(key, []):
                if f" {_WORD.sub(' ', hearing.fold(phrase)).strip()} " in text:
                    return True
        return False

    def said_any(self, key: str) -> bool:
        """Whether the text is one of the catalog's keywords for `key`, in either language."""
        text = self.heard.folded.strip(" .!?") if self.heard else ""
        if not text:
            return False
        for lang in LANGS:
            value = catalog(lang).get(key, [])
            if any(hearing.fold(word) == text for word in value):
                return True
        return False

    def enqueue(self, job: str, *args) -> None:
        """Work for after the commit: `job` is one of core.jobs.names."""
        self.effects.append(Effect(job=job, args=tuple(args)))

    # ---- answering ----------------------------------------------------------------------------------------

    def reply(self, says: list[Say], **kwargs) -> Reply:
        """A reply in the turn's language, with whatever must be said first."""
        lead, self.lead = self.lead, []
        return Reply(says=lead + list(says), lang=self.lang, **kwargs)

    def ask(
        self, name: str, data: dict | None = None, says: list[Say] | None = None, retry: bool = False
    ) -> Reply:
        """Ask a question (a fresh one, or again): its prompt, its choices, what it expects."""
        q = QUESTIONS[name]
        if self.state.question != name or data is not None:
            self.state.attempts = 0
        self.state.question = name
        if data is not None:
            self.state.data = dict(data)
        suffix = q.variant(self) if q.variant else ""
        prompt = [Say((q.retry if retry else q.prompt) + suffix, q.values(self) if q.values else {})]
        lead = q.lead(self) if q.lead else []
        choices = q.choices(self) if q.choices else []
        if retry and self.voice and _names_every_key(q.retry + suffix, self.lang, choices):
            choices = []  # "to book it, press 1; otherwise, press 2" is not followed by the same keys again
        return self.reply(
            list(says or []) + lead + prompt,
            choices=choices,
            expects=q.expects,
            hints=self.words(q.hints) if q.hints else [],
            max_digits=q.max_digits if self.voice else None,
        )

    def done(self, *says: Say) -> Reply:
        """A flow is over: SMS waits for the next message; a call asks whether there is anything else."""
        if self.voice:
            return self.ask("more", data={}, says=list(says))
        self.state.close()
        return self.reply(list(says))

    def end(self, *says: Say) -> Reply:
        """The conversation is over (a call hangs up after speaking)."""
        self.state.close()
        return self.reply(list(says), ends=True)

    def silent(self) -> Reply:
        """Nothing to send (an opt-out: the carrier answers)."""
        self.state.close()
        self.lead = []
        return Reply(says=[], lang=self.lang, ends=True)


def yes_no(turn: Turn, heard: Heard) -> str | None:
    """'yes' / 'no' from words or from keys 1 and 2."""
    if heard.intent in ("yes", "no"):
        return heard.intent
    if heard.choice in (1, 2) and (heard.intent == "choice" or heard.keyed):
        return "yes" if heard.choice == 1 else "no"
    return None


def _names_every_key(key: str, lang: str, choices: list[Choice]) -> bool:
    """Whether a spoken prompt's own words already give the key of every choice."""
    template = prompt_text(key, lang, "voice")
    return bool(choices) and all(
        re.search(rf"(?<![\d{{]){re.escape(c.digit)}(?!\d)", template) for c in choices
    )


def describe_yes_no(turn: Turn, answer: object) -> str:
    """A yes/no answer in words, to read back a doubtful one."""
    return turn.words("word_yes" if answer == "yes" else "word_no")[0]


def yes_no_choices(turn: Turn) -> list[Choice]:
    """Keys for a yes/no question on the phone; a text answers in words."""
    if not turn.voice:
        return []
    return [Choice("1", Say("choice_yes"), "yes"), Choice("2", Say("choice_no"), "no")]


def first_lang(ctx: Context, turn: Turn) -> str:
    """The language to start in: the patient's remembered one, else the clinic's."""
    patient = turn.patient(create=False)
    if patient is not None and patient.lang in LANGS:
        return patient.lang
    return ctx.clinic.default_lang if ctx.clinic.default_lang in LANGS else "fr"


# ---- the turn ---------------------------------------------------------------------------------------------


def advance(state: DialogState | None, inbound: Inbound, ctx: Context) -> Outcome:
    """One dialog step: the new state, the reply, and the work to enqueue after commit."""
    expired = state is not None and state.expired  # a question was lost to idle expiry (core/dialog/store.py)
    state = replace(state, expired=False) if state is not None else DialogState()
    turn = Turn(state=state, inbound=inbound, ctx=ctx)
    if state.lang is None:
        state.lang = first_lang(ctx, turn)
    reply = _turn(turn, expired)
    if ctx.channel == "voice" and state.slow:
        reply = replace(reply, slow=True)
    recall.remember(turn, reply)  # a booking told again if its answer is repeated (core/dialog/recall.py)
    if ctx.channel == "voice" and reply.expects and not reply.ends:
        if not state.quiet:  # "*" after a silence repeats the question, not "are you there?"
            state.last = _reply_to_json(reply)
    else:
        state.last = None
    return Outcome(state=state, reply=reply, effects=turn.effects)


def _turn(t: Turn, expired: bool) -> Reply:
    inbound = t.inbound
    if inbound.kind == "start":
        return _start(t)
    h = hearing.read(inbound, t.lang, t.local_now.replace(tzinfo=None))
    t.heard = h
    if h.intent == "silence":
        return _quiet(t) if t.voice else _miss(t)
    t.state.quiet = 0
    if h.intent == "repeat" and t.voice:
        return _repeat(t)
    if t.voice:
        slow = _speed_asked(t, h)
        if slow is not None:
            return set_speed(t, slow)
    if t.channel == "sms":
        patient = t.patient()
        if h.intent == "stop":
            return _opt_out(t, h, patient)
        if h.intent == "start":
            return _opt_in(t, patient)
        if patient.opted_out:
            return t.silent()
    keyword_lang = keyword_language(h)
    if t.channel == "sms":
        relayed = inbox_relay(
            t, h, bool(keyword_lang)
        )  # an open inbox thread takes the text (core/dialog/inbox.py)
        if relayed is not None:
            return relayed
    pending = QUESTIONS.get(t.state.question or "")
    if pending is not None and pending.names and h.intent not in REQUESTS and not keyword_lang:
        h.lang = t.lang  # a child named in French by an English-speaking parent: the talk stays in English
    if keyword_lang:
        # A bare keyword is answered in the language the patient has been writing in this conversation
        # (or chose: ENGLISH / FRANÇAIS), else the one remembered from before, else the keyword's own.
        remembered = t.patient(create=False).lang if t.phone and t.patient(create=False) else None
        known = t.state.wrote if t.state.wrote in LANGS else remembered
        h.lang = known if known in LANGS and h.intent != "help" else keyword_lang
    elif h.text and h.lang in LANGS and h.intent not in ("choice", "yes", "no", "other"):
        t.state.wrote = h.lang
    if h.text and h.lang in LANGS and h.intent not in ("choice", "yes", "no") and h.lang != t.lang:
        t.lang = h.lang  # answer in the language the patient writes in
    if h.intent == "emergency" or h.self_harm:
        t.audit("dialog.emergency")
        if h.self_harm:  # the crisis line first, then 911 / 811, before anything else
            t.lead.append(Say("crisis_line"))
            t.lead.append(Say("emergency"))
            if not t.voice:  # by SMS the two lines are the whole reply; what was pending stays pending
                return t.reply([])
            return _again(t)
        t.lead.append(Say("emergency"))
        return _again(t)
    if h.intent == "language" and h.switch_to in LANGS:
        return switch_language(t, h.switch_to)
    if h.intent == "help":
        return _help(t, h)
    if _ends_politely(t, h):
        return t.end(Say("bye")) if t.voice else t.done(Say("bye"))
    if expired and (h.intent in ("choice", "yes", "no", "other", "number", "skip")):
        t.lead.append(Say("expired"))
        return _menu(t)
    if t.voice and h.keyed and h.choice == 0 and t.state.question not in ("phone_entry",):
        return STARTERS["person"](t, h)
    if t.voice and t.mentions_any("words_callback") and h.intent not in ("book", "walkin", "cancel"):
        return STARTERS["callback"](t, h)  # "rappelez-moi": the caller asks for a callback
    name = t.state.question
    q = QUESTIONS.get(name) if name else None
    if q is not None:
        answer = q.recognise(t, h)
        if answer is not None:
            if q.matters and _doubtful(t, h):
                return t.ask("check", data={"question": name, "answer": answer, "data": t.data})
            t.state.attempts = 0
            return q.act(t, answer)
    recalled = recall.answer(t, h)
    if recalled is not None:
        return recalled
    start = STARTERS.get(h.intent)
    if start is not None:
        t.state.attempts = 0
        return start(t, h)
    if h.has_when and "book" in STARTERS:  # "jeudi matin?" with nothing pending: a wish to book
        return STARTERS["book"](t, h)
    for reader in UNCLEAR:
        read = reader(t, h)
        if read is not None:
            return read
    return _miss(t)


def keyword_language(h: Heard) -> str | None:
    """The language of a bare keyword the prompts tell patients to text (BOOK is English, RDV French)."""
    text = h.folded.strip(" .!?")
    if not text or len(text) > 20:
        return None
    found = [lang for lang in LANGS if text in _keywords(lang)]
    return found[0] if len(found) == 1 else None


def _keywords(lang: str) -> frozenset[str]:
    """The bare keywords of a language: the dialog's, and those of other areas (`keywords_*` lists).

    Gathered once per catalog (every text asks), again only if the catalog is loaded anew."""
    merged = catalog(lang)
    known = _KEYWORDS.get(lang)
    if known is None or known[0] is not merged:
        words = set()
        for key, value in merged.items():
            if (key == "keywords" or key.startswith("keywords_")) and isinstance(value, list):
                words |= {hearing.fold(w) for w in value}
        known = _KEYWORDS[lang] = (merged, frozenset(words))
    return known[1]


_KEYWORDS: dict[str, tuple[dict, frozenset[str]]] = {}


def _doubtful(t: Turn, h: Heard) -> bool:
    return t.voice and not h.keyed and h.confidence is not None and h.confidence < LOW_CONFIDENCE


def _start(t: Turn) -> Reply:
    """A call is answered (or an outbound call is picked up): a primed question, else the greeting."""
    name, flow = t.state.question, t.state.primed
    known = t.patient(create=False)
    t.state.slow = bool(known is not None and known.slow_voice)  # remembered from an earlier call
    t.state.quiet = 0
    opening = STARTERS.get(flow.opening) if flow else None
    if opening is not None and (name in QUESTIONS or name == flow):  # a flow may only speak, asking nothing
        return opening(t, None)
    if flow and name in QUESTIONS:
        return t.ask(name)
    t.state.close()
    t.state.primed = t.state.phone = None
    return STARTERS["greeting"](t, None)


def _repeat(t: Turn) -> Reply:
    """'*' on the phone: the last thing said, as it was."""
    last = t.state.last
    if last:
        return _reply_from_json(last, t.lang)
    return _again(t)


def _ends_politely(t: Turn, h: Heard) -> bool:
    """'merci', 'bonne journée', 'thanks' once a flow is over (SMS) or at 'anything else?' (a call)."""
    if h.smalltalk not in ("thanks", "bye") or h.keyed or h.has_when or h.intent in REQUESTS:
        return False
    pending = t.state.question
    if h.intent in ("other", "no") and (pending is None or pending == "more"):
        return True
    # A text after the list of one's appointments ("ok thanks") closes it, unless it answers the question
    # ("ok merci" to "shall I book one?"); a call may go on after a "merci".
    q = QUESTIONS.get(pending) if pending else None
    if t.channel != "sms" or q is None or not q.optional or h.intent not in ("other", "no", "yes"):
        return False
    return q.recognise(t, h) is None


def _opt_out(t: Turn, h: Heard, patient: Patient) -> Reply:
    """STOP / ARRET: recorded, and the carrier answers; a worded opt-out is confirmed once, by us."""
    already = patient.opted_out
    if h.lang in LANGS:
        t.lang = h.lang
    patients.opt_out(t.session, patient, t.now)
    t.settle_language(patient)  # START, later, is answered in the patient's language
    if already:
        return t.silent()
    t.audit("patient.opted_out")
    if carrier_keyword(h.folded) is not None:
        return t.silent()
    # "arrête de m'écrire" is not a carrier keyword: nobody else tells the patient it was heard.
    reply = t.end(Say("opted_out_worded", {"clinic": t.clinic_name()}))
    return reply


def _opt_in(t: Turn, patient: Patient) -> Reply:
    """START / UNSTOP: texts again, said in the patient's own language."""
    if patient.lang in LANGS:
        t.lang = patient.lang
    patients.opt_in(t.session, patient)
    t.audit("patient.opted_in")
    return t.done(Say("opted_in", {"clinic": t.clinic_name()}))


def _speed_asked(t: Turn, h: Heard) -> bool | None:
    """True for 'plus lentement' / 'slower' / key 8, False for 'plus vite' / 'faster', else None."""
    if h.keyed:
        if h.choice == SLOW_KEY and h.intent == "choice" and t.state.question not in KEYPAD_NUMBERS:
            return True
        return None
    if t.mentions_any("words_slower"):
        return True
    if t.mentions_any("words_faster") and t.state.slow:
        return False
    return None


def set_speed(t: Turn, slow: bool) -> Reply:
    """Slow the voice (or back to normal) for the rest of the call, and remember it for this patient."""
    t.state.slow = slow
    patient = t.patient(create=True) if t.phone else None
    if patient is not None:
        patient.slow_voice = slow
    t.audit("patient.voice_speed", slow=slow)
    t.lead.append(Say("slow_set" if slow else "fast_set"))
    name = t.state.question
    if name in QUESTIONS:
        return t.ask(name)
    return _menu(t)


def _quiet(t: Turn) -> Reply:
    """Nothing heard on the phone: the question once more, then 'are you there?', then a way out."""
    quiet = t.state.quiet + 1
    name = t.state.question
    q = QUESTIONS.get(name) if name else None
    if quiet >= SILENCES or (q is not None and q.limit < 2):
        t.state.quiet = 0
        if q is not None and q.silent_end is not None:
            return q.silent_end(t)
        from core.dialog.people import silent_way_out

        return silent_way_out(t)
    t.state.quiet = quiet
    if quiet == 1:
        retry = q is not None and q.silence_retry
        reply = t.ask(name, retry=retry) if q is not None else t.ask("menu", data={})
        t.state.quiet = quiet
        # "press 8 to slow down" is no help to a caller who already did
        nudge = Say("silence_first_slowed" if t.state.slow else "silence_first")
        if reply.choices and not retry:  # the choices say it all: the question itself costs seconds
            return replace(reply, says=[nudge])
        return replace(reply, says=[nudge, *reply.says])
    # The choices were just said: a short nudge, and the same question stays open.
    reply = t.ask(name) if q is not None else t.ask("menu", data={})
    t.state.quiet = quiet
    return replace(reply, says=[Say("silence_second")], choices=[])


def _again(t: Turn) -> Reply:
    """Ask the pending question once more (without counting an attempt), or offer the menu."""
    name = t.state.question
    if name in QUESTIONS and name != "more":
        return t.ask(name)
    return _menu(t)


def _menu(t: Turn) -> Reply:
    return t.ask("menu", data={})


def _miss(t: Turn) -> Reply:
    """Not understood (or silence): the retry prompt, and after the last attempt a way out."""
    if not t.state.question:  # nothing pending: show what is possible before saying it was not understood
        reply = t.ask("menu", data={})
        t.state.attempts = 1
        return reply
    name = t.state.question
    q = QUESTIONS[name]
    attempts = t.state.attempts + 1
    if attempts >= q.limit:
        t.state.attempts = 0
        if q.exhausted is not None:
            return q.exhausted(t)
        return exhausted(t)
    reply = t.ask(name, retry=True)
    t.state.attempts = attempts
    return reply


def exhausted(t: Turn) -> Reply:
    """Attempts ran out: on the phone a person (or a callback); by SMS the clinic's number."""
    from core.dialog.people import release_hold

    release_hold(t)
    if t.voice:
        t.lead.append(Say("misses_voice"))
        # a transfer while open; else a callback only if the caller says yes
        return STARTERS["person"](t, None)
    return hand_to_staff(t, "misunderstood")  # by SMS a person reads it (core/dialog/inbox.py)


def switch_language(t: Turn, lang: str) -> Reply:
    """ENGLISH / FRANÇAIS (or 9 on the phone): switch, remember it, and go on where we were."""
    t.lang = lang
    t.state.wrote = lang
    patient = t.patient(create=not t.voice or bool(t.phone))
    if patient is not None:
        patient.lang = lang
        t.audit("patient.language", lang=lang)
    t.lead.append(Say("language_set"))
    return _again(t)


def _help(t: Turn, h: Heard) -> Reply:
    """AIDE in French, HELP / INFO in English: the keywords, the clinic, the safety line."""
    if t.channel == "sms":
        word = h.folded.strip(" .!?")
        if word == "aide":
            t.lang = "fr"
        elif word in ("help", "info") or h.lang == "en":
            t.lang = "en"
        return t.done(
            Say(
                "help",
                {
                    "clinic": t.clinic_name(),
                    "phone": t.clinic_phone(),
                    "walkin_short": t.walkin_words("help_walkin_words"),
                },
            )
        )
    t.lead.append(
        Say(
            "help",
            {
                "clinic": t.clinic_name(),
                "phone": t.clinic_phone(),
                "walkin_short": t.walkin_words("help_walkin_words"),
            },
        )
    )
    if not t.state.slow:
        t.lead.append(Say("slow_hint"))
    return _again(t)


# ---- repeat: the last reply, kept small in the state --------------------------------------------------------


def _say_json(say: Say) -> dict:
    out = {"k": say.key}
    if say.values:
        out["v"] = {name: value_to_json(value) for name, value in say.values.items()}
    if say.lang:
        out["l"] = say.lang
    return out


def _say_from(data: dict) -> Say:
    values = {name: value_from_json(value) for name, value in data.get("v", {}).items()}
    return Say(data["k"], values, data.get("l"))


def _reply_to_json(reply: Reply) -> dict:
    return {
        "s": [_say_json(s) for s in reply.says],
        "c": [[c.digit, _say_json(c.label), c.value] for c in reply.choices],
        "e": reply.expects,
        "h": reply.hints,
        "m": reply.max_digits,
        "l": reply.lang,
    }


def _reply_from_json(data: dict, lang: str) -> Reply:
    return Reply(
        says=[_say_from(s) for s in data.get("s", [])],
        lang=data.get("l") or lang,
        choices=[Choice(d, _say_from(label), v) for d, label, v in data.get("c", [])],
        expects=data.get("e"),
        hints=list(data.get("h", [])),
        max_digits=data.get("m"),
    )
