"""`--format unified`: plain text with [-deleted-]{+inserted+} word marks, for pipes and email."""

from __future__ import annotations

import logging
import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from monitor.render.base import Renderer

logger = logging.getLogger(__name__)

#: A change dict, or (an int) the number of unchanged body paragraphs folded at that place.
Item = dict[str, Any] | int


def marked_text(change: Mapping[str, Any]) -> str:
    """The change as one text with wdiff-style marks."""
    ops = change.get("diff") or []
    if ops:
        parts = []
        for op in ops:
            if op["op"] == "delete":
                parts.append(f"[-{op['text']}-]")
            elif op["op"] == "insert":
                parts.append(f"{{+{op['text']}+}}")
            else:
                parts.append(op["text"])
        return "".join(parts)
    before, after = change.get("before"), change.get("after")
    if before is not None and before == after:
        return str(before)  # moved, or split/joined: the words are the same
    if before and after:
        return f"[-{before}-] {{+{after}+}}"
    if before:
        return f"[-{before}-]"
    return f"{{+{after or ''}+}}"


def header_lines(report: Mapping[str, Any]) -> list[str]:
    """Title lines shared by the text formats."""
    old, new = report["from"], report["to"]
    lines = [
        f"{report.get('headline') or report['url']}",
        f"{report['url']}",
        f"revision {old['revision']} ({old['fetched_at']}) -> "
        f"revision {new['revision']} ({new['fetched_at']})",
    ]
    if report["silent"]:
        lines.append("SILENT EDIT: the text changed but the update time did not")
    return lines


def fold_text(count: int) -> str:
    """The one line that stands for `count` unchanged paragraphs."""
    return f"⋯ {count} unchanged paragraph{'s' if count != 1 else ''} ⋯"


def change_note(change: Mapping[str, Any]) -> str | None:
    """A short note on where a paragraph went (moved, split, joined), or None."""
    from_indices = change.get("from_indices") or []
    to_indices = change.get("to_indices") or []
    if len(from_indices) == 1 and len(to_indices) > 1:
        return f"split into {len(to_indices)} paragraphs"
    if len(from_indices) > 1 and len(to_indices) == 1:
        return f"{len(from_indices)} paragraphs joined into one"
    i, j = change.get("from_index"), change.get("to_index")
    moved = change.get("kind") == "paragraph_moved" or change.get("moved")
    if moved and isinstance(i, int) and isinstance(j, int):
        return f"moved from paragraph {i + 1} to paragraph {j + 1}"
    return None


def _positions(report: Mapping[str, Any]) -> tuple[list[float | None], int | None]:
    """Each change's place among the newer paragraphs, and how many there are (None: unknown).

    They come from the report's `context`; for an older report, or one with some
    changes left out, they are guessed from the paragraph indices of the changes.
    """
    changes = report.get("changes") or []
    context = report.get("context") or {}
    positions = context.get("positions")
    total = context.get("paragraphs")
    if isinstance(positions, list) and len(positions) == len(changes):
        placed = [p if isinstance(p, int | float) else None for p in positions]
        return placed, total if isinstance(total, int) else None
    guessed: list[float | None] = []
    for change in changes:
        to_index, from_index = change.get("to_index"), change.get("from_index")
        if not str(change.get("field", "")).startswith("paragraphs["):
            guessed.append(None)
        elif isinstance(to_index, int):
            guessed.append(to_index)
        else:
            guessed.append(from_index - 0.5 if isinstance(from_index, int) else None)
    return guessed, None


def _unchanged(low: float, high: float, taken: set[int]) -> int:
    """How many paragraphs strictly between positions `low` and `high` no change touches."""
    return sum(1 for k in range(math.floor(low) + 1, math.ceil(high)) if k not in taken)


def _body(
    changes: Sequence[dict[str, Any]], placed: list[tuple[float, int]], total: int | None
) -> list[Item]:
    taken: set[int] = set()
    for position, i in placed:
        if position == int(position):
            taken.add(int(position))
            taken.update(k for k in changes[i].get("to_indices") or [] if isinstance(k, int))
    items: list[Item] = []
    last = -1.0
    for position, i in placed:
        count = _unchanged(last, position, taken)
        if count:
            items.append(count)
        items.append(changes[i])
        last = max(last, position)
    if total is not None:
        count = _unchanged(last, total, taken)
        if count:
            items.append(count)
    return items


def layout(report: Mapping[str, Any]) -> list[Item]:
    """The changes in reading order, with folds (ints) for runs of unchanged body paragraphs.

    Changes in the body (paragraphs and inline quotes) are ordered by their
    place in the newer revision and shown together where the first of them
    was; the rest keep the report's order.
    """
    changes: list[dict[str, Any]] = list(report.get("changes") or [])
    positions, total = _positions(report)
    placed = sorted((p, i) for i, p in enumerate(positions) if p is not None)
    if not placed:
        return list(changes)
    body = _body(changes, placed, total)
    first = min(i for _, i in placed)
    in_body = {i for _, i in placed}
    items: list[Item] = []
    for i, change in enumerate(changes):
        if i == first:
            items.extend(body)
        elif i not in in_body:
            items.append(change)
    return items


def _hunks(ops: Sequence[Mapping[str, str]]) -> list[tuple[str, str]]:
    """(deleted, inserted) words of each run of changed ops."""
    hunks: list[tuple[str, str]] = []
    deleted: list[str] = []
    inserted: list[str] = []
    for op in [*ops, {"op": "equal", "text": ""}]:
        if op["op"] == "equal":
            if deleted or inserted:
                hunks.append((" ".join(deleted), " ".join(inserted)))
            deleted, inserted = [], []
        elif op["text"].strip():
            (deleted if op["op"] == "delete" else inserted).append(op["text"].strip())
    return hunks


def _hunk_text(deleted: str, inserted: str) -> str:
    if deleted and inserted:
        return f"{deleted} → {inserted}"
    return f"- {deleted}" if deleted else f"+ {inserted}"


def short_change(change: Mapping[str, Any], limit: int = 60) -> str:
    """A one-line before → after snippet: just the words that changed, when known.

    "Rare → Surprise", "+ December" or "- a removed sentence", several
    edits joined with " · "; cut to `limit` characters.
    """
    ops = change.get("diff") or []
    hunks = _hunks(ops)
    if not ops:
        before, after = change.get("before") or "", change.get("after") or ""
        hunks = [(before, after if after != before else "")] if before or after else []
    return _cut(" · ".join(_hunk_text(deleted, inserted) for deleted, inserted in hunks), limit)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class UnifiedRenderer(Renderer, format="unified"):
    """Plain text, one block per change, word marks [-old-]{+new+}."""

    def write_diff(self, report: dict[str, Any], out: TextIO) -> None:
        """Write the report as plain text, unchanged paragraphs folded to one line."""
        for line in header_lines(report):
            out.write(line + "\n")
        if not report["changes"]:
            out.write("\nno changes\n")
            return
        for item in layout(report):
            if isinstance(item, int):
                out.write(f"\n   {fold_text(item)}\n")
                continue
            out.write(f"\n@@ {item['kind']} ({item['significance']}) {item['field']}\n")
            note = change_note(item)
            if note:
                out.write(f"({note})\n")
            for paragraph in marked_text(item).split("\n"):
                out.write(textwrap.fill(paragraph, self.width, break_long_words=False) + "\n")
