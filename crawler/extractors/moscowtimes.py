"""The Moscow Times adapter (markup described in shared/moscowtimes/MARKUP.md)."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parsel import Selector

from crawler.extractors import _mt_body
from crawler.extractors._html import (
    absolute,
    dedupe,
    first_of,
    host_of,
    is_banner,
    json_ld_objects,
    ld_names,
    ld_str,
    ld_types,
    meta,
    page_base,
    sel_text,
    strip_query,
)
from crawler.extractors.base import Extractor
from crawler.items import STATE_ARTICLE, STATE_NOT_FOUND, ArticleFields, Extraction
from crawler.normalize import clean_text

logger = logging.getLogger(__name__)

SITE_NAME = "The Moscow Times"
_ID_IN_PATH = re.compile(r"-a(\d+)$")
_LEGACY_PATH = re.compile(r"^/(?:articles|news|photogalleries)/(?:.*-)?(\d+)$")
_CONTAINER_ID = re.compile(r"^article-id-(\d+)$")
_RAW_DB_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_CONTAINER = "//div[has-class('article-container')]"
_MAIN_ARTICLE = f"{_CONTAINER}//article[has-class('article')]"
_SOFT_404 = (
    "//body[has-class('page-item')]//article[has-class('page')]"
    "/header[has-class('page__header')]"
)


class MoscowTimes(Extractor, kind="moscowtimes", domains=("themoscowtimes.com",)):
    """The Moscow Times (themoscowtimes.com), from its article markup.

    Reads news, opinion, video, podcast and gallery pages, archive pages, and
    the site's soft 404 ("page not found" with HTTP 200) as `not_found`.
    Recognised by domain, or by its markup on any host (a local copy).
    """

    @classmethod
    def signature_score(cls, url: str, sel: Selector) -> int:
        """og:site_name and JSON-LD publisher name (2 each), article container markup (3)."""
        score = 0
        if meta(sel, "og:site_name") == SITE_NAME:
            score += 2
        if any(SITE_NAME in ld_names(obj.get("publisher")) for obj in json_ld_objects(sel)):
            score += 2
        if sel.xpath(
            f"{_CONTAINER}[starts-with(@id, 'article-id-')]//div[has-class('article__content')]"
        ):
            score += 3
        if score and sel.xpath(_SOFT_404):
            score += 1
        return score

    @classmethod
    def article_key_from_url(cls, url: str) -> str | None:
        """``moscowtimes:{id}`` from ``…-a{id}`` (or a legacy ``/news/…-{id}``); None for a slug."""
        path = urlsplit(url).path.rstrip("/")
        path = path.removesuffix("/pdf")
        found = _ID_IN_PATH.search(path) or _LEGACY_PATH.match(path)
        return f"moscowtimes:{found.group(1)}" if found else None

    def extract_from(self, url: str, sel: Selector) -> Extraction:
        """Read one Moscow Times page: an article, or the soft-404 page."""
        base = page_base(sel, url)
        article = first_of(sel.xpath(_MAIN_ARTICLE))
        if article is None:
            if not sel.xpath(_SOFT_404):
                logger.info("%s: no Moscow Times article markup, reading it as not found", url)
            key = self.article_key_from_url(url) or strip_query(url)
            return Extraction(self.kind, strip_query(url), key, STATE_NOT_FOUND, ArticleFields())
        canonical = _canonical(sel, base, url)
        fields = self._fields(sel, article, base, url)
        return Extraction(self.kind, canonical, _article_key(sel, canonical, url), STATE_ARTICLE,
                          fields)

    def _fields(self, sel: Selector, article: Selector, base: str, url: str) -> ArticleFields:
        header = first_of(article.xpath(".//header[has-class('article__header')]"))
        body = _mt_body.read_body(article)
        hosts = tuple(dedupe([host_of(url), host_of(base), *self.domains]))
        published, modified = _metadata_times(sel)
        byline_time, updated = _byline_time(article)
        if published is None and byline_time and not updated:
            published = _iso_from_raw(byline_time)
        return ArticleFields(
            headline=_headline(sel, header),
            subtitle=sel_text(first_of(header.xpath(".//h2"))) if header is not None else "",
            label=_label(header),
            authors=_authors(article),
            published_at=published,
            updated_at=byline_time if updated else None,
            modified_at=modified,
            # The intro's <br /> line breaks read as spaces: every field goes through
            # clean_text, which folds all whitespace, so a newline would not survive anyway.
            intro=sel_text(first_of(article.css("div.article__intro, div.live-intro")), is_banner),
            paragraphs=body.paragraphs,
            quotes=body.quotes,
            images=_mt_body.read_images(article, base),
            related=_mt_body.read_related(article, base, hosts),
            tags=_mt_body.read_tags(article),
        )


def _canonical(sel: Selector, base: str, url: str) -> str:
    for href in (
        sel.xpath("//link[@rel='canonical']/@href").get(),
        sel.xpath(f"{_CONTAINER}/@data-article-url").get(),
        meta(sel, "og:url"),
    ):
        if href and href.strip():
            return absolute(href, base)
    return strip_query(url)


def _article_key(sel: Selector, canonical: str, url: str) -> str:
    """``moscowtimes:{id}`` from the container id, the canonical URL or the page URL."""
    for container_id in sel.xpath(f"{_CONTAINER}/@id").getall():
        found = _CONTAINER_ID.match(container_id.strip())
        if found:
            return f"moscowtimes:{found.group(1)}"
    key = MoscowTimes.article_key_from_url(canonical) or MoscowTimes.article_key_from_url(url)
    return key or strip_query(canonical)


def _headline(sel: Selector, header: Selector | None) -> str:
    if header is not None:
        text = sel_text(first_of(header.xpath(".//h1")))
        if text:
            return text
    title = sel.xpath(f"{_CONTAINER}/@data-article-title").get()
    return clean_text(title or "")


def _label(header: Selector | None) -> str:
    """Header labels ("opinion", "News Analysis", "Partner Content | Partner") joined by " | "."""
    if header is None:
        return ""
    labels = [sel_text(node) for node in header.css(".article__label")]
    return " | ".join(dedupe(labels))


def _authors(article: Selector) -> list[str]:
    """Byline names: linked (default), gallery and archive (unlinked span) forms."""
    names = article.xpath(
        ".//*[has-class('byline__author__name') or has-class('article__author__name')]"
        "[not(ancestor::div[has-class('article__block')])]"
    )
    return dedupe([sel_text(n) for n in names])


def _metadata_times(sel: Selector) -> tuple[str | None, str | None]:
    """Return (published, modified) from the ``article:*`` metas, else the JSON-LD."""
    published = meta(sel, "article:published_time")
    modified = meta(sel, "article:modified_time")
    if published and modified:
        return published, modified
    for obj in json_ld_objects(sel):
        if ld_types(obj) & {"NewsArticle", "Article", "ReportageNewsArticle"}:
            published = published or ld_str(obj, "datePublished")
            modified = modified or ld_str(obj, "dateModified")
    return published, modified


def _byline_time(article: Selector) -> tuple[str | None, bool]:
    """Return the byline ``<time datetime>`` and whether the text ``Updated:`` precedes it."""
    time = first_of(article.xpath(".//time[has-class('byline__datetime')][@datetime]"))
    if time is None:
        return None, False
    before = time.xpath("preceding-sibling::text()[1]").get() or ""
    return time.attrib["datetime"].strip() or None, before.strip().endswith("Updated:")


def _iso_from_raw(value: str) -> str:
    """Gallery bylines hold the raw DB time ``YYYY-MM-DD HH:MM:SS`` in Moscow time: make it ISO."""
    if not _RAW_DB_TIME.match(value):
        return value
    moment = datetime.fromisoformat(value)
    try:
        return moment.replace(tzinfo=ZoneInfo("Europe/Moscow")).isoformat()
    except ZoneInfoNotFoundError:
        logger.warning("no time zone data for Europe/Moscow; assuming +03:00")
        return moment.isoformat() + "+03:00"

