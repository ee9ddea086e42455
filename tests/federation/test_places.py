"""Postal areas: read from words, speech or keys, placed by the table shipped with the project."""

from __future__ import annotations

import pytest

from core.federation import places


@pytest.mark.parametrize(
    ("said", "fsa"),
    [
        ("H2X", "H2X"),
        ("h2x 1y4", "H2X"),
        ("H2X1Y4", "H2X"),
        ("H 2 X", "H2X"),
        ("mon code postal est j4k 2b3", "J4K"),
        ("ache deux ixe", "H2X"),
        ("aitch two ex", "H2X"),
        ("G1R", "G1R"),
        ("je ne sais pas", None),
        ("D1A", None),  # D never starts a postal code
        ("H9Q", None),  # not in the table
    ],
)
def test_a_postal_area_is_read_from_what_the_patient_wrote_or_said(said, fsa):
    assert places.fsa_in_text(said) == fsa


def test_three_keys_spell_the_areas_of_their_letters_and_the_nearest_to_the_clinic_wins():
    assert set(places.fsas_for_keys("429")) == {"H2W", "H2X", "H2Y", "H2Z"}  # G2W… are not in the table
    montreal, quebec_city = (45.50, -73.57), (46.81, -71.21)
    assert places.fsa_for_keys("419", montreal).startswith("H1")
    assert places.fsa_for_keys("419", quebec_city).startswith("G1")
    assert places.fsas_for_keys("12") == []
    assert places.fsas_for_keys("129") == []  # 1 has no letters


def test_the_table_covers_quebec_with_real_coordinates():
    quebec = [a for a in places.areas().values() if a.fsa[0] in "GHJ"]
    assert len(quebec) > 400
    assert all(44.9 < a.latitude < 63 and -80 < a.longitude < -57 for a in quebec)
    assert round(
        places.km_between(places.point(places.area("H2X")), places.point(places.area("G1R")))
    ) in range(230, 240)
