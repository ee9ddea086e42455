"""Which language a patient's message is written in (French or English)."""

from __future__ import annotations

import re

from .normalize import fold, repair_typos, words

_FRENCH = frozenset(
    """
je j tu il elle on nous vous ils le la les l un une des du de d et est pas ne n pour avec mon ma mes ton
votre vos ce cette ces c ca qu que qui quoi quand comment ou oui non merci bonjour bonsoir allo salut svp stp
rdv rendez demain aujourd aujourdhui hier matin soir midi heure heures h apres avant sans veux voudrais
voudrait peux pourrais peut aimerais besoin avoir suis chu sont ai as avez annuler changer deplacer aide
medecin docteur semaine prochain prochaine lundi mardi mercredi jeudi vendredi samedi dimanche janvier fevrier
mars avril mai juin juillet aout septembre octobre novembre decembre ouin ouais pantoute correct beau bon
parfait daccord accord quelqu quelquun personne parler file attente place mal douleur dans sur plus tot tard
vers environ premier premiere deuxieme troisieme dispo disponible aussi mais donc alors encore deja tres bien
moi toi lui leur leurs notre nos au aux cest jai jaimerais ya tu-tu
pense penser veut vivre mourir envie faire fais fait tuer suicider finir gout jamais rien tout toujours depuis
parce avoir etre vais va vas dois doit faut faudrait serait aurait fille mere pere enfant gorge tete ventre dos
fievre toux pis ben tsé tse gros sont etait suis-je peut-etre quelque chose chez mal-a ecris envoyer textos
retard
""".split()
)
_ENGLISH = frozenset(
    """
i i'm im me my you your the a an is are was be to for of and with please pls plz yes yeah yep yup no nope
thanks thank hi hello hey tomorrow today tonight yesterday morning afternoon evening noon want would like
could can can't cant need have has get appointment appointments appt book booking cancel reschedule change
help what when where who how it that this there at on in from after before week next sunday monday tuesday
wednesday thursday friday saturday january february march april june july august september october november
december sure sounds good great works fine doctor see any anything available time am pm do does don't
dont not just some one two about around which first second third line queue walk leave right wrong correct
thinking think about myself kill die dead life live been again cutting hurt feel feeling really because since
mother father daughter wife husband kid kids sick fever throat head cough still here should will going gonna
wanna now then than also they them we our she he her his him told said called got had did know much long many
more been having anymore anything something someone nothing every why
late running
find make number their address all phone go so okay else contact try tell if past work actually visit schedule
search located name give let well days but oh look up another lot later goodbye bye soon last appreciate
location free area nice check different clock maybe too its instead ahead add best wait office found sorry out
prefer anyone options take thats everything new better needs offer medicine three needed asap forgot alright
saw by kind four confirm interested year hope yet reservation proceed meet confirmed remember reserve
awesome both worried guess option love trying sound seems back exactly come nearby night down these seen
making telephone preferably years understood won changed mind others recommend rather wanted whats
what's it's that's there's i'll i've i'd won't doesn't isn't didn't hours hour mins until till soonest
earliest latest tomorrows nothing anymore sometime
""".split()
)
# Words that alone say which language a short message is in: a patient who texts "walk-in" or "cancel appt"
# writes English even when the clinic's default is French, and "rdv" or "annuler" is French anywhere.
_STRONG = {
    "en": frozenset(
        "walk appointment appointments appt book booking reschedule cancel leave help where please tomorrow today "
        "english my tmrw tmr tmrow tomorow tommorow 2moro 2morrow pls plz thx late".split()
    ),
    "fr": frozenset(
        "rdv rendez annuler quitter aide sans francais demain changer mes ajd auj 2main dmain retard".split()
    ),
}
_ACCENTS = re.compile(r"[éèêàùçâîôûëïœ]")
_FR_ELISION = re.compile(r"\b[jldcmnst]'|qu'|\bc'est\b")


def language_scores(
    text: str, folded: str | None = None, tokens: list[str] | None = None
) -> tuple[float, float]:
    """French and English evidence in the text: its words (typos repaired: "tommorow afternon" is English),
    accents and elisions."""
    folded = fold(text) if folded is None else folded
    tokens = _tokens(folded) if tokens is None else tokens
    fr = sum(1 for t in tokens if t in _FRENCH or t in _STRONG["fr"])
    en = sum(1 for t in tokens if t in _ENGLISH or t in _STRONG["en"])
    if _ACCENTS.search(text.lower()):
        fr += 2
    fr += 1.5 * len(_FR_ELISION.findall(folded))
    return fr, en


def _tokens(folded: str) -> list[str]:
    return words(repair_typos(folded).replace("'", " "))


def detect_language(text: str, default: str | None) -> str:
    """Language of text; short or ambiguous messages keep `default` (French when unknown)."""
    fallback = default if default in ("fr", "en") else "fr"
    folded = fold(text)
    tokens = _tokens(folded)
    fr, en = language_scores(text, folded, tokens)
    strong = {lang for lang, vocabulary in _STRONG.items() if any(t in vocabulary for t in tokens)}
    if len(strong) == 1 and len(tokens) <= 3:
        return strong.pop()
    if fr == en:
        return fallback
    margin = abs(fr - en)
    if default in ("fr", "en") and (len(tokens) <= 2 or margin < 2):
        return default
    return "fr" if fr > en else "en"
