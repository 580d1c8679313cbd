"""The key an article is tracked under before its page has been read."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

from crawler.extractors.base import registry

logger = logging.getLogger(__name__)


def provisional_key(url: str) -> str:
    """The site adapter's key when the domain is known (e.g. `moscowtimes:68828`), else the URL.

    After the first fetch the page's own identity replaces a URL key, so a
    local copy of a known site is keyed the same way.
    """
    host = (urlsplit(url).hostname or "").lower()
    for extractor in registry.values():
        if any(host == d or host.endswith("." + d) for d in extractor.domains):
            key = extractor.article_key_from_url(url)
            if key:
                return key
    parts = urlsplit(url)
    return "url:" + urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, parts.query, ""))
