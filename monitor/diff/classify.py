"""Significance of a change (typographic, minor, major), by the rules in rules.yaml."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from crawler.normalize import typographic_key
from monitor.diff.model import KINDS, Change, DiffOps
from monitor.diff.words import count_words, is_word, side_tokens, word_diff

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
    notes: tuple[re.Pattern[str], ...]
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
        notes=tuple(re.compile(p, re.IGNORECASE) for p in data["notes"]),
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


def _flagged(stream: Sequence[tuple[str, bool]], r: Rules) -> tuple[list[str], bool]:
    """Return the changed words of one side of a diff, and whether one is a name or quotation."""
    changed: list[str] = []
    touchy = False
    quoted = False
    sentence_start = True
    for token, is_changed in stream:
        if token in r.quote_marks:
            touchy |= is_changed
            quoted = not quoted
            continue
        if not is_word(token):
            if token.strip():
                sentence_start = token in _SENTENCE_END or (sentence_start and not token.isalnum())
            continue
        if is_changed:
            changed.append(token)
            capital = token[:1].isupper()
            touchy |= quoted or (
                capital and (not sentence_start or token not in r.common_capitalised)
            )
        sentence_start = False
    return changed, touchy


def word_edit_significance(ops: DiffOps, r: Rules) -> str:
    """Minor or major for an edit of running text, from its word diff."""
    old, new = side_tokens(ops)
    deleted, old_touchy = _flagged(old, r)
    inserted, new_touchy = _flagged(new, r)
    if len(deleted) == 1 and len(inserted) == 1 and _is_typo(deleted[0], inserted[0], r):
        # The typo rule outranks names, but not quotation marks added or removed.
        marks = any(t in r.quote_marks for t, c in (*old, *new) if c)
        return "major" if marks else "minor"
    words = deleted + inserted
    if old_touchy or new_touchy:
        return "major"
    for word in words:
        low = _fold(word)
        if any(c.isdigit() for c in word) or low in r.number_words or _is_negation(word, r):
            return "major"
    return "major" if len(words) > r.minor_max_words else "minor"


def significance(kind: str, before: str | None, after: str | None, ops: DiffOps = ()) -> str:
    """Judge a change of `kind` from `before` to `after` (word diff `ops`)."""
    r = rules()
    if (
        kind not in r.positional
        and before is not None
        and after is not None
        and typographic_key(before) == typographic_key(after)
    ):
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
) -> Change:
    """Build a Change with its word diff (where meaningful) and its significance."""
    ops: DiffOps = ()
    if before is not None and after is not None and kind not in _NO_DIFF:
        ops = word_diff(before, after)
    return Change(
        kind=kind,
        significance=significance(kind, before, after, ops),
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
