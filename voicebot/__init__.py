"""voicebot: see README."""

from flask import Blueprint

bp = Blueprint("voicebot", __name__)
