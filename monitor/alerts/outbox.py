"""The transactional outbox: alert rows written in the revision's own transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.alerts.rules import Alerting
from storage import Alert, Article, Revision
from storage.models import utcnow

logger = logging.getLogger(__name__)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


def idempotency_key(revision_id: int, channel: str) -> str:
    """Return the key receivers see for this revision and channel (stable across resends)."""
    return f"ew-{revision_id}-{channel}"


def enqueue(
    session: Session,
    revision: Revision,
    article: Article,
    report: dict[str, Any],
    alerting: Alerting,
) -> list[Alert]:
    """Write one pending alert per matching (channel, mode), in the caller's transaction.

    Does not commit. Nothing is written when the report has no changes, and a
    revision already enqueued for a channel is not enqueued again.
    """
    if not report.get("changes"):
        return []
    targets = alerting.match(report, article.article_key, article.site)
    if not targets:
        return []
    existing = set(
        session.scalars(select(Alert.channel).where(Alert.revision_id == revision.id)).all()
    )
    alerts = []
    now = utcnow()
    for channel, mode in targets:
        if channel in existing:
            continue
        alert = Alert(
            revision_id=revision.id,
            article_id=article.id,
            channel=channel,
            mode=mode,
            created_at=now,
            state=PENDING,
            attempts=0,
            next_attempt_at=now,
            idempotency_key=idempotency_key(revision.id, channel),
            payload=report,
        )
        session.add(alert)
        alerts.append(alert)
    session.flush()
    if alerts:
        logger.info(
            "revision %s of %s: alerts queued for %s",
            revision.number,
            article.article_key,
            ", ".join(f"{a.channel} ({a.mode})" for a in alerts),
        )
    return alerts


def retry_failed(
    session: Session, ids: Sequence[int] | None = None, now: datetime | None = None
) -> list[int]:
    """Re-queue dead letters (all, or those of `ids`): pending, attempts reset, due now.

    Returns the ids re-queued (an id that is not a failed alert is left out).
    """
    query = select(Alert).where(Alert.state == FAILED)
    if ids is not None:
        query = query.where(Alert.id.in_(list(ids)))
    alerts = session.scalars(query.order_by(Alert.id)).all()
    when = now or utcnow()
    for alert in alerts:
        alert.state = PENDING
        alert.attempts = 0
        alert.next_attempt_at = when
    session.flush()
    if alerts:
        logger.info("re-queued failed alerts %s", ", ".join(str(a.id) for a in alerts))
    return [alert.id for alert in alerts]


def list_alerts(session: Session, state: str | None = None, limit: int = 200) -> Sequence[Alert]:
    """Return outbox rows, newest first, optionally of one state."""
    query = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if state is not None:
        query = query.where(Alert.state == state)
    return session.scalars(query).all()
