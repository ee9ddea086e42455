"""The waiting-room screen: the numbers being called and their rooms, for a TV, and the links that open it.

Access is a per-clinic display link that a manager creates and rotates: a TV has no one to sign in, and a
staff session left open on a screen in the waiting room would be the whole console for anyone passing by
(and would idle out). The link opens numbers and rooms only, never a name or a phone number; only a hash
of its token is kept, and rotating or revoking it stops the old link at once.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import DBAPIError

import prompts
from core.services import live_board
from core.services.clinics import clinic_by_id
from core.webhooks import runtime
from staff import security
from staff.routes import bp, clinic_or_404

MANAGER = "manager"
POLL_SECONDS = 3  # a TV across the room: a number shows within a few seconds of "call next"

screen = Blueprint("display", __name__, url_prefix="/display", template_folder="templates")


def _other(lang: str) -> str:
    return "en" if lang == "fr" else "fr"


def called_lines(called: live_board.Called, lang: str) -> dict:
    """One call as the screen shows it, in the clinic's language first and the other one under it."""

    def line(language: str) -> str:
        key = "display_number_room" if called.room else "display_number"
        return prompts.render(key, language, "sms", number=called.number, room=called.room or "")

    return {
        "number": called.number,
        "room": called.room,
        "primary": line(lang),
        "secondary": line(_other(lang)),
    }


def _screen_view(s, link, now) -> dict:
    clinic = clinic_by_id(s, link.clinic_id)
    lang = clinic.default_lang if clinic.default_lang in prompts.LANGS else "fr"
    called = [called_lines(c, lang) for c in live_board.called_numbers(s, clinic, now)]
    return {"stamp": live_board.display_stamp(s, clinic, now), "called": called, "every": POLL_SECONDS}


def _words(lang: str):
    def words(key: str, **values) -> str:
        return prompts.render(f"display_{key}", lang, "sms", **values)

    return words


def _not_found(lang: str = "fr"):
    return render_template(
        "staff/display_gone.html", words=_words(lang), other=_words(_other(lang)), key="gone"
    ), 404


@screen.errorhandler(DBAPIError)
def _database_down(_error):
    """The screen keeps what it shows and tries again; a fresh load says the numbers will come back."""
    if request.path.endswith(".json"):
        return jsonify({"error": "unavailable"}), 503
    words = _words("fr")
    return render_template("staff/display_gone.html", words=words, other=_words("en"), key="down"), 503


@screen.after_request
def _headers(response):
    security.add_security_headers(response)
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the address: never pass it on
    return response


@screen.get("/<token>")
def page(token: str):
    rt = runtime()
    now = rt.now()
    with rt.session_factory.begin() as s:
        link = live_board.link_for_token(s, token)
        if link is None:
            return _not_found()
        link.last_used_at = now
        clinic = clinic_by_id(s, link.clinic_id)
        lang = clinic.default_lang if clinic.default_lang in prompts.LANGS else "fr"
        view = _screen_view(s, link, now)
        return render_template(
            "staff/display.html",
            clinic_name=clinic.display_name(lang),
            clinic_name_other=clinic.display_name(_other(lang)),
            lang=lang,
            words=_words(lang),
            other=_words(_other(lang)),
            view=view,
            poll=url_for("display.now", token=token),
        )


@screen.get("/<token>/now.json")
def now(token: str):
    rt = runtime()
    with rt.session_factory() as s:
        link = live_board.link_for_token(s, token)
        if link is None:
            return jsonify({"error": "not_found"}), 404
        view = _screen_view(s, link, rt.now())
        if view["stamp"] == request.args.get("stamp", "")[:32]:
            return jsonify({"stamp": view["stamp"], "changed": False, "every": POLL_SECONDS})
        return jsonify({**view, "changed": True})


# ---- the managers' page: create, rotate and revoke the link ------------------------------------------------


@bp.get("/<clinic_id>/display")
def display_links(clinic_id: str):
    rt = runtime()
    with rt.session_factory() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        return render_template(
            "staff/display_links.html",
            clinic=clinic,
            link=live_board.active_link(s, clinic.id),
            created=None,
            notice=request.args.get("notice"),
        )


def _address(rt, token: str) -> str:
    """The link as the TV opens it: behind a proxy, from PUBLIC_BASE_URL."""
    base = (rt.config.public_base_url or "").rstrip("/")
    return (
        base + url_for("display.page", token=token)
        if base
        else url_for("display.page", token=token, _external=True)
    )


@bp.post("/<clinic_id>/display/rotate")
def display_rotate(clinic_id: str):
    """A new link for the clinic's screens (the old one stops working); its address is shown this once."""
    rt = runtime()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        link, token = live_board.rotate_link(s, clinic, current_user.actor, rt.now())
        return render_template(
            "staff/display_links.html",
            clinic=clinic,
            link=link,
            created=_address(rt, token),
            notice=None,
        )


@bp.post("/<clinic_id>/display/revoke")
def display_revoke(clinic_id: str):
    rt = runtime()
    with rt.session_factory.begin() as s:
        clinic = clinic_or_404(s, clinic_id, MANAGER)
        live_board.revoke_links(s, clinic, current_user.actor, rt.now())
    return redirect(url_for("staff.display_links", clinic_id=clinic_id, notice="done"))
