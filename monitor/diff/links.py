"""Related-article links and tags: related_added, related_removed."""

from __future__ import annotations

import logging
import re
from collections import defaultdict, deque
from collections.abc import Sequence
from urllib.parse import urlsplit

from crawler.items import Link
from crawler.normalize import clean_text, typographic_key
from monitor.diff.classify import make_change
from monitor.diff.model import Change

logger = logging.getLogger(__name__)

_ARTICLE_ID = re.compile(r"-a(\d+)/?$")


def link_key(url: str) -> str:
    """Return the identity of a linked article: its "-aNNNN" id if the URL has one, else slug.

    The Moscow Times builds in-body related links from today's date and the slug,
    so the date part of the path changes every day while the link does not.
    """
    path = urlsplit(url.strip()).path.rstrip("/")
    found = _ARTICLE_ID.search(path)
    if found:
        return f"id:{found.group(1)}"
    return f"slug:{path.rsplit('/', 1)[-1].lower()}" if path else f"url:{url.strip()}"


def _link_text(link: Link) -> str:
    title = clean_text(link.title)
    return f"{title} <{link.url}>" if title else link.url


def _unmatched(old: Sequence[str], new: Sequence[str]) -> tuple[list[int], list[int]]:
    """Return indices of old and new keys with no equal counterpart (as multisets)."""
    waiting: dict[str, deque[int]] = defaultdict(deque)
    for i, key in enumerate(old):
        waiting[key].append(i)
    added = []
    for j, key in enumerate(new):
        if waiting[key]:
            waiting[key].popleft()
        else:
            added.append(j)
    removed = sorted(i for queue in waiting.values() for i in queue)
    return removed, added


def related_changes(old: Sequence[Link], new: Sequence[Link]) -> list[Change]:
    """List links to other articles removed or added (a new title alone is not a change)."""
    removed, added = _unmatched([link_key(x.url) for x in old], [link_key(x.url) for x in new])
    found = []
    for i in removed:
        detail = {"url": old[i].url, "title": old[i].title, "from_index": i}
        found.append(make_change("related_removed", "related", _link_text(old[i]), None, detail))
    for j in added:
        detail = {"url": new[j].url, "title": new[j].title, "to_index": j}
        found.append(make_change("related_added", "related", None, _link_text(new[j]), detail))
    return found


def tag_changes(old: Sequence[str], new: Sequence[str]) -> list[Change]:
    """List tags removed or added, as related_removed / related_added of field "tags"."""

    def key(tag: str) -> str:
        return typographic_key(tag).lower()

    removed, added = _unmatched([key(t) for t in old], [key(t) for t in new])
    found = [make_change("related_removed", "tags", clean_text(old[i]), None) for i in removed]
    found += [make_change("related_added", "tags", None, clean_text(new[j])) for j in added]
    return found
