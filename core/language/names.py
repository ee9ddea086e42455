"""People's names as patients give them: "c'est Marc Gagnon", "moi c Line", "my name is Ann O'Neil".

Names keep the accents they were written with and get sensible capitals ("julie côté" -> "Julie Côté");
mixed-case spellings ("McDonald", "DeBlois") stay as typed.
"""

from __future__ import annotations

import re

from .normalize import fold

_LETTER = r"[^\W\d_]"
_NAME_WORD = rf"{_LETTER}(?:{_LETTER}|['’\-.](?={_LETTER}))*\.?"
# Particles inside a name ("Marie de la Fontaine", "Van Doren"): kept lower-case when written so.
_PARTICLES = frozenset("de du des la le d' van von der den di da del st ste".split())
_MAX_WORDS = 5
_MAX_LENGTH = 60  # longer is a sentence (or a paste), not a name
# A name kept: letters, with spaces, apostrophes, hyphens and initials' dots between them.
_KEPT = re.compile(r"[^\W\d_]+(?:[ '’.\-]+[^\W\d_]+)*\.?")

# Introductions, strong ones first: after them, what follows is a name unless it is plainly not one.
_STRONG_INTRO = (
    r"(?:(?:the |my )?name (?:should|will|must) be|(?:mon|son|leur) nom (?:c'est|est|:)?|mon nom,|(?:my|her|his|their) name(?: is|'s|:)?|the name(?: is|'s)?|^name(?: is|:)|^nom\s?:"
    r"|je m'appel+e|j'm'appel+e|jm'appel+e|je me nomme|moi,? c'est|moi,? c|c'est (?:a|au) (?:mon )?nom(?: de)?,?"
    r"|(?:a|au) mon nom,?|au nom de|sous le nom de?|under (?:the name(?: of)?|my name,?)|call me|appelez-moi"
    r"|it'?s under|c'est sous|(?:should|will|must|would) be (?:under|in the name of)"
    r"|(?:devrait|doit) etre (?:a|au) (?:mon )?nom(?: de)?|le nom c'est|le nom est)"
)
# "Julie Côté, c'est mon nom", "Ann Lee is my name": the name comes first.
_NAME_FIRST = re.compile(
    r"^\W*(?P<name>[^\W\d_][^,.;!?]{0,60}?)\s*,?\s*(?:c['’]est mon nom|is my name|that['’]?s my name)\b",
    re.IGNORECASE,
)
_LEADING_ANSWER = re.compile(r"^\W*(?:non|no|nope|oui|yes|ok|okay)\b[\s,.:!-]*", re.IGNORECASE)
_WEAK_INTRO = r"(?:c'est|cest|c|ici|this is|it's|it is|i'?m|i am|je suis|moi)"


def _accent_tolerant(pattern: str) -> str:
    """The pattern reading raw text: à for a, curly apostrophes for straight ones."""
    return pattern.replace("(?:a|au)", "(?:[aà]|au)").replace("'", "['’]")


_INTRO = re.compile(
    rf"(?:^|[\s,.;:!?(])(?:(?P<strong>{_accent_tolerant(_STRONG_INTRO)})|(?P<weak>{_accent_tolerant(_WEAK_INTRO)}))"
    r"\s*[,:]?\s+"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,{_MAX_WORDS + 2}}})",
    re.IGNORECASE,
)
# Words that are not names, whatever follows an introduction: "c'est correct", "I'm running late".
_NOT_NAME = frozenset(
    """
je j tu il elle on nous vous ils elles me te se moi toi lui le la les l un une des du de d et est pas ne n pour
avec mon ma mes ton ta tes son sa ses votre vos notre nos leur ce cette ces c ca cela qu que qui quoi quand
comment ou oui non merci bonjour bonsoir allo salut svp stp rdv rendez vous rendez-vous demain aujourd hui
aujourd'hui hier matin soir midi heure heures apres avant sans veux voudrais peux pourrais peut aimerais besoin
suis sont ai as avez annuler changer deplacer aide medecin docteur semaine prochain prochaine lundi mardi
mercredi jeudi vendredi samedi dimanche janvier fevrier mars avril mai juin juillet aout septembre octobre
novembre decembre ouin ouais pantoute correct beau bon bonne parfait daccord d'accord ok okay correcte malade
en retard urgent urgence encore deja tres bien tout toute tous pret prete la ici libre dispo disponible
possible vrai sur certain certaine important grave fini termine moi-meme personne quelqu'un quelqu un
i i'm im my you your the a an is are was be to for of and with please pls yes yeah yep no nope thanks thank
hi hello hey tomorrow today tonight morning afternoon evening noon want would like could can need have has
get appointment appt book cancel reschedule change help what when where who how it that this there here at
on in from after before week next monday tuesday wednesday thursday friday saturday sunday january february
march april june july august october november december sure good great fine okay not just sick late running
coming ready done free available busy sorry calling texting looking trying going waiting urgent me myself
mine alright right wrong correct true really very so still also back home work office clinic clinique
our their his her its we they he she perfect nice pleased glad happy all ok great excellent awesome cool
lovely wonderful fantastic okay doctor should would must will shall might may spelled spelt interested sure afraid worried scared confused new unable able supposed
""".split()
    + """
content contente desole desolee occupe occupee la-bas parti partie arrive arrivee rendu rendue
""".split()
)
_TRAILING_POLITENESS = re.compile(
    r"(?:[\s,.!]+(?:svp|stp|merci|please|thanks|thank you|thx|pls))+[\s.!]*$", re.I
)
_CONNECTORS = frozenset(
    "pour et de du ici here and for from calling speaking svp stp please merci thanks au a j'aimerais je i i'd"
    " i'm".split()
)
_GARBAGE = re.compile(r"[^\w\s'’\-.,]")
# Texting drops apostrophes: "c est Line", "je m appelle Line".
_NO_APOSTROPHE = re.compile(r"\b(c|m|jm)\s+(est|appel+e)\b", re.IGNORECASE)


