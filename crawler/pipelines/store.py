"""Pipeline: record the check and, for new content, the revision and its changes, atomically."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.utils.misc import load_object
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawler.items import FetchedPage
from crawler.schedule import next_check_at
from crawler.sites import schedule_table, site_policy
from storage import Article, Revision, open_database
from storage.models import utcnow
from storage.queries import (
    add_alias,
    compress_html,
    insert_revision,
    latest_revision,
    record_check,
)

logger = logging.getLogger(__name__)

#: analyser(session, previous, new): adds the changes of `new` inside the same transaction.
Analyser = Callable[[Session, "Revision | None", Revision], None]


class StorePipeline:
    """One transaction per page: the check row, and a revision only when the fingerprint moved."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        analyser: Analyser | None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self.sessions = sessions
        self.analyser = analyser
        self.config = config or {}
        self.table = schedule_table(self.config)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        """Open the database and load the revision analyser named in settings."""
        settings = crawler.settings
        analyser_path = settings.get("EDITWATCH_REVISION_ANALYSER")
        analyser = None
        if analyser_path:
            target = load_object(analyser_path)
            # A class builds itself from settings (to read alert rules); a function is used as is.
            has_factory = hasattr(target, "from_settings")
            analyser = target.from_settings(settings) if has_factory else target
        config = settings.getdict("EDITWATCH_CONFIG")
        return cls(open_database(settings.get("EDITWATCH_DB")), analyser, config)

    async def process_item(self, item: FetchedPage) -> FetchedPage:
        """Store the check (and any new revision) in one transaction."""
        with self.sessions.begin() as session:
            article = session.get(Article, item.article_id)
            if article is None:
                logger.warning("article %s vanished from the database", item.article_id)
                return item
            now = utcnow()
            result, revision = self._store(session, article, item, now)
            record_check(
                session,
                article_id=article.id,
                checked_at=now,
                url=item.url or item.requested_url,
                status=item.status,
                duration_ms=item.duration_ms,
                bytes=len(item.body),
                result=result,
                error=item.error,
                revision_id=revision.id if revision else None,
            )
            self._reschedule(article, now)
            item.revision_id = revision.id if revision else None
        return item

    def _store(
        self, session: Session, article: Article, item: FetchedPage, now: datetime
    ) -> tuple[str, Revision | None]:
        if item.status == 304:
            return "unchanged", None
        extraction = item.extraction
        if item.error or extraction is None or item.fingerprint is None:
            item.error = item.error or "nothing could be read from the page"
            return "error", None
        _remember_validators(article, item.headers)
        for url in (*item.redirected_from, item.url):
            add_alias(session, article.id, url)
        _adopt_identity(session, article, extraction.article_key, extraction.site, item.url)
        if not article.active:  # it turned out to be another tracked article
            return "unchanged", None
        previous = latest_revision(session, article.id)
        if previous is not None and previous.fingerprint == item.fingerprint:
            return "unchanged", None
        if previous is None and extraction.state == "removed":
            item.error = f"page not found (HTTP {item.status})"
            return "error", None
        revision = insert_revision(
            session,
            article,
            fetched_at=now,
            url=item.url,
            canonical_url=extraction.canonical_url or item.url,
            status=item.status,
            headers=item.headers,
            state=extraction.state,
            site=extraction.site,
            fingerprint=item.fingerprint,
            fields=extraction.fields.to_dict(),
            raw_html_zstd=compress_html(item.body),
            raw_size=len(item.body),
        )
        if self.analyser is not None:
            self.analyser(session, previous, revision)
        article.last_change_at = now
        return ("new" if previous is None else "changed"), revision

    def _reschedule(self, article: Article, now: datetime) -> None:
        """Adaptive (or pinned) next check, never sooner than the site's minimum."""
        article.last_checked_at = now
        pinned = timedelta(seconds=article.interval_seconds) if article.interval_seconds else None
        last_change = article.last_change_at or article.added_at
        policy = site_policy(self.config, urlsplit(article.url).hostname or "")
        due = next_check_at(
            now, last_change, pinned=pinned, minimum=policy.min_interval, table=self.table
        )
        article.next_check_at = due or now + timedelta(days=3650)
        article.active = article.active and due is not None


def _remember_validators(article: Article, headers: dict[str, Any]) -> None:
    article.etag = headers.get("etag") or None
    article.last_modified = headers.get("last-modified") or None


def _adopt_identity(session: Session, article: Article, key: str, site: str, url: str) -> None:
    """Re-key an article to the identity its page declares (e.g. the Moscow Times id)."""
    if site:
        article.site = site
    # Follow a slug change: the next check asks for the URL the site now answers at.
    article.url = url
    if not key or key == article.article_key:
        return
    holder = session.scalar(select(Article.id).where(Article.article_key == key))
    if holder is None:
        article.article_key = key
    elif holder != article.id:
        # Two URLs of one article (e.g. a slug link and the canonical URL): keep the
        # older entry, point this URL at it and stop checking the duplicate.
        logger.info("article %s is the same page as article %s (%s)", article.id, holder, key)
        add_alias(session, holder, article.url)
        article.active = False
