"""Run the article spider once over some tracked articles (for `check` and the demo)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from scrapy.crawler import AsyncCrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.spiders.articles import ArticleSpider

logger = logging.getLogger(__name__)


def crawl_settings(db_url: str, overrides: dict[str, Any] | None = None) -> Settings:
    """Project settings (crawler.settings) with this run's values on top."""
    settings = get_project_settings()
    if settings.get("BOT_NAME") != "editwatch":
        # Not started from the repository root: load the module directly.
        settings = Settings()
        settings.setmodule("crawler.settings", priority="project")
    settings.set("EDITWATCH_DB", db_url, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_once(
    db_url: str,
    targets: Sequence[tuple[int, str]],
    validators: dict[int, dict[str, str | None]] | None = None,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Fetch each (article_id, url) once; results land in the database.

    Starts and stops an event loop, so call it at most once per process: the
    daemon uses `AsyncCrawlerRunner` on its own loop instead.
    """
    if not targets:
        return
    process = AsyncCrawlerProcess(crawl_settings(db_url, overrides), install_root_handler=False)
    process.crawl(ArticleSpider, targets=list(targets), validators=validators or {})
    process.start(install_signal_handlers=True)
