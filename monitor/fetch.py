"""A single plain fetch for `editwatch extract URL` (debugging adapters; no storage)."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request

from crawler import settings as crawl_settings
from monitor.cli.options import UsageError

logger = logging.getLogger(__name__)


def fetch_once(url: str, timeout: float = 30.0) -> bytes:
    """GET `url` with editwatch's User-Agent; network failures are one-line usage errors."""
    request = urllib.request.Request(url, headers={"User-Agent": crawl_settings.USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body: bytes = response.read(crawl_settings.DOWNLOAD_MAXSIZE)
            content_type = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        raise UsageError(f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UsageError(f"{url}: cannot fetch: {reason}") from None
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type and media_type not in ("text/html", "application/xhtml+xml"):
        raise UsageError(f"{url}: not an HTML page (Content-Type: {media_type})")
    return body
