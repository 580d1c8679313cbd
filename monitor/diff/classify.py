"""Significance of a change (typographic, minor, major), by the rules in rules.yaml."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from crawler.normalize import typographic_key
from monitor.diff.model import KINDS, Change, DiffOps
from monitor.diff.words import count_words, tokenize, word_diff

logger = logging.getLogger(__name__)

#: Kinds whose before/after are not two versions of one text: no word diff.
_NO_DIFF = frozenset(
    {"paragraph_moved", "image", "redirected", "published_at", "updated_at", "removed", "restored"}
)
_SENTENCE_END = frozenset(".!?:")


@dataclass(frozen=True)
class Rules:
    """The significance rules (see rules.yaml for their meaning)."""

    major: frozenset[str]
    minor: frozenset[str]
    by_length: frozenset[str]
    by_words: frozenset[str]
    positional: frozenset[str]
    real_text_min_words: int
    minor_max_words: int
    typo_max_distance: int
    typo_min_chars_per_edit: int
    negations: frozenset[str]
    number_words: frozenset[str]
    common_capitalised: frozenset[str]
    quote_marks: frozenset[str]
    silent_kinds: frozenset[str]
    notes: re.Pattern[str]  # all note patterns in one
    attribution_words: int
    attribution_share: float


def _words(values: Iterable[object]) -> frozenset[str]:
    """Check a YAML word list (quote yes/no/on/off: YAML reads them as booleans)."""
    words = frozenset(values)
    odd = [w for w in words if not isinstance(w, str)]
    if odd:
        raise ValueError(f"rules.yaml word lists must hold strings, not {odd}")
    return frozenset(str(w) for w in words)


def _kinds(names: Iterable[str]) -> frozenset[str]:
    unknown = set(names) - set(KINDS)
    if unknown:
        raise ValueError(f"rules.yaml names unknown change kinds: {sorted(unknown)}")
    return frozenset(names)


def rules_from(data: Mapping[str, Any]) -> Rules:
    """Build the rules from the parsed YAML document."""
    kinds, words, typo = data["kinds"], data["word_edit"], data["word_edit"]["typo"]
    absorb = data["quote_absorption"]
    judged = set().union(*(_kinds(kinds[g]) for g in ("major", "minor", "by_length", "by_words")))
    if judged != set(KINDS):
        raise ValueError(f"rules.yaml gives no significance rule for {sorted(set(KINDS) - judged)}")
    return Rules(
        major=_kinds(kinds["major"]),
        minor=_kinds(kinds["minor"]),
        by_length=_kinds(kinds["by_length"]),
        by_words=_kinds(kinds["by_words"]),
        positional=_kinds(kinds["positional"]),
        real_text_min_words=int(data["real_text_min_words"]),
        minor_max_words=int(words["minor_max_words"]),
        typo_max_distance=int(typo["max_distance"]),
        typo_min_chars_per_edit=int(typo["min_chars_per_edit"]),
        negations=frozenset(w.lower() for w in _words(words["negations"])),
        number_words=frozenset(w.lower() for w in _words(words["number_words"])),
        common_capitalised=_words(words["common_capitalised"]),
        quote_marks=_words(words["quote_marks"]),
        silent_kinds=_kinds(data["silent_kinds"]),
        notes=re.compile("|".join(f"(?:{p})" for p in data["notes"]), re.IGNORECASE),
        attribution_words=int(absorb["attribution_words"]),
        attribution_share=float(absorb["attribution_share"]),
    )


@cache
def rules() -> Rules:
    """Load the rules shipped in monitor/diff/rules.yaml (once, on first use)."""
    text = resources.files("monitor.diff").joinpath("rules.yaml").read_text(encoding="utf-8")
    return rules_from(yaml.safe_load(text))


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, prev2[j - 2] + 1)
            row.append(cost)
        prev2, prev = prev, row
    return prev[-1]


def _is_typo(old: str, new: str, r: Rules) -> bool:
    if any(c.isdigit() for c in old + new):
        return False
    if _is_negation(old, r) or _is_negation(new, r):
        return False
    dist = _distance(old, new)
    return 0 < dist <= r.typo_max_distance and dist * r.typo_min_chars_per_edit <= min(
        len(old), len(new)
    )


def _fold(word: str) -> str:
    return word.lower().replace("\u2019", "'")


def _is_negation(word: str, r: Rules) -> bool:
    low = _fold(word)
    return low in r.negations or low.endswith("n't")


def _ends_sentence(text: str, before: bool) -> bool:
    """Whether a word after `text` starts a sentence (`before`: whether `text` did)."""
    for char in reversed(text):
        if char.isalnum() or char == "_":
            return False
        if char in _SENTENCE_END:
            return True
    return before


def _side(ops: DiffOps, edit: str, r: Rules) -> tuple[list[str], bool]:
    """Return the words `edit` ("delete" or "insert") changed, and whether one is touchy.

    Touchy: a capitalised name (not a common word starting a sentence), a word
    inside a quotation, or a quotation mark itself.
    """
    changed: list[str] = []
    touchy = quoted = False
    sentence_start = True
    marks, common = r.quote_marks, r.common_capitalised
    ascii_marks = [m for m in marks if m.isascii()]
    for op, text in ops:
        if op == "equal":
            quoted ^= (
                sum(text.count(m) for m in (ascii_marks if text.isascii() else marks)) % 2 == 1
            )
            sentence_start = _ends_sentence(text, sentence_start)
            continue
        if op != edit:
            continue
        for token in tokenize(text):
            first = token[0]
            if first.isalnum() or first == "_":
                changed.append(token)
                capital = first.isupper() and (not sentence_start or token not in common)
                touchy = touchy or quoted or capital
                sentence_start = False
            elif token in marks:
                touchy = True
                quoted = not quoted
            elif first in _SENTENCE_END:
                sentence_start = True
    return changed, touchy


def word_edit_significance(ops: DiffOps, r: Rules) -> str:
    """Judge an edit of running text as minor or major, from its word diff."""
    deleted, old_touchy = _side(ops, "delete", r)
    inserted, new_touchy = _side(ops, "insert", r)
    if len(deleted) == 1 and len(inserted) == 1 and _is_typo(deleted[0], inserted[0], r):
        # The typo rule outranks names, but not quotation marks added or removed.
        marks = any(m in text for op, text in ops if op != "equal" for m in r.quote_marks)
        return "major" if marks else "minor"
    words = deleted + inserted
    if old_touchy or new_touchy:
        return "major"
    for word in words:
        low = _fold(word)
        if any(c.isdigit() for c in word) or low in r.number_words or _is_negation(word, r):
            return "major"
    return "major" if len(words) > r.minor_max_words else "minor"


def significance(
    kind: str,
    before: str | None,
    after: str | None,
    ops: DiffOps = (),
    typographic: bool | None = None,
) -> str:
    """Judge a change of `kind` from `before` to `after` (word diff `ops`).

    `typographic` says whether the typographic keys of before and after are
    equal, where the caller knows already.
    """
    r = rules()
    if kind not in r.positional and before is not None and after is not None:
        if typographic is None:
            typographic = typographic_key(before) == typographic_key(after)
        if typographic:
            return "typographic"
    if kind in r.major:
        return "major"
    if kind in r.minor:
        return "minor"
    if kind in r.by_length:
        words = count_words((before if after is None else after) or "")
        return "major" if words >= r.real_text_min_words else "minor"
    if kind in r.by_words:
        if not ops:
            ops = word_diff(before or "", after or "")
        return word_edit_significance(ops, r)
    raise ValueError(f"no significance rule for change kind {kind!r}")


def make_change(
    kind: str,
    field: str,
    before: str | None,
    after: str | None,
    detail: Mapping[str, Any] | None = None,
    typographic: bool | None = None,
) -> Change:
    """Build a Change with its word diff (where meaningful) and its significance.

    `typographic`: whether before and after have equal typographic keys, if known.
    """
    ops: DiffOps = ()
    if before is not None and after is not None and kind not in _NO_DIFF:
        ops = word_diff(before, after)
    return Change(
        kind=kind,
        significance=significance(kind, before, after, ops, typographic),
        field=field,
        before=before,
        after=after,
        diff=ops,
        detail=dict(detail or {}),
    )


def is_silent(changes: Iterable[Change], stamps_changed: bool) -> bool:
    """Tell whether the text changed (beyond typography) while no update stamp moved."""
    r = rules()
    return not stamps_changed and any(
        c.kind in r.silent_kinds and c.significance != "typographic" for c in changes
    )
