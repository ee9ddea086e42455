"""Whom a message is for, and how many: "pour mon fils Marc", "for my mother Rita", "pour moi et ma fille",
"sans rdv pour 2", "we are three", "moi et mes 2 enfants".

`whom(text)` lists the people a message names (the writer as `me`, others by relation and, when said, by
name); `party_size(text)` is how many people a request is for, when it says so. Both read the raw text (a
name keeps its accents and capitals) and return nothing when the message does not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .intents import CARDINALS
from .names import _NOT_NAME, _tidy, _uses_capitals
from .normalize import fold

# Relations, by the words that name them (folded: no accents, lower case). Plurals count several people.
_RELATIONS: dict[str, tuple[str, ...]] = {
    # with the misspellings texts carry ("my dauter", "my daugther")
    "son": ("fils", "garcon", "gars", "son", "boy", "fiston"),
    "daughter": (
        "fille",
        "daughter",
        "girl",
        "petite",
        "dauter",
        "dauther",
        "daugther",
        "daugter",
        "doughter",
        "daghter",
        "duaghter",
        "daugher",
        "daughtr",
    ),
    "child": (
        "enfant",
        "enfants",
        "bebe",
        "bebes",
        "ado",
        "adolescent",
        "adolescente",
        "child",
        "children",
        "kid",
        "kids",
        "baby",
        "toddler",
        "teen",
        "teenager",
        "fils",
        "filles",
        "sons",
        "daughters",
        "jumeaux",
        "jumelles",
        "twins",
    ),
    "mother": ("mere", "maman", "mom", "mum", "mother", "mommy", "mama", "mothr", "mther", "moher"),
    "father": ("pere", "papa", "dad", "father", "daddy", "fathr", "fater"),
    "spouse": (
        "mari",
        "femme",
        "conjoint",
        "conjointe",
        "epoux",
        "epouse",
        "chum",
        "blonde",
        "husband",
        "wife",
        "partner",
        "spouse",
        "boyfriend",
        "girlfriend",
    ),
    "grandparent": (
        "grand-mere",
        "grand-maman",
        "grand mere",
        "grand maman",
        "grand-pere",
        "grand-papa",
        "grand pere",
        "grand papa",
        "grandmother",
        "grandma",
        "grandfather",
        "grandpa",
        "granny",
        "grandparent",
        "grandparents",
        "grands-parents",
    ),
    "sibling": ("frere", "soeur", "brother", "sister", "siblings"),
    "other": (
        "ami",
        "amie",
        "friend",
        "voisin",
        "voisine",
        "neighbour",
        "neighbor",
        "tante",
        "oncle",
        "aunt",
        "uncle",
        "cousin",
        "cousine",
        "nephew",
        "niece",
        "neveu",
    ),
}
# The first list wins for a word named twice ("fils" is a son, "fils" plural is read by the count).
_WORD_RELATION: dict[str, str] = {}
for _relation, _words in _RELATIONS.items():
    for _word in _words:
        _WORD_RELATION.setdefault(_word, _relation)
_PLURAL = frozenset(
    "enfants bebes kids children twins jumeaux jumelles filles sons daughters grandparents grands-parents siblings".split()
)
_NUMBERS = CARDINALS
_NUMBER = r"\d{1,2}|" + "|".join(_NUMBERS)


def _counted(n: int) -> str:
    """A number of people, captured under its own group name (a pattern may hold several)."""
    return rf"(?P<count{n}>{_NUMBER})"


_COUNT = _counted(0)
_POSSESSIVE = r"(?:mon|ma|mes|my|our|nos|notre|ta|ton|tes|your|son|sa|ses|his|her|leur|leurs)"
_RELATION_WORDS = "|".join(sorted((re.escape(w) for w in _WORD_RELATION), key=len, reverse=True))
_RELATION = re.compile(
    rf"\b{_POSSESSIVE}\s+(?:{_COUNT}\s+)?(?:(?:petite?|p'tite?|jeune|young|little|youngest|oldest|plus jeune|"
    rf"aine|ainee|cadet|cadette)\s+)?(?P<rel>{_RELATION_WORDS})\b"
)
_ME = re.compile(
    r"(?:\b(?:pour|for|c'est|cest|it's|its|just|juste|seulement|only)\s+(?:moi|me|myself|moi-meme)\b"
    r"|\bmoi-meme\b|\bmyself\b|^\s*(?:moi|me)\s*[.!]*$"
    r"|\b(?:moi|me)\s+(?:et|and|\+|&|avec|with)\b"
    r"|\b(?:et|and|\+|&|avec|with)\s+(?:moi|me)\b"
    r"|\bje\b[^.!?]{0,40}\b(?:aussi|egalement)\b|\b(?:inscris|inscrivez|mets|mettez|ajoute|ajoutez)[- ]moi\b"
    r"|\b(?:add|put|sign)\s+me\b|\bme too\b|\bmoi aussi\b|\bi'?m sick\b|\bje suis malade\b|\bchu malade\b"
    # "my husband and I both need one", "my son and I need appointments": English puts "I" last
    r"|\b(?:and|&|\+)\s+(?:i|myself)\s+(?:both|each|too|also|as well)\b|\b(?:and|&|\+)\s+myself\b"
    r"|\b(?:and|&|\+)\s+i\s+(?:\w+\s+){1,3}?(?:appointments|appts|rdvs)\b|\b(?:and|&|\+)\s+i\s*(?:[,.!?]|$))"
)
# A count of people: "pour 2", "pour 2 personnes", "nous sommes 3", "on est 3", "for 3", "3 people", "party of 4".
_PARTY = re.compile(
    rf"(?:\b(?:pour|for)\s+{_counted(1)}\b(?!\s*(?:h\b|h\d|heures?|hrs?|hours?|:|pm|am|min|minutes?|jours?|days?|"
    rf"semaines?|weeks?|fois|times|e\b|er\b|eme\b|ieme\b|st\b|nd\b|rd\b|th\b|[/.\-]\d))"
    rf"(?:\s*(?:personnes?|people|persons|patients?|de nous|of us))?"
    rf"|\b(?:nous sommes|on est|on sera|nous serons|we are|we're|were|there are|there's|there will be)\s+{_counted(2)}\b"
    rf"(?!\s*(?:h\b|heures?|:|pm|am|min))"
    rf"|\b{_counted(3)}\s+(?:personnes|people|persons|patients)\b"
    rf"|\bparty of\s+{_counted(4)}\b)"
)
_NAME_AFTER = re.compile(
    r"^[\s,:]*(?:(?:qui s'appelle|qui se nomme|named|called|nomme|nommee|appele|appelee|prenomme|prenommee"
    r"|(?i:(?:elle|il|qui) s['\u2019]appelle|(?:elle|il) se nomme|(?:her|his) name is|son nom est|nommée|appelée))\s+)?"
    r"(?P<name>[^\W\d_][\w'\-]*(?:\s+[^\W\d_][\w'\-]*)?)"
)


# "RDV pour Léa", "book for Rita Roy": a capitalised name right after "pour" / "for".
_FOR_NAME = re.compile(r"\b(?:pour|for)\s+(?P<name>[^\W\d_a-z][\w'\-]*(?:\s+[^\W\d_a-z][\w'\-]*)?)")


@dataclass(frozen=True)
class Who:
    """One person a message names: the writer (`me`), or someone by relation, maybe with a name."""

    me: bool = False
    relation: str | None = None  # son, daughter, child, mother, father, spouse, grandparent, sibling, other
    name: str | None = None
    count: int | None = 1  # "mes 2 enfants": two of that relation; None: several, how many unsaid

    def as_dict(self) -> dict:
        return {"me": self.me, "relation": self.relation, "name": self.name, "count": self.count}


def _count(word: str | None) -> int | None:
    if not word:
        return None
    value = int(word) if word.isdigit() else _NUMBERS.get(word)
    return value if value and 0 < value <= 20 else None


def _name_after(raw: str, end: int) -> str | None:
    """A name right after a relation word in the raw text ("ma fille Léa", "my mother, Rita Roy")."""
    m = _NAME_AFTER.match(raw[end:])
    if not m:
        return None
    words = []
    for word in m["name"].split():
        folded = fold(word)
        if folded in _NOT_NAME or folded in _WORD_RELATION or not word[0].isupper() and len(words) == 0:
            break
        if not word[0].isupper():
            break
        words.append(word)
    return _tidy(words) if words else None


def whom(text: str) -> tuple[Who, ...]:
    """The people a message is for, in the order named; empty when it does not say."""
    if not text or len(text) > 400:
        return ()
    folded = fold(text)
    if len(folded) != len(text.translate(str.maketrans({"\u0153": "oe"}))):
        raw = folded  # folding changed the length (rare ligatures): no names, relations only
    else:
        raw = text
    found: list[tuple[int, Who]] = []
    me = _ME.search(folded)
    if me:
        found.append((me.start(), Who(me=True)))
    for m in _RELATION.finditer(folded):
        rel = m["rel"]
        relation = _WORD_RELATION[rel]
        count = _count(m["count0"]) or (None if rel in _PLURAL else 1)
        name = _name_after(raw, m.end()) if raw is text and count == 1 else None
        found.append((m.start(), Who(relation=relation, name=name, count=count)))
    if raw is text:
        for m in _FOR_NAME.finditer(text):
            words = [
                w for w in m["name"].split() if fold(w) not in _NOT_NAME and fold(w) not in _WORD_RELATION
            ]
            if words and words == m["name"].split()[: len(words)] and not text.isupper():
                found.append((m.start(), Who(name=_tidy(words))))
    found.sort(key=lambda item: item[0])
    return tuple(who for _, who in found)


# Whose appointment a request names: "le RDV de Marc", "celui de Léa", "the appointment for emma", "Marc's appt",
# "emmas appointment" (texting drops the apostrophe). Read on folded text; names are taken from the raw text.
_APPT_WORD = r"(?:rdv|rendez-vous|rendez vous|rv|appointments?|appts?|bookings?|visits?)"
_OF_SOMEONE = re.compile(
    rf"\b(?:{_APPT_WORD}|celui|celle)\s+(?:(?:de|du|pour|for)\s+|d')|\b(?:celui|celle)\s+a\s+"
)
_POSSESSIVE_APPT = re.compile(
    rf"\b(?P<word>[a-z][a-z-]*?)(?P<mark>'s|s'|s|')\s+(?:next |upcoming )?{_APPT_WORD}\b"
)
# Words that follow "le RDV de" or come before "'s appointment" and are no one's name.
_NOBODY = frozenset(
    """
