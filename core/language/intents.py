"""What a patient wants: emergency words, carrier keywords, requests, yes/no and numbered choices.

Every function takes folded text (lower-case, no accents, straight apostrophes; see normalize.fold).
"""

from __future__ import annotations

import re

from .normalize import word_regex

_EMERGENCY = word_regex(
    r"douleurs? (?:a|dans|au niveau de|sur) (?:la |ma )?poitrine|douleurs? thoraciques?"
    r"|(?:mal|serrement|pression|oppression) (?:a|dans|sur) (?:la |ma )?poitrine|oppression thoracique"
    r"|\brespire (?:mal|plus|pas|difficilement|avec difficulte)|(?:peux|peut|arrive|capable|reussis) (?:pas|plus)"
    r" (?:a )?respirer|misere a respirer|(?:difficultes?|de la peine|du mal) (?:a|pour) respirer|manque d'air"
    r"|suicid|me tuer|m'enlever la vie|veux mourir|vais mourir|envie de mourir|en finir avec (?:la|ma) vie"
    r"|me faire du mal|overdose|surdose|\bod\b"
    r"|saigne (?:beaucoup|abondamment|enormement|sans arret|bcp|trop)|saignement (?:abondant|important|majeur)"
    r"|hemorragie|\bavc\b|accident vasculaire|\bstroke\b|crise cardiaque|infarctus|heart attack|arret cardiaque"
    r"|chest pains?|pains? in (?:my |the )?chest|chest (?:is )?(?:tight|hurts|pressure)"
    r"|can'?t breathe|cannot breathe|can not breathe|unable to breathe|(?:trouble|difficulty|problems?) breathing"
    r"|hard to breathe|struggling to breathe|short(?:ness)? of breath|not breathing|stopped breathing"
    r"|kill myself|killing myself|end my life|take my (?:own )?life|want to die|hurt myself"
    r"|bleeding (?:a lot|heavily|badly|profusely|won'?t stop|that won'?t stop)|\bhemorrhag"
    r"|unconscious|inconscient|perdu connaissance|passed out|convulsion|seizure|anaphyla"
    r"|choking|s'etouffe|etouffe|allergic reaction|reaction allergique|empoisonn|\bpoison"
    r"|face (?:is )?drooping|slurred speech|visage (?:paralyse|croche)|\b911\b|\b9-1-1\b"
    # Something swallowed that poisons ("my kid swallowed bleach", "il a avalé des pilules"), a child who
    # does not wake, a baby with a fever: the emergency and Info-Santé lines are said first
    r"|\b(?:swallow(?:ed)?|ingest(?:ed)?|drank|drunk|ate) (?:(?:some|a|an|the|his|her|my|of|a bunch of) )*"
    r"(?:bleach|pills?|medications?|medicines?|meds|tablets?|cleaning products?|detergent|(?:laundry |tide )?pods?"
    r"|(?:button )?batter(?:y|ies)|antifreeze|drain cleaner|chemicals?|weed gummies|gummies)"
    r"|\bavale (?:(?:de l'|de la|du|des|une|un|sa|ses|mes|mon|ma|plein de) ?)*(?:eau de javel|javel|pilules?"
    r"|medicaments?|comprimes?|produits? (?:menagers?|nettoyants?|chimiques?)|detergent|capsules? de lessive"
    r"|piles?(?: bouton)?|antigel|poison|pot)|\bintoxication\b"
    r"|\bunresponsive\b|won'?t wake up|ne se reveille (?:pas|plus)|\bblue lips\b|levres bleues"
    r"|\b(?:bebe|nourrisson|nouveau-ne|newborn|infant|baby)\b[^.!?]{0,40}\b(?:fievre|fever|fait de la temperature)"
)

_CARRIER = {
    "stop": "stop",
    "arret": "stop",
    "end": "stop",
    "quit": "stop",
    "unsubscribe": "stop",
    "cancel": "stop",
    "stopall": "stop",
    "stop all": "stop",
    "optout": "stop",
    "opt-out": "stop",
    "opt out": "stop",
    "revoke": "stop",
    "start": "start",
    "unstop": "start",
    "help": "help",
    "aide": "help",
    "info": "help",
}
_TRAILING = re.compile(r"[\s.!?;,:)(\"'*-]+$")


def carrier_keyword(folded: str) -> str | None:
    """The carrier keyword the whole message is (STOP, ARRET, CANCEL, START, HELP, AIDE…), if any."""
    return _CARRIER.get(_TRAILING.sub("", folded).lstrip(" \"'*"))


# Words of suicide or self-harm, written with doubled letters squeezed ("mourrir", "kill" -> "kil") so the
# common typos of a distressed message still match; read on squeeze(folded text).
_SELF_HARM = word_regex(
    r"su[iy]?(?:sc|s|c)[iy]d|suicd|me tuer\b|me tue\b|m'enlever la vie|enlever la vie|mettre fin a (?:mes jours|ma vie)"
    r"|(?:veux|veut|voudrais|vais|va|envie d'|besoin d') en finir\b|en finir avec (?:la|ma) vie"
    r"|(?:veux|veut|voudrais|aimerais|envie de|souhaite|goute de) mou?r?ire?\b"
    r"|(?:pu|plus|pas) (?:le gout |envie |la force |capable |la volonte )?de vivre\b|(?:veux|veut) (?:pu|plus|pas) vivre\b"
    r"|me faire (?:du )?mal\b(?! (?:au|a la|aux|a l'|en)\b)|me blesser expres|me mutiler|automutil|auto-mutil|scarifi"
    r"|me couper les veines|me tailader|me pendre|me jeter (?:en bas|sous|devant|du)|me tirer une bal"
    r"|kil+ (?:my ?s[el]{1,2}f|myslef|mysef|me\b)|(?<!\d )kms\b|end(?:ing)? (?:my|it) (?:life|al)\b|end it al\b"
    r"|take my (?:own )?life|wan(?:t|a|na)? (?:to )?die\b|wish i (?:was|were|was just|were just) dead"
    r"|beter of dead|don'?t (?:want|wana) (?:to )?(?:live|be alive|be here anymore|exist)|no reason to live"
    r"|(?:hurt|harm|cut)(?:ing)? my ?s[el]{1,2}f|self[- ]?harm|cut my wrists|slit my wrists|hang my ?self|unalive"
    r"|ides? noires|(?:want to|wana|going to|gona|thinking (?:of|about)|about to) end(?:ing)? it\b"
    r"|penses? (?:de mort|suicid)|(?:veux|veut|vais|va) disparaitre pour (?:toujours|de bon)"
)
_REPEATS = re.compile(r"([a-z])\1+")


