"""Pipeline: run the site adapter over a fetched page."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

from crawler.extractors import ExtractionError, extract_page
from crawler.items import STATE_NOT_FOUND, ArticleFields, Extraction, FetchedPage

logger = logging.getLogger(__name__)

STATE_REMOVED = "removed"
_GONE = {404, 410}
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class ExtractPipeline:
    """Turn a page into an `Extraction`, or into a one-line error on the item."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        """Build the pipeline (it has no settings)."""
        return cls()

    async def process_item(self, item: FetchedPage) -> FetchedPage:
        """Extract the article, or record why the page is not one."""
        if item.error or item.status == 304:
            return item
        assert item.status is not None
        if item.status in _GONE:
            item.extraction = Extraction(
                site="", canonical_url=item.url, article_key="", state=STATE_REMOVED
            )
            return item
        if item.status >= 400:
            item.error = f"HTTP {item.status}"
            return item
        item.error = content_type_error(item.headers.get("content-type", ""))
        if item.error:
            return item
        try:
            extraction = extract_page(item.url, item.body)
        except ExtractionError as exc:
            item.error = str(exc)
            return item
        if extraction.state == STATE_NOT_FOUND:
            extraction.state = STATE_REMOVED
            extraction.fields = ArticleFields()
        elif not has_content(extraction.fields):
            item.error = "no article found on the page (no headline and no text)"
            return item
        item.extraction = extraction
        return item


def content_type_error(content_type: str) -> str | None:
    """Why a response with this Content-Type is not an article page, or None."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not media_type or media_type in _HTML_TYPES:
        return None
    return f"not an HTML page (Content-Type: {media_type})"


def has_content(fields: ArticleFields) -> bool:
    """Whether an extraction found anything a reader would call an article."""
    return bool(fields.headline.strip() or any(p.strip() for p in fields.paragraphs))
