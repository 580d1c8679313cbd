"""Pipeline: fingerprint the normalised editorial content of an extraction."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

from crawler.fingerprint import fingerprint
from crawler.items import FetchedPage

logger = logging.getLogger(__name__)


class FingerprintPipeline:
    """Set `item.fingerprint`; noise (ads, widgets, tokens) does not move it."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FingerprintPipeline:
        """Build the pipeline (it has no settings)."""
        return cls()

    async def process_item(self, item: FetchedPage) -> FetchedPage:
        """Fingerprint the extraction, when there is one."""
        if item.extraction is not None:
            item.fingerprint = fingerprint(item.extraction)
        return item