def squeeze(folded: str) -> str:
    """Folded text with runs of a repeated letter cut to one ("mourrir" -> "mourir")."""
    return _REPEATS.sub(r"\1", folded)


def is_self_harm(folded: str) -> bool:
    """True when the message speaks of suicide or self-harm (9-8-8 is then given with 9-1-1)."""
    return _SELF_HARM.search(squeeze(folded)) is not None


def is_emergency(folded: str) -> bool:
    """True when the message mentions a medical emergency or self-harm."""
    return _EMERGENCY.search(folded) is not None or is_self_harm(folded)


_LANGUAGE_WORD = re.compile(r"\b(english|anglais|anglai|angl|francais|french|franc|fr|en)\b")
_LANGUAGE_PHRASE = re.compile(
    r"\b(?:in|en|speak|talk|parle[rz]?|parlez-vous|parles-tu|switch to|change to|changer (?:en|pour|de langue"
    r" en)|langue|language|do you speak|version)\b[^.?!]*?\b(english|anglais|francais|french)\b"
)


def language_switch(folded: str) -> str | None:
    """Language asked for ("ENGLISH", "en français svp"), as "fr"/"en"."""
    tokens = folded.split()
    m = _LANGUAGE_PHRASE.search(folded)
    if m is None and len(tokens) <= 3:
        m = _LANGUAGE_WORD.search(folded)
        if m is not None and m[1] in ("fr", "en") and len(tokens) > 1:
            m = None
    if m is None:
        return None
    return "en" if m[1].startswith(("en", "angl")) else "fr"


_APPT = r"(?:rdv|rendez[- ]?vous|rendez-vou|rendezvous|rv|appointments?|appts?|apts?|booking|reservation)"
_PERSON = word_regex(
    r"\bparl(?:er|e|ez) (?:a|avec) (?:quelqu'?un|une (?:vraie )?personne|un (?:vrai )?humain|la receptionniste"
    r"|la secretaire|un agent|une agente|la reception)|\breceptionniste|\breceptionist|\bsecretaire\b"
    r"|\bsecretary\b|\b(?:an|the|a|live|un|une) agente?\b|^agente?\W*$|\boperat(?:eur|rice|or)\b|\bhuman\b"
    r"|\bhumain\b|\b(?:a|real|live) person\b|\bune (?:vraie )?personne\b|\b(?:talk|speak) (?:to|with) some(?:one|body)"
    r"|\bquelqu'un de vrai|\brepresentative\b|\bla reception\b|\bpersonne reelle"
    r"|\b(?:me )?passer (?:quelqu'un|une personne|la reception)"
)
_CANCEL = word_regex(
    r"\bannul\w*|\bcancel\w*|\bquitter\b|\bquit (?:the|my)\b|\bleave\b|\bsortir de la (?:file|liste)"
    r"|\b(?:retire|enleve|sors)[rz]?[- ]moi\b|\bremove me\b|\btake me off\b|\bje (?:ne )?(?:viendrai|viens)"
    r" (?:pas|plus)\b|\bcan'?t make it\b|\bwon'?t (?:be able to )?(?:make it|come)\b|\bnot coming\b"
    r"|\b(?:pourrai|peux) pas venir\b(?!\W*(?:avant|apres|le matin|l'apres|en matinee|en soiree|le soir|a \d|vers))"
    r"|\bpourrai pas etre la\b"
    # No longer coming: "I can't come anymore", "je ne peux plus venir", "j'ai un empêchement". A bare "can't
    # come" stays out: "I can't come before noon" and "je ne peux pas venir le matin" limit a booking.
    r"|\b(?:can'?t|cannot|can not|won'?t(?: be able to)?|unable to|not able to) (?:come|make it|be there)"
    r"(?: in)? any ?more\b|\b(?:can|will) no longer (?:come|make it|be there)\b"
    r"|\b(?:ne )?(?:peux|pourrai|pourrais|pourra) plus (?:venir|y aller|me rendre|m'y rendre|etre la)\b"
    r"|\bje me desiste\b"
    r"|\b(?:un|une) empechement\b"
)
_WALKIN_TARGET = re.compile(
    r"\b(?:file|queue|line|liste d'attente|waiting list|sans[- ]?rdv|sans rendez"
    r"|walk[- ]?in|quitter|leave|spot|ma place|my place|mon numero|my number|ticket)\b"
)
_RESCHEDULE = word_regex(
    r"\breschedul\w*|\bresched\b|\bdeplac\w*|\bdevanc\w*|\breporter\b|\breporte[rz]?\b|\bremettre\b|\bdecal\w*|\bchang\w*"
    r"|\bmodifi\w*|\bmodify\b|\bmov(?:e|ing) (?:my|the|it|that|this|our|her|his)\b|\bpostpone|\bpush(?:ing)? (?:it|my|the"
    r"|that|this|our|her|his|back)\b|\bbump(?:ing)? (?:it|my|the|that|this)\b|\bre-?book|\brepouss\w*"
    r"|\bautre (?:heure|journee|jour|moment|date)|\banother (?:time|day|date)\b|\bavancer (?:mon|ma|le|la|l')"
    r"|\b(?:me |nous )?(?:le|la|l') (?:mettre|mets|mettrais|mettriez|mettez|placer|passer|bouger|bouge)\b"
    r"|\b(?:switch|swap)(?:ing)? (?:it|my|the|that)\b"
    # "mettre le rdv de Noé à mardi", "bouger mon rendez-vous", "put my appointment on Friday": an appointment
    # that exists (a possessive or "the"), put elsewhere; "mettre un rdv" books.
    r"|\b(?:mettre|mets|mettrais|mettriez|mettez|placer|passer|bouger|bouge|transferer|transfere)"
    r" (?:mon|ma|le|la|l'|son|sa|notre|votre|leur) ?(?:rdv|rendez[- ]?vous|rv)\b"
    r"|\bput (?:my|the|our|her|his|their) (?:appointment|appt|booking)\b"
)
# Words of change that ask for nothing: "ça ne change rien", "that doesn't change anything", "j'ai changé d'idée".
_NOT_A_CHANGE = re.compile(
    r"\b(?:ne |n')?change(?:ra|rait)? (?:rien|pas grand[- ]chose|absolument rien)\b|\bchanges? nothing\b"
    r"|\b(?:doesn'?t|does not|won'?t|will not|didn'?t|did not|wouldn'?t|would not) (?:really )?change\b"
    r"|\bchange(?:r|d|ment)? d'(?:idee|avis)\b|\bchanged? my mind\b|\bchange of (?:plans?|mind)\b"
    r"|\b(?:rien|nothing) (?:n'a |has |a )?chang\w*|\bsans changement\b|\bno change\b"
    r"|\bchang\w* (?:de|mon|my) (?:numero|number|adresse|address|nom|name|langue|language)\b"
)
# A request word the patient refuses in the same clause is not a request: "je ne veux pas annuler".
_REFUSED = re.compile(
    r"(?:\b(?:pas|plus|jamais|not|never|no need to|don'?t|do not|doesn'?t|won'?t|shouldn'?t|sans)\b"
    r"(?: (?:vouloir|want to|need to|have to|wish to|besoin d'|besoin de|la|le|l'|to|me|de|d'|i|the))*\W*)$"
)


