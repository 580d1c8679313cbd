"""The Moscow Times article body: paragraphs, quote blocks, images, related links, tags."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector

from crawler.extractors._html import (
    BANNER_XPATH,
    absolute,
    first_of,
    host_of,
    is_banner,
    node_text,
    sel_text,
    strip_query,
)
from crawler.extractors.quotes import find_quotes
from crawler.items import Image, Link, Quote
from crawler.normalize import clean_text

logger = logging.getLogger(__name__)

#: Fixed date put in place of the render date in related-card hrefs (see `normalise_related_href`).
RELATED_DATE_PLACEHOLDER = "0000/00/00"

#: Last characters after which a paragraph is complete (no join with the next block).
SENTENCE_FINAL = frozenset(".!?\"\u201d'\u2019:)\u2026")

_POSITIONS = {"column", "outside", "full", "left", "right"}
_DATED_SLUG = re.compile(r"^(?P<prefix>.*/)\d{4}/\d{2}/\d{2}/(?P<slug>[^/]+?)/?$")
_ARTICLE_PATH = re.compile(r"-a\d+/?$")
_NOT_BANNER = f"[not(ancestor-or-self::*[{BANNER_XPATH}])]"
_TEXT_TAGS = "self::p or self::li or self::h2 or self::h3 or self::h4"
_EMBED_QUOTE = (
    "ancestor::blockquote[has-class('twitter-tweet') or has-class('instagram-media')"
    " or has-class('tiktok-embed')]"
)
_PARAGRAPH_XPATH = (
    f".//*[{_TEXT_TAGS}][not(ancestor::*[{_TEXT_TAGS}])][not({_EMBED_QUOTE})]{_NOT_BANNER}"
)
_BLOCKS_XPATH = (
    ".//div[has-class('article__block')][ancestor::div[has-class('article__content')]]"
    "[not(ancestor::div[has-class('article__block')])]" + _NOT_BANNER
)
_IMAGES_XPATH = (
    ".//figure[has-class('article__featured-image')]"
    " | .//figure[has-class('article__image')]"
    " | .//div[has-class('slider__slide')]"
    " | .//div[has-class('article__gallery__item')]"
)
_LINKS_XPATH = (
    ".//aside[has-class('article__related-article')]//a[has-class('related-article__inner')]"
    " | .//div[has-class('article__link')]//a[@href]"
    " | .//div[has-class('article__block--html')]//a[@href]"
)


@dataclass
class Body:
    """What the body blocks hold, in reading order."""

    paragraphs: list[str] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)


def block_type(block: Selector) -> str:
    """Return the CMS block type of a wrapper (``article__block--{type}``, not a position)."""
    for token in (block.attrib.get("class") or "").split():
        if token.startswith("article__block--") and token[16:] not in _POSITIONS:
            return token[16:]
    return ""


def read_body(article: Selector) -> Body:
    """Paragraphs (html blocks and subheads) and quote blocks of an article, in order.

    A paragraph cut in two by an injected block (ad slot, image, related card) is
    joined back: when an html block's last paragraph has no sentence-final
    punctuation and the next html block starts lowercase, they become one.
    """
    body = Body()
    joinable = False
    placed: list[tuple[int, Quote]] = []
    for block in article.xpath(_BLOCKS_XPATH):
        kind = block_type(block)
        if kind == "html":
            texts = _html_block_paragraphs(block)
            if not texts:
                continue
            if joinable and texts[0][:1].islower():
                body.paragraphs[-1] = f"{body.paragraphs[-1]} {texts[0]}"
                texts = texts[1:]
            body.paragraphs.extend(texts)
            joinable = bool(body.paragraphs) and body.paragraphs[-1][-1] not in SENTENCE_FINAL
        elif kind == "header":
            text = sel_text(first_of(block.xpath(".//h2" + _NOT_BANNER)), is_banner)
            if text:
                body.paragraphs.append(text)
            joinable = False
        elif kind == "quote":
            placed.extend((len(body.paragraphs), q) for q in _block_quotes(block))
    inline = find_quotes(body.paragraphs)
    ordered = [((pos, 0), q) for pos, q in placed]
    ordered += [((q.paragraph or 0, 1), q) for q in inline]
    body.quotes = [q for _, q in sorted(ordered, key=lambda item: item[0])]
    return body


def _html_block_paragraphs(block: Selector) -> list[str]:
    elements = block.xpath(_PARAGRAPH_XPATH)
    if not elements:
        text = node_text(block.root, is_banner)
        return [text] if text else []
    return [t for t in (node_text(el.root, is_banner) for el in elements) if t]


def _block_quotes(block: Selector) -> list[Quote]:
    quotes = []
    for quote in block.xpath(".//blockquote[has-class('article__quote')]" + _NOT_BANNER):
        text = node_text(quote.root, is_banner)
        cite = quote.xpath("following-sibling::*[1][self::cite]")
        speaker = sel_text(cite[0]).lstrip("\u2013\u2014- ").strip() if cite else ""
        if text:
            quotes.append(Quote(text=text, speaker=speaker, kind="block"))
    return quotes


def read_images(article: Selector, base: str) -> list[Image]:
    """Featured, inline, slider and gallery images with captions and credits, in order."""
    images: list[Image] = []
    for node in article.xpath(f"({_IMAGES_XPATH}){_NOT_BANNER}"):
        classes = (node.attrib.get("class") or "").split()
        img = first_of(node.xpath(".//img"))
        src = (img.attrib.get("src") or img.attrib.get("data-src")) if img is not None else None
        if not src:
            continue
        if "article__featured-image" in classes:
            prefix, role = "article__featured-image", "featured"
        elif "slider__slide" in classes:
            prefix, role = "article__images", "inline"
        elif "article__gallery__item" in classes:
            images.append(_gallery_item(node, absolute(src, base)))
            continue
        else:
            prefix, role = "article__image", "inline"
        caption = sel_text(first_of(node.css(f".{prefix}__caption")))
        credit = sel_text(first_of(node.css(f".{prefix}__credits")))
        images.append(Image(strip_query(absolute(src, base)), caption, credit, role))
    return images


def _gallery_item(node: Selector, src: str) -> Image:
    """Read a gallery photo: caption is its title and caption text, credit its credits."""
    title = sel_text(first_of(node.css(".gallery__item__aside__content__title")))
    caption = sel_text(first_of(node.css(".gallery__item__aside__content__caption")))
    credit = sel_text(first_of(node.css(".gallery__item__aside__content__credits")))
    caption = caption or clean_text(node.attrib.get("data-image-caption") or "")
    credit = credit or clean_text(node.attrib.get("data-image-credits") or "")
    title = title or clean_text(node.attrib.get("data-image-title") or "")
    text = " ".join(part for part in (title, caption) if part)
    return Image(strip_query(src), text, credit, "gallery")


def normalise_related_href(href: str) -> str:
    """Make a related-card href the same every day.

    The card's href is ``BASE{render date}/{slug}`` (today's date, no id), so the
    date part changes daily. It is replaced by `RELATED_DATE_PLACEHOLDER`:
    ``https://host/2025/03/14/older-story`` -> ``https://host/0000/00/00/older-story``.
    Scheme, host and any base path are kept, query and fragment dropped; the
    site looks a dated URL up by its slug alone and redirects to the canonical
    URL, so the normalised URL can still be fetched.
    """
    parts = urlsplit(href)
    found = _DATED_SLUG.match(parts.path)
    if not found:
        return strip_query(href)
    path = f"{found['prefix']}{RELATED_DATE_PLACEHOLDER}/{found['slug']}"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def read_related(article: Selector, base: str, site_hosts: tuple[str, ...]) -> list[Link]:
    """Related-article cards, link blocks and in-body links to the site's own articles.

    The sidebar ("Most read", "Just in") and the "Read more" cluster are not read:
    they change with other articles, not with this one.
    """
    links: list[Link] = []
    seen: set[str] = set()
    for content in article.xpath(".//div[has-class('article__content')]"):
        for a in content.xpath(f"({_LINKS_XPATH}){_NOT_BANNER}"):
            link = _link(a, base, site_hosts)
            if link and link.url not in seen:
                seen.add(link.url)
                links.append(link)
    return links


def _link(a: Selector, base: str, site_hosts: tuple[str, ...]) -> Link | None:
    href = absolute(a.attrib.get("href"), base)
    classes = (a.attrib.get("class") or "").split()
    title = (a.attrib.get("title") or "").strip()
    if "related-article__inner" in classes:
        heading = sel_text(first_of(a.css("h3")))
        return Link(normalise_related_href(href), clean_text(title) or heading)
    if a.xpath("ancestor::div[has-class('article__link')]"):
        heading = sel_text(first_of(a.css("h3")))
        return Link(href, clean_text(title) or heading) if href else None
    host = host_of(href)
    own = any(host == h or host.endswith("." + h) for h in site_hosts)
    if not href or not own or not _ARTICLE_PATH.search(urlsplit(href).path):
        return None
    return Link(strip_query(href), clean_text(title) or sel_text(a))


def read_tags(article: Selector) -> list[str]:
    """Tag names from ``div.article__tags a.tag``."""
    return [t for t in (sel_text(a) for a in article.css("div.article__tags a.tag")) if t]
