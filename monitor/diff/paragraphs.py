"""Paragraph changes from the alignment: edited, moved, added, removed (quotes told once)."""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence

from crawler.normalize import clean_text
from monitor.diff.align import Alignment, Match, align
from monitor.diff.classify import make_change
from monitor.diff.model import Change
from monitor.diff.quotes import explained_by_quotes
from monitor.diff.words import join_texts

logger = logging.getLogger(__name__)

QuoteTexts = Sequence[tuple[str | None, str | None]]


def _indices(positions: Sequence[int], index: Sequence[int]) -> list[int]:
    return [index[p] for p in positions]


def _match_change(
    m: Match, old: Sequence[str], new: Sequence[str], old_at: Sequence[int], new_at: Sequence[int]
) -> Change | None:
    if m.exact and not m.moved and len(m.old) == len(m.new) == 1 and old[m.old[0]] == new[m.new[0]]:
        return None  # the very same text
    before = join_texts(clean_text(old[i]) for i in m.old)
    after = join_texts(clean_text(new[j]) for j in m.new)
    detail: dict[str, object] = {"from_index": old_at[m.old[0]], "to_index": new_at[m.new[0]]}
    if len(m.old) > 1 or len(m.new) > 1:
        detail["from_indices"] = _indices(m.old, old_at)
        detail["to_indices"] = _indices(m.new, new_at)
    field = f"paragraphs[{new_at[m.new[0]]}]"
    if m.exact and m.moved:
        return make_change("paragraph_moved", field, before, after, detail)
    if m.exact and (len(m.old) > 1 or len(m.new) > 1 or before == after):
        return None  # unchanged, or split/joined with nothing else changed
    if m.moved:
        detail["moved"] = True
    # Paragraphs with equal keys are always paired as exact, so a single inexact pair differs.
    same_key = m.exact if len(m.old) == len(m.new) == 1 else None
    return make_change("paragraph_edited", field, before, after, detail, same_key)


def _removed_position(i: int, alignment: Alignment) -> float:
    """Place a removed paragraph in new positions: just after its old predecessor."""
    by_old = sorted((m.old[-1], m.new[-1]) for m in alignment.matches)
    k = bisect.bisect_left(by_old, (i, -1))
    return by_old[k - 1][1] + 0.5 if k else -0.5


def diff_paragraphs(
    old_paragraphs: Sequence[str],
    old_at: Sequence[int],
    new_paragraphs: Sequence[str],
    new_at: Sequence[int],
    quote_texts: QuoteTexts,
) -> list[Change]:
    """List changes of body paragraphs `old_at` → `new_at` (indices into the paragraph lists).

    A change that the quote changes (`quote_texts`) fully explain is left out:
    the quote kinds already tell it.
    """
    old = [old_paragraphs[k] for k in old_at]
    new = [new_paragraphs[k] for k in new_at]
    alignment = align(old, new)
    placed: list[tuple[tuple[float, int], Change]] = []
    for m in alignment.matches:
        change = _match_change(m, old, new, old_at, new_at)
        if change is not None and not (
            change.kind == "paragraph_edited"
            and explained_by_quotes(
                change.before or "", change.after or "", change.diff, quote_texts
            )
        ):
            placed.append(((m.new[0], 1), change))
    for i in alignment.removed:
        text = clean_text(old[i])
        if not explained_by_quotes(text, "", (("delete", text),), quote_texts):
            change = make_change(
                "paragraph_removed",
                f"paragraphs[{old_at[i]}]",
                text,
                None,
                {"from_index": old_at[i]},
            )
            placed.append(((_removed_position(i, alignment), 0), change))
    for j in alignment.added:
        text = clean_text(new[j])
        if not explained_by_quotes("", text, (("insert", text),), quote_texts):
            change = make_change(
                "paragraph_added", f"paragraphs[{new_at[j]}]", None, text, {"to_index": new_at[j]}
            )
            placed.append(((j, 1), change))
    placed.sort(key=lambda p: p[0])
    return [c for _, c in placed]