# A request word told as something past is a story, not a request: "last time I had to cancel",
# "j'ai annulé mon rdv la semaine passée, est-ce que je peux en reprendre un jeudi?".
_PAST_SUBJECT = re.compile(
    r"(?:\b(?:i|we|he|she|they)(?:'ve| have| had)?(?: already| just)? |\balready "
    r"|\b(?:j'ai|j'avais|on a|on avait|il a|elle a|ils ont|vous avez|tu as|t'as)(?: deja| juste)? )$"
)
_PAST_OBLIGATION = re.compile(
    r"(?:\bhad to |\b(?:j'ai|j'avais|on a|on avait|il a|elle a|ils ont|a|avait) du )$"
)
# Participles, and the infinitives texted in their place ("j'ai annuler"), after avoir.
_PAST_FORMS = frozenset(
    "annule annulee annules change changee deplace deplacee reporte reportee modifie modifiee decale decalee"
    " annuler changer deplacer reporter modifier decaler".split()
)


def _told_as_past(folded: str, m: re.Match, window: int) -> bool:
    """True when the request word at m is part of a past event ("I cancelled", "j'ai dû annuler")."""
    end = m.end()
    while end < len(folded) and folded[end].isalpha():
        end += 1
    word = folded[m.start() : end]
    if _PAST_OBLIGATION.search(folded, window, m.start()):
        return True
    return (word.endswith("ed") or word in _PAST_FORMS) and _PAST_SUBJECT.search(
        folded, window, m.start()
    ) is not None


# What turns a story into a request after it: a question or a wish ("…, est-ce que je peux…?", "but now I'd like").
_ASKS_AFTER = re.compile(
    r"\?|\b(?:can|could|may) (?:i|we|you)\b|\bi'?d like\b|\bi would like\b|\bi (?:want|need)\b|\bplease\b"
    r"|\b(?:je|j') ?(?:peux|pourrais|voudrais|veux|aimerais)\b|\best-ce\b|\by a-?t?-?(?:tu|il)\b|\bsvp\b|\bstp\b"
)


def _requested(regex: re.Pattern, folded: str) -> re.Match | None:
    """The first match of regex that the patient neither refuses ("pas annuler") nor tells as a past event
    followed by another request ("I had to cancel last time, can I book…?")."""
    for m in regex.finditer(folded):
        window = max(0, m.start() - 60)  # the few words before it: a search anchored at m.start() stays short
        if _REFUSED.search(folded, window, m.start()):
            continue
        if _told_as_past(folded, m, window) and _ASKS_AFTER.search(folded, m.end()):
            continue
        return m
    return None


