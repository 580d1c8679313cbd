"""Correction and update notes ("Correction:", "An earlier version of this article ...")."""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import Sequence, Set

from crawler.normalize import clean_text, typographic_key
from monitor.diff.classify import make_change, rules
from monitor.diff.model import Change
from monitor.diff.words import shingles, similarity

logger = logging.getLogger(__name__)

#: Least similarity for two notes to be one note edited.
SIMILAR = 0.5
#: Characters of a paragraph's start that the note patterns look at.
_HEAD = 120


def is_note(text: str) -> bool:
    """Tell whether a paragraph is a correction, clarification, editor's or update note."""
    return rules().notes.search(typographic_key(text[:_HEAD])) is not None


def split_notes(
    paragraphs: Sequence[str], unchanged: Set[str] = frozenset()
) -> tuple[list[int], list[int]]:
    """Split paragraph indices into body paragraphs and note paragraphs.

    Paragraphs in `unchanged` (found word for word in the other revision too)
    count as body: whatever they are, they did not change.
    """
    body: list[int] = []
    notes: list[int] = []
    for index, text in enumerate(paragraphs):
        (notes if text not in unchanged and is_note(text) else body).append(index)
    return body, notes


def _position(index: int, paragraphs: Sequence[str]) -> str:
    if all(is_note(paragraphs[k]) for k in range(index)):
        return "top"
    if all(is_note(paragraphs[k]) for k in range(index + 1, len(paragraphs))):
        return "bottom"
    return "body"


def _match(old: Sequence[str], new: Sequence[str]) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    waiting: dict[str, deque[int]] = defaultdict(deque)
    for i, text in enumerate(old):
        waiting[typographic_key(text)].append(i)
    for j, text in enumerate(new):
        if waiting[typographic_key(text)]:
            pairs.append((waiting[typographic_key(text)].popleft(), j))
    free_old = [i for i in range(len(old)) if i not in {p[0] for p in pairs}]
    free_new = [j for j in range(len(new)) if j not in {p[1] for p in pairs}]
    scored = sorted(
        (-similarity(shingles(old[i]), shingles(new[j])), i, j) for i in free_old for j in free_new
    )
    for score, i, j in scored:
        if -score >= SIMILAR and i in free_old and j in free_new:
            pairs.append((i, j))
            free_old.remove(i)
            free_new.remove(j)
    return pairs


def diff_notes(
    old_paragraphs: Sequence[str],
    old_notes: Sequence[int],
    new_paragraphs: Sequence[str],
    new_notes: Sequence[int],
) -> list[Change]:
    """List `correction_note` changes: notes added, edited or removed, in new order."""
    old = [old_paragraphs[k] for k in old_notes]
    new = [new_paragraphs[k] for k in new_notes]
    pairs = _match(old, new)
    placed: list[tuple[int, Change]] = []

    def note(k: int, before: str | None, after: str | None, detail: dict[str, object]) -> None:
        placed.append(
            (k, make_change("correction_note", f"paragraphs[{k}]", before, after, detail))
        )

    for i, j in pairs:
        before, after = clean_text(old[i]), clean_text(new[j])
        if before != after:
            k = new_notes[j]
            detail = {"position": _position(k, new_paragraphs), "to_index": k}
            note(k, before, after, detail)
    paired_old, paired_new = {i for i, _ in pairs}, {j for _, j in pairs}
    for i, k in enumerate(old_notes):
        if i not in paired_old:
            detail = {"position": _position(k, old_paragraphs), "from_index": k}
            note(k, clean_text(old[i]), None, detail)
    for j, k in enumerate(new_notes):
        if j not in paired_new:
            detail = {"position": _position(k, new_paragraphs), "to_index": k}
            note(k, None, clean_text(new[j]), detail)
    placed.sort(key=lambda p: p[0])
    return [c for _, c in placed]
