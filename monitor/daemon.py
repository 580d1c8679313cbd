"""The scheduler daemon: a few periodic jobs on one event loop; the database is the only truth."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.crawl import Checker
from storage import open_database
from storage.models import utcnow
from storage.queries import beat, due_articles

logger = logging.getLogger(__name__)


@dataclass
class DaemonOptions:
    """How often each job runs and how much it takes at once."""

    tick: float = 5.0  # seconds between dispatch runs
    batch: int = 2000  # articles per dispatch
    lease: timedelta = timedelta(minutes=10)  # a claimed article is re-dispatched after this
    heartbeat: float = 5.0
    deliver_every: float = 10.0
    shutdown_grace: float = 10.0
    run_for: float | None = None  # stop by itself after this many seconds (demos, tests)


class Daemon:
    """Runs dispatch, delivery, digest and heartbeat jobs until SIGTERM/SIGINT."""

    def __init__(self, db_url: str, config: dict[str, Any], options: DaemonOptions) -> None:
        self.db_url = db_url
        self.config = config
        self.options = options
        self.sessions = open_database(db_url)
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = asyncio.Event()
        self.checker: Checker | None = None
        self.alerting: Any = None
        self.checks_dispatched = 0

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
        self.checker = Checker(self.db_url, {"EDITWATCH_CONFIG": self.config})
        self.alerting = _load_alerting(self.config)
        scheduler = self._scheduler()
        scheduler.start()
        self._beat("running")
        logger.warning("daemon %s started on %s", self.name, self.db_url)
        try:
            if self.options.run_for is not None:
                await asyncio.wait_for(self.stopping.wait(), self.options.run_for)
            else:
                await self.stopping.wait()
        except TimeoutError:
            logger.warning("run time of %ss reached", self.options.run_for)
        scheduler.shutdown(wait=False)
        await self._drain()
        self._beat("stopped")
        logger.warning("daemon %s stopped", self.name)
        return 0

    def _scheduler(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(job_defaults={"max_instances": 1, "coalesce": True})
        now = utcnow()
        scheduler.add_job(self.dispatch, "interval", seconds=self.options.tick, next_run_time=now)
        scheduler.add_job(self.heartbeat, "interval", seconds=self.options.heartbeat)
        if self.alerting is not None:
            scheduler.add_job(
                self.deliver, "interval", seconds=self.options.deliver_every, next_run_time=now
            )
            scheduler.add_job(self.digest, "cron", minute=0, args=["hourly"])
            scheduler.add_job(self.digest, "cron", hour=0, minute=0, args=["daily"])
        return scheduler

    async def _drain(self) -> None:
        assert self.checker is not None
        if not self.checker.runner.crawlers:
            return
        try:
            await asyncio.wait_for(self.checker.runner.join(), self.options.shutdown_grace)
        except TimeoutError:
            logger.warning("abandoning checks still in flight; they are re-checked on restart")
            await self.checker.stop()

    async def dispatch(self) -> None:
        """Claim the due articles (a lease, so a crash re-checks them) and check them."""
        if self.stopping.is_set():
            return
        started = time.monotonic()
        now = utcnow()
        with self.sessions.begin() as session:
            due = due_articles(session, now, self.options.batch)
            targets = [(article.id, article.url) for article in due]
            validators = {
                article.id: {"etag": article.etag, "last_modified": article.last_modified}
                for article in due
                if article.etag or article.last_modified
            }
            for article in due:
                article.next_check_at = now + self.options.lease
        if not targets:
            return
        logger.info("dispatching %d due article(s)", len(targets))
        assert self.checker is not None
        await self.checker.check(targets, validators)
        self.checks_dispatched += len(targets)
        logger.info("checked %d article(s) in %.2fs", len(targets), time.monotonic() - started)

    async def heartbeat(self) -> None:
        """Tell `editwatch status` that this daemon is alive."""
        self._beat("running")

    def _beat(self, state: str) -> None:
        with self.sessions.begin() as session:
            beat(session, self.name, utcnow(), state)

    async def deliver(self) -> None:
        """Send due alerts from the outbox."""
        from monitor.alerts.delivery import deliver_due

        stats = await deliver_due(self.sessions, self.alerting)
        logger.info("alert delivery: %s", stats)

    async def digest(self, period: str) -> None:
        """Send the hourly or daily digest messages."""
        from monitor.alerts.delivery import send_digests

        await send_digests(self.sessions, self.alerting, period)


def _load_alerting(config: dict[str, Any]) -> Any:
    if not config.get("channels"):
        return None
    from monitor.alerts.rules import load_alerting

    return load_alerting(config)
