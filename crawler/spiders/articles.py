"""The spider that checks tracked articles, one request per article."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.settings import BaseSettings
from sqlalchemy import select
from twisted.python.failure import Failure

from crawler.items import FetchedPage
from crawler.render import wants_render
from crawler.sites import site_policy
from storage import Article, make_engine

logger = logging.getLogger(__name__)

_CHUNK = 500  # article ids per IN (...) when reading saved validators
#: Failures that never reached the server: retried at once, no backoff.


class ArticleSpider(Spider):
    """Fetch each given article once and hand the page to the item pipelines.

    `targets` is a list of `(article_id, url)`; conditional-GET validators may
    come in `validators` as `{article_id: {"etag": ..., "last_modified": ...}}`,
    and are read from the database for the other targets. A site's `robots: false`
    skips robots.txt for its pages; `render` pages go through the browser.
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
        """One request per target; a render page without a browser is an error check."""
        settings = self.crawler.settings
        config = settings.getdict("EDITWATCH_CONFIG")
        validators = self._validators(settings)
        for article_id, url in self.targets:
            render = wants_render(config, url)
            if render and not settings.getbool("EDITWATCH_RENDER"):
                reason = settings.get("EDITWATCH_RENDER_ERROR") or "rendering is not configured"
                yield _unfetched(article_id, url, reason)
                continue
            yield self.request(article_id, url, validators.get(article_id, {}), config, render)

    def request(
        self,
        article_id: int,
        url: str,
        saved: Mapping[str, str | None],
        config: Mapping[str, Any],
        render: bool,
    ) -> Request:
        """The conditional GET for one article, with its site's robots.txt and render choice."""
        headers = {}
        # A browser cannot show a 304 (it has no cached copy): rendered pages are fetched whole.
        if saved.get("etag") and not render:
            headers["If-None-Match"] = saved["etag"]
        if saved.get("last_modified") and not render:
            headers["If-Modified-Since"] = saved["last_modified"]
        meta: dict[str, Any] = {"article_id": article_id, "started": time.monotonic()}
        if not site_policy(config, urlsplit(url).hostname or "").robots:
            meta["dont_obey_robotstxt"] = True
        if render:
            meta["playwright"] = True
        return Request(
            url,
            headers=headers,
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
            meta=meta,
        )

    def _validators(self, settings: BaseSettings) -> dict[int, dict[str, str | None]]:
        """The caller's validators, completed from the database for the other targets."""
        if not settings.getbool("EDITWATCH_CONDITIONAL_GET", True):
            return {}
        missing = [aid for aid, _ in self.targets if aid not in self.validators]
        found = dict(self.validators)
        if not missing:
            return found
        engine = make_engine(settings.get("EDITWATCH_DB"))
        try:
            with engine.connect() as connection:
                for start in range(0, len(missing), _CHUNK):
                    rows = connection.execute(
                        select(Article.id, Article.etag, Article.last_modified).where(
                            Article.id.in_(missing[start : start + _CHUNK])
                        )
                    )
                    for row in rows:
                        if row.etag or row.last_modified:
                            found[row.id] = {"etag": row.etag, "last_modified": row.last_modified}
        finally:
            engine.dispose()
        return found

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


def _unfetched(article_id: int, url: str, error: str) -> FetchedPage:
    """A check that ends before any request is made (e.g. no browser for a render page)."""
    return FetchedPage(
        article_id=article_id,
        requested_url=url,
        url=url,
        fetched_at=datetime.now(UTC).isoformat(),
        duration_ms=0.0,
        error=error,
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
    if text.startswith("Page.goto: "):  # Playwright, for a rendered page
        return "browser could not load the page: " + text[11:].split(" at ", 1)[0]
    return f"{name}: {text}" if text else name
