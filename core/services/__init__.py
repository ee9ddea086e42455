"""Booking core services: plain functions over a session that never commit and raise domain errors."""
