"""Paragraph alignment: which old paragraph became which new one, before any word diff."""

from __future__ import annotations

import bisect
import itertools
import logging
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher

from crawler.normalize import typographic_key
from monitor.diff.words import (
    Shingles,
    common_prefix,
    common_suffix,
    shingles,
    similarity,
)

logger = logging.getLogger(__name__)

#: Least similarity (Dice over word shingles) for two paragraphs to be one paragraph edited.
SIMILAR = 0.5
#: Least similarity of a paragraph to two neighbours taken together (split or joined, and edited).
GROUP_SIMILAR = 0.6
#: Least share of a piece's shingles found in the whole, for it to be a candidate piece.
PIECE_CONTAINED = 0.5
#: Most pieces of a paragraph split (or joined) without any other edit.
MAX_PIECES = 4
#: Share of a paragraph in a common head and tail that makes it the same paragraph edited.
QUICK_KEPT = 0.8


@dataclass(frozen=True)
class Match:
    """Old paragraphs (one, or several joined) that became new ones (one, or several split)."""

    old: tuple[int, ...]
    new: tuple[int, ...]
    exact: bool  # equal after typographic_key (joined texts compared without spaces)
    moved: bool = False  # out of order relative to the other matches


@dataclass(frozen=True)
class Alignment:
    """The paragraph alignment of two revisions."""

    matches: tuple[Match, ...]  # in new order
    removed: tuple[int, ...]  # old paragraphs with no counterpart
    added: tuple[int, ...]  # new paragraphs with no counterpart


@dataclass
class _State:
    free_old: set[int]
    free_new: set[int]
    matches: list[Match] = field(default_factory=list)

    def take(self, old: tuple[int, ...], new: tuple[int, ...], exact: bool) -> None:
        self.free_old.difference_update(old)
        self.free_new.difference_update(new)
        self.matches.append(Match(old, new, exact))


def _squash(key: str) -> str:
    return "".join(key.split())


def _in_order_blocks(
    old: Sequence[str], new: Sequence[str], old_at: Sequence[int], new_at: Sequence[int]
) -> list[tuple[int, int]]:
    """Pairs of equal items in the longest in-order runs (`*_at` maps back to indices)."""
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    return [
        (old_at[block.a + k], new_at[block.b + k])
        for block in matcher.get_matching_blocks()
        for k in range(block.size)
    ]


def _exact(old: Sequence[str], new: Sequence[str], state: _State) -> dict[int, str]:
    """Pair equal paragraphs; return the typographic keys of the old and new ones left.

    Identical texts in order first (no normalisation needed), then equal keys
    in order, then equal keys anywhere (moved). Keys are returned in one dict:
    old index i as i, new index j as ~j.
    """
    for i, j in _in_order_blocks(old, new, range(len(old)), range(len(new))):
        state.take((i,), (j,), exact=True)
    keys = {i: typographic_key(old[i]) for i in state.free_old}
    keys.update({~j: typographic_key(new[j]) for j in state.free_new})
    free_old, free_new = sorted(state.free_old), sorted(state.free_new)
    ko, kn = [keys[i] for i in free_old], [keys[~j] for j in free_new]
    for i, j in _in_order_blocks(ko, kn, free_old, free_new):
        state.take((i,), (j,), exact=True)
    waiting: dict[str, deque[int]] = defaultdict(deque)
    for i in sorted(state.free_old):
        waiting[keys[i]].append(i)
    for j in sorted(state.free_new):
        if waiting[keys[~j]]:
            state.take((waiting[keys[~j]].popleft(),), (j,), exact=True)
    return keys


