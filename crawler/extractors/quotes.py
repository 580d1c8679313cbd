"""Quoted speech inside paragraphs, and who said it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from crawler.items import Quote

logger = logging.getLogger(__name__)

#: A quotation shorter than this many words is a scare quote ("eliminate terrorism").
MIN_QUOTE_WORDS = 4

_WORD = re.compile(r"\w+")
_SPEECH = r"(?:said|says|added|adds|wrote|writes|explained|noted|continued|insisted|argued|" \
    r"warned|stressed|recalled|replied|asked|told|tells|declared|claimed|commented|remarked)"
# Verbs that may be followed by the speaker ("said David Lesch"); "told X" names the listener.
_SPEECH_BEFORE_NAME = r"(?:said|says|added|adds|wrote|writes|explained|noted|continued|" \
    r"insisted|argued|warned|stressed|recalled|replied|asked|according\s+to)"
_PARTICLE = r"(?:al|el|bin|ibn|de|da|du|dos|van|von|der|den|la|le)"
_CAP_WORD = rf"(?:[A-Z][\w'\u2019.-]*|{_PARTICLE}(?:-[A-Z][\w'\u2019-]*)?\b)"
_NAME = rf"[A-Z][\w'\u2019.-]*(?:\s+{_CAP_WORD})*"
_NAME_THEN_VERB = re.compile(rf"({_NAME})\s+{_SPEECH}\b")
_VERB_THEN_PHRASE = re.compile(rf"\b(?i:{_SPEECH_BEFORE_NAME})\s+([^,;:.!?()\u2014\u2013]+)")
_LOWER_PARTICLES = {"al", "el", "bin", "ibn", "de", "da", "du", "dos", "van", "von", "der", "den",
                    "la", "le"}
# Titles and adjectives before a name: "Russian President Vladimir Putin" -> "Vladimir Putin".
_TITLES = {
    "President", "Prime", "Minister", "Foreign", "Defense", "Defence", "Secretary", "Chancellor",
    "General", "Gen.", "Senator", "Sen.", "Rep.", "Governor", "Gov.", "Mayor", "Deputy", "Chief",
    "Spokesman", "Spokeswoman", "Spokesperson", "Ambassador", "Professor", "Prof.", "Judge",
    "Patriarch", "King", "Queen", "Pope", "Former", "Russian", "Ukrainian", "U.S.", "American",
    "Kremlin", "Syrian", "Iranian", "Turkish", "Chinese", "State", "Duma", "Vice", "Colonel",
    "Col.", "Lt.", "Sergeant", "Opposition", "Mr.", "Mrs.", "Ms.", "Dr.",
}
# Capitalised words that open a sentence or a phrase but are not part of a name.
_NOT_NAME = {
    "The", "A", "An", "But", "And", "However", "Meanwhile", "In", "On", "At", "As", "When",
    "While", "Then", "So", "Yet", "Also", "This", "That", "It", "He", "She", "They", "We",
    "I", "You", "His", "Her", "Their", "Our", "Its", "Mr.", "Mrs.", "Ms.", "Dr.", "Sir",
}
# Words at which the phrase after "said" stops being about the speaker.
_PHRASE_STOP = re.compile(
    r"\s(?:on|in|at|during|after|before|while|when|last|this|earlier|later|to|who|"
    r"whose|which|adding|told|from|of|that|with|for)\s"
)
_SENTENCE_END = re.compile(
    r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bGen)(?<!\bSen)(?<!\bSt)(?<!\bJr)"
    r"(?<![A-Z])[.!?](?=\s|$)"
)
# Opening mark -> marks that may close it. Pages mix curly and straight quotes (an
# editor retypes one end), so a curly opener may close straight and vice versa.
_QUOTE_PAIRS = {"\u201c": ("\u201d", '"'), '"': ('"', "\u201d"), "\u00ab": ("\u00bb",)}


def find_quotes(paragraphs: list[str]) -> list[Quote]:
    """Inline quotations of at least `MIN_QUOTE_WORDS` words, with their speakers."""
    quotes: list[Quote] = []
    for index, text in enumerate(paragraphs):
        for start, end in _quoted_spans(text):
            inner = text[start + 1 : end].strip().rstrip(",").strip()
            if len(_WORD.findall(inner)) < MIN_QUOTE_WORDS:
                continue
            speaker = find_speaker(text[:start], text[end + 1 :])
            quotes.append(Quote(text=inner, speaker=speaker, kind="inline", paragraph=index))
    return quotes


def _quoted_spans(text: str) -> Iterator[tuple[int, int]]:
    """(open, close) offsets of each quotation; an unclosed one runs to the end."""
    pos = 0
    while pos < len(text):
        opener = min(
            (i for i in (text.find(q, pos) for q in _QUOTE_PAIRS) if i >= 0), default=-1
        )
        if opener < 0:
            return
        closer = min(
            (i for i in (text.find(q, opener + 1) for q in _QUOTE_PAIRS[text[opener]]) if i >= 0),
            default=-1,
        )
        if closer < 0:
            yield opener, len(text)
            return
        yield opener, closer
        pos = closer + 1


def find_speaker(before: str, after: str) -> str:
    """Find the speaker named around a quotation.

    `before` and `after` are the paragraph text either side of it. The same
    sentence is searched first, then the rest of the paragraph.
    """
    after_sentence = _first_sentence(after)
    before_sentence = _last_sentence(before)
    for context in (after_sentence, before_sentence, after, before):
        speaker = speaker_in(context)
        if speaker:
            return speaker
    return ""


def _first_sentence(text: str) -> str:
    found = _SENTENCE_END.search(text)
    return text[: found.start()] if found else text


def _last_sentence(text: str) -> str:
    ends = list(_SENTENCE_END.finditer(text))
    return text[ends[-1].end() :] if ends else text


def speaker_in(context: str) -> str:
    """Return the speaker's name in an attribution phrase, or "" if there is none.

    Phrases: "said David Lesch, an expert", "David Lesch said", ", Lesch said",
    "according to X", "X told Reuters".
    """
    for found in _NAME_THEN_VERB.finditer(context):
        name = _clean_name(found.group(1).split())
        if name:
            return name
    for found in _VERB_THEN_PHRASE.finditer(context):
        phrase = _PHRASE_STOP.split(" " + found.group(1) + " ", maxsplit=1)[0]
        name = _last_name_run(phrase.split())
        if name:
            return name
    return ""


def _clean_name(words: list[str]) -> str:
    """Drop sentence-opening words that are not part of a name ("The", "However")."""
    while words and words[0] in _NOT_NAME:
        words = words[1:]
    while words and words[-1].lower() in _LOWER_PARTICLES:
        words = words[:-1]
    while len(words) > 1 and words[0] in _TITLES:
        words = words[1:]
    return " ".join(words).rstrip(".'\u2019")


def _last_name_run(words: list[str]) -> str:
    """Return the last run of capitalised words ("Kremlin spokesman Dmitry Peskov")."""
    runs: list[list[str]] = [[]]
    for word in words:
        if word[:1].isupper() or (runs[-1] and word.split("-")[0].lower() in _LOWER_PARTICLES):
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    for run in reversed(runs):
        name = _clean_name(run)
        if name:
            return name
    return ""
