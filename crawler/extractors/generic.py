"""The generic adapter: JSON-LD/OpenGraph metadata and a main-text finder, for any site."""

from __future__ import annotations

import logging
import re
from typing import Any

from parsel import Selector

from crawler.extractors._html import (
    absolute,
    dedupe,
    json_ld_objects,
    ld_names,
    ld_str,
    ld_types,
    meta,
    page_base,
    sel_text,
    strip_query,
)
from crawler.extractors._maintext import extract_main_text
from crawler.extractors.base import Extractor
from crawler.extractors.quotes import find_quotes
from crawler.items import STATE_ARTICLE, ArticleFields, Extraction
from crawler.normalize import clean_text

logger = logging.getLogger(__name__)

#: JSON-LD types read as the article's metadata.
ARTICLE_TYPES = frozenset(
    {
        "AnalysisNewsArticle", "Article", "BackgroundNewsArticle", "BlogPosting",
        "LiveBlogPosting", "NewsArticle", "OpinionNewsArticle", "Report", "ReportageNewsArticle",
        "ReviewNewsArticle",
    }
)
_TITLE_SEPARATORS = re.compile(r"\s+[|\-\u2013\u2014:\u00bb\u00b7/]\s+")
_BY = re.compile(r"^\s*(?:by|von|par|por|di)\s+", re.IGNORECASE)
_PUBLISHED_METAS = (
    "article:published_time", "datePublished", "date", "pubdate", "publishdate",
    "DC.date.issued", "dcterms.created", "sailthru.date", "parsely-pub-date", "og:pubdate",
)
_BYLINE_XPATH = (
    "//body//*[contains(@class, 'byline') or contains(@class, 'author')"
    " or contains(@class, 'Byline') or contains(@class, 'Author')]"
    "[not(ancestor-or-self::*[contains(@class, 'comment')])][not(self::script)]"
)
_MODIFIED_METAS = ("article:modified_time", "dateModified", "og:updated_time", "dcterms.modified")


class Generic(Extractor, kind="generic"):
    """Any site without its own adapter, read from metadata and a main-text finder.

    Headline, authors, dates and section come from JSON-LD and OpenGraph
    metadata, paragraphs from a readability-style main-text finder.
    The article key is the canonical URL without query or fragment.
    """

    def extract_from(self, url: str, sel: Selector) -> Extraction:
        """Read the article metadata and main text of any HTML page."""
        base = page_base(sel, url)
        ld = _article_ld(sel)
        canonical = _canonical(sel, base, url)
        main = extract_main_text(sel.root, base)
        fields = ArticleFields(
            headline=headline(sel, ld),
            label=clean_text(ld_str(ld, "articleSection") or meta(sel, "article:section") or ""),
            authors=authors(sel, ld),
            published_at=ld_str(ld, "datePublished") or _published_fallback(sel),
            modified_at=ld_str(ld, "dateModified") or meta(sel, *_MODIFIED_METAS),
            paragraphs=main.paragraphs,
            quotes=find_quotes(main.paragraphs),
            images=main.images,
            tags=_tags(sel, ld),
        )
        return Extraction(self.kind, canonical, strip_query(canonical), STATE_ARTICLE, fields)


def _article_ld(sel: Selector) -> dict[str, Any]:
    """Return the first JSON-LD object of an article type (``@graph`` included), or {}."""
    for obj in json_ld_objects(sel):
        if ld_types(obj) & ARTICLE_TYPES:
            return obj
    return {}


def _canonical(sel: Selector, base: str, url: str) -> str:
    href = sel.xpath("//link[@rel='canonical']/@href").get() or meta(sel, "og:url")
    return absolute(href, base) if href and href.strip() else strip_query(url)


def headline(sel: Selector, ld: dict[str, Any]) -> str:
    """JSON-LD headline, else og/twitter title, else ``<title>``, else ``<h1>``.

    A " | Site name" tail is dropped when og:site_name names it, or when another
    candidate (twitter title, ``<h1>``) equals the title without it.
    """
    site = meta(sel, "og:site_name") or ""
    h1 = sel_text(sel.xpath("//h1")[0]) if sel.xpath("//h1") else ""
    candidates = [
        clean_text(text or "")
        for text in (
            ld_str(ld, "headline"),
            meta(sel, "og:title"),
            meta(sel, "twitter:title"),
            sel.xpath("normalize-space(//title)").get(),
            h1,
        )
    ]
    others = {c.lower() for c in candidates if c}
    for candidate in candidates:
        if not candidate:
            continue
        stripped = _strip_site_name(candidate, site)
        if stripped != candidate:
            return stripped
        parts = _TITLE_SEPARATORS.split(candidate)
        for cut in range(len(parts) - 1, 0, -1):
            head = " ".join(parts[:cut]).lower()
            match = next((c for c in others if c != candidate.lower() and c == head), None)
            if match:
                return candidate[: len(match)] if candidate.lower().startswith(match) else candidate
        return candidate
    return ""


def _strip_site_name(title: str, site: str) -> str:
    """Drop a trailing (or leading) " | Site Name" from a title."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    site_key = clean_text(site).lower()
    if site_key and parts[-1].lower() == site_key:
        return title[: title.lower().rfind(parts[-1].lower())].rstrip(" |-\u2013\u2014:\u00bb/")
    if site_key and parts[0].lower() == site_key:
        return title[len(parts[0]) :].lstrip(" |-\u2013\u2014:\u00bb/")
    return title


def authors(sel: Selector, ld: dict[str, Any]) -> list[str]:
    """Read author names: JSON-LD, else author metas, else ``rel=author``/byline markup."""
    names = ld_names(ld.get("author"))
    if not names:
        value = meta(sel, "author", "article:author", "parsely-author", "sailthru.author")
        if value and not value.startswith(("http://", "https://")):
            names = [value]
    if not names:
        nodes = sel.xpath(
            "//*[@itemprop='author']//*[@itemprop='name'] | //*[@itemprop='author'][not(*)]"
            " | //a[@rel='author']"
        )
        names = [sel_text(node) for node in nodes] or _byline_names(sel)
    return dedupe([_BY.sub("", clean_text(name)) for name in names])[:10]


def _byline_names(sel: Selector) -> list[str]:
    """Names in the first byline-looking element (class ``byline`` or ``author``)."""
    for node in sel.xpath(_BYLINE_XPATH)[:10]:
        links = [sel_text(a) for a in node.xpath(".//a")]
        names = [n for n in links if _looks_like_name(n)]
        if names:
            return names
        text = _BY.sub("", sel_text(node))
        if _looks_like_name(text):
            return [text]
    return []


def _looks_like_name(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 6 and len(text) <= 60 and not any(c.isdigit() for c in text)


def _published_fallback(sel: Selector) -> str | None:
    value = meta(sel, *_PUBLISHED_METAS)
    if value:
        return value
    found = sel.xpath("//time[@itemprop='datePublished']/@datetime").get()
    return found.strip() if found and found.strip() else None


def _tags(sel: Selector, ld: dict[str, Any]) -> list[str]:
    keywords = ld.get("keywords")
    if isinstance(keywords, str):
        values = keywords.split(",")
    elif isinstance(keywords, list):
        values = [k for k in keywords if isinstance(k, str)]
    else:
        values = sel.xpath("//meta[@property='article:tag']/@content").getall()
    return dedupe([clean_text(v) for v in values])