_LIST = word_regex(
    rf"\bmes (?:prochains? )?{_APPT}|\bmy (?:upcoming |next )?(?:appointments|appts|bookings|reservations)\b"
    rf"|\b(?:quand|c'est quand|when) (?:est |is |c'est |are )?(?:mon|my) (?:prochain |next )?{_APPT}"
    rf"|^(?:list|liste)\b|\blist (?:my|of my)\b|\b(?:do i have|est-ce que j'ai|j'ai tu|j'ai-tu|ai-je) "
    rf"(?:un |an |des |any )?{_APPT}"
    r"|\b(?:savoir|connaitre|rappeler|confirmer|verifier) (?:a )?(?:l'heure|la date|quelle heure|quel jour|quand)\b"
    r"|\b(?:what time|what day|when) (?:is|was) (?:my|it)\b|\bremind me (?:when|what time)\b"
)
_POSITION = word_regex(
    r"\bposition\b|\bma place\b|\bmy place\b|\bmy spot\b|\bmon rang\b|\bmon tour\b|\bmy turn\b|\bwhere am i\b"
    r"|\bou (?:je suis|j'en suis|chu|suis-je|en suis-je|on en est|j'en suis rendu)|\brendu ou\b"
    r"|\bcombien (?:de (?:personnes|monde|gens) |d'attente|de temps)|\bcombien avant moi|\bcombien devant moi"
    r"|\bhow (?:long|many (?:people )?(?:ahead|before|in front))|\bwait time\b|\btemps d'attente\b"
    r"|\bc'est quand mon tour|^place\W*$|^rang\W*$|\bhow much (?:longer|more time)|\bhow long (?:until|till|before"
    r"|will|is the wait|do i|am i|left|now)\b|\bca (?:va|vas) (?:tu |tu-tu |-tu )?(?:etre|prendre|etre encore)"
    r" (?:encore )?(?:long|longtemps|combien de temps)\b|\bc'est (?:encore |tu )?(?:long|longtemps)\b"
    r"|\b(?:encore|reste) (?:longtemps|combien de temps)\b|\b(?:il )?(?:me )?reste combien\b"
    r"|\bcombien de temps (?:encore|il (?:me )?reste|ca va prendre|avant mon tour)|\bc'est (?:pour )?bientot mon tour"
    r"|\bmy turn\b|\bam i next\b|\bsuis-je le prochain|\bc'est-tu mon tour"
)
_WALKIN = word_regex(
    r"\bsans[- ]?(?:rdv|rendez[- ]?vous|rv)\b|\bwalk[- ]?ins?\b|\bfile(?: d'attente)?\b|\bliste d'attente\b"
    r"|\bqueue\b|\bwaiting list\b|\bjoin the line\b|\bin line\b|\bsans-rendez-vous\b"
)
_HELP = re.compile(
    r"^(?:\?+|aide|help|info|infos|menu|options?|commandes?|help me|aide[- ]moi|aidez[- ]moi|j'ai besoin d'aide"
    r"|i need help|comment ca (?:marche|fonctionne)|how does (?:this|it) work|what can i (?:do|say|text)"
    r"|que (?:puis-je|je peux) faire|what are my options)\W*$"
)
_BOOK = word_regex(
    rf"\b{_APPT}\b|\bbook\w*|\bprendre (?:un )?{_APPT}|\bvoir (?:un|une|le|la|mon|ma) (?:medecin|docteur|doc|md"
    r"|infirmiere|dentiste|professionnel)|\bsee (?:a|the|my) (?:doctor|doc|physician|nurse|dentist|gp)\b"
    r"|\bconsult\w*|\bschedul\w*|\breserv\w*|\bdisponibilit\w*|\bdispo\w*|\bavailab\w*|\bopenings?\b"
    r"|\bslots?\b|\bplages?\b|\bany ?thing (?:for|on|at|available|tomorrow|today|open|left)\b"
    r"|\bde la place\b|\bune place\b|\bfit me in\b|\bget in\b"
    r"|\b(?:need|want|like|have) to see (?:a |the |my )?(?:doctor|doc|physician|nurse|someone|somebody|gp)\b"
    r"|\bneed (?:a|an|the) (?:doctor|doc|physician|nurse|gp|check-?up|visit)\b"
    r"|\bbesoin (?:d'un|d'une|de voir (?:un|une|le|la|mon|ma)) (?:medecin|docteur|doc|infirmiere|quelqu'un)\b"
)


# The waiting list (LISTE / WAITLIST; QUITTER LISTE / LEAVE LIST) and asking in words to be told of a freed slot.
_LIST_WORD = (
    r"(?:la |the |ma |my |votre |your )?(?:liste d'attente|liste|waiting ?list|wait ?list|waitlist|list)\b"
)
_WAITLIST_LEAVE = word_regex(
    rf"^(?:quitter|quitte|sortir de|sors de|leave|exit|off)\W*{_LIST_WORD}\W*$"
    rf"|\b(?:retire[rz]?|enleve[rz]?|sors|sortez|ote[rz]?)[- ]moi (?:de|d'|sur) {_LIST_WORD}\b"
    rf"|\b(?:take|remove) me (?:off|from) {_LIST_WORD}\b|\b(?:quitter|sortir de|leave|get off) {_LIST_WORD}\b"
)
_WAITLIST = word_regex(
    r"^(?:liste|waitlist|wait list|waiting list|liste d'attente)\b(?!\W*(?:de|des|of|mes|my|rdv)\b)"
    rf"|\b(?:mets|mettez|mettre|met|inscri(?:s|vez|re))[- ](?:moi|nous) (?:sur|dans|a) {_LIST_WORD}\b"
    rf"|\b(?:put|add|sign) (?:me|us) (?:on|to|up for) {_LIST_WORD}\b|\bjoin {_LIST_WORD}\b"
    r"|\b(?:averti(?:s|ssez)|avise[rz]?|previen[ns]|prevenez|ecri(?:s|vez)|texte[rz]?|appelle[rz]?|appelez)[- ]moi"
    r" (?:si|quand|lorsqu'|des qu'?)\W*(?:une place|un rdv|un rendez-vous|quelque chose|qqch|ca|il y a|y'a)?\W*"
    r"(?:se |s')?(?:libere|liberera|ouvre|annule|devient libre|de libre|se libere)"
    r"|\b(?:let me know|tell me|text me|call me|notify me|alert me) (?:if|when|as soon as) (?:something|anything"
    r"|a (?:spot|slot|place|time)|an (?:opening|appointment|earlier))? ?(?:opens? up|frees? up|becomes? (?:free|available)"
    r"|is (?:free|available)|comes up|opens|cancels)"
)


def waitlist_request(folded: str) -> str | None:
    """The waiting-list request of a message: "waitlist" (join or show it), "waitlist_leave", or None."""
    if _WAITLIST_LEAVE.search(folded):
        return "waitlist_leave"
    if _WAITLIST.search(folded):
        return "waitlist"
    return None


