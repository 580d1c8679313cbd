"""Page widgets around the article: banner slots, sidebar lists, Read more cards."""

from __future__ import annotations

import html
import logging
import re
from typing import Any

from markupsafe import Markup, escape

from .dates import date_path, display_date, parse_dt
from .noise import Noise
from .seo import html_block_source, php_json, section_value

logger = logging.getLogger(__name__)

SLOT_VIEWPORTS: dict[str, list[str]] = {
    "article_top": ["md", "lg", "xl"],
    "article_body": ["sm", "md", "lg", "xl"],
    "article_body_mobile": ["xs"],
    "article_1": ["md", "lg", "xl"],
    "article_sidebar_bottom": ["md", "lg", "xl"],
    "article_2": ["sm", "md", "lg", "xl"],
    "article_2_mobile": ["xs"],
    "sticky_article_billboard_bottom": ["sm", "md", "lg", "xl"],
}
_WRAPPERS: dict[str, tuple[str, str]] = {
    "billboard": (
        '<div class="container--full" y-name="banner"><div class="preheader_advert py-2">',
        "</div></div>",
    ),
    "body": ('<section y-name="banner"><div class="align-center"><div>', "</div></div></section>"),
    "sidebar": (
        '<section class="sidebar__section" y-name="banner"><div class="banner">'
        '<div class="banner-inner">',
        "</div></div></section>",
    ),
    "strip": ('<div class="container container--full py-3 mb-4" y-name="banner">', "</div>"),
    "sticky": (
        '<div class="article__sticky-article-banner article__sticky-article-banner--footer"'
        ' y-use="article.StickyBanner"><div class="article__sticky-article-banner-content">',
        "</div></div>",
    ),
}
_TAGS = re.compile(r"<[^>]*>")


def canonical(base: str, content: dict[str, Any]) -> str:
    """`BASE YYYY/MM/DD/{slug}-a{id}` from the publication time in Moscow."""
    return f"{base}{date_path(content['published'])}/{content['slug']}-a{content['id']}"


def _pool_entry(entry: dict[str, Any], page: dict[str, Any], noise: Noise) -> dict[str, Any]:
    href = str(entry.get("href", ""))
    src = str(entry.get("src", ""))
    return {
        "type": entry.get("type", "image"),
        "html": entry.get("html", ""),
        "href": page["base"] + href[1:] if href.startswith("/") else href,
        "src": noise.bust(page["static"] + src) if src else "",
    }


def slot(name: str, kind: str, page: dict[str, Any], noise: Noise) -> Markup:
    """One banner slot: three spaces when empty, else wrapper + `div[y-use=Banner]`."""
    pool = list((page["settings"].get("banners") or {}).get(name) or [])
    if pool and noise.enabled:
        pool = [] if noise.chance(0.2) else noise.shuffled(pool, noise.rng.randint(1, len(pool)))
    if not pool:
        return Markup("   ")
    entries = [_pool_entry(e, page, noise) for e in pool]
    opening, closing = _WRAPPERS[kind]
    # htmlspecialchars-style attribute escaping (`&quot;`), as the PHP templates do.
    pool_attr = html.escape(php_json(entries), quote=True)
    viewports_attr = html.escape(php_json(SLOT_VIEWPORTS.get(name, [])), quote=True)
    inner = Markup(
        f'<div y-use="Banner" data-pool="{pool_attr}" data-viewports="{viewports_attr}"></div>'
    )
    return Markup(opening) + inner + Markup(closing)


def plain_text(content: dict[str, Any]) -> str:
    """Plain text of every html block (for teasers and read time)."""
    parts = [html_block_source(b) for b in content["blocks"] if b.get("type") == "html"]
    return " ".join(html.unescape(_TAGS.sub(" ", "\n".join(parts))).split())


def teaser(content: dict[str, Any], limit: int = 150) -> str:
    """The 150-character card teaser."""
    text = content.get("excerpt") or content.get("intro") or plain_text(content)
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "..."


