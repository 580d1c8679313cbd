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
_INVISIBLE_FOUND = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TYPOGRAPHY = (
    ("\u2018", "'"),
    ("\u2019", "'"),
    ("\u201a", "'"),
    ("\u201b", "'"),
    ("\u2032", "'"),
    ("\u00b4", "'"),
    ("\u2039", "'"),
    ("\u203a", "'"),
    ("`", "'"),
    ("\u201c", '"'),
    ("\u201d", '"'),
    ("\u201e", '"'),
    ("\u201f", '"'),
    ("\u2033", '"'),
    ("\u00ab", '"'),
    ("\u00bb", '"'),
    ("\u2010", "-"),
    ("\u2011", "-"),
    ("\u2012", "-"),
    ("\u2013", "-"),
    ("\u2212", "-"),
    ("\u2026", "..."),
)
# A dash between words: an em dash or a doubled hyphen always, any dash when spaced.
_LONG_DASHES = ("\u2014", "\u2015", "---", "--", "\u2013\u2013")
_SPACED_DASH = re.compile(r" ?- ")
# No space before closing punctuation or after an opening bracket ("Kukharenko , a").
_SPACE_BEFORE = re.compile(r" (?=[,.;:!?)\]])")
_SPACE_AFTER = re.compile(r"([(\[]) ")

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
_MOJIBAKE_START = re.compile(f"[\u00c2-\u00f4]{_CONT}")  # a cheap test before the full pattern


def clean_text(text: str) -> str:
    """Compose (NFC), drop invisible characters and collapse all spacing to one space.

    Every character `_SPACES` matches is one `str.split` splits on, and no other,
    so splitting and joining is the same collapse, only faster.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if _INVISIBLE_FOUND.search(text):
            text = text.translate(_INVISIBLE)
    return " ".join(text.split())


def _demojibake(match: re.Match[str]) -> str:
    run = match.group(0)
    raw = bytes(_CP1252_HIGH.get(char, ord(char)) for char in run)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return run


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Latin-1 or cp1252 ("Ã±" → "ñ", "â€œ" → "\u201c").

    Only runs that form complete UTF-8 sequences are touched, and only when they
    decode; anything else is left as it is.
    """
    if text.isascii() or not _MOJIBAKE_START.search(text):
        return text
    return _MOJIBAKE.sub(_demojibake, text)


def typographic_key(text: str) -> str:
    """Return the text with typography set aside: equal keys mean a difference in print only.

    `repair_mojibake`, `clean_text`, then quotes and apostrophes folded to ASCII,
    every dash between words (em dash, spaced hyphen or en dash, "--") to " - ",
    an unspaced en dash or non-breaking hyphen to "-", "…" to "...", and no
    space before closing punctuation or after an opening bracket.
    """
    folded = clean_text(repair_mojibake(text))
    for dash in _LONG_DASHES:
        if dash in folded:
            folded = folded.replace(dash, " - ")
    for char, ascii_char in _TYPOGRAPHY:
        if char in folded:
            folded = folded.replace(char, ascii_char)
    if "  " in folded:
        folded = " ".join(folded.split())
    if "- " in folded:
        folded = _SPACED_DASH.sub(" - ", folded)
    if " " in folded:
        folded = _SPACE_BEFORE.sub("", folded)
    if "( " in folded or "[ " in folded:
        folded = _SPACE_AFTER.sub(r"\1", folded)
    if "  " in folded or folded[:1] == " " or folded[-1:] == " ":
        folded = " ".join(folded.split())
    return folded