def request_intent(folded: str) -> tuple[str, str | None] | None:
    """The request the message makes (person, cancel, reschedule, …) and, for cancel, its target."""
    if _PERSON.search(folded):
        return "person", None
    waiting = waitlist_request(folded)
    if waiting is not None:
        return waiting, None
    unchanged = _NOT_A_CHANGE.sub(" ", folded) if "chang" in folded else folded
    # "je pourrai pas jeudi, tu peux me le changer pour lundi?": keep the old one until a new one is booked
    if _requested(_RESCHEDULE, unchanged) and (
        not _EXPLICIT_CANCEL.search(folded) or not _CANCEL_ONLY.search(folded)
    ):
        return "reschedule", None
    if _requested(_CANCEL, folded):
        return "cancel", _cancel_target(folded)
    if _CODE.search(folded):
        return "code", None
    for intent, regex in (
        ("list", _LIST),
        ("position", _POSITION),
        ("walkin", _WALKIN),
        ("help", _HELP),
        ("book", _BOOK),
    ):
        if regex.search(folded):
            return intent, None
    return None


# The confirmation code asked for again ("I lost my code", "c'est quoi mon numéro de confirmation"); a postal
# code or an area code is something else.
_CODE = word_regex(
    r"\b(?:mon|my|le|the|ce|notre|our|mes|des|un|a|son|sa|her|his)\s+(?:\w+\s+)?(?:codes?|numero de confirmation"
    r"|no de confirmation|confirmation (?:codes?|numbers?|#))\b(?! postal| zip)"
    r"|^\W*(?:code|codes|code de confirmation|confirmation code)\W*$"
)


_APPT_RE = re.compile(rf"\b{_APPT}\b")
_EXPLICIT_CANCEL = re.compile(r"\bannul\w*|\bcancel\w*")
# "annuler, pas déplacer" / "cancel it, don't reschedule": the change is refused, the cancellation stands.
_CANCEL_ONLY = re.compile(
    r"\b(?:pas|not|don'?t|no need to|plutot que de?|rather than|instead of|au lieu de) (?:le |la |l'|to |it )?"
    r"(?:deplac|report|chang|modifi|reschedul|move|decal)"
)


def _cancel_target(folded: str) -> str | None:
    """What is being cancelled: "appointment", "walkin" (leaving the queue) or unknown."""
    if _APPT_RE.search(folded) and not re.search(r"\bsans[- ]?(?:rdv|rendez)", folded):
        return "appointment"
    if _WALKIN_TARGET.search(folded):
        return "walkin"
    return None


