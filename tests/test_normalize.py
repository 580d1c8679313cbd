"""Text normalisation: clean_text (the fingerprint's) and typographic_key (the diff's)."""

from __future__ import annotations

import re
import unicodedata

import pytest

from crawler.normalize import clean_text, repair_mojibake, typographic_key

CLEAN = [
    ("plain", "plain"),
    ("  padded \t text \n", "padded text"),
    ("non\u00a0breaking\u202fspaces\u2009here", "non breaking spaces here"),
    ("zero\u200bwidth\u200c joiners\u200d\u2060\ufeff", "zerowidth joiners"),
    ("soft\u00adhyphen", "softhyphen"),
    ("Cafe\u0301", "Caf\u00e9"),  # NFC
    ("line\r\nbreaks\u2028and\u3000ideographic", "line breaks and ideographic"),
    ("curly \u201cquotes\u201d stay", "curly \u201cquotes\u201d stay"),
    ("dash \u2014 stays", "dash \u2014 stays"),
    ("", ""),
]

KEYS = [
    ("plain text", "plain text"),
    ("Russia\u2019s \u201cwar\u201d", 'Russia\'s "war"'),
    (
        "\u2018single\u2019 and \u00abguillemets\u00bb and \u201elow\u201c",
        '\'single\' and "guillemets" and "low"',
    ),
    ("tension \u2014 Assad", "tension - Assad"),
    ("tension\u2014Assad", "tension - Assad"),
    ("tension - Assad", "tension - Assad"),
    ("tension -- Assad", "tension - Assad"),
    ("tension \u2013 Assad", "tension - Assad"),
    ("2017\u20132018", "2017-2018"),
    ("al\u2011Assad", "al-Assad"),
    ("Iran-backed", "Iran-backed"),
    ("minus \u22125", "minus -5"),
    ("wait\u2026", "wait..."),
    ("Kukharenko , a former paratrooper .", "Kukharenko, a former paratrooper."),
    ("( aside )", "(aside)"),
    ("non\u00a0breaking", "non breaking"),
    ("Assad\u00e2\u20ac\u2122s hand", "Assad's hand"),  # mojibake of U+2019 (cp1252)
    ("Espa\u00c3\u00b1ol\u00c2\u00a0", "Espa\u00f1ol"),  # mojibake of n-tilde and nbsp
    ("1\u00e2\u0080\u0090877", "1-877"),  # mojibake of U+2010 (Latin-1)
    ("", ""),
]

MOJIBAKE = [
    ("Espa\u00c3\u00b1ol", "Espa\u00f1ol"),
    ("\u00e2\u0080\u009croaming\u00e2\u0080\u009d", "\u201croaming\u201d"),  # Latin-1 reading
    ("\u00e2\u20ac\u0153I\u00e2\u20ac\u2122m\u00e2\u20ac\u009d", "\u201cI\u2019m\u201d"),  # cp1252
    (
        "\u00d0\u00a0\u00d1\u0083\u00d1\u0081\u00d1\u0081\u00d0\u00ba\u00d0\u00b8\u00d0\u00b9",
        "Русский",
    ),
    # Left alone: plain Latin-1 text, and lead characters without their continuation.
    ("Espa\u00f1ol, Fran\u00e7ais, na\u00efve", "Espa\u00f1ol, Fran\u00e7ais, na\u00efve"),
    ("\u00c3 la carte", "\u00c3 la carte"),
    ("PAP\u00c1\u201d", "PAP\u00c1\u201d"),  # decodes to nothing valid: kept
    ("ascii only", "ascii only"),
]


@pytest.mark.parametrize(("text", "expected"), CLEAN)
def test_clean_text(text: str, expected: str) -> None:
    assert clean_text(text) == expected


@pytest.mark.parametrize(("text", "expected"), KEYS)
def test_typographic_key(text: str, expected: str) -> None:
    assert typographic_key(text) == expected


@pytest.mark.parametrize(("text", "expected"), MOJIBAKE)
def test_repair_mojibake(text: str, expected: str) -> None:
    assert repair_mojibake(text) == expected


@pytest.mark.parametrize(("text", "_"), KEYS)
def test_typographic_key_is_idempotent_and_clean(text: str, _: str) -> None:
    key = typographic_key(text)
    assert typographic_key(key) == key
    assert clean_text(key) == key


def test_different_words_keep_different_keys() -> None:
    assert typographic_key("Peterson") != typographic_key("Petersen")
    assert typographic_key("Iran") != typographic_key("Iraq")
    assert typographic_key("it's") != typographic_key("its")


_OLD_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_OLD_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def _reference_clean_text(text: str) -> str:
    """clean_text as first written (regex collapse): the fingerprint must not move."""
    text = unicodedata.normalize("NFC", text).translate(_OLD_INVISIBLE)
    return _OLD_SPACES.sub(" ", text).strip()


def test_clean_text_matches_its_reference_for_every_character() -> None:
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        for text in (f"a{char}b", f" {char}{char} ", char):
            assert clean_text(text) == _reference_clean_text(text), hex(code)


@pytest.mark.parametrize(("text", "_"), CLEAN + KEYS + MOJIBAKE)
def test_clean_text_matches_its_reference_on_the_tables(text: str, _: str) -> None:
    assert clean_text(text) == _reference_clean_text(text)
