"""Word tokens, word-level diffs (diff-match-patch over word tokens) and text similarity."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from functools import cache

import fast_diff_match_patch
from diff_match_patch import diff_match_patch

from crawler.normalize import typographic_key
from monitor.diff.model import DiffOps

logger = logging.getLogger(__name__)

#: Numbers with separators ("4,000", "1.128"), words (with inner hyphens and
#: apostrophes), runs of whitespace, single punctuation marks.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|\w+(?:[-'\u2019]\w+)*|\s+|[^\w\s]")

# The line-mode trick: each distinct token becomes one character. The characters
# come from the Private Use Areas, which neither implementation treats as letters,
# digits, spaces or punctuation, so the semantic cleanup scores them alike.
_ALPHABET = (range(0xE000, 0xF900), range(0xF0000, 0xFFFFE), range(0x100000, 0x10FFFE))
_ALPHABET_SIZE = sum(len(r) for r in _ALPHABET)

_OPS = {-1: "delete", 0: "equal", 1: "insert", "-": "delete", "=": "equal", "+": "insert"}

Backend = Callable[[str, str], list[tuple[str, str]]]


def tokenize(text: str) -> list[str]:
    """Split text into word, number, whitespace and punctuation tokens (they join back to it)."""
    return _TOKEN.findall(text)


def is_word(token: str) -> bool:
    """Tell whether a token is a word or number (not whitespace or punctuation)."""
    return token[:1].isalnum() or token[:1] == "_"


def _code(index: int) -> str:
    for block in _ALPHABET:
        if index < len(block):
            return chr(block[index])
        index -= len(block)
    raise ValueError(f"more than {_ALPHABET_SIZE} distinct tokens in one diff")


@cache
def _python_dmp() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0  # no deadline: the same input always gives the same diff
    return dmp


def _diff_python(a: str, b: str) -> list[tuple[str, str]]:
    dmp = _python_dmp()
    diffs = dmp.diff_main(a, b, False)
    dmp.diff_cleanupSemantic(diffs)
    return [(_OPS[op], text) for op, text in diffs]


def _diff_fast(a: str, b: str) -> list[tuple[str, str]]:
    diffs = fast_diff_match_patch.diff(
        a, b, timelimit=0, checklines=False, cleanup="Semantic", counts_only=False
    )
    return [(_OPS[op], text) for op, text in diffs]


BACKENDS: dict[str, Backend] = {"fast": _diff_fast, "python": _diff_python}


def word_diff(before: str, after: str, *, backend: str = "fast") -> DiffOps:
    """Word-level diff of two texts: ("equal" | "insert" | "delete", text) operations.

    Tokens are mapped to single characters, diffed with diff-match-patch and
    cleaned up with `diff_cleanupSemantic`, then mapped back, so an operation
    never splits a word. `backend` is "fast" (the C++ port, fast-diff-match-patch)
    or "python" (diff-match-patch); both give the same operations.
    """
    if before == after:
        return (("equal", before),) if before else ()
    codes: dict[str, str] = {}
    tokens: list[str] = []

    def encode(text: str) -> str:
        chars = []
        for token in tokenize(text):
            char = codes.get(token)
            if char is None:
                char = codes[token] = _code(len(tokens))
                tokens.append(token)
            chars.append(char)
        return "".join(chars)

    a, b = encode(before), encode(after)
    base = {char: token for token, char in codes.items()}
    ops: list[tuple[str, str]] = []
    for op, chars in BACKENDS[backend](a, b):
        text = "".join(base[char] for char in chars)
        if ops and ops[-1][0] == op:
            ops[-1] = (op, ops[-1][1] + text)
        elif text:
            ops.append((op, text))
    return tuple(ops)


def shingles(text: str) -> frozenset[str]:
    """Return the lower-cased words and word pairs of a text's typographic key."""
    words = [t.lower() for t in tokenize(typographic_key(text)) if is_word(t)]
    pairs = (f"{a} {b}" for a, b in itertools.pairwise(words))
    return frozenset((*words, *pairs))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Return the Dice coefficient of two shingle sets (1.0 same words, 0.0 nothing shared)."""
    if not a or not b:
        return 1.0 if a == b else 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def containment(part: frozenset[str], whole: frozenset[str]) -> float:
    """Return the share of `part`'s shingles found in `whole`."""
    return len(part & whole) / len(part) if part else 0.0


def count_words(text: str) -> int:
    """Count the word and number tokens of a text."""
    return sum(1 for t in tokenize(text) if is_word(t))


def join_texts(texts: Iterable[str]) -> str:
    """Show several paragraphs as one text (split and joined paragraphs)."""
    return "\n".join(texts)


def side_tokens(
    ops: Sequence[tuple[str, str]],
) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Return the old and new token streams of a diff, each token flagged when it changed."""
    old: list[tuple[str, bool]] = []
    new: list[tuple[str, bool]] = []
    for op, text in ops:
        toks = tokenize(text)
        if op != "insert":
            old.extend((t, op == "delete") for t in toks)
        if op != "delete":
            new.extend((t, op == "insert") for t in toks)
    return old, new
