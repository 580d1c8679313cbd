"""Run the article spider from our own code: one event loop, crawls through AsyncCrawlerRunner."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from scrapy import signals
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.settings import Settings
from scrapy.utils.reactor import (
    install_reactor,
    is_asyncio_reactor_installed,
    is_reactor_installed,
)

from crawler.items import FetchedPage
from crawler.spiders.articles import ArticleSpider

logger = logging.getLogger(__name__)

ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
T = TypeVar("T")


def crawl_settings(db_url: str, overrides: dict[str, Any] | None = None) -> Settings:
    """crawler.settings with this run's values on top (the database, test tweaks)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("EDITWATCH_DB", db_url, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


class Checker:
    """Checks batches of articles on the running loop; one runner for the process's life."""

    def __init__(self, db_url: str, overrides: dict[str, Any] | None = None) -> None:
        self.runner = AsyncCrawlerRunner(crawl_settings(db_url, overrides))

    async def check(
        self,
        targets: Sequence[tuple[int, str]],
        validators: dict[int, dict[str, str | None]] | None = None,
        on_page: Callable[[FetchedPage], None] | None = None,
    ) -> None:
        """Fetch each (article_id, url) once; the results land in the database.

        `on_page` is called with each page once the pipelines are through with it.
        """
        if not targets:
            return
        crawler = self.runner.create_crawler(ArticleSpider)
        if on_page is not None:

            def scraped(item: Any, **kwargs: Any) -> None:
                on_page(item)

            crawler.signals.connect(scraped, signal=signals.item_scraped, weak=False)
        await self.runner.crawl(crawler, targets=list(targets), validators=validators or {})

    async def stop(self) -> None:
        """Abandon crawls in flight (used on shutdown)."""
        await self.runner.stop()


def run_with_reactor(main: Callable[[], Awaitable[T]], *, twisted_signals: bool = True) -> T:
    """Install Twisted's asyncio reactor, run `main()` on it, stop, and return its result.

    The reactor cannot be restarted, so a process calls this once; everything
    that crawls happens inside `main`. With `twisted_signals=False` the caller
    handles SIGINT/SIGTERM itself (the daemon stops gracefully).
    """
    if not is_reactor_installed():
        install_reactor(ASYNCIO_REACTOR)
    elif not is_asyncio_reactor_installed():
        raise RuntimeError("a non-asyncio Twisted reactor was installed before editwatch's")
    from twisted.internet import reactor as installed_reactor
    from twisted.internet.defer import Deferred
    from twisted.python.failure import Failure

    reactor: Any = installed_reactor  # the interface types do not describe the real object
    outcome: list[Any] = []

    def finish(result: Any) -> None:
        outcome.append(result)
        reactor.stop()

    def begin() -> None:
        future = asyncio.ensure_future(main())
        Deferred.fromFuture(future).addBoth(finish)

    reactor.callWhenRunning(begin)
    reactor.run(installSignalHandlers=twisted_signals)
    if not outcome:
        raise KeyboardInterrupt
    if isinstance(outcome[0], Failure):
        outcome[0].raiseException()
    result: T = outcome[0]
    return result


def run_once(
    db_url: str,
    targets: Sequence[tuple[int, str]],
    overrides: dict[str, Any] | None = None,
    on_page: Callable[[FetchedPage], None] | None = None,
) -> None:
    """Check the targets once in a fresh reactor (for one-shot commands)."""

    async def main() -> None:
        await Checker(db_url, overrides).check(targets, on_page=on_page)

    run_with_reactor(main)