suivi controle vaccin vaccination vaccins physio physiotherapie prise sang examen examens bilan depistage
routine consultation cet cette quel quelle quels quelles tantot cinq six sept huit neuf dix onze douze
yesterday dentist dental eye eyes blood follow-up followup checkup annual medical family next last first
second third other others both all upcoming earliest latest early current old new previous missed booked
someone somebody everyone everybody anyone nobody whose which one ones each
""".split()
)


def whose(text: str) -> Who | None:
    """The person whose appointment a request names ("annuler le RDV de Marc", "cancel emmas appointment",
    "changer celui de ma fille"), by relation or by name; None when it names no one."""
    if not text or len(text) > 400:
        return None
    folded = fold(text)
    raw = text if len(folded) == len(text.translate(str.maketrans({"\u0153": "oe"}))) else folded
    capitals = _uses_capitals(raw)
    for m in _OF_SOMEONE.finditer(folded):
        related = _RELATION.match(folded, m.end()) or _BARE_RELATION.match(folded, m.end())
        if related:
            name = _name_after(raw, related.end()) if raw is text else None
            return Who(relation=_WORD_RELATION[related["rel"]], name=name)
        name = _someone(raw, m.end(), capitals)
        if name:
            return Who(name=name)
    for m in _POSSESSIVE_APPT.finditer(folded):
        stem, mark = m["word"], m["mark"]
        word = stem + "s" if mark in ("s'", "'") and not stem.endswith("s") else stem
        if mark == "'" and not stem.endswith("s"):
            continue  # "emma' appointment": a stray quote, not a possessive
        if word in _WORD_RELATION or (mark == "s" and stem + "s" in _WORD_RELATION):
            return Who(relation=_WORD_RELATION.get(word) or _WORD_RELATION[stem + "s"])
        if stem + mark in _NOT_NAME or word in _NOT_NAME or word in _NOBODY or len(word) < 2:
            continue
        written = raw[m.start("word") : m.start("word") + len(word)]
        if capitals and not written[0].isupper():
            continue  # a writer who uses capitals capitalises a name: "the clinics appointment" is no one's
        before = raw[: m.start("word")].split()[-1:]  # "Marc Tremblay's appt": the first name too
        if before and before[0][:1].isupper() and written[:1].isupper() and fold(before[0]) not in _NOT_NAME:
            return Who(name=_tidy([before[0], written]))
        return Who(name=_tidy([written]))
    return None


_BARE_RELATION = re.compile(rf"(?P<rel>{_RELATION_WORDS})\b")


def _someone(raw: str, start: int, capitals: bool) -> str | None:
    """The name right after "le RDV de": one or two words that are names, as written."""
    words: list[str] = []
    for word in raw[start:].split()[:2]:
        word = word.strip(".,;:!?")
        folded = fold(word)
        if (
            not word
            or not word[0].isalpha()
            or "'" in folded
            or folded in _NOT_NAME
            or folded in _NOBODY
            or folded in _WORD_RELATION
            or any(c.isdigit() for c in word)
            or (capitals and not word[0].isupper())
        ):
            break
        words.append(word)
    return _tidy(words) if words and sum(len(w) for w in words) >= 2 else None


def party_spans(folded: str) -> list[tuple[int, int]]:
    """Where a folded text counts people ("pour 2"): the date reader must not take "2" for 2 o'clock."""
    return [m.span() for m in _PARTY.finditer(folded)]


def party_size(text: str) -> int | None:
    """How many people a request is for when it says so: a count ("pour 2", "nous sommes 3") or the people
    it names when more than one ("moi et ma fille": 2, "moi et mes 2 enfants": 3); else None."""
    if not text or len(text) > 400:
        return None
    folded = fold(text)
    m = _PARTY.search(folded)
    if m:
        return next((_count(v) for k, v in m.groupdict().items() if v), None)
    people = whom(text)
    if any(w.count is None for w in people):
        return None  # "moi et mes enfants": several, but how many is for the line to ask
    total = sum(w.count for w in people)
    return total if total > 1 else None
