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
        return cls()

    async def process_item(self, item: FetchedPage) -> FetchedPage:
        if item.extraction is not None:
            item.fingerprint = fingerprint(item.extraction)
        return item
