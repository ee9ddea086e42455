"""smsbot: the Twilio Messaging adapter (POST /sms, /sms/status, /fallback/sms) and SMS segment counting."""

from flask import Blueprint

bp = Blueprint("smsbot", __name__)

from smsbot import routes  # noqa: E402,F401  (registers the routes on bp)
