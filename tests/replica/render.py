"""Build template contexts and render the replica's pages with Jinja2."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from . import seo, widgets
from .dates import display_date, now_moscow, parse_dt, rfc2822
from .noise import Noise
from .state import SiteState, slugify

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
UPDATED_AFTER = timedelta(minutes=10)
RSS_SECTIONS = {
    "news": "news", "opinion": "opinion", "city": "city", "arts-and-life": "city",
    "meanwhile": "meanwhile", "in-depth": "indepth", "podcasts": "podcasts",
}  # fmt: skip
_SLOTS = (
    ("article_top", "billboard"),
    ("article_body", "body"),
    ("article_body_mobile", "body"),
    ("article_1", "sidebar"),
    ("article_sidebar_bottom", "sidebar"),
    ("article_2", "strip"),
    ("article_2_mobile", "strip"),
    ("sticky_article_billboard_bottom", "sticky"),
)


def _label(content: dict[str, Any]) -> str | None:
    """Header label: opinion / analysis only, never when sponsored (§2.4)."""
    if content.get("sponsored") or not (content.get("opinion") or content.get("analysis")):
        return None
    return "News Analysis" if content.get("analysis") else "opinion"


def _tag(title: str) -> dict[str, str]:
    """A tag link: text with its first letter upper-cased (§2.10)."""
    return {"title": title, "display": title[:1].upper() + title[1:], "slug": slugify(title)}


def make_env() -> Environment:
    """The Jinja2 environment (autoescape on for .html and .xml)."""
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html", "xml")),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


class Renderer:
    """Renders pages from the shared state; one instance per server."""

    def __init__(self, state: SiteState) -> None:
        self.state = state
        self.env = make_env()

    def _common(self, base: str, noise: Noise) -> dict[str, Any]:
        static = base + "static/"
        settings = self.state.settings
        token = noise.token()
        return {
            "base": base,
            "static": static,
            "settings": settings,
            "version": noise.version(int(settings.get("asset_version", 1))),
            "token": token,
            "noise": noise.enabled,
            "menu": settings.get("menu") or [],
            "year": now_moscow().year,
        }

    def _render(self, name: str, ctx: dict[str, Any]) -> str:
        return self.env.get_template(name).render(**ctx)

    def _byline(self, content: dict[str, Any], page: dict[str, Any]) -> dict[str, Any]:
        published, updated = parse_dt(content["published"]), parse_dt(content["updated"])
        is_updated = updated - published > UPDATED_AFTER
        stamp = content["updated"] if is_updated else content["published"]
        photos = [a for a in content["authors"] if a.get("photo")]
        return {
            "updated": is_updated,
            "iso": stamp,
            "text": display_date(stamp),
            "authors_html": widgets.byline_authors(
                content["authors"], page["base"], content["type"] == "podcast"
            ),
            "photos": [{**a, "src": page["static"] + "image/thumb/" + a["photo"]} for a in photos],
        }

    def _resolve_block(self, block: dict[str, Any], page: dict[str, Any], noise: Noise) -> dict:
        out = {**block, "position": block.get("position") or "column"}
        kind = block.get("type")
        if kind == "html":
            out["source"] = Markup(seo.html_block_source(block))
        elif kind == "image":
            out["src_url"] = noise.bust(f"{page['static']}image/1360/{block['src']}")
            link = str(block.get("link") or "")
            out["link"] = link if not link or "://" in link else "https://" + link
        elif kind == "quote":
            out["body"] = widgets.text_with_breaks(block.get("text", ""))
        elif kind == "article":
            target = self.state.find(article_id=int(block["article"]))
            out["target"] = None
            if target is not None:
                day = noise.render_date(now_moscow().date()).strftime("%Y/%m/%d")
                label = "sponsored" if target.get("sponsored") else (
                    "opinion" if target.get("opinion") else "news")  # fmt: skip
                out["target"] = {"href": f"{page['base']}{day}/{target['slug']}",
                                 "title": target["headline"], "label": label}  # fmt: skip
        elif kind == "link":
            out.update(self._link_block(block, page))
        return out

    def _link_block(self, block: dict[str, Any], page: dict[str, Any]) -> dict[str, Any]:
        title = block.get("title")
        if block.get("article"):
            target = self.state.find(article_id=int(block["article"]))
            url = widgets.canonical(page["base"], target) if target else page["base"]
            title = title or (target["headline"] if target else "")
        else:
            url = str(block.get("url") or "")
            url = page["base"] + url[1:] if url.startswith("/") else url
        return {"href": url, "title": title or "", "description": block.get("description") or ""}

    def _seo(self, content: dict[str, Any], page: dict[str, Any], noise: Noise) -> dict:
        featured = content.get("featured_image") or {}
        tags = content["tags"]
        authors = content["authors"]
        meta: dict[str, Any] = {
            "title": seo.page_title(content),
            "keywords": content.get("seo_keywords") or ",".join(tags),
            "description": seo.description(content),
            "thumbnail": (
                f"{page['static']}image/320/{featured['src']}"
                if featured.get("src")
                else f"{page['static']}img/thumb_default.jpg"
            ),
            "author_name": authors[0]["name"] if authors else seo.SITE_NAME,
            "og_image": seo.share_image(page["static"], content["id"]),
            "modified_time": noise.modified(content["modified"]),
            "section_value": seo.section_value(content),
            "tags_joined": ",".join(tags),
        }
        long_title = str(content.get("title_long") or "").strip()
        meta["og_title"] = long_title or meta["title"]
        meta["twitter_title"] = long_title or content["headline"]
        page.update(meta)
        page["ld_article"] = Markup(seo.news_article_ld(page, content))
        page["ld_breadcrumb"] = Markup(seo.breadcrumb_ld(page, content))
        return page

    def article(self, content: dict[str, Any], base: str, noise: Noise) -> str:
        """The full article page (default/video/podcast types, opinion variant)."""
        page = self._common(base, noise)
        page["canonical"] = widgets.canonical(base, content)
        page["a"] = content
        self._seo(content, page, noise)
        visible = self.state.visible()
        featured = content.get("featured_image") or {}
        page.update(
            label=_label(content),
            byline=self._byline(content, page),
            intro=widgets.text_with_breaks(content.get("intro") or ""),
            featured=featured if featured.get("src") and not content.get("video") else None,
            featured_src=noise.bust(f"{page['static']}image/article_1360/{featured.get('src')}"),
            tags=[_tag(t) for t in content["tags"]],
            just_in=widgets.just_in(visible, page, noise),
            most_read=widgets.most_read(visible, page, noise),
            cluster=widgets.read_more(content, visible, page, noise),
            next_id=widgets.next_id(content, visible, noise),
            slots={name: widgets.slot(name, kind, page, noise) for name, kind in _SLOTS},
        )
        blocks = [self._resolve_block(b, page, noise) for b in content["blocks"]]
        # §2.9: the in-body slots go inside the wrapper of the second block (index 1).
        ad_index = int(content.get("ad_block_index", 1))
        body_ctx = {**page, "blocks": blocks, "ad_index": ad_index}
        page["body_html"] = Markup(self._render("_body.html", body_ctx))
        page["js_body"] = self.state.options.get("js_body", False)
        if page["js_body"]:
            page["body_json"] = Markup(seo.php_json(str(page["body_html"])))
        return self._render("article.html", page)

    def soft_404(self, base: str, noise: Noise) -> str:
        """The 'page not found' content inside the normal site chrome (served with 200)."""
        return self._render("soft404.html", self._common(base, noise))

    def oops(self) -> str:
        """The standalone real-404 page."""
        return self._render("oops.html", {})

    def listing(
        self, base: str, noise: Noise, title: str, articles: list[dict[str, Any]], url: str
    ) -> str:
        """A simple tag / author / section page."""
        page = self._common(base, noise)
        page.update(
            title=title, url=base + url, items=[widgets.card(c, page, noise) for c in articles]
        )
        return self._render("listing.html", page)

    def rss(self, base: str, section: str) -> str | None:
        """RSS 2.0 for a section (None when the section has no feed)."""
        key = RSS_SECTIONS.get(section)
        if key is None:
            return None
        items = []
        for content in self.state.visible():
            in_section = (
                content["type"] == "podcast" if key == "podcasts" else content["section"] == key
            )
            if in_section:
                items.append({
                    "title": content["headline"], "link": widgets.canonical(base, content),
                    "description": content.get("excerpt") or content.get("intro")
                    or content.get("subtitle") or "",
                    "pub_date": rfc2822(content["published"]),
                })  # fmt: skip
        ctx = {"base": base, "section": section, "items": items[:50],
               "build_date": rfc2822(now_moscow())}  # fmt: skip
        return self._render("rss_news.xml", ctx)

    def robots(self, base: str) -> str:
        """robots.txt."""
        return self._render("robots.txt", {"base": base})
