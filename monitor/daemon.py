"""The scheduler daemon: a few periodic jobs on one event loop; the database is the only truth."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import FetchedPage
from crawler.spiders.articles import ArticleSpider
from monitor.crawl import Checker
from storage import Heartbeat, open_database
from storage.models import utcnow
from storage.queries import Claim, beat, claim_due, heartbeats, release_claims

logger = logging.getLogger(__name__)

#: One batch for the spider: (article_id, url) targets and their conditional-GET validators.
Batch = tuple[list[tuple[int, str]], dict[int, dict[str, str | None]]]


@dataclass
class DaemonOptions:
    """How often each job runs and how much it takes at once."""

    tick: float = 5.0  # seconds between dispatch runs
    batch: int = 500  # most articles claimed per dispatch, and in flight at once
    lease: timedelta = timedelta(minutes=10)  # a claimed article is re-dispatched after this
    heartbeat: float = 5.0
    deliver_every: float = 10.0
    shutdown_grace: float = 8.0  # in-flight checks may finish for this long after SIGTERM
    run_for: float | None = None  # stop by itself after this many seconds (demos, tests)
    overrides: dict[str, Any] = field(default_factory=dict)  # Scrapy settings for this run


class DaemonSpider(ArticleSpider):
    """The article spider kept open for the daemon's life, fed batches by the dispatch job.

    `start()` waits on the feed instead of ending, so one crawler (one robots.txt
    cache, one AutoThrottle slot and concurrency limit per domain) serves every
    dispatch. A `None` on the feed ends it; the crawl closes once in-flight
    requests are done.
    """

    def __init__(self, feed: asyncio.Queue[Batch | None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.feed = feed

    async def start(self) -> AsyncIterator[Any]:
        """Yield the requests of each batch put on the feed, until a `None`."""
        while (batch := await self.feed.get()) is not None:
            self.targets, self.validators = batch
            async for request in super().start():
                yield request

    # Lists, not generators: for a generator callback Scrapy re-reads and parses the
    # method's source on every response (its cache is keyed by a short-lived bound method).
    def parse(self, response: Response, **kwargs: Any) -> list[FetchedPage]:
        """`ArticleSpider.parse`, as a list."""
        return list(super().parse(response, **kwargs))

    def failed(self, failure: Failure) -> list[FetchedPage]:
        """`ArticleSpider.failed`, as a list."""
        return list(super().failed(failure))


class Daemon:
    """Runs dispatch, delivery, digest and heartbeat jobs until SIGTERM/SIGINT."""

    def __init__(
        self,
        db_url: str,
        config: dict[str, Any],
        options: DaemonOptions,
        early_signals: list[int] | None = None,
    ) -> None:
        self.db_url = db_url
        self.config = config
        self.options = options
        self.early_signals = early_signals if early_signals is not None else []
        self.sessions = open_database(db_url)
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = asyncio.Event()
        self.checker: Checker | None = None
        self.alerting: Any = None
        self.feed: asyncio.Queue[Batch | None] = asyncio.Queue()
        self.crawl: asyncio.Task[None] | None = None
        self.crawler: Crawler | None = None
        self.in_flight: dict[int, datetime] = {}  # article id -> end of its lease
        self.jobs: set[asyncio.Task[Any]] = set()
        self.checks_dispatched = 0
        self.checks_done = 0

    def request_stop(self, signum: int | None = None) -> None:
        """Stop taking new work; in-flight checks get `shutdown_grace` seconds."""
        if not self.stopping.is_set():
            logger.warning("stopping (signal %s)", signum)
            self.stopping.set()

    async def run(self) -> int:
        """Run the jobs until asked to stop; returns the process exit code."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.request_stop, signum)
        if self.early_signals:  # a signal came while the process was still starting
            self.request_stop(self.early_signals[0])
        overrides = {"EDITWATCH_CONFIG": self.config, **self.options.overrides}
        self.checker = Checker(self.db_url, overrides)
        self.alerting = _load_alerting(self.config)
        self._mark_crashed()
        await self._start_crawl()
        # Start-up objects (modules, Scrapy components) live as long as the process:
        # keep the cyclic GC from walking them again on every full collection.
        gc.freeze()
        scheduler = self._scheduler()
        scheduler.start()
        self._beat("running")
        logger.warning("daemon %s started on %s", self.name, self.db_url)
        try:
            await asyncio.wait_for(self.stopping.wait(), self.options.run_for)
        except TimeoutError:
            logger.warning("run time of %ss reached", self.options.run_for)
        await self._shutdown(scheduler)
        return 0

    def _scheduler(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        )
        now = utcnow()
        tracked = self._tracked
        scheduler.add_job(
            tracked(self.dispatch), "interval", seconds=self.options.tick, next_run_time=now,
            id="dispatch", name="dispatch",
        )  # fmt: skip
        scheduler.add_job(
            tracked(self.heartbeat), "interval", seconds=self.options.heartbeat, id="heartbeat"
        )
        if self.alerting is not None:
            scheduler.add_job(
                tracked(self.deliver), "interval", seconds=self.options.deliver_every,
                next_run_time=now, id="deliver", name="deliver",
            )  # fmt: skip
            scheduler.add_job(tracked(self.digest), "cron", minute=0, args=["hourly"])
            scheduler.add_job(tracked(self.digest), "cron", hour=0, minute=0, args=["daily"])
        if self.config.get("feeds"):
            from crawler.feeds import feed_interval

            scheduler.add_job(
                tracked(self.poll_feeds), "interval", next_run_time=now, id="feeds",
                seconds=feed_interval(self.config).total_seconds(),
            )  # fmt: skip
        return scheduler

    def _tracked(self, job: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        """Wrap a job so shutdown can wait for a run in progress (APScheduler would cancel it)."""

        async def run(*args: Any) -> Any:
            task = asyncio.current_task()
            assert task is not None
            self.jobs.add(task)
            try:
                return await job(*args)
            finally:
                self.jobs.discard(task)

        run.__name__ = run.__qualname__ = getattr(job, "__name__", "job")
        return run

    async def _shutdown(self, scheduler: AsyncIOScheduler) -> None:
        """Stop taking work, let in-flight work finish within the grace, abandon the rest."""
        scheduler.pause()
        deadline = time.monotonic() + self.options.shutdown_grace
        while not self.feed.empty():  # claimed but never handed to the spider
            self.feed.get_nowait()
        self.feed.put_nowait(None)
        waiting = [*self.jobs, *([self.crawl] if self.crawl is not None else [])]
        if waiting:
            _, pending = await asyncio.wait(waiting, timeout=self.options.shutdown_grace)
            if pending:
                logger.warning(
                    "abandoning %d check(s) still in flight; they are re-checked on restart",
                    len(self.in_flight),
                )
                await self._abandon(pending, max(deadline - time.monotonic(), 1.0))
        scheduler.shutdown(wait=False)
        self._release()
        self._beat("stopped")
        logger.warning(
            "daemon %s stopped: %d check(s) dispatched, %d done",
            self.name, self.checks_dispatched, self.checks_done,
        )  # fmt: skip

    async def _abandon(self, pending: set[asyncio.Task[Any]], timeout: float) -> None:
        assert self.checker is not None
        stopping = asyncio.ensure_future(self.checker.stop())
        for task in pending:
            if task is not self.crawl:
                task.cancel()
        await asyncio.wait([stopping, *pending], timeout=timeout)

    def _release(self) -> None:
        """Make abandoned claims due now, so a restart checks them first (not after the lease)."""
        if not self.in_flight:
            return
        now = utcnow()
        by_lease: dict[datetime, list[int]] = {}
        for article_id, lease_until in self.in_flight.items():
            by_lease.setdefault(lease_until, []).append(article_id)
        with self.sessions.begin() as session:
            released = sum(
                release_claims(session, ids, lease_until, now)
                for lease_until, ids in by_lease.items()
            )
        logger.info("released %d unfinished claim(s)", released)
        self.in_flight.clear()

    async def _start_crawl(self, timeout: float = 30.0) -> None:
        """Build the crawler before the first dispatch (middlewares, handlers: a second of CPU)."""
        opened = asyncio.Event()
        self._ensure_crawl()
        assert self.crawl is not None and self.crawler is not None

        def spider_opened(**_: Any) -> None:
            opened.set()

        self.crawler.signals.connect(spider_opened, signal=signals.spider_opened, weak=False)
        waiters = [asyncio.ensure_future(event.wait()) for event in (opened, self.stopping)]
        await asyncio.wait([*waiters, self.crawl], timeout=timeout, return_when="FIRST_COMPLETED")
        for waiter in waiters:
            waiter.cancel()
        if self.crawl.done():
            self.crawl.result()  # raise what stopped it, before the daemon reports itself up

    def _ensure_crawl(self) -> None:
        """Start the long-lived crawl, or a new one if the last ended by itself."""
        if self.crawl is not None and not self.crawl.done():
            return
        if self.crawl is not None:
            error = None if self.crawl.cancelled() else self.crawl.exception()
            logger.error("the crawl ended unexpectedly (%s); starting a new one", error)
            self.in_flight.clear()  # their leases expire and they are dispatched again
            self.feed = asyncio.Queue()
        assert self.checker is not None
        self.crawler = self.checker.runner.create_crawler(DaemonSpider)
        self._connect(self.crawler)
        self.crawl = self.checker.runner.crawl(self.crawler, feed=self.feed)

    def _connect(self, crawler: Crawler) -> None:
        for signal_name in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self._item_done, signal=signal_name)
        crawler.signals.connect(self._request_lost, signal=signals.request_dropped)
        crawler.signals.connect(self._response_lost, signal=signals.spider_error)

    def _item_done(self, item: Any, **_: Any) -> None:
        """A check has gone through the pipelines (recorded, or failed in them)."""
        if self.in_flight.pop(getattr(item, "article_id", -1), None) is not None:
            self.checks_done += 1

    def _request_lost(self, request: Any, **_: Any) -> None:
        self.in_flight.pop(request.meta.get("article_id", -1), None)

    def _response_lost(self, response: Any = None, **_: Any) -> None:
        meta = getattr(getattr(response, "request", None), "meta", None) or {}
        self.in_flight.pop(meta.get("article_id", -1), None)

    async def dispatch(self) -> None:
        """Claim due articles (a lease, so a crash re-checks them) and hand them to the crawl."""
        if self.stopping.is_set():
            return
        self._ensure_crawl()
        room = self.options.batch - len(self.in_flight)
        if room <= 0:
            return
        now = utcnow()
        lease_until = now + self.options.lease
        with self.sessions.begin() as session:
            # An article still in flight may be due again (its lease ran out in a long
            # queue): its lease is renewed, but it is not fetched twice.
            fresh = claim_due(session, now, room, lease_until, self.in_flight.keys())
        for article_id, until in self.in_flight.items():
            if until <= now:  # renewed by claim_due (or rescheduled by its finished check)
                self.in_flight[article_id] = lease_until
        if not fresh:
            return
        for claim in fresh:
            self.in_flight[claim.id] = lease_until
        self.feed.put_nowait(_batch(fresh))
        self.checks_dispatched += len(fresh)
        logger.info("dispatched %d due article(s); %d in flight", len(fresh), len(self.in_flight))

    async def heartbeat(self) -> None:
        """Tell `editwatch status` that this daemon is alive."""
        self._beat("running")

    def _beat(self, state: str) -> None:
        with self.sessions.begin() as session:
            beat(session, self.name, utcnow(), state)

    def _mark_crashed(self) -> None:
        """Heartbeat rows of daemons on this host whose process is gone say so."""
        host = socket.gethostname()
        with self.sessions.begin() as session:
            for row in heartbeats(session):
                if row.state == "running" and _dead_here(row, host):
                    row.state = "crashed"

    async def deliver(self) -> None:
        """Send due alerts from the outbox."""
        from monitor.alerts.delivery import deliver_due

        stats = await deliver_due(self.sessions, self.alerting)
        logger.info("alert delivery: %s", stats)

    async def poll_feeds(self) -> None:
        """Start tracking new stories from the configured feeds (they are due at once)."""
        from monitor.feedpoll import poll_feeds

        added = await poll_feeds(self.db_url, self.config)
        if added:
            logger.info("feeds: now tracking %d new article(s)", added)

    async def digest(self, period: str) -> None:
        """Send the hourly or daily digest messages."""
        from monitor.alerts.delivery import send_digests

        await send_digests(self.sessions, self.alerting, period)


def _batch(claims: list[Claim]) -> Batch:
    targets = [(claim.id, claim.url) for claim in claims]
    # Every claim gets an entry, so the spider need not look validators up again.
    validators = {
        claim.id: {"etag": claim.etag, "last_modified": claim.last_modified} for claim in claims
    }
    return targets, validators


def _dead_here(row: Heartbeat, host: str) -> bool:
    """Whether a heartbeat row names a process on this host that no longer runs."""
    name_host, _, pid = row.name.rpartition(":")
    if name_host != host or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _load_alerting(config: dict[str, Any]) -> Any:
    if not config.get("channels"):
        return None
    from monitor.alerts.rules import load_alerting

    return load_alerting(config)
