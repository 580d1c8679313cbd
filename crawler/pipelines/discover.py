"""Pipeline: related articles found on a new revision become tracked articles."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from sqlalchemy.orm import Session, sessionmaker

from crawler.items import FetchedPage
from storage import Article, open_database
from storage.queries import add_article, find_article

logger = logging.getLogger(__name__)


class DiscoverPipeline:
    """Track same-site related links, limited in depth and in count per article."""

    def __init__(self, sessions: sessionmaker[Session], max_depth: int, max_count: int) -> None:
        self.sessions = sessions
        self.max_depth = max_depth
        self.max_count = max_count

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiscoverPipeline:
        """Read the follow depth and count; off when either is 0."""
        settings = crawler.settings
        depth = settings.getint("EDITWATCH_FOLLOW_DEPTH")
        count = settings.getint("EDITWATCH_FOLLOW_MAX")
        if depth <= 0 or count <= 0:
            raise NotConfigured("following related links is switched off")
        return cls(open_database(settings.get("EDITWATCH_DB")), depth, count)

    async def process_item(self, item: FetchedPage) -> FetchedPage:
        """Track the related links of a newly stored revision."""
        extraction = item.extraction
        if item.revision_id is None or extraction is None or extraction.state != "article":
            return item
        host = urlsplit(item.url).netloc.lower()
        links = [
            link.url
            for link in extraction.fields.related
            if urlsplit(link.url).netloc.lower() == host and link.url != item.url
        ]
        if not links:
            return item
        with self.sessions.begin() as session:
            parent = session.get(Article, item.article_id)
            if parent is None or parent.depth >= self.max_depth:
                return item
            added = self._track(session, parent, links)
        if added:
            logger.info("article %s: now tracking %d related article(s)", item.article_id, added)
        return item

    def _track(self, session: Session, parent: Article, links: list[str]) -> int:
        from crawler.extractors.identity import provisional_key

        added = 0
        for url in dict.fromkeys(links):
            if added >= self.max_count:
                break
            if find_article(session, url) is not None:
                continue
            _, created = add_article(
                session,
                url,
                provisional_key(url),
                depth=parent.depth + 1,
                found_on_id=parent.id,
                interval_seconds=parent.interval_seconds,
            )
            added += created
        return added
