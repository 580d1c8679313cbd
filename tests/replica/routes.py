"""Public-site routing: article resolution and redirects, soft and real 404s, feeds."""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote

from . import widgets
from .dates import http_date, parse_dt
from .noise import Noise
from .render import Renderer
from .seo import php_json
from .state import SiteState, slugify

logger = logging.getLogger(__name__)

CACHE_CONTROL = "max-age=300, 300, public"
HTML = "text/html; charset=utf-8"
_ARTICLE = re.compile(r"^/(\d{4})/(\d{2})/(\d{2})/([^/]+)$")
_LEGACY = re.compile(r"^/(?:articles|photogalleries|news)/([^/]*-[^/]*)$")
_ID_PIECE = re.compile(r"^a(\d+)$")
SECTIONS: dict[str, tuple[str, str]] = {
    "news": ("section", "news"), "opinion": ("section", "opinion"),
    "business": ("section", "business"), "climate": ("section", "climate"),
    "diaspora": ("section", "diaspora"), "meanwhile": ("section", "meanwhile"),
    "arts-and-life": ("section", "city"), "features": ("section", "indepth"),
    "in-depth": ("section", "indepth"), "ukraine-war": ("section", "ukraine_war"),
    "lectures": ("section", "lecture_series"), "videos": ("type", "video"),
    "galleries": ("type", "gallery"), "podcasts": ("type", "podcast"),
}  # fmt: skip
_SECTION_PAGE = re.compile(r"^/([a-z-]+)(?:/(\d+))?$")
# A 1x1 GIF stands in for every image.
_PIXEL = bytes.fromhex(
    "47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b"
)


@dataclass
class Request:
    """What the router needs from one HTTP request."""

    method: str
    path: str
    query: str
    base: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Response:
    """A fully built response."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def html_response(body: str, status: int = 200, cache: bool = True) -> Response:
    """An HTML page with the site's Cache-Control header."""
    headers = [("Content-Type", HTML)]
    if cache:
        headers.append(("Cache-Control", CACHE_CONTROL))
    return Response(status, body.encode("utf-8"), headers)


def redirect(location: str) -> Response:
    """301 with an empty body (the framework stops right after the header)."""
    return Response(301, b"", [("Cache-Control", CACHE_CONTROL), ("Location", location)])


class Router:
    """Maps public paths to pages."""

    def __init__(self, state: SiteState, renderer: Renderer) -> None:
        self.state = state
        self.renderer = renderer

    def noise(self) -> Noise:
        """A fresh noise source for one request."""
        options = self.state.options
        return Noise(
            bool(options.get("noise", True)), modified=bool(options.get("modified_noise", False))
        )

    def handle(self, req: Request) -> Response:
        """Route one public request."""
        path = req.path
        if path.startswith("/static/"):
            return self._static(path)
        if path == "/robots.txt":
            body = self.renderer.robots(req.base).encode()
            return Response(200, body, [("Content-Type", "text/plain; charset=utf-8")])
        if path.startswith("/rss/"):
            return self._rss(req, path[len("/rss/") :])
        match = _ARTICLE.match(path)
        if match:
            return self._article(req, unquote(match.group(4)))
        match = _LEGACY.match(path)
        if match:
            return self._legacy(req, unquote(match.group(1)))
        if path.startswith(("/tag/", "/author/")):
            return self._tag_or_author(req, path)
        return self._section(req, path)

    def _static(self, path: str) -> Response:
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
        body = _PIXEL if kind.startswith("image/") else b"/* editwatch replica placeholder */\n"
        return Response(200, body, [("Content-Type", "image/gif" if body is _PIXEL else kind)])

    def _rss(self, req: Request, section: str) -> Response:
        body = self.renderer.rss(req.base, section)
        if body is None:
            return html_response(self.renderer.oops(), 404, cache=False)
        return Response(
            200, body.encode("utf-8"),
            [("Content-Type", "text/xml; charset=utf-8"), ("Cache-Control", CACHE_CONTROL)],
        )  # fmt: skip

    def _soft_404(self, req: Request) -> Response:
        return html_response(self.renderer.soft_404(req.base, self.noise()))

    def _article(self, req: Request, segment: str) -> Response:
        piece = _ID_PIECE.match(segment.rsplit("-", 1)[-1])
        if piece:
            content = self.state.find(article_id=int(piece.group(1)))
        else:
            content = self.state.find(slug=segment)
        if content is None:
            return self._soft_404(req)
        target = widgets.canonical(req.base, content)
        requested = req.base + req.path[1:]
        if req.query and self.state.options.get("redirect_query"):
            requested += "?" + req.query
        if requested != target:
            return redirect(target)
        return self._article_page(req, content)

    def _article_page(self, req: Request, content: dict[str, Any]) -> Response:
        extra: list[tuple[str, str]] = []
        if self.state.options.get("conditional"):
            etag = '"' + hashlib.sha1(php_json(content).encode()).hexdigest()[:20] + '"'
            extra = [("ETag", etag), ("Last-Modified", http_date(content["modified"]))]
            if _not_modified(req.headers, etag, content["modified"]):
                return Response(304, b"", [("Cache-Control", CACHE_CONTROL), *extra])
        resp = html_response(self.renderer.article(content, req.base, self.noise()))
        resp.headers.extend(extra)
        return resp

    def _legacy(self, req: Request, segment: str) -> Response:
        last = segment.rsplit("-", 1)[-1]
        content = self.state.find(article_id=int(last)) if last.isdigit() else None
        if content is None:
            return self._soft_404(req)
        return redirect(widgets.canonical(req.base, content))

    def _tag_or_author(self, req: Request, path: str) -> Response:
        kind, _, slug = path.strip("/").partition("/")
        visible = self.state.visible()
        if kind == "tag":
            items = [c for c in visible if slug in {slugify(t) for t in c["tags"]}]
            names = [t for c in items for t in c["tags"] if slugify(t) == slug]
        else:
            items = [c for c in visible if slug in {a["slug"] for a in c["authors"]}]
            names = [a["name"] for c in items for a in c["authors"] if a["slug"] == slug]
        if not items or "/" in slug:
            return self._soft_404(req)
        page = self.renderer.listing(req.base, self.noise(), names[0], items, path[1:])
        return html_response(page)

    def _section(self, req: Request, path: str) -> Response:
        if path == "/":
            items = self.state.visible()[:20]
            return html_response(self.renderer.listing(req.base, self.noise(), "News", items, ""))
        match = _SECTION_PAGE.match(path)
        if not match or match.group(1) not in SECTIONS:
            return html_response(self.renderer.oops(), 404, cache=False)
        field_name, value = SECTIONS[match.group(1)]
        offset = int(match.group(2) or 0)
        items = [c for c in self.state.visible() if c.get(field_name) == value][offset:]
        title = match.group(1).replace("-", " ").title()
        page = self.renderer.listing(req.base, self.noise(), title, items[:20], path[1:])
        return html_response(page)


def _not_modified(headers: dict[str, str], etag: str, modified: str) -> bool:
    """Conditional GET: If-None-Match wins over If-Modified-Since."""
    inm = headers.get("if-none-match")
    if inm is not None:
        return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims = headers.get("if-modified-since")
    if not ims:
        return False
    try:
        since = parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return parse_dt(modified).replace(microsecond=0) <= since
