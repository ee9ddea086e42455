"""SMS segments: GSM-7 160/153 with the extension table counting double, UCS-2 70/67 in UTF-16 units."""

from __future__ import annotations

import pytest

from smsbot.segments import SegmentCount, economical, gsm_fold, is_gsm7, offending_characters, segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SegmentCount("GSM-7", 0, 0)),
        ("a" * 160, SegmentCount("GSM-7", 160, 1)),
        ("a" * 161, SegmentCount("GSM-7", 161, 2)),
        ("a" * 306, SegmentCount("GSM-7", 306, 2)),
        ("a" * 307, SegmentCount("GSM-7", 307, 3)),
        ("a" * 459, SegmentCount("GSM-7", 459, 3)),
        ("a" * 460, SegmentCount("GSM-7", 460, 4)),
        ("é" * 160, SegmentCount("GSM-7", 160, 1)),
        ("a" * 70, SegmentCount("GSM-7", 70, 1)),
        ("ê", SegmentCount("UCS-2", 1, 1)),
        ("ê" * 70, SegmentCount("UCS-2", 70, 1)),
        ("ê" * 71, SegmentCount("UCS-2", 71, 2)),
        ("ê" * 134, SegmentCount("UCS-2", 134, 2)),
        ("ê" * 135, SegmentCount("UCS-2", 135, 3)),
    ],
)
def test_segments_follow_the_single_and_concatenated_limits(text, expected):
    assert segments(text) == expected


def test_extension_characters_cost_two_septets():
    assert segments("^{}\\[~]|€") == SegmentCount("GSM-7", 18, 1)
    assert segments("€" * 80) == SegmentCount("GSM-7", 160, 1)
    # 162 septets: 76 escape pairs fill 152 of the first 153, the 77th pair moves on.
    assert segments("€" * 81) == SegmentCount("GSM-7", 162, 2)


def test_an_escape_pair_is_never_split_across_segments():
    text = "a" * 152 + "€" + "a" * 152  # 306 septets, but the euro sign cannot straddle segments 1 and 2
    assert segments(text) == SegmentCount("GSM-7", 306, 3)


def test_emoji_count_two_utf16_units_and_are_not_split():
    assert segments("😀" * 35) == SegmentCount("UCS-2", 70, 1)
    assert segments("😀" * 36) == SegmentCount("UCS-2", 72, 2)
    assert segments("a" * 66 + "😀" + "a" * 66) == SegmentCount("UCS-2", 134, 3)
    assert segments("a" * 65 + "😀" + "a" * 67) == SegmentCount("UCS-2", 134, 2)


def test_newlines_and_french_letters_of_the_gsm_set_stay_gsm7():
    text = "Réservé: mer. 9 déc. à 14 h 30\nÇa va? Où? Là."
    assert segments(text) == SegmentCount("GSM-7", len(text), 1)


@pytest.mark.parametrize("char", ["ê", "â", "î", "ô", "û", "ë", "ï", "ç", "œ", "’", "«", "»", "\u00a0", "È"])
def test_quebec_french_characters_outside_gsm7_force_ucs2(char):
    text = "Bonjour " + char
    assert segments(text).encoding == "UCS-2"
    assert offending_characters(text) == char


def test_the_gsm7_letters_of_french_are_recognised():
    assert is_gsm7("é è à ù É Ç ì ò")
    assert not is_gsm7("ça")


def test_folding_drops_only_what_gsm7_lacks():
    assert gsm_fold("Vous êtes « prêt » à l’heure, Côté? Ça, français, œuf") == (
        'Vous etes " pret " à l\'heure, Coté? Ça, francais, oeuf'
    )
    assert gsm_fold("😀") == "😀"


def test_accents_are_kept_when_they_cost_nothing_and_folded_when_they_would():
    short = "Vous êtes inscrit."
    assert economical(short) == short  # one UCS-2 segment either way
    long = "Vous êtes au numéro 12. " * 4  # 96 characters: 2 UCS-2 segments, 1 in GSM-7
    assert economical(long) == long.replace("ê", "e")
    assert segments(economical(long)).segments == 1
