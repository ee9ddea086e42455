"""staff: see README."""

from flask import Blueprint

bp = Blueprint("staff", __name__)
