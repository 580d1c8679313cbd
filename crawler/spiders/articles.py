"""The spider that checks tracked articles, one request per article."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import FetchedPage

logger = logging.getLogger(__name__)


class ArticleSpider(Spider):
    """Fetch each given article once and hand the page to the item pipelines.

    `targets` is a list of `(article_id, url)`; conditional-GET validators may
    come in `validators` as `{article_id: {"etag": ..., "last_modified": ...}}`.
    """

    name = "articles"

    def __init__(
        self,
        targets: Iterable[tuple[int, str]] = (),
        validators: dict[int, dict[str, str | None]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.targets = list(targets)
        self.validators = validators or {}

    async def start(self) -> AsyncIterator[Any]:
        for article_id, url in self.targets:
            headers = {}
            saved = self.validators.get(article_id, {})
            if saved.get("etag"):
                headers["If-None-Match"] = saved["etag"]
            if saved.get("last_modified"):
                headers["If-Modified-Since"] = saved["last_modified"]
            yield Request(
                url,
                headers=headers,
                callback=self.parse,
                errback=self.failed,
                dont_filter=True,
                meta={"article_id": article_id, "started": time.monotonic()},
            )

    def parse(self, response: Response, **kwargs: Any) -> Iterable[FetchedPage]:
        """Wrap the response, whatever its status, as a FetchedPage."""
        meta = response.meta
        headers = {
            key.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
            for key, values in response.headers.items()
        }
        yield FetchedPage(
            article_id=meta["article_id"],
            requested_url=meta.get("redirect_urls", [response.url])[0],
            url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            fetched_at=datetime.now(UTC).isoformat(),
            duration_ms=(time.monotonic() - meta["started"]) * 1000,
            redirected_from=list(meta.get("redirect_urls", [])),
        )

    def failed(self, failure: Failure) -> Iterable[FetchedPage]:
        """A fetch that produced no response still ends in a recorded check."""
        request = failure.request  # type: ignore[attr-defined]
        yield FetchedPage(
            article_id=request.meta["article_id"],
            requested_url=request.url,
            url=request.url,
            fetched_at=datetime.now(UTC).isoformat(),
            duration_ms=(time.monotonic() - request.meta["started"]) * 1000,
            error=describe_failure(failure),
        )


def describe_failure(failure: Failure) -> str:
    """One line a person can act on, from a Twisted failure."""
    exc = failure.value
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if "DNSLookupError" in name or "CannotResolveHost" in name:
        return f"cannot resolve host: {text or name}"
    if "ConnectionRefused" in name:
        return "connection refused"
    if "Timeout" in name:
        return "timed out"
    if "IgnoreRequest" in name and "robots" in text.lower():
        return "forbidden by robots.txt"
    return f"{name}: {text}" if text else name
