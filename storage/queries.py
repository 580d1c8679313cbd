"""Queries: plain functions that take the caller's session."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import zstandard
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Article, ArticleAlias, Change, Check, Heartbeat, Revision, utcnow

logger = logging.getLogger(__name__)

SIGNIFICANCE_ORDER = {"typographic": 0, "minor": 1, "major": 2}
_ZSTD_LEVEL = 10


def compress_html(raw: bytes) -> bytes:
    """Compress a page body for keeping as evidence."""
    return zstandard.ZstdCompressor(level=_ZSTD_LEVEL).compress(raw)


def decompress_html(blob: bytes) -> bytes:
    """Undo `compress_html`."""
    return zstandard.ZstdDecompressor().decompress(blob)


def find_article(session: Session, url_or_key: str) -> Article | None:
    """An article by its key, any URL it was seen under, or a canonical URL of a revision."""
    article = session.scalar(select(Article).where(Article.article_key == url_or_key))
    if article is not None:
        return article
    article = session.scalar(select(Article).where(Article.url == url_or_key).limit(1))
    if article is not None:
        return article
    article = session.scalar(
        select(Article).join(ArticleAlias).where(ArticleAlias.url == url_or_key).limit(1)
    )
    if article is not None:
        return article
    return session.scalar(
        select(Article)
        .join(Revision, Revision.article_id == Article.id)
        .where(Revision.canonical_url == url_or_key)
        .limit(1)
    )


def add_article(
    session: Session,
    url: str,
    article_key: str,
    *,
    site: str | None = None,
    interval_seconds: float | None = None,
    depth: int = 0,
    found_on_id: int | None = None,
) -> tuple[Article, bool]:
    """Track `url` under `article_key`; returns (article, created). Re-adding re-activates."""
    existing = session.scalar(select(Article).where(Article.article_key == article_key))
    if existing is None:
        existing = session.scalar(
            select(Article).join(ArticleAlias).where(ArticleAlias.url == url).limit(1)
        )
    if existing is not None:
        existing.active = True
        if interval_seconds is not None:
            existing.interval_seconds = interval_seconds
        return existing, False
    article = Article(
        url=url,
        article_key=article_key,
        site=site,
        interval_seconds=interval_seconds,
        depth=depth,
        found_on_id=found_on_id,
        next_check_at=utcnow(),
    )
    session.add(article)
    session.flush()
    add_alias(session, article.id, url)
    return article, True


def add_alias(session: Session, article_id: int, url: str) -> None:
    """Remember that `url` leads to article `article_id` (first claim wins)."""
    if url and session.scalar(select(ArticleAlias.id).where(ArticleAlias.url == url)) is None:
        session.add(ArticleAlias(url=url, article_id=article_id))
        session.flush()


def list_articles(session: Session) -> Sequence[Article]:
    """Every tracked article, oldest first."""
    return session.scalars(select(Article).order_by(Article.id)).all()


def latest_revision(session: Session, article_id: int) -> Revision | None:
    """The newest revision of an article."""
    return session.scalar(
        select(Revision)
        .where(Revision.article_id == article_id)
        .order_by(Revision.number.desc())
        .limit(1)
    )


def revisions_of(session: Session, article_id: int) -> Sequence[Revision]:
    """All revisions of an article, oldest first."""
    return session.scalars(
        select(Revision).where(Revision.article_id == article_id).order_by(Revision.number)
    ).all()


def get_revision(session: Session, article_id: int, number: int) -> Revision | None:
    """Revision `number` of an article (negative counts from the newest: -1 is the last)."""
    if number < 0:
        count = revision_count(session, article_id)
        number = count + 1 + number
    return session.scalar(
        select(Revision).where(Revision.article_id == article_id, Revision.number == number)
    )


def revision_count(session: Session, article_id: int) -> int:
    """How many revisions an article has."""
    return (
        session.scalar(
            select(func.count()).select_from(Revision).where(Revision.article_id == article_id)
        )
        or 0
    )


def insert_revision(session: Session, article: Article, **values: Any) -> Revision:
    """Append the next-numbered revision of `article` (revisions are never updated)."""
    number = (
        session.scalar(select(func.max(Revision.number)).where(Revision.article_id == article.id))
        or 0
    ) + 1
    revision = Revision(article_id=article.id, number=number, **values)
    session.add(revision)
    session.flush()
    return revision


def add_changes(session: Session, revision: Revision, changes: Iterable[dict[str, Any]]) -> None:
    """Attach typed changes to a revision, in the order given."""
    for position, change in enumerate(changes):
        session.add(
            Change(
                revision_id=revision.id,
                article_id=revision.article_id,
                position=position,
                created_at=revision.fetched_at,
                kind=change["kind"],
                significance=change["significance"],
                field=change["field"],
                before=change.get("before"),
                after=change.get("after"),
                data=change.get("data", {}),
            )
        )
    session.flush()


def record_check(session: Session, **values: Any) -> Check:
    """Append one check row."""
    check = Check(**values)
    session.add(check)
    session.flush()
    return check


def last_check_id(session: Session) -> int:
    """The highest check id so far (0 when none)."""
    return session.scalar(select(func.max(Check.id))) or 0


def checks_since(session: Session, after_id: int) -> Sequence[Check]:
    """Checks recorded after check `after_id`, in order."""
    return session.scalars(select(Check).where(Check.id > after_id).order_by(Check.id)).all()


def changes_feed(
    session: Session,
    *,
    since: datetime | None = None,
    kinds: Sequence[str] = (),
    min_significance: str | None = None,
    limit: int = 500,
) -> Sequence[Change]:
    """Changes across all articles, newest first, filtered."""
    query = select(Change).order_by(Change.created_at.desc(), Change.id.desc()).limit(limit)
    if since is not None:
        query = query.where(Change.created_at >= since)
    if kinds:
        query = query.where(Change.kind.in_(list(kinds)))
    if min_significance:
        floor = SIGNIFICANCE_ORDER[min_significance]
        allowed = [name for name, rank in SIGNIFICANCE_ORDER.items() if rank >= floor]
        query = query.where(Change.significance.in_(allowed))
    return session.scalars(query).all()


def due_articles(session: Session, now: datetime, limit: int) -> Sequence[Article]:
    """Active articles whose next check is due, most overdue first."""
    return session.scalars(
        select(Article)
        .where(Article.active.is_(True), Article.next_check_at <= now)
        .order_by(Article.next_check_at)
        .limit(limit)
    ).all()


def beat(session: Session, name: str, now: datetime, state: str = "running") -> None:
    """Record that daemon `name` is alive (or has stopped)."""
    row = session.scalar(select(Heartbeat).where(Heartbeat.name == name))
    if row is None:
        session.add(Heartbeat(name=name, started_at=now, beat_at=now, state=state))
    else:
        if state == "running" and row.state != "running":
            row.started_at = now  # a restart
        row.beat_at = now
        row.state = state


def heartbeats(session: Session) -> Sequence[Heartbeat]:
    """Every daemon that has ever run against this database, latest beat first."""
    return session.scalars(select(Heartbeat).order_by(Heartbeat.beat_at.desc())).all()
