"""smsbot: see README."""

from flask import Blueprint

bp = Blueprint("smsbot", __name__)