_FIRST_NO = re.compile(
    r"^(?:(?:oh|ah|um|uh|well|wait|hmm|sorry|desole|euh|ben|bah)\W+){0,2}"
    r"(?:no|non|nope|nah|nan|naw|nay|negative|pantoute|jamais|never|not|pas vraiment|nenni|no way|n(?=\W*$)"
    r"|absolutely not|certainly not|definitely not|of course not|pas du tout|surtout pas|(?:absolutely )?nothing"
    r"|rien)\b(?! (?:problem|prob|worries|doubt|later than|earlier than|sooner than|more than|less than|before|after"
    r"|until|till|avant|apres|plus tard que|plus tot que)\b)"
)
_FIRST_YES = re.compile(
    r"^(?:yes|yess|oui|ouin|ouais|ouai|wi|yep|yup|yeah|yea|ya|yah|sure|ok|okay|k|kk|okey|oki|okie|correct"
    r"|d'accord|daccord|dac|parfait|certainement|absolument|exactement|exact|exactly|bien sur|of course"
    r"|definitely|absolutely|affirmative|alright|all right|right|perfect|great|awesome|excellent|super|cool"
    r"|sounds good|sounds great|that works|c'est beau|c'est bon|c'est parfait|ca marche|ca me va|go ahead"
    r"|please do|i confirm|confirm|confirmed|confirme|volontiers|avec plaisir|with pleasure|for sure|certain"
    r"|that would be (?:great|good|perfect|fine|nice|lovely)|good|fine|nice|lovely|agreed|deal|indeed"
    r"|that(?:'s| is) (?:right|correct|fine|good|great|perfect)|it(?:'s| is) (?:right|correct|fine|good)"
    r"|please(?: do| go ahead| proceed| book| confirm| and thank you|\W*$)"
    r"|go(?=\W*$)|go go|let'?s go|c (?:beau|bon|correct|parfait|ok|good)|c'est (?:correct|ok|good|full beau)"
    r"|ca me convient|ca fait l'affaire|ca serait parfait|sounds perfect|yessir"
    r"|ye?(?=\W*$))\b"  # "y" alone: a texted yes
)
_NEGATIVE = word_regex(
    r"\bnot (?:really|right|correct|quite|good|ok|okay|that|now|today|this|what|interested|necessary|needed)\b"
    r"|\b(?:isn'?t|is not|that'?s not|that is not|it'?s not|it is not) (?:right|correct|it|what)\b"
    r"|\bthat'?s wrong\b|\b(?:doesn'?t|does not|won'?t|will not|wouldn'?t|would not|don'?t|do not|can'?t|cannot)"
    r" (?:work|suit|fit|do)\b|\bthat won'?t\b|\bwrong\b|\bincorrect\b|\bmistake\b"
    r"|\bpas (?:vraiment|correct|bon|ca|possible|disponible|libre|maintenant|aujourd'hui|cette)\b"
    r"|\bca (?:marche|fonctionne|fait|me va|va|convient) pas\b|\bca ne (?:marche|fonctionne|me va|va|convient) pas\b"
    r"|\bpantoute\b|\baucunement\b|\bno way\b|\bi'?m good\b(?! with)|\bi am good\b(?! with)|\b(?:je suis|chu|ch't) correct\b"
    r"|\b(?:i )?(?:guess|think|suppose) not\b|\bdon'?t (?:want|need|think)\b|\bdo not (?:want|need)\b"
    r"|\b(?:ne )?(?:veux|pense|crois) pas\b|\bmaybe (?:later|another time|next time)\b"
    r"|\bpeut-etre (?:plus tard|une autre fois)\b|\bune autre fois\b|\bsome other time\b|\bno thanks?\b"
    r"|\bno thank you\b|\bnon merci\b|\bnot at the moment\b|\bnot right now\b|\bnot now\b|\bnot yet\b"
    r"|\b(?:perhaps|maybe|probably|possibly) (?:later|at a later|another|some other|not)\b"
    r"|^(?:later|nothing|rien|plus tard)\b|\b(?:do|book|decide|schedule|check|see about) (?:it|that|this) later\b"
    r"|\bi(?:'ll| will) (?:do (?:it|that) |book |decide |see )?later\b|\b(?:je|on) verra plus tard\b"
    r"|\bnothing (?:at the moment|right now|for now|else)\b|\bnot (?:at (?:this|the|all)|just yet|at present)\b"
    r"|\b(?:do not|don'?t) wish\b|\beverything but\b|^i (?:cannot|can'?t|do not|don'?t|won'?t|will not)\W*$"
    r"|\b(?:viens|viendrai|arrive|serai|convient|conviendra) (?:pas|plus)\b|\bnot coming\b|\bwon'?t (?:be there|come|make it)\b"
    # None of what was offered: "aucun ne me convient", "aucune de ces heures", "none of these work"
    r"|\b(?:aucun|aucune|rien) (?:de (?:ces|ceux|celles)\w*(?: \w+)? )?(?:ne |n')?(?:me |nous )?"
    r"(?:convient|conviennent|va|vont|marche|marchent|fait|font)\b|\baucune? de (?:ces|ceux-la|celles-la)\b"
    r"|\bnone of (?:these|those|them|the (?:times|slots|above))\b|\bnone (?:of (?:these|those|them) )?(?:works?|suits?"
    r"|fits?|are good|is good)\b"
)
# On the way: the answer to "are you coming?" ("je viens", "j'arrive", "on my way").
_COMING = word_regex(
    r"\b(?:je (?:m'en )?viens|j'arrive|je m'en vais la|j'y vais|je serai la|en route|en chemin|je pars"
    r"|(?:i'?m|i am) (?:coming|on (?:my|the) way|heading (?:over|there|in|out)|leaving now)|on my way|omw"
    r"|i'?ll be (?:there|right there)|(?:i'?m|i am) still coming|coming now|be right there)\b(?! (?:de|d')\b)"
)
_YES_ANYWHERE = word_regex(
    r"\b(?:sounds? (?:good|great|perfect|fine|nice|lovely|right|wonderful)|that works"
    r"|works (?:for me|best|great|perfectly|well)|(?:should|will|would|could|that'?ll|that'?d) (?:work|do|suit)"
    r"|(?:will|would) be (?:perfect|great|fine|good|wonderful|lovely|nice|ideal)|definitely|certainly|absolutely"
    r"|i'?m good with|good with (?:me|that)|fine with me|wonderful|perfect|great"
    r"|would be (?:great|good|perfect|fine|nice|lovely)|(?:that|it|this)(?:'s| is) (?:right|correct|fine|good"
    r"|great|perfect)|i confirm|please (?:do|go ahead|proceed)|go ahead|ca marche|ca me va|c'est beau"
    r"|c'est parfait|c'est correct|parfait|d'accord|exactly|exactement|correct|yes|oui|ouin|ouais|yeah|yep"
    r"|yup|i would(?=\W*$)|je confirme|confirmed|suits me|if you don'?t mind|i can do that|i'?ll take|you got it"
    r"|approv\w*|i'?m ready|go for it|let'?s do (?:it|that)|book it|pourquoi pas|why not|fine with|i accept"
    r"|j'accepte|(?:me|nous) (?:convient|conviendrait|va tres bien|va bien)|(?:completely|totally|all|exactly) right|that'?s (?:okay|ok)|fantastic|what i want"
    r"|i(?:'d| would) (?:love|like) (?:that|it|to(?=\W*$))|i will take|(?:got|have|had) (?:it|that|all (?:of )?(?:that|it)"
    r"|everything) (?:right|correct))\b"
)
_DONE = word_regex(
    r"\b(?:that'?s all|that is all|that will be all|that'?ll be all|nothing else|nothing more|rien d'autre"
    r"|c'est tout|ce sera tout|i'?m (?:all )?set|all for now|i'?m done|i am done|i'?m finished|i am finished"
    r"|goodbye|bye|all i need|all i needed|that'?s everything|that'?s it|for now|i'?m all good|i am all good)\b"
)
_STRONG_CORRECTION = word_regex(
    r"\b(?:instead|rather|actually|plutot|finalement|en fait|i said|i meant|prefer\w*|change (?:it|that|the|to)"
    r"|j'aimerais mieux|je prefere)\b"
)
_CORRECTION = word_regex(
    r"\b(?:instead|rather|actually|plutot|finalement|en fait|change (?:it|that|the|to)|make (?:it|that)"
    r"|let'?s (?:make|change|do|try|go)|how about|what about|can you (?:try|change|make|check)"
    r"|could you (?:try|change|make|check)|prefer|try (?:for|at|on|the|booking)|another|other|autre"
    r"|different|sorry|desole|i want(?:ed)? (?:it|the|to)|i said|i meant|i need (?:it|the))\b"
)


# "Sorry, can you make it 3 pm?": an apology that opens a change of request refuses what was offered.
_SORRY_CHANGE = re.compile(
    r"^(?:so |very )?(?:sorry|oops|my (?:bad|mistake)|desolee?|pardon|oups)\W+(?:but |mais )?(?:can|could|let'?s"
    r"|make|book|change|i (?:want|need|meant|said|would|'d)|i'?d|je (?:veux|voudrais|voulais|prefere)|pouvez"
    r"|pourriez|peux|plutot|how about|what about|est-ce)\b"
)
_YES_BUT = re.compile(r"^\w+\W+(?:but|mais)\b.*\b(?:make it|change|instead|rather|plutot|at|a|for|pour)\b")


