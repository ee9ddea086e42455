"""The way in: the phone greeting, the main menu, and 'anything else?' at the end of a flow on the phone."""

from __future__ import annotations

from core.dialog.engine import (
    STARTERS,
    Question,
    Turn,
    question,
    starter,
    switch_language,
    yes_no,
    yes_no_choices,
)
from core.dialog.heard import Heard
from core.dialog.types import Choice, Reply, Say

MENU = {1: "book", 2: "walkin", 3: "appointments"}


@starter("greeting")
def greeting(t: Turn, _h: Heard | None) -> Reply:
    """French first with the clinic's name, then the other language offered at once."""
    key = "greeting_forwarded" if t.ctx.forwarded else "greeting"
    says = [Say(key, {"clinic": t.clinic_name()})]
    says.append(Say("offer_english", lang="en") if t.lang == "fr" else Say("offer_french", lang="fr"))
    return t.ask("menu", data={}, says=says)


def _menu_choices(t: Turn) -> list[Choice]:
    # Keypad only: a text answers with keywords, which the prompt lists.
    choices = [Choice("1", Say("menu_book"), "book", keypad_only=True)]
    if t.clinic.walkin_enabled:
        choices.append(Choice("2", Say("menu_walkin"), "walkin", keypad_only=True))
    choices.append(Choice("3", Say("menu_appointments"), "appointments", keypad_only=True))
    person = Say("menu_callback" if t.ctx.forwarded else "menu_person")
    choices.append(Choice("0", person, "person", keypad_only=True))
    return choices


def _menu_recognise(t: Turn, h: Heard) -> object | None:
    if h.intent != "choice" or h.choice is None:
        return None
    if t.voice and h.choice == 9:
        return "language"
    action = MENU.get(h.choice)
    if action == "walkin" and not t.clinic.walkin_enabled:
        return None
    return action


def _menu_act(t: Turn, answer: object) -> Reply:
    if answer == "language":
        return switch_language(t, "en" if t.lang == "fr" else "fr")
    if answer == "appointments":
        return STARTERS["list"](t, None)
    return STARTERS[str(answer)](t, None)


question(
    Question(
        name="menu",
        prompt="menu",
        retry="menu_retry",
        recognise=_menu_recognise,
        act=_menu_act,
        choices=_menu_choices,
        values=lambda t: {
            "clinic": t.clinic_name(),
            "walkin": t.walkin_words("menu_walkin_words"),
            "walkin_short": t.walkin_words("help_walkin_words"),
        },
        hints="hints_menu",
    )
)


def _more_act(t: Turn, answer: object) -> Reply:
    if answer == "yes":
        return t.ask("menu", data={})
    return t.end(Say("goodbye", {"clinic": t.clinic_name()}))


question(
    Question(
        name="more",
        prompt="more",
        retry="more",
        recognise=yes_no,
        act=_more_act,
        choices=yes_no_choices,
        hints="hints_yes_no",
        limit=1,
        exhausted=lambda t: t.end(Say("goodbye", {"clinic": t.clinic_name()})),
        silent_end=lambda t: t.end(Say("goodbye", {"clinic": t.clinic_name()})),
    )
)
