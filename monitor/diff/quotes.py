"""Quotes matched across revisions by text and speaker; paragraph edits a quote change explains."""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass

from crawler.items import Quote
from crawler.normalize import clean_text, typographic_key
from monitor.diff.classify import make_change, rules
from monitor.diff.model import Change, DiffOps
from monitor.diff.words import count_words, shingles, similarity, words

logger = logging.getLogger(__name__)

#: Least similarity for two quotes to be one quote edited, by what is known of the speakers.
SAME_SPEAKER = 0.35
UNKNOWN_SPEAKER = 0.5
OTHER_SPEAKER = 0.8
#: Least similarity of the paragraphs two inline quotes stand in, to pair them on that alone.
CONTEXT = 0.6

_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2010": "-", "\u2011": "-"})


@dataclass(frozen=True)
class QuoteDiff:
    """Quote changes, and the (old, new) texts each one changed (quote words or speaker)."""

    changes: tuple[Change, ...]
    texts: tuple[tuple[str | None, str | None], ...]


def _speaker(quote: Quote) -> str:
    return typographic_key(quote.speaker).lower()


def _threshold(a: str, b: str) -> float:
    if not a or not b:
        return UNKNOWN_SPEAKER
    return SAME_SPEAKER if a == b else OTHER_SPEAKER


def _exact(old: Sequence[Quote], new: Sequence[Quote], pairs: list[tuple[int, int]]) -> None:
    """Pair quotes of equal text: with the same speaker first, then any speaker."""
    for with_speaker in (True, False):
        taken_old, taken_new = {i for i, _ in pairs}, {j for _, j in pairs}
        waiting: dict[tuple[str, str], deque[int]] = defaultdict(deque)

        def key(q: Quote, with_speaker: bool = with_speaker) -> tuple[str, str]:
            return typographic_key(q.text), _speaker(q) if with_speaker else ""

        for i in range(len(old)):
            if i not in taken_old:
                waiting[key(old[i])].append(i)
        for j in range(len(new)):
            if j not in taken_new and waiting[key(new[j])]:
                pairs.append((waiting[key(new[j])].popleft(), j))


def _paragraph(quote: Quote, paragraphs: Sequence[str]) -> str | None:
    index = quote.paragraph
    return paragraphs[index] if index is not None and 0 <= index < len(paragraphs) else None


def _context_score(a: Quote, b: Quote, old_par: Sequence[str], new_par: Sequence[str]) -> float:
    """Similarity of the paragraphs two inline quotes stand in (0.0 when unknown)."""
    pa, pb = _paragraph(a, old_par), _paragraph(b, new_par)
    return similarity(shingles(pa), shingles(pb)) if pa and pb else 0.0


def _match(
    old: Sequence[Quote], new: Sequence[Quote], old_par: Sequence[str], new_par: Sequence[str]
) -> list[tuple[int, int]]:
    """Pair (old, new) quotes.

    Equal text (same speaker first), then the most similar texts, then (for
    short quotes reworded beyond recognition) quotes standing in matching
    paragraphs. Quotes by two different named speakers need near-equal text.
    """
    pairs: list[tuple[int, int]] = []
    _exact(old, new, pairs)
    free_old = set(range(len(old))) - {i for i, _ in pairs}
    free_new = set(range(len(new))) - {j for _, j in pairs}
    so = {i: shingles(old[i].text) for i in free_old}
    sn = {j: shingles(new[j].text) for j in free_new}
    candidates = []
    for i in free_old:
        for j in free_new:
            need = _threshold(_speaker(old[i]), _speaker(new[j]))
            score = similarity(so[i], sn[j])
            if score >= need:
                candidates.append((0, -score, abs(i - j), i, j))
            elif need < OTHER_SPEAKER:
                context = _context_score(old[i], new[j], old_par, new_par)
                if context >= CONTEXT:
                    candidates.append((1, -context - score, abs(i - j), i, j))
    for *_rank, i, j in sorted(candidates):
        if i in free_old and j in free_new:
            pairs.append((i, j))
            free_old.discard(i)
            free_new.discard(j)
    return pairs


