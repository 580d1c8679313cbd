"""News feeds (RSS 2.0, RSS 1.0, Atom) read into entries, and the config's filters over them."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from crawler.render import check_url_patterns, url_matches
from crawler.sites import SiteConfigError, parse_duration

logger = logging.getLogger(__name__)

ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
DEFAULT_MAX_NEW = 20
DEFAULT_INTERVAL = timedelta(minutes=10)  # the Moscow Times' feeds say <ttl>600</ttl>
_FEED_KEYS = frozenset({"url", "section", "keywords", "url_pattern", "max_new"})


class FeedError(ValueError):
    """The bytes are not a feed that can be read (one-line message)."""


class FeedConfigError(ValueError):
    """A `feeds:` entry of the config cannot be used (one-line message)."""


@dataclass(frozen=True)
class FeedEntry:
    """One story announced by a feed."""

    link: str
    title: str = ""
    categories: tuple[str, ...] = ()
    description: str = ""


def parse_feed(body: bytes, base_url: str = "") -> list[FeedEntry]:
    """The entries of an RSS 2.0, RSS 1.0 or Atom document, in feed order.

    Relative links are resolved against `base_url`; entries without an http(s)
    link are left out. Raises FeedError for anything that is not such a feed.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    try:
        root = etree.fromstring(body.strip(), parser)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"not a feed: {str(exc).splitlines()[0]}") from None
    if root.tag == f"{ATOM}feed":
        items = [_atom_entry(node, base_url) for node in root.iter(f"{ATOM}entry")]
    elif root.tag == "rss" or root.tag.endswith("RDF"):
        nodes = [*root.iter("item"), *root.iter(f"{RSS1}item")]
        items = [_rss_item(node, base_url) for node in nodes]
    else:
        raise FeedError(f"not a feed: the document is <{etree.QName(root).localname}>")
    return [item for item in items if item is not None]


def _text(node: Any) -> str:
    if node is None:
        return ""
    return " ".join("".join(node.itertext()).split())


def _http_link(href: str, base_url: str) -> str | None:
    link = urljoin(base_url, href.strip()) if href.strip() else ""
    return link if urlsplit(link).scheme in ("http", "https") else None


def _rss_item(node: Any, base_url: str) -> FeedEntry | None:
    def child(name: str) -> Any:
        found = node.find(name)
        return found if found is not None else node.find(f"{RSS1}{name}")

    href = _text(child("link"))
    guid = node.find("guid")
    if not href and guid is not None and guid.get("isPermaLink", "true") != "false":
        href = _text(guid)
    link = _http_link(href, base_url)
    if link is None:
        return None
    categories = tuple(_text(c) for c in node.iter("category") if _text(c))
    return FeedEntry(link, _text(child("title")), categories, _text(child("description")))


def _atom_entry(node: Any, base_url: str) -> FeedEntry | None:
    links = node.findall(f"{ATOM}link")
    chosen = next((x for x in links if x.get("rel", "alternate") == "alternate"), None)
    link = _http_link(chosen.get("href", ""), base_url) if chosen is not None else None
    if link is None:
        return None
    categories = tuple(
        c.get("term") or c.get("label") or ""
        for c in node.iter(f"{ATOM}category")
        if c.get("term") or c.get("label")
    )
    summary = node.find(f"{ATOM}summary")
    if summary is None:
        summary = node.find(f"{ATOM}content")
    return FeedEntry(link, _text(node.find(f"{ATOM}title")), categories, _text(summary))


