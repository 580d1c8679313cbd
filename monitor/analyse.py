"""Diff a newly stored revision against the previous one, inside the crawl's transaction."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from monitor.diff import DiffResult, Snapshot, compare
from storage import Revision
from storage.queries import add_changes

logger = logging.getLogger(__name__)


def snapshot_of(revision: Revision) -> Snapshot:
    """The plain-data view of a stored revision that the diff engine takes."""
    return Snapshot(
        state=revision.state,
        url=revision.canonical_url,
        fields=revision.fields,
        status=revision.status,
    )


def diff_revisions(old: Revision | None, new: Revision) -> DiffResult:
    """Compare two stored revisions (old None: the first revision, no changes)."""
    return compare(snapshot_of(old) if old is not None else None, snapshot_of(new))


def change_rows(result: DiffResult) -> list[dict[str, Any]]:
    """Change dicts as `storage.queries.add_changes` stores them."""
    rows = []
    for change in result.changes:
        data = change.to_dict()
        rows.append(
            {
                "kind": change.kind,
                "significance": change.significance,
                "field": change.field,
                "before": change.before,
                "after": change.after,
                "data": {k: v for k, v in data.items() if k not in _COLUMNS},
            }
        )
    return rows


_COLUMNS = {"kind", "significance", "field", "before", "after"}


def analyse_revision(session: Session, previous: Revision | None, revision: Revision) -> None:
    """Store the typed changes of `revision` and its silent flag (named in crawler settings)."""
    result = diff_revisions(previous, revision)
    revision.silent = result.silent
    add_changes(session, revision, change_rows(result))
    if result.changes:
        logger.info(
            "revision %s of article %s: %s",
            revision.number,
            revision.article_id,
            ", ".join(c.kind for c in result.changes),
        )
