"""Word tokens, word-level diffs (diff-match-patch over word tokens) and text similarity."""

from __future__ import annotations

import itertools
import logging
import re
import string
from collections.abc import Callable, Iterable
from functools import cache

import fast_diff_match_patch
from diff_match_patch import diff_match_patch

from crawler.normalize import typographic_key
from monitor.diff.model import DiffOps

logger = logging.getLogger(__name__)

#: Numbers with separators ("4,000", "1.128"), words (with inner hyphens and
#: apostrophes), runs of whitespace, single punctuation marks.
_WORD_PATTERN = r"\d+(?:[.,]\d+)+|\w+(?:[-'\u2019]\w+)*"
_TOKEN = re.compile(rf"{_WORD_PATTERN}|\s+|[^\w\s]")
_WORD = re.compile(_WORD_PATTERN)
#: Punctuation that separates words for `shingles` (apostrophes and hyphens join them).
_PUNCTUATION = str.maketrans(
    dict.fromkeys(string.punctuation.replace("'", "").replace("-", ""), " ")
)

# The line-mode trick: each distinct token becomes one character. The characters
# come from the Private Use Areas, which neither implementation treats as letters,
# digits, spaces or punctuation, so the semantic cleanup scores them alike.
_ALPHABET = "".join(
    map(chr, (*range(0xE000, 0xF900), *range(0xF0000, 0xFFFFE), *range(0x100000, 0x10FFFE)))
)

_OPS = {-1: "delete", 0: "equal", 1: "insert", "-": "delete", "=": "equal", "+": "insert"}

Backend = Callable[[str, str], list[tuple[str, str]]]


def tokenize(text: str) -> list[str]:
    """Split text into word, number, whitespace and punctuation tokens (they join back to it)."""
    return _TOKEN.findall(text)


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


def common_prefix(a: str, b: str) -> int:
    """Return the length of the longest common prefix of two texts."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix(a: str, b: str, limit: int) -> int:
    """Return the length of the longest common suffix of two texts (at most `limit`)."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return lo


#: Words of common context left on each side of the middle that is diffed, so the
#: semantic cleanup places edits (and their spaces) as it would in the whole text.
_CONTEXT_WORDS = 3


def _affixes(a: str, b: str) -> tuple[int, int]:
    """Lengths of a common head and tail of `a` and `b` that end and start at token bounds.

    The head ends just after a run of whitespace, the tail starts just before
    one, a few words inside the common part, so no token crosses either cut
    and the middle diffs as the whole would.
    """
    cut = common_prefix(a, b) - 1
    for _ in range(_CONTEXT_WORDS):
        cut -= 1
        while cut > 0 and not (a[cut - 1].isspace() and not a[cut].isspace()):
            cut -= 1
    head = max(cut, 0)
    start = len(a) - common_suffix(a, b, min(len(a), len(b)) - head)
    for _ in range(_CONTEXT_WORDS):
        start += 1
        while start < len(a) and not (a[start].isspace() and not a[start - 1].isspace()):
            start += 1
    return head, max(len(a) - start, 0)


def _diff_tokens(before: str, after: str, backend: str) -> list[tuple[str, str]]:
    old_tokens, new_tokens = tokenize(before), tokenize(after)
    vocabulary = dict.fromkeys(old_tokens)
    vocabulary.update(dict.fromkeys(new_tokens))
    if len(vocabulary) > len(_ALPHABET):
        raise ValueError(f"more than {len(_ALPHABET)} distinct tokens in one diff")
    codes = dict(zip(vocabulary, _ALPHABET, strict=False))
    tokens = dict(zip(_ALPHABET, vocabulary, strict=False))
    a = "".join(map(codes.__getitem__, old_tokens))
    b = "".join(map(codes.__getitem__, new_tokens))
    return [(op, "".join(map(tokens.__getitem__, chars))) for op, chars in BACKENDS[backend](a, b)]


def word_diff(before: str, after: str, *, backend: str = "fast") -> DiffOps:
    """Word-level diff of two texts: ("equal" | "insert" | "delete", text) operations.

    Tokens (words, numbers, whitespace runs, punctuation marks) are mapped to
    single characters, diffed with diff-match-patch and cleaned up with
    `diff_cleanupSemantic`, then mapped back, so an operation never splits a
    word. The common head and tail are set aside first (at token bounds).
    `backend` is "fast" (the C++ port, fast-diff-match-patch) or "python"
    (diff-match-patch); both give the same operations.
    """
    if before == after:
        return (("equal", before),) if before else ()
    head, tail = _affixes(before, after)
    middle = _diff_tokens(
        before[head : len(before) - tail], after[head : len(after) - tail], backend
    )
    ops: list[tuple[str, str]] = []
    for op, text in [("equal", before[:head]), *middle, ("equal", before[len(before) - tail :])]:
        if ops and ops[-1][0] == op:
            ops[-1] = (op, ops[-1][1] + text)
        elif text:
            ops.append((op, text))
    return tuple(ops)


def words(text: str) -> list[str]:
    """Return the word and number tokens of a text."""
    return _WORD.findall(text)


#: Words and word pairs of a text, for `similarity`.
Shingles = frozenset[str | tuple[str, str]]


def shingles(text: str, key: str | None = None) -> Shingles:
    """Return the lower-cased words and word pairs of a text's typographic key (if known)."""
    folded = (typographic_key(text) if key is None else key).lower().translate(_PUNCTUATION)
    found = folded.split()
    return frozenset(found).union(itertools.pairwise(found))


def similarity(a: Shingles, b: Shingles) -> float:
    """Return the Dice coefficient of two shingle sets (1.0 same words, 0.0 nothing shared)."""
    if not a or not b:
        return 1.0 if a == b else 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def count_words(text: str) -> int:
    """Count the word and number tokens of a text."""
    return len(_WORD.findall(text))


def join_texts(texts: Iterable[str]) -> str:
    """Show several paragraphs as one text (split and joined paragraphs)."""
    return "\n".join(texts)
