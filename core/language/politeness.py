"""Small talk: thanks, greetings and goodbyes, told apart from requests.

Every function takes folded text (see normalize.fold).
"""

from __future__ import annotations

import re

from .normalize import word_regex

_THANKS = (
    r"merci(?: (?:beaucoup|bcp|bien|infiniment|encore|pour tout|pour (?:votre|ton) aide|a vous|a toi|mille fois))*"
    r"|mille mercis?|thanks?(?: (?:a lot|so much|very much|again|a bunch|a million|for everything|for your help))*"
    r"|thank (?:you|u)(?: (?:so much|very much|again|for everything|for your help))*|thx|thnx|thnks|tnx|ty|tyvm"
    r"|appreciate it|much appreciated|c'est (?:bien )?gentil|t'es fin|t'es fine|vous etes (?:bien )?(?:gentil|fin)e?"
)
_BYE = (
    r"bonne (?:fin de )?(?:journee|soiree|nuit|semaine|fin de semaine)|bon (?:apres-midi|apres midi|week-?end"
    r"|fin de semaine|weekend)|au revoir|bye(?:[- ]bye)?|good ?bye|see (?:you|ya)(?: (?:soon|later|then))?(?! tomorrow| on)"
    r"|a (?:bientot|la prochaine|plus tard|plus|tantot)|take care|have a (?:good|nice|great|lovely|wonderful)"
    r" (?:day|night|evening|weekend|one|afternoon)|good night|ciao|tchao|bonne chance"
)
_HELLO = (
    r"bonjour|bonsoir|allo|salut|hi|hello|hey|heya|yo|good (?:morning|afternoon|evening|day)|bon matin"
    r"|coucou"
)
# Farewells that name a day ("à demain", "see you tomorrow") end a conversation and keep their date.
_BYE_WITH_DAY = (
    r"a demain|see you tomorrow|a (?:lundi|mardi|mercredi|jeudi|vendredi|samedi)|see you on \w+day"
)
_POLITE = word_regex(
    rf"(?P<thanks>{_THANKS})|(?P<byeday>{_BYE_WITH_DAY})|(?P<bye>{_BYE})|(?P<hello>{_HELLO})(?![a-z0-9'-])"
)
# What may stand beside politeness in a message that asks for nothing: an acknowledgement, a return of
# wishes, an emoji.
_FILLER = re.compile(
    r"^(?:[\W_]|\b(?:ok|okay|oki|k|kk|oui|yes|yep|yeah|non|no|nope|parfait|super|great|cool|perfect|d'accord"
    r"|c'est (?:bon|beau|parfait|correct|tout|ok)|that'?s (?:all|it|great|perfect)|ce sera tout|rien d'autre"
    r"|nothing else|all good|a vous aussi|a toi aussi|vous aussi|toi aussi|you too|same to you|pareillement"
    r"|et|and|encore|again|lol|madame|monsieur|docteur|doc|excellent|genial|top|nice|awesome|bien|tres|very"
    r"|so|much|beaucoup|bcp|la|le|you|vous|toi|a|all|de|for|everything)\b)*$"
)


def find_politeness(folded: str) -> tuple[str | None, list[tuple[int, int]]]:
    """The small talk a message is made of ("thanks", "bye" or "hello", else None) and where politeness sits.

    Small talk is named only when politeness is all the message says (an "ok" or emoji beside it is fine);
    a farewell wins over thanks ("merci, bonne journée" ends the conversation). The spans let the caller
    hide greetings and farewells from the date reader ("bonne soirée" is no evening wish).
    """
    spans: list[tuple[int, int]] = []
    kinds: set[str] = set()
    said: list[tuple[int, int]] = []
    for m in _POLITE.finditer(folded):
        said.append(m.span())
        if m.lastgroup == "byeday":
            kinds.add("bye")
        else:
            spans.append(m.span())
            kinds.add(m.lastgroup)
    if not said:
        return None, spans
    rest = _blank(folded, said)
    if not _FILLER.match(rest.strip()):
        return None, spans
    for kind in ("bye", "thanks", "hello"):
        if kind in kinds:
            return kind, spans
    return None, spans


def without_politeness(folded: str, spans: list[tuple[int, int]]) -> str:
    """Folded text with greetings and farewells blanked (thanks stay: they carry no dates)."""
    return _blank(folded, spans)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace spans by spaces."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