def extract_name(text: str, lang: str | None = None) -> str | None:
    """The name a message introduces ("c'est Marc Gagnon", "my name is Ann O'Neil"), tidied, or None.

    `lang` is accepted for symmetry with the other readers; introductions of both languages are read.
    """
    del lang
    if not text or len(text) > 300:
        return None
    text = _NO_APOSTROPHE.sub(lambda m: m.group(1) + "'" + m.group(2), text)  # "c est Line": c'est
    first = _NAME_FIRST.match(text)
    if first:
        words = _name_words(first["name"], strong=True)
        if words and len(words) == len(first["name"].split()):
            return _tidy(words)
    pos = 0
    while (m := _INTRO.search(text, pos)) is not None:
        pos = m.start(
            "name"
        )  # the next introduction may sit inside this one's words: "c'est pour moi, Julie"
        strong = m["strong"] is not None
        words = _name_words(m["name"], strong=strong)
        if not words:
            continue
        if (
            not strong
            and _uses_capitals(text)
            and not all(w[0].isupper() for w in words if fold(w) not in _PARTICLES)
        ):
            continue  # a writer who uses capitals capitalises a name: "It's perfect" is no name
        if strong or _ends_where_a_name_ends(m["name"], len(words)):
            return _tidy(words)
    return None


_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)\W*\w")


def _uses_capitals(text: str) -> bool:
    """True when the writer capitalises words inside sentences (then a name would be capitalised too)."""
    starts = {m.end() - 1 for m in _SENTENCE_START.finditer(text)}
    return any(c.isupper() and i not in starts for i, c in enumerate(text))


def _ends_where_a_name_ends(candidate: str, taken: int) -> bool:
    """After a weak introduction ("c'est", "it's"), a name ends the message or a clause, or a connector
    follows it ("c'est Line pour mon rdv"); "I'm writing because my mother…" is no name."""
    if candidate.split()[taken - 1].endswith("."):
        return True
    rest = candidate.split()[taken:]
    if any(w.lower().endswith(("ing", "ed")) and len(w) > 4 for w in candidate.split()[:taken]):
        return False
    return not rest or fold(rest[0]) in _CONNECTORS


def clean_name(text: str) -> str | None:
    """A whole message taken as a name ("julie côté" -> "Julie Côté"), or None when it cannot be one
    (emoji, digits, a sentence, 500 characters of noise); an introduced name is read too."""
    if not text or len(text) > 200:
        return None
    introduced = extract_name(text)
    if introduced:
        return introduced
    body = _TRAILING_POLITENESS.sub("", _LEADING_ANSWER.sub("", text.strip())).strip(" .,;:!?\"'()")
    if not body or len(body) > _MAX_LENGTH or _GARBAGE.search(body) or any(c.isdigit() for c in body):
        return None
    raw = body.split()
    if not 1 <= len(raw) <= _MAX_WORDS or not all(re.fullmatch(_NAME_WORD, w) for w in raw):
        return None
    words = _name_words(body, strong=True)
    return tidy_name(" ".join(words)) if words and len(words) == len(raw) else None


def tidy_name(text: str | None) -> str | None:
    """A name as it is kept, however it came (typed, heard, or read out of a sentence): one line, trimmed,
    letters only between its separators, sensible capitals ("julie côté" -> "Julie Côté"); else None.

    Emoji, digits only, and anything longer than a name (a 500-character paste) are refused, so the
    question is asked again in other words instead of booking under it.
    """
    name = " ".join((text or "").split()).strip(" .,!?")
    if not name or len(name) > _MAX_LENGTH or len(name.split()) > _MAX_WORDS:
        return None
    if not _KEPT.fullmatch(name) or sum(c.isalpha() for c in name) < 2:
        return None
    return _tidy(name.split())


def _name_words(candidate: str, strong: bool) -> list[str]:
    """The leading words of candidate that make a name; empty when they do not make one."""
    words: list[str] = []
    for word in candidate.split():
        key = fold(word).strip(".")
        if key in _PARTICLES and words:
            words.append(word)
            continue
        if key in _NOT_NAME or len(words) >= _MAX_WORDS:
            break
        if word.endswith(".") and len(key) > 2:
            words.append(word.rstrip("."))  # the sentence ends here ("c'est Paul. J'aimerais…")
            break
        words.append(word)
    while words and fold(words[-1]) in _PARTICLES:
        words.pop()
    if not words or sum(len(w) for w in words) < 2:
        return []
    if not strong and (len(words) == 1 and len(words[0]) < 2):
        return []
    if strong and fold(candidate.split()[0]).strip(".") in _NOT_NAME:
        return []
    return words


def _tidy(words: list[str]) -> str:
    """Capitalise words written all lower- or upper-case; keep particles inside a name lower-case."""
    out = []
    for i, word in enumerate(words):
        if word.islower() or word.isupper():
            if i and fold(word) in _PARTICLES:
                word = word.lower()
            else:
                word = re.sub(rf"{_LETTER}+", lambda m: m[0][0].upper() + m[0][1:].lower(), word)
        out.append(word)
    return " ".join(out)