def _pair_changes(a: Quote, b: Quote, i: int, j: int) -> list[Change]:
    detail = {"speaker": b.speaker, "from_index": i, "to_index": j}
    found = []
    before, after = clean_text(a.text), clean_text(b.text)
    if before != after:
        found.append(make_change("quote_edited", f"quotes[{j}]", before, after, detail))
    sa, sb = _speaker(a), _speaker(b)
    if sa and sb and sa != sb:
        speaker_detail = {**detail, "quote": after}
        found.append(
            make_change(
                "quote_edited",
                f"quotes[{j}].speaker",
                clean_text(a.speaker),
                clean_text(b.speaker),
                speaker_detail,
            )
        )
    return found


def diff_quotes(
    old: Sequence[Quote],
    new: Sequence[Quote],
    old_paragraphs: Sequence[str] = (),
    new_paragraphs: Sequence[str] = (),
) -> QuoteDiff:
    """List quote changes in new order: quote_edited (text, speaker), quote_added, _removed."""
    pairs = _match(old, new, old_paragraphs, new_paragraphs)
    placed: list[tuple[tuple[int, int], Change]] = []
    texts: list[tuple[str | None, str | None]] = []
    for i, j in pairs:
        for change in _pair_changes(old[i], new[j], i, j):
            placed.append(((j, 1), change))
            texts.append((change.before, change.after))  # the words, or the speakers
    for i in sorted(set(range(len(old))) - {i for i, _ in pairs}):
        detail = {"speaker": old[i].speaker, "from_index": i}
        text = clean_text(old[i].text)
        placed.append(((i, 0), make_change("quote_removed", f"quotes[{i}]", text, None, detail)))
        texts.append((old[i].text, None))
    for j in sorted(set(range(len(new))) - {j for _, j in pairs}):
        detail = {"speaker": new[j].speaker, "to_index": j}
        text = clean_text(new[j].text)
        placed.append(((j, 1), make_change("quote_added", f"quotes[{j}]", None, text, detail)))
        texts.append((None, new[j].text))
    placed.sort(key=lambda p: p[0])
    return QuoteDiff(tuple(c for _, c in placed), tuple(texts))


def _words(text: str) -> list[str]:
    return [w.lower().translate(_FOLD) for w in words(text)]


def _quoted_positions(text: str, quotes: Sequence[str]) -> set[int]:
    """Return the word positions of `text` that belong to one of the quotes."""
    found = _words(text)
    inside: set[int] = set()
    for quote in quotes:
        needle = _words(quote)
        if not needle:
            continue
        for start in range(len(found) - len(needle) + 1):
            if found[start : start + len(needle)] == needle:
                inside.update(range(start, start + len(needle)))
    return inside


def _runs(ops: DiffOps, old_in: set[int], new_in: set[int]) -> list[tuple[int, int]]:
    """Count (changed words, changed words inside quotes) for each run of non-equal ops."""
    runs: list[tuple[int, int]] = []
    pos = {"delete": 0, "insert": 0}
    open_run = False
    for op, text in ops:
        count = count_words(text)
        if op == "equal":
            pos["delete"] += count
            pos["insert"] += count
            open_run = False
            continue
        if not open_run:
            runs.append((0, 0))
            open_run = True
        inside = old_in if op == "delete" else new_in
        start = pos[op]
        hits = sum(1 for k in range(start, start + count) if k in inside)
        pos[op] += count
        total, quoted = runs[-1]
        runs[-1] = (total + count, quoted + hits)
    return runs


def explained_by_quotes(
    before: str, after: str, ops: DiffOps, texts: Sequence[tuple[str | None, str | None]]
) -> bool:
    """Tell whether a paragraph change is fully told by the quote changes (`QuoteDiff.texts`).

    `before`/`after` are the paragraph texts ("" for an added/removed one) and
    `ops` their word diff. True when every changed run holds words of a changed
    quote and changes few other words (an attribution such as "he said").
    """
    if not texts:
        return False
    r = rules()
    old_in = _quoted_positions(before, [o for o, _ in texts if o]) if before else set()
    new_in = _quoted_positions(after, [n for _, n in texts if n]) if after else set()
    if not old_in and not new_in:
        return False
    runs = _runs(ops, old_in, new_in)
    return bool(runs) and all(
        quoted > 0 and total - quoted <= max(r.attribution_words, r.attribution_share * total)
        for total, quoted in runs
    )
