"""voicebot: the Twilio Voice adapter — webhooks under /voice, a dialog Reply rendered as TwiML."""

from flask import Blueprint

bp = Blueprint("voicebot", __name__)

from voicebot import routes  # noqa: E402,F401  (the routes register themselves on bp)