@dataclass(frozen=True)
class FeedRule:
    """One `feeds:` entry: where the feed is and which of its stories to track.

    Every filter that is given must match: `section` (an entry's category or a
    path segment of its link; entries without categories in a per-section feed
    such as `/rss/news` belong to that section), `keywords` (any one, as a
    whole word, in the title, description or categories), `url_pattern`
    (a glob over the whole link, or `re:REGEX` searched in it; a list: any
    one). At most `max_new` stories are added per poll.
    """

    url: str
    section: str | None = None
    keywords: tuple[str, ...] = ()
    url_patterns: tuple[str, ...] = ()
    max_new: int = DEFAULT_MAX_NEW

    @classmethod
    def from_config(cls, entry: Any, position: int) -> FeedRule:
        """Read and check one entry; a problem raises FeedConfigError naming it."""
        where = f"feeds[{position}]"
        if isinstance(entry, str):
            entry = {"url": entry}
        if not isinstance(entry, Mapping) or not entry.get("url"):
            raise FeedConfigError(f"{where} needs a url (feeds: [{{url: https://...}}])")
        unknown = sorted(set(entry) - _FEED_KEYS)
        if unknown:
            raise FeedConfigError(f"{where}: unknown option {unknown[0]!r}")
        url = str(entry["url"]).strip()
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise FeedConfigError(f"{where}: not an http(s) URL: {url!r}")
        try:
            patterns = check_url_patterns(entry.get("url_pattern"), f"{where}.url_pattern")
        except ValueError as exc:
            raise FeedConfigError(str(exc)) from None
        words = _words(entry.get("keywords"), f"{where}.keywords")
        return cls(
            url=url,
            section=str(entry["section"]).strip() if entry.get("section") else None,
            keywords=words,
            url_patterns=tuple(patterns),
            max_new=_count(entry.get("max_new", DEFAULT_MAX_NEW), f"{where}.max_new"),
        )

    @cached_property
    def _keyword_re(self) -> re.Pattern[str] | None:
        if not self.keywords:
            return None
        alternatives = "|".join(re.escape(word) for word in self.keywords)
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def matches(self, entry: FeedEntry) -> bool:
        """Whether this rule's filters all accept `entry`."""
        if self.url_patterns and not any(url_matches(p, entry.link) for p in self.url_patterns):
            return False
        if self.section and self.section.casefold() not in self.sections_of(entry):
            return False
        if self._keyword_re is not None:
            text = " ".join((entry.title, entry.description, *entry.categories))
            return self._keyword_re.search(text) is not None
        return True

    def sections_of(self, entry: FeedEntry) -> set[str]:
        """The sections an entry belongs to, case-folded."""
        found = {c.casefold() for c in entry.categories}
        found |= {s.casefold() for s in urlsplit(entry.link).path.split("/") if s}
        if not entry.categories:
            feed_path = [s for s in urlsplit(self.url).path.split("/") if s]
            if len(feed_path) >= 2 and feed_path[-2].casefold() in ("rss", "feed", "feeds"):
                found.add(feed_path[-1].casefold())
        return found

    def select(self, entries: Sequence[FeedEntry]) -> list[FeedEntry]:
        """The matching entries, each link once, in feed order."""
        seen: set[str] = set()
        chosen = []
        for entry in entries:
            if entry.link not in seen and self.matches(entry):
                seen.add(entry.link)
                chosen.append(entry)
        return chosen


def _words(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise FeedConfigError(f"{where} must be a list of words")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FeedConfigError(f"{where} must be a whole number >= 0, not {value!r}")
    return value


def feed_rules(config: Mapping[str, Any]) -> list[FeedRule]:
    """Every `feeds:` entry of the config, checked (FeedConfigError on the first problem)."""
    entries = config.get("feeds") or []
    if not isinstance(entries, list):
        raise FeedConfigError("feeds must be a list of {url: ..., keywords: [...], ...}")
    return [FeedRule.from_config(entry, position) for position, entry in enumerate(entries)]


def feed_interval(config: Mapping[str, Any]) -> timedelta:
    """How often the daemon polls the feeds: `feeds_every:` in the config, default 10 min."""
    value = config.get("feeds_every")
    if value is None:
        return DEFAULT_INTERVAL
    try:
        interval = parse_duration(value)
    except SiteConfigError as exc:
        raise FeedConfigError(f"feeds_every: {exc}") from None
    if interval.total_seconds() <= 0:
        raise FeedConfigError("feeds_every must be longer than zero")
    return interval


@dataclass
class FeedResult:
    """What one poll of one feed came to."""

    feed: str
    entries: int = 0
    matched: int = 0
    added: list[tuple[int, str]] = field(default_factory=list)
    error: str | None = None
