"""Other clinics: when nothing fits here, or the patient asks for 'ailleurs', up to three nearby ones.

By SMS each comes with the number to text; on the phone each is read out with a key that transfers the
call there. 'Nearby' needs the patient's postal area (asked once, then remembered); without it the
clinics come soonest first.
"""

from __future__ import annotations

import datetime as dt

from core.dialog.engine import Question, Turn, question, starter
from core.dialog.heard import Heard
from core.dialog.people import release_hold
from core.dialog.types import Choice, Parts, Reply, Say
from core.federation import offers as federation
from core.federation import places
from core.language.normalize import fold
from core.timeutil import to_local
from prompts import catalog

ALL = "1"  # on the phone: hear every clinic, without a postal code
NAME_SMS = 40


@starter("elsewhere")
def start_elsewhere(t: Turn, _h: Heard | None) -> Reply:
    """'ailleurs', 'une autre clinique', 'elsewhere', 'another clinic'."""
    release_hold(t)
    return when_full(t, None)


def room_elsewhere(t: Turn) -> bool:
    """Whether another clinic of the region has a free slot or walk-in places."""
    return bool(federation.nearby(t.session, t.clinic, t.now, None, limit=1))


def when_full(t: Turn, fallback: Say | None, none_here: str | None = "elsewhere_none_here") -> Reply:
    """Nothing fits at this clinic (fallback: what to say when no other clinic has room either).

    `none_here` says why another clinic is offered (None when the reply already said it).
    """
    if fallback is not None and none_here:
        t.lead.append(Say(none_here))
    if not room_elsewhere(t):
        t.lead = [s for s in t.lead if s.key != none_here]
        return t.done(fallback or Say("elsewhere_nothing", {"phone": t.clinic_phone()}))
    fsa = federation.remembered_area(t.session, t.patient(create=False))
    if fsa is None:
        return t.ask("elsewhere_area", data={})
    return show(t, fsa)


def _when(t: Turn, instant: dt.datetime) -> Say | dt.datetime:
    """'demain 9 h', 'aujourd'hui 14 h 30', else the day and time ('jeu. 10 déc. à 9 h')."""
    local = to_local(instant, t.clinic.timezone).replace(tzinfo=None)
    days = (local.date() - t.local_now.date()).days
    if days in (0, 1):
        return Say("elsewhere_today" if days == 0 else "elsewhere_tomorrow", {"time": local.time()})
    return local


def short_name(name: str, limit: int = NAME_SMS) -> str:
    """A clinic's name cut at a word for SMS, so three offers fit in three segments."""
    if len(name) <= limit:
        return name
    cut = name[: limit + 1].rsplit(" ", 1)[0] if " " in name[:limit] else name[:limit]
    return cut.rstrip(" -–,.'")


def _line(t: Turn, offer: federation.Offer) -> Say:
    km = ""
    if offer.km is not None:
        km = Say("elsewhere_km", {"km": offer.km})
    name = offer.name if t.voice else short_name(offer.name)
    phone = offer.phone
    if offer.starts_at is not None:
        return Say(
            "elsewhere_offer", {"name": name, "km": km, "when": _when(t, offer.starts_at), "phone": phone}
        )
    return Say(
        "elsewhere_offer_walkin", {"name": name, "km": km, "places": offer.walkin_places, "phone": phone}
    )


def show(t: Turn, fsa: str | None) -> Reply:
    """The offers: SMS lines with the number to text; on the phone, read out with a key to transfer."""
    found = federation.nearby(t.session, t.clinic, t.now, fsa)
    if not found and fsa is not None:
        found = federation.nearby(t.session, t.clinic, t.now, None)  # none near: the soonest anywhere
        fsa = None
    if not found:
        return t.done(Say("elsewhere_nothing", {"phone": t.clinic_phone()}))
    intro = Say("elsewhere_intro_near", {"fsa": fsa}) if fsa else Say("elsewhere_intro")
    t.audit("federation.offered", clinics=[o.phone for o in found], fsa=fsa)
    if not t.voice:
        lines = Parts(tuple(_line(t, o) for o in found), "\n")
        return t.done(Say("elsewhere_offers", {"intro": intro, "offers": lines}))
    data = {"offers": [{"name": o.name, "phone": o.phone} for o in found]}
    says = [Say("elsewhere_offers", {"intro": intro, "offers": ""})] + [_line(t, o) for o in found]
    return t.ask("elsewhere_pick", data=data, says=says)


# ---- the postal area -------------------------------------------------------------------------------------------


def _area_recognise(t: Turn, h: Heard) -> object | None:
    if h.keyed:
        if h.digits == ALL:
            return {"all": True}
        near = federation.clinic_position(t.clinic)
        fsa = places.fsa_for_keys(h.digits, near)
        return {"fsa": fsa} if fsa else None
    fsa = places.fsa_in_text(h.text)
    if fsa:
        return {"fsa": fsa}
    if h.intent == "no" or t.said_any("words_elsewhere_all") or _says_all(t, h):
        return {"all": True}
    return None


def _says_all(t: Turn, h: Heard) -> bool:
    """'toutes les cliniques', 'any clinic': a word of the catalog's list inside a longer answer."""
    words = set(h.folded.replace("'", " ").split())
    return any(
        fold(w) in words
        for lang in ("fr", "en")
        for w in catalog(lang)["words_elsewhere_all"]
        if " " not in w
    )


def _area_act(t: Turn, answer: dict) -> Reply:
    fsa = answer.get("fsa")
    if fsa:
        federation.remember_area(t.session, t.patient(), fsa)
        t.audit("patient.postal_area", fsa=fsa)
    return show(t, fsa)


def _area_choices(t: Turn) -> list[Choice]:
    return [Choice(ALL, Say("elsewhere_all_label"), "all", keypad_only=True)]


question(
    Question(
        name="elsewhere_area",
        prompt="elsewhere_ask_area",
        retry="elsewhere_ask_area_retry",
        expects="any",
        recognise=_area_recognise,
        act=_area_act,
        choices=_area_choices,
        hints="hints_elsewhere_area",
        max_digits=3,
        exhausted=lambda t: show(t, None),
    )
)


# ---- the phone: transfer to the clinic chosen --------------------------------------------------------------


def _pick_choices(t: Turn) -> list[Choice]:
    return [
        Choice(str(i), Say("elsewhere_transfer_label", {"name": o["name"]}), str(i))
        for i, o in enumerate(t.data.get("offers", []), start=1)
    ]


def _pick_recognise(t: Turn, h: Heard) -> object | None:
    offered = t.data.get("offers", [])
    if h.choice is not None and (h.keyed or h.intent == "choice") and 1 <= h.choice <= len(offered):
        return {"pick": h.choice - 1}
    if len(offered) == 1 and h.intent == "yes":
        return {"pick": 0}
    return None


def _pick_act(t: Turn, answer: dict) -> Reply:
    chosen = t.data["offers"][answer["pick"]]
    t.audit("call.transferred_elsewhere", to=chosen["phone"])
    t.state.close()
    return t.reply(
        [Say("elsewhere_transferring", {"name": chosen["name"]})], transfer_to=chosen["phone"], ends=True
    )


question(
    Question(
        name="elsewhere_pick",
        prompt="elsewhere_pick",
        retry="elsewhere_pick_retry",
        recognise=_pick_recognise,
        act=_pick_act,
        choices=_pick_choices,
    )
)
