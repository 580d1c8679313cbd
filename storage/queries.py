"""Queries: plain functions that take the caller's session."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import zstandard
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import Article, ArticleAlias, Change, Check, Heartbeat, Revision, utcnow

logger = logging.getLogger(__name__)

# The diff engine's order (monitor.diff.SIGNIFICANCES); storage may not import monitor.
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


@dataclass(frozen=True)
class Claim:
    """A due article leased to one dispatch: what the fetch needs, detached from the session."""

    id: int
    url: str
    etag: str | None
    last_modified: str | None


_CHUNK = 500  # ids per IN (...) list, well under SQLite's bound-parameter limit


def claim_due(
    session: Session,
    now: datetime,
    limit: int,
    lease_until: datetime,
    in_flight: Collection[int] = (),
) -> list[Claim]:
    """Lease up to `limit` due active articles (most overdue first) until `lease_until`.

    Moving `next_check_at` to the lease's end is the claim: no other dispatch
    takes them, and if the check never finishes (a crash) they fall due again.
    Articles in `in_flight` (the caller is still checking them) are not returned,
    but their lease is renewed when it has run out.
    """
    rows = session.execute(
        select(Article.id, Article.url, Article.etag, Article.last_modified)
        .where(Article.active.is_(True), Article.next_check_at <= now)
        .order_by(Article.next_check_at)
        .limit(limit + len(in_flight))
    ).all()
    renewed = [row.id for row in rows if row.id in in_flight]
    claims = [
        Claim(row.id, row.url, row.etag, row.last_modified)
        for row in rows
        if row.id not in in_flight
    ][:limit]
    ids = [claim.id for claim in claims] + renewed
    for start in range(0, len(ids), _CHUNK):
        session.execute(
            update(Article)
            .where(Article.id.in_(ids[start : start + _CHUNK]))
            .values(next_check_at=lease_until)
            .execution_options(synchronize_session=False)
        )
    return claims


def release_claims(
    session: Session, ids: Iterable[int], lease_until: datetime, now: datetime
) -> int:
    """Make leased articles due now again, unless a check has rescheduled them since."""
    pending = list(ids)
    released = 0
    for start in range(0, len(pending), _CHUNK):
        result = session.execute(
            update(Article)
            .where(
                Article.id.in_(pending[start : start + _CHUNK]),
                Article.next_check_at == lease_until,
            )
            .values(next_check_at=now)
            .execution_options(synchronize_session=False)
        )
        released += int(getattr(result, "rowcount", 0) or 0)
    return released


def upcoming_articles(session: Session, limit: int = 5) -> Sequence[Article]:
    """The active articles due next, soonest first."""
    return session.scalars(
        select(Article)
        .where(Article.active.is_(True))
        .order_by(Article.next_check_at)
        .limit(limit)
    ).all()


def check_counts(session: Session, since: datetime) -> dict[str, int]:
    """Checks recorded since `since`, counted by result (new, changed, unchanged, error)."""
    rows = session.execute(
        select(Check.result, func.count()).where(Check.checked_at >= since).group_by(Check.result)
    ).all()
    return {str(result): int(count) for result, count in rows}


def recent_errors(session: Session, since: datetime, limit: int = 5) -> Sequence[Check]:
    """The newest failed checks since `since`."""
    return session.scalars(
        select(Check)
        .where(Check.result == "error", Check.checked_at >= since)
        .order_by(Check.checked_at.desc())
        .limit(limit)
    ).all()