def _pieces(
    whole: Callable[[int], str],
    parts: Callable[[int], str],
    free_whole: set[int],
    free_parts: set[int],
) -> list[tuple[int, tuple[int, ...]]]:
    """Find runs of 2+ consecutive free parts whose joined key equals a free whole's key."""
    wanted: dict[str, deque[int]] = defaultdict(deque)
    for i in sorted(free_whole):
        if whole(i):
            wanted[_squash(whole(i))].append(i)
    found: list[tuple[int, tuple[int, ...]]] = []
    taken: set[int] = set()
    for start in sorted(free_parts):
        if start in taken:
            continue
        run, joined = [start], _squash(parts(start))
        while len(run) < MAX_PIECES and run[-1] + 1 in free_parts and joined:
            run.append(run[-1] + 1)
            joined += _squash(parts(run[-1]))
            if wanted[joined] and not taken.intersection(run):
                found.append((wanted[joined].popleft(), tuple(run)))
                taken.update(run)
                break
    return found


def _neighbours(free: set[int]) -> bool:
    """Whether two free paragraphs stand next to each other (a split or join is possible)."""
    return any(i + 1 in free for i in free)


def _concatenated(keys: dict[int, str], state: _State) -> None:
    """Paragraphs split in two (or more) or joined, with nothing else changed."""

    def old_key(i: int) -> str:
        return keys[i]

    def new_key(j: int) -> str:
        return keys[~j]

    for i, run in _pieces(old_key, new_key, state.free_old, state.free_new):
        state.take((i,), run, exact=True)
    for j, run in _pieces(new_key, old_key, state.free_new, state.free_old):
        state.take(run, (j,), exact=True)


class _Shingles:
    """Shingle sets of the paragraphs, made when first needed (old i as i, new j as ~j)."""

    def __init__(self, old: Sequence[str], new: Sequence[str], keys: dict[int, str]) -> None:
        self.old, self.new, self.keys = old, new, keys
        self.made: dict[int, Shingles] = {}

    def __getitem__(self, index: int) -> Shingles:
        if index not in self.made:
            text = self.old[index] if index >= 0 else self.new[~index]
            self.made[index] = shingles(text, self.keys[index])
        return self.made[index]


def _in_place(sets: _Shingles, n_old: int, n_new: int, state: _State) -> None:
    """Pair the one free old and one free new paragraph between two in-order matches."""
    bounds = sorted((m.old[0], m.old[-1], m.new[0], m.new[-1]) for m in state.matches)
    bounds = [(-1, -1, -1, -1), *bounds, (n_old, n_old, n_new, n_new)]
    for (_, old_end, _, new_end), (old_next, _, new_next, _) in itertools.pairwise(bounds):
        if new_end >= new_next:
            continue
        olds = [i for i in range(old_end + 1, old_next) if i in state.free_old]
        news = [j for j in range(new_end + 1, new_next) if j in state.free_new]
        if len(olds) == len(news) == 1 and _same_paragraph(sets, olds[0], news[0]):
            state.take((olds[0],), (news[0],), exact=False)


def _same_paragraph(sets: _Shingles, i: int, j: int) -> bool:
    """Tell whether old i and new j are one paragraph edited.

    A long common head and tail says so at once (most edits in place touch a
    few words); otherwise their words must be similar.
    """
    a, b = sets.old[i], sets.new[j]
    longest = max(len(a), len(b))
    head = common_prefix(a, b)
    kept = head + common_suffix(a, b, min(len(a), len(b)) - head)
    return kept >= QUICK_KEPT * longest or similarity(sets[i], sets[~j]) >= SIMILAR


