"""Build the documented JSON views (diff report, history) from stored revisions."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy.orm import Session

from monitor.analyse import diff_revisions
from monitor.diff import SIGNIFICANCE_RANK, DiffResult
from storage import Article, Revision
from storage.queries import revisions_of

logger = logging.getLogger(__name__)

CHANGE_SCHEMA = "editwatch.change/1"
HISTORY_SCHEMA = "editwatch.history/1"


def revision_ref(revision: Revision) -> dict[str, Any]:
    """How a report names one revision."""
    return {
        "revision": revision.number,
        "fetched_at": revision.fetched_at.isoformat(),
        "url": revision.url,
        "status": revision.status,
    }


def diff_report(
    article: Article, old: Revision, new: Revision, result: DiffResult | None = None
) -> dict[str, Any]:
    """The `editwatch.change/1` object for two revisions of one article (any two, any order).

    Pass `result` when the diff is already computed (the analyser does).
    """
    result = result if result is not None else diff_revisions(old, new)
    changes = [change.to_dict() for change in result.changes]
    return {
        "schema": CHANGE_SCHEMA,
        "url": new.canonical_url or article.url,
        "article_key": article.article_key,
        "headline": new.fields.get("headline") or old.fields.get("headline") or "",
        "from": revision_ref(old),
        "to": revision_ref(new),
        "silent": result.silent,
        "significance": result.significance,
        "changes": changes,
        "context": body_context(old.fields, new.fields, changes),
    }


def _paragraph_map(
    old: Sequence[str], new: Sequence[str], changes: Sequence[Mapping[str, Any]]
) -> dict[int, int]:
    """Old paragraph index -> new index: equal paragraphs in order, plus edited pairs."""
    mapping: dict[int, int] = {}
    matcher = SequenceMatcher(None, list(old), list(new), autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            mapping[block.a + k] = block.b + k
    for change in changes:
        if str(change.get("field", "")).startswith("paragraphs["):
            i, j = change.get("from_index"), change.get("to_index")
            if isinstance(i, int) and isinstance(j, int):
                mapping.setdefault(i, j)
    return mapping


def _slot(old_index: int, mapping: Mapping[int, int]) -> float:
    """Where a removed old paragraph stood: just after its nearest kept predecessor."""
    kept = [mapping[k] for k in range(old_index - 1, -1, -1) if k in mapping]
    return kept[0] + 0.5 if kept else -0.5


def _quote_paragraph(quotes: Sequence[Mapping[str, Any]], index: Any) -> int | None:
    if not isinstance(index, int) or not 0 <= index < len(quotes):
        return None
    paragraph = quotes[index].get("paragraph")
    return paragraph if isinstance(paragraph, int) else None


def _position(
    change: Mapping[str, Any],
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    mapping: Mapping[int, int],
) -> float | None:
    """Place one change among the newer body paragraphs (None: not in the body)."""
    field = str(change.get("field", ""))
    if field.startswith("paragraphs["):
        to_index, from_index = change.get("to_index"), change.get("from_index")
        if isinstance(to_index, int):
            return to_index
        return _slot(from_index, mapping) if isinstance(from_index, int) else None
    if field.startswith("quotes["):
        at = _quote_paragraph(new.get("quotes") or [], change.get("to_index"))
        if at is not None:
            return at
        was = _quote_paragraph(old.get("quotes") or [], change.get("from_index"))
        if was is not None:
            return mapping.get(was, _slot(was, mapping))
    return None


def body_context(
    old: Mapping[str, Any], new: Mapping[str, Any], changes: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The optional `context` key of a change report: where in the body each change stands.

    `paragraphs` counts the newer revision's body paragraphs (`paragraphs_before`
    the older one's); `positions` has one entry per change, in order: the index
    of the newer paragraph it is in (an integer), a half step for something
    removed between paragraphs (2.5: after paragraph 2; -0.5: before the first),
    or null when the change is not in the body (headline, images, block quotes,
    related links). Viewers fold the unchanged paragraphs between changes.
    """
    old_paragraphs = old.get("paragraphs") or []
    new_paragraphs = new.get("paragraphs") or []
    mapping = _paragraph_map(old_paragraphs, new_paragraphs, changes)
    return {
        "paragraphs": len(new_paragraphs),
        "paragraphs_before": len(old_paragraphs),
        "positions": [_position(change, old, new, mapping) for change in changes],
    }


def history_entries(session: Session, article: Article) -> list[dict[str, Any]]:
    """One entry per stored revision, oldest first, with the kinds of its changes."""
    entries = []
    for revision in revisions_of(session, article.id):
        kinds = [change.kind for change in revision.changes]
        levels = [change.significance for change in revision.changes]
        entries.append(
            {
                "revision": revision.number,
                "fetched_at": revision.fetched_at.isoformat(),
                "fingerprint": revision.fingerprint,
                "kinds": kinds,
                "significance": max(levels, key=SIGNIFICANCE_RANK.__getitem__) if levels else None,
                "silent": revision.silent,
                "state": revision.state,
                "status": revision.status,
                "url": revision.url,
                "headline": revision.fields.get("headline", ""),
            }
        )
    return entries


def revision_view(article: Article, revision: Revision) -> dict[str, Any]:
    """One stored revision for `editwatch show --format json`: its metadata and stored fields."""
    return {
        "article_key": article.article_key,
        "url": revision.canonical_url or article.url,
        "revision": revision.number,
        "fetched_at": revision.fetched_at.isoformat(),
        "fetched_url": revision.url,
        "status": revision.status,
        "state": revision.state,
        "site": revision.site,
        "fingerprint": revision.fingerprint,
        "silent": revision.silent,
        "raw_size": revision.raw_size,
        "kinds": [change.kind for change in revision.changes],
        "fields": revision.fields,
    }
