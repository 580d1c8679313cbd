"""The spider that reads the configured news feeds and tracks the new stories they announce."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from sqlalchemy.orm import Session, sessionmaker
from twisted.python.failure import Failure

from crawler.extractors.identity import provisional_key
from crawler.feeds import FeedEntry, FeedError, FeedResult, FeedRule, feed_rules, parse_feed
from crawler.sites import site_policy
from crawler.spiders.articles import describe_failure
from storage import open_database
from storage.queries import add_article, find_article

logger = logging.getLogger(__name__)


class FeedSpider(Spider):
    """Fetch each feed once; matching links not yet tracked become tracked articles.

    `rules` defaults to the `feeds:` of EDITWATCH_CONFIG. New articles are added
    at depth 0 and are due at once; nothing else is recorded. `results` holds one
    FeedResult per feed when the crawl is over.
    """

    name = "feeds"
    # Feeds are not articles: no extraction, fingerprint or store pipelines.
    custom_settings = {"ITEM_PIPELINES": {}}  # noqa: RUF012  (Scrapy's own attribute)

    def __init__(self, rules: Iterable[FeedRule] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rules = list(rules) if rules is not None else None
        self.results: list[FeedResult] = []
        self.sessions: sessionmaker[Session] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> FeedSpider:
        """Build the spider with the crawl's database and config."""
        spider: FeedSpider = super().from_crawler(crawler, *args, **kwargs)
        if spider.rules is None:
            spider.rules = feed_rules(crawler.settings.getdict("EDITWATCH_CONFIG"))
        spider.sessions = open_database(crawler.settings.get("EDITWATCH_DB"))
        return spider

    async def start(self) -> AsyncIterator[Any]:
        """One request per feed, with its site's robots.txt choice."""
        config = self.crawler.settings.getdict("EDITWATCH_CONFIG")
        for rule in self.rules or ():
            meta: dict[str, Any] = {"feed_rule": rule}
            if not site_policy(config, urlsplit(rule.url).hostname or "").robots:
                meta["dont_obey_robotstxt"] = True
            yield Request(
                rule.url,
                callback=self.parse,
                errback=self.failed,
                dont_filter=True,
                meta=meta,
            )

    def parse(self, response: Response, **kwargs: Any) -> Iterable[Any]:
        """Read the feed and track its new matching stories."""
        rule: FeedRule = response.meta["feed_rule"]
        result = FeedResult(feed=rule.url)
        self.results.append(result)
        if response.status >= 400:
            result.error = f"HTTP {response.status}"
            return ()
        try:
            entries = parse_feed(response.body, response.url)
        except FeedError as exc:
            result.error = str(exc)
            return ()
        chosen = rule.select(entries)
        result.entries, result.matched = len(entries), len(chosen)
        result.added = self._track(chosen, rule.max_new)
        if result.added:
            logger.info("feed %s: now tracking %d new article(s)", rule.url, len(result.added))
        return ()

    def _track(self, entries: list[FeedEntry], limit: int) -> list[tuple[int, str]]:
        """Add up to `limit` entries that are not tracked yet; returns (id, url) of each."""
        assert self.sessions is not None
        added: list[tuple[int, str]] = []
        with self.sessions.begin() as session:
            for entry in entries:
                if len(added) >= limit:
                    break
                key = provisional_key(entry.link)
                if find_article(session, entry.link) or find_article(session, key):
                    continue
                article, created = add_article(session, entry.link, key)
                if created:
                    added.append((article.id, entry.link))
        return added

    def failed(self, failure: Failure) -> Iterable[Any]:
        """A feed that could not be fetched is one error result; the others go on."""
        request = failure.request  # type: ignore[attr-defined]
        self.results.append(
            FeedResult(feed=request.meta["feed_rule"].url, error=describe_failure(failure))
        )
        return ()
