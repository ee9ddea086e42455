"""What a phone call costs: turns, words the bot speaks and spoken seconds of a booking, a booking for a
second person of a phone ("Pour qui?", then their name), a walk-in registration and a cancellation, in French
and in English.

Runs in-process (Flask test client and the tests' TwiML walker, a fresh SQLite file, the demo clinics, a
fixed clock: Monday 7 December 2026, 09:00 in Montréal). Each call is the keypad path a patient takes;
the name is spoken. Usage:

    .venv/bin/python bench/voice_cost.py [--verbose]

Spoken seconds are an estimate from the words the bot says (every <Say>, digits counted as words):
French at 165 words a minute, English at 150 (Polly's neural voices at their default rate read a little
faster; callers on the phone need the slower figure), plus 0.4 s between sentences and 0.25 s for each
comma pause (a code read "4, 8, 2, 1, 9, 3" pauses after every digit). The caller's own time (thinking,
pressing, speaking) is not counted: the figure is what the caller must listen to.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from clinicline.app import create_app  # noqa: E402
from core.clinics_file import EXAMPLE_FILE, load_clinics  # noqa: E402
from core.config import Config  # noqa: E402
from core.db import make_engine, make_session_factory, upgrade  # noqa: E402
from core.models import Clinic, Conversation  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.services import booking, people  # noqa: E402
from core.services.patients import get_or_create_patient  # noqa: E402
from tests.voice.walker import Call  # noqa: E402

MONDAY_9AM = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC)
SUNDAY_11AM = dt.datetime(2026, 12, 13, 16, 0, tzinfo=dt.UTC)  # the clinics are closed
WORDS_PER_MINUTE = {"fr": 165, "en": 150}
SENTENCE_PAUSE = 0.4
COMMA_PAUSE = 0.25
CLINICS = {"parc": "+15145550100", "westmount": "+15145550200"}
PATIENTS = {"fr": "+15145551234", "en": "+15145559876"}
CANCELLERS = {"fr": "+15145557777", "en": "+15145558888"}  # one appointment each, booked ahead
NAMES = {"fr": "Marie Tremblay", "en": "John Smith"}
SECOND_NAMES = {"fr": "Léa Tremblay", "en": "Emma Smith"}  # the same phone books for someone else
PARENTS = {"fr": "+15145556666", "en": "+15145556667"}  # a phone that booked once before, for its owner

# The answer a caller gives to each question of the dialog (keys, or ("say", words)).
ANSWERS = {
    "book_day": "2",  # tomorrow
    "book_pick": "1",  # the first slot offered
    "book_name": ("say", None),  # the name, spoken
    "book_who": "2",  # "Pour qui? 1) Marie Tremblay 2) Quelqu'un d'autre": someone else
    "book_name_other": ("say", None),  # their name, spoken
    "book_confirm": "1",
    "sms_copy": "1",
    "walkin_notify": "1",  # by SMS
    "offer_join": "1",
    "appt_pick": "1",
    "appt_action": "1",  # cancel it
    "cancel_confirm": "1",
    "more": "2",  # nothing else: goodbye
}
FIRST = {"booking": "1", "2nd person": "1", "walk-in": "2", "cancellation": "3"}


class NoJobs:
    """Jobs (reminders, notices) are not part of what a call costs: run none."""

    def enqueue(self, path, *args, at=None):
        pass

    def stop(self):
        pass


@dataclass
class Tally:
    call: str
    lang: str
    turns: int
    sentences: int
    words: int
    commas: int

    @property
    def seconds(self) -> float:
        speaking = self.words / WORDS_PER_MINUTE[self.lang] * 60
        return speaking + self.sentences * SENTENCE_PAUSE + self.commas * COMMA_PAUSE


def pending_question(rt: Runtime, call: Call) -> str | None:
    """The question the dialog waits on (read from the conversation row: the bench may peek)."""
    with rt.session_factory() as session:
        states = session.scalars(select(Conversation.state).where(Conversation.channel == "voice")).all()
    for state in states:
        if state and state.get("q"):
            return state["q"]
    return None


def place_call(rt: Runtime, client, kind: str, lang: str, clinic: str, verbose: bool) -> Tally:
    caller = {"cancellation": CANCELLERS, "2nd person": PARENTS}.get(kind, PATIENTS)[lang]
    call = Call(client, auth_token=None, from_=caller, to=CLINICS[clinic]).start()
    call.press(FIRST[kind])
    for _ in range(20):
        if call.state != "gather":
            break
        question = pending_question(rt, call)
        answer = ANSWERS.get(question)
        if answer is None:
            raise SystemExit(f"{kind} ({lang}): no answer for question {question!r}: {call.text}")
        if isinstance(answer, tuple):
            call.say(SECOND_NAMES[lang] if question == "book_name_other" else NAMES[lang])
        else:
            call.press(answer)
    if call.state == "dial":
        call.transfer_ends("completed")
    call.hang_up()
    said = call.bot_said
    if verbose:
        print(f"--- {kind} ({lang})")
        for who, text in call.transcript:
            print(f"  {who:>6}: {text}")
    return Tally(
        call=kind,
        lang=lang,
        turns=call.turns,
        sentences=len(said),
        words=call.bot_words,
        commas=sum(text.count(",") for text in said),
    )


def spoken(texts: list[str], lang: str) -> float:
    """Seconds the bot takes to say these sentences, at the rates above."""
    words = sum(len(text.replace(",", " ").split()) for text in texts)
    commas = sum(text.count(",") for text in texts)
    return words / WORDS_PER_MINUTE[lang] * 60 + len(texts) * SENTENCE_PAUSE + commas * COMMA_PAUSE


def silent_call(rt: Runtime, client, lang: str, clinic: str, verbose: bool) -> tuple[int, float, str]:
    """A caller who never answers: (prompts heard after the first question, seconds until the end, how it ends).

    Seconds count each gather's timeout and everything said after the first question, to the hang-up or the
    transfer.
    """
    call = Call(client, auth_token=None, from_=PATIENTS[lang], to=CLINICS[clinic]).start()
    seconds, prompts = 0.0, 0
    while call.state == "gather":
        seconds += int(call.gather["timeout"])
        call.silence()
        prompts += 1
        seconds += spoken(call.heard, lang)
        if verbose:
            print(f"  silence {prompts}: {' '.join(call.heard)}")
    ending = "transfer" if call.state == "dial" else "hang-up"
    if call.state == "dial":
        call.transfer_ends("completed")
    call.hang_up()
    return prompts - 1, seconds, ending


def slow_booking(rt: Runtime, client, lang: str, clinic: str) -> tuple[float, float]:
    """A booking by keypad at normal speed and after 8 (slower voice): the spoken seconds of each.

    The slower voice reads at 85 %, so its words take 1/0.85 as long; the gather timeouts it lengthens are
    the caller's time, not counted here.
    """
    results = []
    for slow in (False, True):
        forget_conversations(rt)
        call = Call(client, auth_token=None, from_=PATIENTS[lang], to=CLINICS[clinic]).start()
        if slow:
            call.press("8")
        call.press("1")
        for answer in ("2", "1", "#", "1", "2", "2"):
            if call.state != "gather":
                break
            call.press(answer)
        call.hang_up()
        said = call.bot_said
        words = call.bot_words / (0.85 if slow else 1.0)
        commas = sum(text.count(",") for text in said)
        results.append(
            words / WORDS_PER_MINUTE[lang] * 60 + len(said) * SENTENCE_PAUSE + commas * COMMA_PAUSE
        )
    return results[0], results[1]


def runtime(tmp: Path) -> Runtime:
    url = f"sqlite:///{tmp / 'voice_cost.db'}"
    config = Config.from_env({}, database_url=url, instance_path=tmp, testing=True)
    engine = make_engine(url)
    upgrade(engine)
    rt = Runtime(
        config=config, engine=engine, session_factory=make_session_factory(engine), clock=lambda: MONDAY_9AM
    )
    rt.jobs = NoJobs()
    with rt.session_factory.begin() as session:
        load_clinics(session, EXAMPLE_FILE, MONDAY_9AM, config.slot_horizon_days)
    return rt


def forget_conversations(rt: Runtime) -> None:
    """Each call in the table starts afresh (the same patients call again)."""
    with rt.session_factory.begin() as session:
        for row in session.scalars(select(Conversation)):
            session.delete(row)


def prepare_english_walkin(rt: Runtime) -> None:
    """The English walk-in caller is known to speak English (the only walk-in clinic is French)."""
    with rt.session_factory.begin() as session:
        get_or_create_patient(session, PATIENTS["en"]).lang = "en"


def book_ahead(rt: Runtime, lang: str, clinic_id: str) -> None:
    """The appointment the cancellation call cancels (booked by text beforehand)."""
    with rt.session_factory.begin() as session:
        clinic = session.get(Clinic, clinic_id)
        day = dt.date(2026, 12, 10)
        free = booking.find_free_slots(session, clinic, MONDAY_9AM, booking.SlotQuery(date=day))
        patient = get_or_create_patient(session, CANCELLERS[lang], lang)
        booking.book(session, free.slots[0].id, patient, "sms", MONDAY_9AM)


def known_parent(rt: Runtime, lang: str) -> None:
    """The phone of the second-person call already holds its owner, named (an earlier booking)."""
    with rt.session_factory.begin() as session:
        patient = get_or_create_patient(session, PARENTS[lang], lang)
        people.add_person(session, patient, NAMES[lang], now=MONDAY_9AM)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="print each call's transcript")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rt = runtime(Path(tmp))
        client = create_app(runtime=rt).test_client()
        tallies = []
        plan = [
            ("booking", "fr", "parc"),
            ("2nd person", "fr", "parc"),  # the same phone, for someone else: "Pour qui?", their name
            ("walk-in", "fr", "parc"),
            ("cancellation", "fr", "parc"),
            ("booking", "en", "westmount"),
            ("2nd person", "en", "westmount"),
            ("walk-in", "en", "parc"),
            ("cancellation", "en", "westmount"),
        ]
        for kind, lang, clinic in plan:
            forget_conversations(rt)
            if kind == "walk-in" and lang == "en":
                prepare_english_walkin(rt)
            if kind == "cancellation":
                book_ahead(rt, lang, clinic)
            if kind == "2nd person":
                known_parent(rt, lang)
            tallies.append(place_call(rt, client, kind, lang, clinic, args.verbose))
        silences = []
        for lang, clinic in (("fr", "parc"), ("en", "westmount")):
            for when, clock in (("open", MONDAY_9AM), ("closed", SUNDAY_11AM)):
                forget_conversations(rt)
                rt.clock = lambda clock=clock: clock
                silences.append((lang, when, *silent_call(rt, client, lang, clinic, args.verbose)))
        rt.clock = lambda: MONDAY_9AM
        slow = [(lang, *slow_booking(rt, client, lang, clinic)) for lang, clinic in (("fr", "parc"),)]
        rt.dispose()
    print(f"{'call':<14}{'lang':<6}{'turns':>6}{'sentences':>11}{'words':>7}{'seconds':>9}")
    for t in tallies:
        print(f"{t.call:<14}{t.lang:<6}{t.turns:>6}{t.sentences:>11}{t.words:>7}{t.seconds:>9.0f}")
    total = sum(t.seconds for t in tallies)
    print(
        f"{'total':<20}{sum(t.turns for t in tallies):>6}{sum(t.sentences for t in tallies):>11}"
        f"{sum(t.words for t in tallies):>7}{total:>9.0f}"
    )
    print(
        f"rate: fr {WORDS_PER_MINUTE['fr']} words/min, en {WORDS_PER_MINUTE['en']} words/min, "
        f"+{SENTENCE_PAUSE} s a sentence, +{COMMA_PAUSE} s a comma; turns = webhooks Twilio makes"
    )
    print()
    print(f"{'silent caller':<14}{'lang':<6}{'clinic':<8}{'reprompts':>10}{'seconds':>9}  ends by")
    for lang, when, prompts, seconds, ending in silences:
        print(f"{'':<14}{lang:<6}{when:<8}{prompts:>10}{seconds:>9.0f}  {ending}")
    print("seconds = gather timeouts + what is said after the first question, until the call ends")
    for lang, normal, slowed in slow:
        print(
            f"booking by keypad ({lang}): {normal:.0f} s spoken at normal speed, {slowed:.0f} s with the slower"
            f" voice (x{slowed / normal:.2f})"
        )


if __name__ == "__main__":
    main()
