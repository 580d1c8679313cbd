"""Text normalisation shared by the fingerprint and the diff engine.

Two levels. `clean_text` removes only what a reader cannot see (Unicode
composition, invisible and non-breaking spaces, runs of whitespace): it feeds
the fingerprint, so a page re-serialised differently is not a new revision.
`typographic_key` also folds curly/straight quotes, dashes and soft hyphens:
two texts with the same key differ only typographically.
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
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
    }
)
_SPACED_DASH = re.compile(r"\s*-\s*(?=\s)|(?<=\s)-\s*")


def clean_text(text: str) -> str:
    """Compose (NFC), drop invisible characters and collapse all spacing to one space."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


def typographic_key(text: str) -> str:
    """`clean_text`, then fold quotes, apostrophes, dashes and ellipses to ASCII."""
    folded = clean_text(text).translate(_TYPOGRAPHY)
    # "a — b", "a - b" and "a—b" are the same sentence set differently.
    folded = re.sub(r"\s*-{1,3}\s*", lambda m: "-" if m.group(0) == "-" else " - ", folded)
    return _SPACES.sub(" ", folded).strip()
