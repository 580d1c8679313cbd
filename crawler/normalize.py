"""Text normalisation shared by the fingerprint and the diff engine.

Two levels. `clean_text` removes only what a reader cannot see (Unicode
composition, invisible and non-breaking spaces, runs of whitespace): it feeds
the fingerprint, so a page re-serialised differently is not a new revision.
`typographic_key` also repairs mojibake and folds curly/straight quotes,
dashes, ellipses and spacing around punctuation: two texts with the same key
differ only typographically.
"""

from __future__ import annotations

import logging
import re
import unicodedata

logger = logging.getLogger(__name__)

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "\u2039": "'",
        "\u203a": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2212": "-",
        "\u2026": "...",
    }
)
# A dash between words: an em dash or a doubled hyphen always, any dash when spaced.
_LONG_DASH = re.compile(r"\s*(?:[\u2014\u2015]|-{2,3}|\u2013{2})\s*")
_SPACED_DASH = re.compile(r"\s+-\s*|\s*-\s+")
_SPACE_BEFORE = re.compile(r"\s+(?=[,.;:!?)\]])")
_SPACE_AFTER = re.compile(r"(?<=[(\[])\s+")

# Mojibake: UTF-8 bytes decoded as Latin-1 or Windows-1252. A continuation byte
# (0x80-0xBF) shows up as U+0080-U+00BF or as the cp1252 character for 0x80-0x9F.
_CP1252_HIGH = {
    char: byte
    for byte in range(0x80, 0xA0)
    if (char := bytes([byte]).decode("cp1252", errors="ignore"))
}
_CONT = "[\u0080-\u00bf" + "".join(_CP1252_HIGH) + "]"
_MOJIBAKE = re.compile(
    f"(?:[\u00c2-\u00df]{_CONT}|[\u00e0-\u00ef]{_CONT}{{2}}|[\u00f0-\u00f4]{_CONT}{{3}})+"
)


def clean_text(text: str) -> str:
    """Compose (NFC), drop invisible characters and collapse all spacing to one space."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


def _demojibake(match: re.Match[str]) -> str:
    run = match.group(0)
    raw = bytes(_CP1252_HIGH.get(char, ord(char)) for char in run)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return run


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Latin-1/cp1252 ("â€™" → "’", "Ã±" → "ñ").

    Only runs that form complete UTF-8 sequences are touched, and only when they
    decode; anything else is left as it is.
    """
    if text.isascii():
        return text
    return _MOJIBAKE.sub(_demojibake, text)


def typographic_key(text: str) -> str:
    """What is left when typography is set aside: two texts with equal keys differ only in print.

    `repair_mojibake`, `clean_text`, then quotes and apostrophes folded to ASCII,
    every dash between words (em dash, spaced hyphen or en dash, "--") to " - ",
    an unspaced en dash or non-breaking hyphen to "-", "…" to "...", and no
    space before closing punctuation or after an opening bracket.
    """
    folded = _LONG_DASH.sub(" - ", clean_text(repair_mojibake(text)))
    folded = _SPACED_DASH.sub(" - ", folded.translate(_TYPOGRAPHY))
    folded = _SPACE_AFTER.sub("", _SPACE_BEFORE.sub("", folded))
    return _SPACES.sub(" ", folded).strip()
