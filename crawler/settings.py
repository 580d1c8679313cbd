"""The single source of Scrapy settings for editwatch; per-run values come as overrides."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

BOT_NAME = "editwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# One asyncio event loop under Twisted, shared with the daemon's scheduler.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

EDITWATCH_CONTACT_URL = "https://github.com/editwatch/editwatch"
USER_AGENT = f"editwatch/0.1 (+{EDITWATCH_CONTACT_URL}; news revision monitor)"
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
RETRY_TIMES = 2
# Every status reaches the spider: 404/410 is evidence of removal, not an error to drop.
HTTPERROR_ALLOW_ALL = True
REDIRECT_ENABLED = True
LOG_LEVEL = "WARNING"

ITEM_PIPELINES = {
    "crawler.pipelines.extract.ExtractPipeline": 100,
    "crawler.pipelines.fingerprint.FingerprintPipeline": 200,
    "crawler.pipelines.store.StorePipeline": 300,
    "crawler.pipelines.discover.DiscoverPipeline": 400,
}

# Related articles become tracked articles up to this many links away from one a
# person added (0: follow nothing), and at most this many per article.
EDITWATCH_FOLLOW_DEPTH = 1
EDITWATCH_FOLLOW_MAX = 10

# Where revisions go; None means storage.default_database_url() (EDITWATCH_DB).
EDITWATCH_DB: str | None = None
# Called inside the revision's transaction to diff it against the previous one.
# Named by dotted path so the crawler never imports the layer above it.
EDITWATCH_REVISION_ANALYSER = "monitor.analyse.RevisionAnalyser"
# The parsed user config file (alert channels and rules), handed in per run.
EDITWATCH_CONFIG: dict[str, object] = {}

# Per-run settings from the user config (EDITWATCH_CONFIG): the browser download
# handler only when a site or article is marked `render`, and `contact:` in the
# User-Agent. See crawler/render.py.
ADDONS = {"crawler.render.ConfigAddon": 0}
# Set by the add-on: pages of render sites go through the system Chromium, or,
# without one, end in an error check with this line.
EDITWATCH_RENDER = False
EDITWATCH_RENDER_ERROR: str | None = None
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = DOWNLOAD_TIMEOUT * 1000

# Retries (RETRY_TIMES above) wait first: the server's Retry-After, else this many
# seconds doubled per attempt, never longer than the maximum.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
}
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
EDITWATCH_RETRY_BACKOFF = 1.0
EDITWATCH_RETRY_BACKOFF_MAX = 8.0  # keeps a waiting retry inside the daemon's 10 s stop
# Send the saved ETag / Last-Modified; a 304 is recorded as `unchanged`.
EDITWATCH_CONDITIONAL_GET = True
