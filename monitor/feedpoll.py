"""Poll the configured news feeds on the running reactor: new stories become tracked articles."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from crawler.feeds import FeedResult, feed_rules

logger = logging.getLogger(__name__)


async def poll_feeds_report(db_url: str, config: Mapping[str, Any]) -> list[FeedResult]:
    """Fetch every feed of `config` once; one FeedResult per feed, in config order.

    Needs Twisted's asyncio reactor running (the daemon's loop, or
    `monitor.crawl.run_with_reactor`). A bad `feeds:` entry raises FeedConfigError
    before anything is fetched; a feed that fails is an error result, not an exception.
    """
    rules = feed_rules(config)
    if not rules:
        return []
    from scrapy.crawler import AsyncCrawlerRunner

    from crawler.spiders.feeds import FeedSpider
    from monitor.crawl import crawl_settings

    runner = AsyncCrawlerRunner(crawl_settings(db_url, {"EDITWATCH_CONFIG": dict(config)}))
    crawler = runner.create_crawler(FeedSpider)
    await runner.crawl(crawler, rules=rules)
    spider = crawler.spider
    results: list[FeedResult] = list(spider.results) if isinstance(spider, FeedSpider) else []
    order = {rule.url: position for position, rule in enumerate(rules)}
    results.sort(key=lambda result: order.get(result.feed, len(order)))
    return results


async def poll_feeds(db_url: str, config: Mapping[str, Any]) -> int:
    """Fetch every configured feed once; the number of new articles now tracked.

    For the daemon: a failed feed is logged as a warning and the others count.
    """
    results = await poll_feeds_report(db_url, config)
    for result in results:
        if result.error:
            logger.warning("feed %s: %s", result.feed, result.error)
    added = sum(len(result.added) for result in results)
    if added:
        logger.info("feeds: now tracking %d new article(s)", added)
    return added
