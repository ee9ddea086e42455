"""Fixtures of the federation tests: the demo clinics (Parc and Westmount, 4 km apart) on a signed app."""

from __future__ import annotations

import pytest


@pytest.fixture
def signed_rt(any_signed_rt):
    """Federation must hold on SQLite and on PostgreSQL: the app and client of tests/conftest.py run on both."""
    return any_signed_rt
