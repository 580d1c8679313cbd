"""Build the documented JSON views (diff report, history) from stored revisions."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from monitor.analyse import diff_revisions
from monitor.diff import DiffResult
from storage import Article, Revision
from storage.queries import SIGNIFICANCE_ORDER, revisions_of

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
    return {
        "schema": CHANGE_SCHEMA,
        "url": new.canonical_url or article.url,
        "article_key": article.article_key,
        "headline": new.fields.get("headline") or old.fields.get("headline") or "",
        "from": revision_ref(old),
        "to": revision_ref(new),
        "silent": result.silent,
        "significance": result.significance,
        "changes": [change.to_dict() for change in result.changes],
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
                "significance": max(levels, key=SIGNIFICANCE_ORDER.__getitem__) if levels else None,
                "silent": revision.silent,
                "state": revision.state,
                "status": revision.status,
                "url": revision.url,
                "headline": revision.fields.get("headline", ""),
            }
        )
    return entries
