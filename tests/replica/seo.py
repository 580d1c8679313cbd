"""SEO parts of an article page: description, share image, PHP-style JSON-LD."""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
from typing import Any

logger = logging.getLogger(__name__)

SITE_NAME = "The Moscow Times"
# Breadcrumb section: first matching key wins; value = (url slug, label).
BREADCRUMB_SECTIONS: dict[str, tuple[str, str]] = {
    "business": ("business", "Business"),
    "climate": ("climate", "Climate"),
    "opinion": ("opinion", "Opinion"),
    "meanwhile": ("meanwhile", "Meanwhile in Russia"),
    "city": ("arts-and-life", "Arts & Life"),
    "indepth": ("in-depth", "Features"),
    "diaspora": ("diaspora", "The New Diaspora"),
    "ukraine_war": ("ukraine-war", "Ukraine War"),
    "lecture_series": ("lecture-series", "lecture_series"),  # label bug: the literal key
}
_TYPE_PREFIX = {"video": "Video | ", "gallery": "Gallery | ", "podcast": "Podcast | "}
_TAG_RE = re.compile(r"<[^>]*>")
_SENTENCE_END = re.compile(
    r"(?:(?<=[^\W\d_][.?!])|(?<=[^\W\d_]\"[.?!])|(?<=[^\W\d_][.?!]\"))\s+(?=[A-Z\"])"
)


def php_json(value: Any) -> str:
    """json_encode with PHP defaults: compact, `\\/` for slashes, `\\uXXXX` for non-ASCII."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def section_value(content: dict[str, Any]) -> str:
    """The buggy helper: `ukraine_war` when flagged, otherwise always `news`."""
    return "ukraine_war" if content.get("section") == "ukraine_war" else "news"


def breadcrumb_section(content: dict[str, Any]) -> tuple[str, str]:
    """(url slug, label) of the breadcrumb section."""
    return BREADCRUMB_SECTIONS.get(str(content.get("section")), ("news", "News"))


def share_image(static: str, article_id: int) -> str:
    """`STATIC image/og/{h2}/{id}__{md5}.jpg`."""
    digest = hashlib.md5(str(article_id).encode()).hexdigest()
    return f"{static}image/og/{digest[:2]}/{article_id}__{digest}.jpg"


def html_block_source(block: dict[str, Any]) -> str:
    """The raw HTML of an `html` body block (paragraph list or raw `html`)."""
    if block.get("html") is not None:
        return str(block["html"])
    return "\n".join(f"<p>{p}</p>" for p in block.get("paragraphs") or [])


def _cut(text: str, limit: int = 2000) -> str:
    if len(text.encode("utf-8")) <= limit:
        return text
    cut = text.encode("utf-8")[:limit].decode("utf-8", "ignore")
    rest = text[len(cut) :]
    match = re.search(r"[\s.,;:!?]", rest)
    return cut + (rest[: match.start()] if match else rest) + "..."


def description(content: dict[str, Any]) -> str:
    """First sentence of the first `html` block, with the type/opinion prefix."""
    first = next((b for b in content.get("blocks") or [] if b.get("type") == "html"), None)
    text = ""
    if first is not None:
        text = html.unescape(_TAG_RE.sub("", html_block_source(first)))
        text = _cut(text.replace("\r", " ").replace("\n", " ")).strip()
        text = _SENTENCE_END.split(text, maxsplit=1)[0]
    if content.get("opinion"):
        prefix = "Opinion | "
    else:
        prefix = _TYPE_PREFIX.get(str(content.get("type")), "")
    return prefix + text


def page_title(content: dict[str, Any]) -> str:
    """`<title>`: the SEO title template `[title] - [website]`."""
    template = content.get("seo_title") or "[title] - [website]"
    title = template.replace("[title]", content["headline"]).replace("[website]", SITE_NAME)
    return title.strip() or SITE_NAME


def _author_ld(author: dict[str, Any], base: str, static: str) -> dict[str, Any]:
    photo = author.get("photo")
    person: dict[str, Any] = {
        "@type": "Person",
        "name": author["name"],
        "description": None,
        "image": f"{static}image/320/{photo}" if photo else f"{static}avatar_default.jpg",
        "url": f"{base}author/{author['slug']}",
    }
    if author.get("twitter"):
        person["sameAs"] = f"http://www.twitter.com/{author['twitter']}"
    return person


def news_article_ld(page: dict[str, Any], content: dict[str, Any]) -> str:
    """The NewsArticle JSON-LD block, keys in the site's order."""
    base, static = page["base"], page["static"]
    ld: dict[str, Any] = {
        "@context": "http://schema.org/",
        "@type": "NewsArticle",
        "dateCreated": content["created"],
        "datePublished": content["published"],
        "dateModified": page["modified_time"],
        "name": content["headline"],
        "headline": content["headline"],
        "description": page["description"],
        "keywords": page["keywords"],
        "articleSection": page["section_value"],
        "isAccessibleForFree": True,
        "mainEntityOfPage": page["canonical"],
        "url": page["canonical"],
        "thumbnailUrl": page["thumbnail"],
        "image": {"@type": "ImageObject", "url": page["og_image"], "width": 1200, "height": 630},
        "publisher": {
            "@type": "Organization",
            "name": SITE_NAME,
            "logo": {
                "@type": "ImageObject",
                "url": f"{static}img/logo.png",
                "width": 50,
                "height": 50,
            },
        },
        "inLanguage": {"@type": "Language", "name": "English", "alternateName": "English"},
    }
    if content.get("print_edition"):
        ld["printEdition"] = content["print_edition"]
    authors = content.get("authors") or []
    if authors:
        ld["creator"] = authors[0]["name"]
        ld["author"] = _author_ld(authors[0], base, static)
    else:
        ld["author"] = {"@type": "Organization", "name": SITE_NAME}
    return php_json(ld)


def breadcrumb_ld(page: dict[str, Any], content: dict[str, Any]) -> str:
    """The BreadcrumbList JSON-LD block."""
    slug, label = breadcrumb_section(content)
    crumbs = [(SITE_NAME, page["base"]), (label, page["base"] + slug),
              (content["headline"], page["canonical"])]  # fmt: skip
    items = [
        {"@type": "ListItem", "position": i, "name": name, "item": url}
        for i, (name, url) in enumerate(crumbs, start=1)
    ]
    return php_json(
        {"@context": "http://schema.org/", "@type": "BreadcrumbList", "itemListElement": items}
    )