def _candidates(
    sets: _Shingles, n_old: int, n_new: int, state: _State
) -> list[tuple[float, float, tuple[int, ...], tuple[int, ...]]]:
    """Scored candidate matches: one old to one new, and one to two neighbours together."""
    so = {i: sets[i] for i in state.free_old}
    sn = {j: sets[~j] for j in state.free_new}
    shared = {(i, j): len(a & b) for i, a in so.items() for j, b in sn.items()}
    n_old, n_new = max(n_old, 1), max(n_new, 1)
    found: list[tuple[float, float, tuple[int, ...], tuple[int, ...]]] = []
    for (i, j), common in shared.items():
        score = 2 * common / (len(so[i]) + len(sn[j])) if so[i] and sn[j] else 0.0
        if score >= SIMILAR:
            found.append((score, abs(i / n_old - j / n_new), (i,), (j,)))
    for whole, parts, flip in ((so, sn, False), (sn, so, True)):
        for w, ws in whole.items():
            for p in parts:
                if p + 1 not in parts:
                    continue
                if any(
                    shared[(q, w) if flip else (w, q)] < PIECE_CONTAINED * len(parts[q])
                    for q in (p, p + 1)
                ):
                    continue
                score = similarity(ws, parts[p] | parts[p + 1])
                if score >= GROUP_SIMILAR:
                    o: tuple[int, ...] = (p, p + 1) if flip else (w,)
                    n: tuple[int, ...] = (w,) if flip else (p, p + 1)
                    found.append((score, abs(o[0] / n_old - n[0] / n_new), o, n))
    found.sort(key=lambda c: (-c[0], c[1], c[2], c[3]))
    return found


def _similar(old: Sequence[str], new: Sequence[str], keys: dict[int, str], state: _State) -> None:
    """Edited paragraphs: in place first, then the most similar free pairs wherever they stand."""
    sets = _Shingles(old, new, keys)
    _in_place(sets, len(old), len(new), state)
    if not (state.free_old and state.free_new):
        return
    for _score, _dist, o, n in _candidates(sets, len(old), len(new), state):
        if state.free_old.issuperset(o) and state.free_new.issuperset(n):
            state.take(o, n, exact=False)


def _in_order(values: Sequence[int]) -> set[int]:
    """Return the positions of one longest strictly increasing subsequence of `values`."""
    tails: list[int] = []  # tails[k]: value ending the best run of length k+1
    ends: list[int] = []  # ends[k]: position of that value
    back: list[int] = []
    for pos, value in enumerate(values):
        k = bisect.bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            ends.append(pos)
        else:
            tails[k], ends[k] = value, pos
        back.append(ends[k - 1] if k else -1)
    keep: set[int] = set()
    pos = ends[-1] if ends else -1
    while pos >= 0:
        keep.add(pos)
        pos = back[pos]
    return keep


def _mark_moved(matches: Sequence[Match]) -> list[Match]:
    """Mark the matches that are out of order.

    Unchanged paragraphs are judged against the longest in-order run of them,
    edited ones against their unchanged neighbours: an edited paragraph that
    also moved is one change, so the unchanged ones are kept in place first.
    """
    by_old = sorted(matches, key=lambda m: m.old)
    exact = [m for m in by_old if m.exact]
    keep = _in_order([m.new[0] for m in exact])
    anchors = [m for pos, m in enumerate(exact) if pos in keep]
    anchor_old = [m.old[0] for m in anchors]
    marked = [replace(m, moved=pos not in keep) for pos, m in enumerate(exact)]
    for m in by_old:
        if m.exact:
            continue
        k = bisect.bisect_left(anchor_old, m.old[0])
        low = anchors[k - 1].new[-1] if k else -1
        high = anchors[k].new[0] if k < len(anchors) else float("inf")
        marked.append(replace(m, moved=not low < m.new[0] < high))
    return marked


def align(old: Sequence[str], new: Sequence[str]) -> Alignment:
    """Align two lists of paragraphs.

    Equal paragraphs (after `typographic_key`) are matched first, then
    paragraphs split or joined with no other change, then the most similar
    remaining pairs (a paragraph, or two neighbours together), regardless of
    position, so added or removed neighbours do not matter. Matches out of
    order relative to the longest in-order run are marked `moved`.
    """
    state = _State(free_old=set(range(len(old))), free_new=set(range(len(new))))
    keys = _exact(old, new, state)
    if _neighbours(state.free_old) or _neighbours(state.free_new):
        _concatenated(keys, state)
    if state.free_old and state.free_new:
        _similar(old, new, keys, state)
    return Alignment(
        matches=tuple(sorted(_mark_moved(state.matches), key=lambda m: m.new)),
        removed=tuple(sorted(state.free_old)),
        added=tuple(sorted(state.free_new)),
    )