def card(content: dict[str, Any], page: dict[str, Any], noise: Noise) -> dict[str, Any]:
    """Data for one teaser card / list entry."""
    featured = content.get("featured_image") or {}
    img = (
        f"{page['static']}image/article_640/{featured['src']}"
        if featured.get("src")
        else f"{page['static']}img/article_default.jpg"
    )
    words = len(plain_text(content).split())
    return {
        "id": content["id"],
        "url": canonical(page["base"], content),
        "title": content["headline"],
        "section": section_value(content),
        "opinion": bool(content.get("opinion")),
        "authors": ", ".join(a["name"] for a in content.get("authors") or []),
        "teaser": teaser(content),
        "img": noise.bust(img),
        "readtime": max(1, round(words / 200)),
        "iso": content["published"],
        "date_text": display_date(content["published"]),
    }


def _listable(visible: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        c for c in visible
        if not c.get("sponsored") and c.get("type") in ("default", "gallery", "video")
    ]  # fmt: skip


def just_in(visible: list[dict[str, Any]], page: dict[str, Any], noise: Noise) -> list[dict]:
    """The newest live articles (7; a random 5 to 7 of the newest 9 when noisy)."""
    newest = _listable(visible)[: 9 if noise.enabled else 7]
    return [card(c, page, noise) for c in noise.subset(newest, 5, 7)]


def most_read(visible: list[dict[str, Any]], page: dict[str, Any], noise: Noise) -> list[dict]:
    """Top 5 by views (random picks in random order when noisy)."""
    ranked = sorted(
        (c for c in visible if not c.get("sponsored")),
        key=lambda c: (-int(c.get("views") or 0), -c["id"]),
    )
    return [card(c, page, noise) for c in noise.shuffled(ranked, 5)]


def read_more(
    content: dict[str, Any], visible: list[dict[str, Any]], page: dict[str, Any], noise: Noise
) -> list[dict]:
    """Four cards: manual related, then most shared tags, then newest same section."""
    others = {c["id"]: c for c in visible if c["id"] != content["id"]}
    picked = [others[i] for i in content.get("related") or [] if i in others]
    tags = set(content.get("tags") or [])
    by_tags = sorted(
        (c for c in others.values() if tags & set(c.get("tags") or [])),
        key=lambda c: (-len(tags & set(c["tags"])), -parse_dt(c["published"]).timestamp()),
    )
    same_section = [c for c in others.values() if c.get("section") == content.get("section")]
    for cand in [*by_tags, *same_section, *others.values()]:
        if cand not in picked:
            picked.append(cand)
    pool = picked[:8] if noise.enabled else picked
    return [card(c, page, noise) for c in noise.shuffled(pool, 4)]


def next_id(content: dict[str, Any], visible: list[dict[str, Any]], noise: Noise) -> str:
    """Id of the newest article published before this one ('' when none)."""
    mine = parse_dt(content["published"])
    older = [c["id"] for c in visible if parse_dt(c["published"]) < mine]
    if older and noise.chance(0.6):
        return str(noise.rng.choice(older))
    return str(older[0]) if older else ""


def byline_authors(authors: list[dict[str, Any]], base: str, podcast: bool = False) -> Markup:
    """`By A, B and C` (no Oxford comma); podcasts have no `By `; none gives ''."""
    links = [
        Markup('<a href="{}author/{}" class="byline__author__name" title="{}">{}</a>').format(
            base, a["slug"], a["name"], a["name"]
        )
        for a in authors
    ]
    if not links:
        return Markup("")
    joined = links[0] if len(links) == 1 else Markup(", ").join(links[:-1]) + " and " + links[-1]
    return (Markup("") if podcast else Markup("By ")) + joined


def text_with_breaks(text: str) -> Markup:
    """Escaped plain text (tags stripped) with newlines as `<br />`."""
    lines = _TAGS.sub("", str(text or "")).strip().splitlines()
    return Markup("<br />").join(escape(line) for line in lines)
