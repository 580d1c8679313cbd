"""Downloader middleware: retries with exponential backoff and jitter."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.internet.error import ConnectError

logger = logging.getLogger(__name__)

# Failures that never reached a server: retrying at once is what Scrapy does.
_UNREACHED = (CannotResolveHostError, DownloadConnectionRefusedError, ConnectError)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware (RETRY_TIMES, RETRY_HTTP_CODES), waiting before each retry.

    The wait is the server's `Retry-After` when it sends one, else
    EDITWATCH_RETRY_BACKOFF x 2^(attempt - 1) with +-25 % jitter; never more than
    EDITWATCH_RETRY_BACKOFF_MAX. Failures that never reached a server (DNS, a
    refused connection) are retried at once, as Scrapy does.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("EDITWATCH_RETRY_BACKOFF", 1.0)
        self.ceiling = settings.getfloat("EDITWATCH_RETRY_BACKOFF_MAX", 8.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        """Build from the crawl's settings."""
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        """Retry a 5xx/408/429 after a pause."""
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await asyncio.sleep(self.delay(result, response.headers.get("Retry-After")))
        return result

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        """Retry a timeout or a dropped connection after a pause."""
        result = super().process_exception(request, exception)
        if isinstance(result, Request) and not isinstance(exception, _UNREACHED):
            await asyncio.sleep(self.delay(result, None))
        return result

    def delay(self, retry: Request, retry_after: bytes | None) -> float:
        """Seconds to wait before sending `retry` (its meta holds the attempt number)."""
        told = _retry_after_seconds(retry_after)
        if told is not None:
            return min(told, self.ceiling)
        attempt = max(int(retry.meta.get("retry_times", 1)), 1)
        wait: float = self.base * 2 ** (attempt - 1) * random.uniform(0.75, 1.25)
        return min(wait, self.ceiling)


def _retry_after_seconds(value: bytes | None) -> float | None:
    """`Retry-After: 120` or an HTTP date, as seconds from now (None when absent or bad)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