def says_no_first(folded: str) -> bool:
    """True when the message opens with a no ("non", "no, …")."""
    return _FIRST_NO.search(folded) is not None


def polarity(folded: str) -> str | None:
    """Yes or no as an answer to a question, even inside a longer message; None when neither."""
    if _FIRST_NO.search(folded):
        return "no"
    if _FIRST_YES.search(folded) and not _NEGATIVE.search(folded[:25]):
        return "no" if _YES_BUT.search(folded) else "yes"
    if _NEGATIVE.search(folded) or _STRONG_CORRECTION.search(folded) or _SORRY_CHANGE.search(folded):
        return "no"
    if _YES_ANYWHERE.search(folded) or _COMING.search(folded):
        return "yes"
    if _DONE.search(folded) or _CORRECTION.search(folded):
        return "no"
    return None


# Spelled counts, both languages (also how many people: core/language/household.py).
CARDINALS = {
    "un": 1,
    "une": 1,
    "one": 1,
    "deux": 2,
    "two": 2,
    "trois": 3,
    "three": 3,
    "quatre": 4,
    "four": 4,
    "cinq": 5,
    "five": 5,
    "six": 6,
    "sept": 7,
    "seven": 7,
    "huit": 8,
    "eight": 8,
    "neuf": 9,
    "nine": 9,
    "dix": 10,
    "ten": 10,
}
_NUMBER_WORDS = {
    **CARDINALS,
    "premier": 1,
    "premiere": 1,
    "first": 1,
    "earliest": 1,
    "soonest": 1,
    "deuxieme": 2,
    "second": 2,
    "seconde": 2,
    "troisieme": 3,
    "third": 3,
    "quatrieme": 4,
    "fourth": 4,
    "cinquieme": 5,
    "fifth": 5,
    "sixieme": 6,
    "sixth": 6,
    "septieme": 7,
    "seventh": 7,
    "huitieme": 8,
    "eighth": 8,
    "neuvieme": 9,
    "ninth": 9,
    "dixieme": 10,
    "tenth": 10,
}
_CHOICE = re.compile(
    r"^(?:(?:je (?:prends|choisis|veux|vais prendre|prendrais)|i'?ll (?:take|go with|have)|i (?:take|choose|pick"
    r"|want|would like)|let'?s (?:go with|do)|go with|give me|plutot|ok|okay|oui|yes|euh|um|uh|hmm|alors)\W*\s?)?"
    r"(?:(?:option|choix|choice|number|numero|num|no\.?|n°|nombre|chiffre|le|la|l'|the)\s?)*#?\s?"
    rf"(?P<n>\d{{1,2}}|{'|'.join(sorted(_NUMBER_WORDS, key=len, reverse=True))})"
    r"(?:\s?(?:st|nd|rd|th|er|ere|re|e|eme|ieme))?"
    r"(?:\W*\s?(?:one|option|choice|choix|svp|stp|s'il vous plait|s'il te plait|please|pls|plz|merci|thanks"
    r"|thank you))*\W*$"
)


def choice_number(folded: str) -> int | None:
    """The option number when the message is mainly a choice ("2", "le deuxième", "option trois")."""
    m = _CHOICE.match(folded)
    if m is None:
        return None
    raw = m["n"]
    return int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]


# Opt-out requests in words: carriers only act on the bare keywords, so these the clinic honours itself.
_OPT_OUT_EN = word_regex(
    r"\b(?:stop|quit|cease) (?:sending|texting|messaging|contacting|calling|spamming|bugging|bothering)\b"
    r"|\b(?:stop|no more) (?:the |your |these |those |all )?(?:texts|text messages|messages|sms|reminders"
    r"|notifications|calls)\b|\b(?:don'?t|do not|never) (?:text|message|sms|contact|call) me\b"
    r"|\b(?:don'?t|do not) (?:send|want|need) (?:me )?(?:to (?:get|receive) )?(?:any ?more |more |any |these |your )?"
    r"(?:texts|text messages|messages|sms|reminders)\b|\bunsubscribe me\b|\bopt me out\b"
    r"|\bremove (?:me|my (?:phone )?number) from (?:your|the|this) (?:list|texts|messages|sms|mailing)"
    r"|\b(?:stop|quit) (?:getting|receiving) (?:any |the |your |these |those |all )?(?:texts|text messages|messages"
    r"|sms|reminders|notifications)\b"
)
_OPT_OUT_FR = word_regex(
    r"\barret(?:e[rz]?|ez) (?:de |d')(?:m'|me |nous )?(?:ecrire|envoyer|texter|contacter|appeler|relancer"
    r"|harceler|deranger)\b|\bne (?:m'|me |nous )?(?:ecrivez|envoyez|textez|contactez|appelez|ecris|envoie"
    r"|texte) plus\b|\b(?:veux|veut|desire) (?:pas|plus) (?:de |d'|recevoir (?:de |d'|vos |les |des |ces )?)"
    r"(?:textos?|textes?|messages?|sms|rappels?|notifications?|appels?)\b"
    r"|^(?:plus|pu) de (?:textos?|messages?|sms|rappels?)\b|\bdesabonne|\bdesinscri"
    r"|\bretire[rz]? (?:mon numero|moi de (?:votre|la|vos) liste)"
    r"|\barret(?:er|e|ez) de recevoir (?:de |d'|des |vos |les |ces )?(?:textos?|textes?|messages?|sms|rappels?"
    r"|notifications?)\b"
)


def opt_out(folded: str) -> str | None:
    """Language ("en"/"fr") of a worded opt-out ("stop sending texts", "arrêtez de m'écrire"), if it is one."""
    if _OPT_OUT_EN.search(folded):
        return "en"
    if _OPT_OUT_FR.search(folded):
        return "fr"
    return None


