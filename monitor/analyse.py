"""Diff a newly stored revision against the previous one, inside the crawl's transaction."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from monitor.diff import DiffResult, Snapshot, compare
from storage import Article, Revision
from storage.queries import add_changes

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from monitor.alerts.rules import Alerting

logger = logging.getLogger(__name__)

_COLUMNS = {"kind", "significance", "field", "before", "after"}


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


class RevisionAnalyser:
    """Named in crawler settings; called by the store pipeline for every new revision.

    Writes the revision's typed changes and its outbox alerts in the caller's
    transaction, so a crash leaves either all of them or none.
    """

    def __init__(self, alerting: Alerting | None = None) -> None:
        self.alerting = alerting

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RevisionAnalyser:
        """Build with the alert rules of the user config, if it has channels."""
        config = settings.getdict("EDITWATCH_CONFIG")
        if not config.get("channels"):
            return cls(None)
        from monitor.alerts.rules import load_alerting

        return cls(load_alerting(config))

    def __call__(self, session: Session, previous: Revision | None, revision: Revision) -> None:
        """Diff `revision` against `previous`; store its changes and alerts."""
        result = diff_revisions(previous, revision)
        revision.silent = result.silent
        add_changes(session, revision, change_rows(result))
        if not result.changes:
            return
        logger.info(
            "revision %s of article %s: %s",
            revision.number,
            revision.article_id,
            ", ".join(c.kind for c in result.changes),
        )
        if self.alerting is not None and previous is not None:
            self._enqueue(session, previous, revision, result)

    def _enqueue(
        self, session: Session, previous: Revision, revision: Revision, result: DiffResult
    ) -> None:
        from monitor.alerts.outbox import enqueue
        from monitor.report import diff_report

        article = session.get(Article, revision.article_id)
        assert article is not None and self.alerting is not None
        report = diff_report(article, previous, revision, result)
        enqueue(session, revision, article, report, self.alerting)