# "Other options" / "later" while slots are offered: the dialog can offer the next ones.
_MORE = word_regex(
    r"^(?:(?:non|no|nope|nah|euh|um|ok|okay|hmm|alors|so)\W+)?(?:d'|des |les |some |any |the |y'a-t-il |any "
    r")?(?:autres?|others?|more|encore|suivants?|next|next ones?|plus tard|later|something else|autre chose)"
    r"(?: (?:choses?|options?|choix|plages?|heures?|dates?|jours?|moments?|times?|days?|slots?|ones?|please"
    r"|svp|stp|merci|thanks|s'il vous plait|disponibilites?))*\W*$"
    r"|\b(?:d'autres|other|more|different|autres) (?:times?|days?|dates?|options?|slots?|choices?|openings?"
    r"|availabilit\w*|heures?|plages?|choix|jours?|moments?|disponibilites?)\b"
    r"|\b(?:anything|something|quelque chose|rien|one|une?) (?:later|else|de plus tard|d'autre|plus tard)\b"
    r"|\b(?:none of (?:these|those|them|the above)|aucune? (?:de (?:ces|celles?|ceux)|(?:ne )?(?:me )?convient))"
    r"|\b(?:show|give|send) me (?:more|others|other)\b|\b(?:rien|nothing) (?:ne )?(?:me )?(?:convient|works)\b"
    r"|^(?:un peu|un petit peu|a bit|a little|bit|little|encore) (?:plus tard|later)\W*(?:svp|stp|please|pls)?\W*$"
)


# Sooner than what was offered: "plus tôt?", "anything earlier?", "rien de plus tôt que ça?" ("plus tôt que
# jeudi" is a limit, read with the day limits).
_EARLIER = word_regex(
    r"^(?:(?:non|no|nope|euh|um|ok|okay|hmm|alors|so)\W+)?(?:(?:un peu|a bit|a little|encore|even|beaucoup|much)"
    r" )?(?:plus tot|earlier|sooner|plus vite)(?: (?:svp|stp|please|pls|si possible|if possible|que ca|than that))*\W*$"
    r"|\b(?:anything|something|quelque chose|rien|une? (?:place|plage|heure|moment|spot|time|slot)|any(?:thing)? (?:at all )?)"
    r" (?:de )?(?:plus tot|earlier|sooner)\b(?! (?:que|than) (?!ca\b|cela\b|that\b|those\b|ces\b))"
    r"|\b(?:plus tot|earlier|sooner) (?:que|than) (?:ca|cela|that|those|ces (?:heures|moments|plages))\b"
)


def asks_for_earlier(folded: str) -> bool:
    """True when the message asks for sooner options than those offered ("plus tôt?", "anything earlier?")."""
    return _EARLIER.search(folded) is not None


def asks_for_more(folded: str) -> bool:
    """True when the message asks for other or later options ("AUTRES", "plus tard", "other times?")."""
    return _MORE.search(folded) is not None


_NOTIFY_SMS = word_regex(
    r"\b(?:textos?|sms|text me|texte[rz]?[- ]moi|textez[- ]moi|by text|via text|par (?:texte|message|sms|texto)"
    r"|(?:a|un|une?) (?:text|texte|message texte)|text messages?|message texte)\b|^(?:texte?s?|messages?)\W*$"
)
_NOTIFY_CALL = word_regex(
    r"\b(?:appels?|par (?:telephone|tel)|appelez[- ]moi|appelle[- ]moi|m'appeler|me telephoner"
    r"|telephonez[- ]moi|call me|give me a call|phone call|a call|by (?:phone|call|telephone)|phone me)\b"
    r"|^(?:call|telephone|phone)\W*$"
)


def notify_choice(folded: str) -> str | None:
    """How the patient wants to be told: "sms" or "call"; the last one named wins ("pas d'appel, texto")."""
    sms = [m.start() for m in _NOTIFY_SMS.finditer(folded)]
    call = [m.start() for m in _NOTIFY_CALL.finditer(folded)]
    if not sms and not call:
        return None
    if not call:
        return "sms"
    if not sms:
        return "call"
    return "sms" if sms[-1] > call[-1] else "call"


_KEEP = word_regex(
    r"\bgarder\b|\b(?:je|on) (?:la |le |les |l')?garde\b|\bgarde[- ](?:la|le|les|ma|mon)\b"
    r"|\bconserver\b|\bje conserve\b|\bkeep(?:ing)?\b(?! (?:me|us) (?:posted|informed|updated))"
)


def wants_to_keep(folded: str) -> bool:
    """True when the patient keeps what they have ("garder", "keep it", "je garde ma place")."""
    return _KEEP.search(folded) is not None


_LAST = re.compile(
    r"^(?:(?:je (?:prends|choisis|veux|vais prendre|prendrais)|i'?ll (?:take|go with|have)|i (?:take|choose|pick"
    r"|want|would like)|let'?s (?:go with|do)|go with|give me|plutot|ok|okay|oui|yes|euh|um|uh|hmm|alors)\W*\s?)?"
    r"(?:(?:le|la|l'|the|celui|celle|ce)\s?)?(?:tout |very )?(?:dernier|derniere|dernieres|derniers|last|latest"
    r"|(?<=the )later|(?<=le )plus tard|(?<=la )plus tardive|(?<=la )plus tard)"
    r"(?:\s(?:one|option|choix|choice|plage|heure|time|slot|spot|place|moment|de la liste|proposee?|offered))*"
    r"(?:\W*\s?(?:svp|stp|s'il vous plait|s'il te plait|please|pls|plz|merci|thanks|thank you))*\W*$"
)


def picks_last(folded: str) -> bool:
    """True when the message points at the last option offered ("le dernier", "the last one")."""
    return _LAST.match(folded) is not None
