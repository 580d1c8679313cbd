"""In-memory replica state: articles and their revisions, options, request counters."""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from .dates import now_moscow, parse_dt, to_iso
from .overrides import OverrideError, apply_overrides, content_at_revision

logger = logging.getLogger(__name__)

DEFAULT_SITE_DIR = Path(__file__).resolve().parent / "site"
DEFAULT_OPTIONS: dict[str, bool] = {
    "noise": True,
    # Per-request jitter of article:modified_time. Off by default: on the real site the DB
    # timestamp moves on row updates and then stays (MARKUP.md §3), it does not flicker.
    "modified_noise": False,
    "js_body": False,
    "conditional": False,
    "redirect_query": False,
}
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(text: str) -> str:
    """Lowercase hyphen-separated words (tags, authors)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _plain(value: Any) -> Any:
    """Turn YAML datetimes into ISO strings so content is JSON-serialisable."""
    if isinstance(value, datetime | date):
        return to_iso(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _authors(raw: Any) -> list[dict[str, Any]]:
    out = []
    for item in raw or []:
        author = {"name": item} if isinstance(item, str) else dict(item)
        author.setdefault("slug", slugify(author["name"]))
        out.append(author)
    return out


def normalize_article(raw: dict[str, Any]) -> dict[str, Any]:
    """Fill defaults and normalise timestamps of one article's content."""
    art = _plain(copy.deepcopy(raw))
    for required in ("id", "slug", "headline", "published"):
        if not art.get(required):
            raise OverrideError(f"article content lacks {required!r}")
    art["id"] = int(art["id"])
    if not _SLUG_RE.match(str(art["slug"])):
        raise OverrideError(f"bad slug {art['slug']!r}")
    art["published"] = to_iso(art["published"])
    art["updated"] = to_iso(art.get("updated") or art["published"])
    art["modified"] = to_iso(art.get("modified") or art["updated"])
    art["created"] = to_iso(art.get("created") or art["published"])
    defaults: dict[str, Any] = {
        "type": "default", "section": "news", "opinion": False, "analysis": False,
        "sponsored": False, "subtitle": "", "intro": "", "tags": [], "blocks": [],
        "related": [], "views": 0, "featured_image": None, "excerpt": "",
    }  # fmt: skip
    for key, value in defaults.items():
        if art.get(key) is None:
            art[key] = value
    art["authors"] = _authors(art.get("authors"))
    art["tags"] = [str(t) for t in art["tags"]]
    art.pop("revisions", None)
    return art


@dataclass
class Article:
    """One article: YAML base content, scripted revisions, and what is served now."""

    base: dict[str, Any]
    revisions: list[dict[str, Any]]
    content: dict[str, Any]
    revision: int = 1
    live: bool = True
    patched: bool = False

    def summary(self) -> dict[str, Any]:
        """A JSON-able description for the control API."""
        return {
            "id": self.content["id"],
            "slug": self.content["slug"],
            "headline": self.content["headline"],
            "revision": self.revision,
            "revisions": [1, *[int(r["n"]) for r in self.revisions]],
            "patched": self.patched,
            "live": self.live,
            "published": self.content["published"],
            "updated": self.content["updated"],
        }


def load_article_file(path: Path) -> Article:
    """Read one `site/articles/{id}.yaml` file."""
    with path.open(encoding="utf-8") as fh:
        raw = _plain(yaml.safe_load(fh))
    revisions = sorted(raw.pop("revisions", None) or [], key=lambda r: int(r["n"]))
    numbers = [int(r["n"]) for r in revisions]
    if numbers != list(range(2, len(numbers) + 2)):
        raise OverrideError(f"{path.name}: revisions must be numbered 2, 3, ... got {numbers}")
    base = normalize_article(raw)
    # Validate the whole script at load time, so a typo fails at startup.
    for n in numbers:
        normalize_article(content_at_revision(base, revisions, n))
    return Article(base=base, revisions=revisions, content=copy.deepcopy(base))


@dataclass
class SiteState:
    """Everything the server knows; every access goes through `lock`."""

    site_dir: Path = DEFAULT_SITE_DIR
    lock: threading.RLock = field(default_factory=threading.RLock)
    settings: dict[str, Any] = field(default_factory=dict)
    articles: dict[int, Article] = field(default_factory=dict)
    options: dict[str, bool] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=500))

    def load(self) -> None:
        """(Re)read site.yaml and every article file; reset options and counters."""
        with self.lock:
            with (self.site_dir / "site.yaml").open(encoding="utf-8") as fh:
                self.settings = _plain(yaml.safe_load(fh)) or {}
            articles = {}
            for path in sorted((self.site_dir / "articles").glob("*.yaml")):
                art = load_article_file(path)
                articles[art.base["id"]] = art
            self.articles = articles
            self.options = dict(DEFAULT_OPTIONS)
            self.clear_stats()
            logger.info("loaded %d articles from %s", len(articles), self.site_dir)

    def clear_stats(self) -> None:
        """Forget request counters."""
        with self.lock:
            self.counts.clear()
            self.log.clear()

    def record(self, method: str, path: str, status: int) -> None:
        """Count one non-control request."""
        with self.lock:
            self.counts[path] += 1
            self.log.append({"method": method, "path": path, "status": status})

    def stats(self) -> dict[str, Any]:
        """Counters as JSON."""
        with self.lock:
            return {
                "total": sum(self.counts.values()),
                "paths": dict(self.counts),
                "log": list(self.log),
            }

    def set_options(self, opts: dict[str, Any]) -> dict[str, bool]:
        """Validate and merge options; return the full set."""
        with self.lock:
            for key, value in opts.items():
                if key not in DEFAULT_OPTIONS:
                    raise OverrideError(f"unknown option {key!r}; known: {sorted(DEFAULT_OPTIONS)}")
                if not isinstance(value, bool):
                    raise OverrideError(f"option {key!r} must be true or false")
                self.options[key] = value
            return dict(self.options)

    def article(self, article_id: int) -> Article:
        """The article with this id, or OverrideError."""
        try:
            return self.articles[int(article_id)]
        except KeyError:
            raise OverrideError(f"no article {article_id}") from None

    def set_revision(self, article_id: int, n: int) -> Article:
        """Serve scripted revision `n` (drops ad-hoc patches)."""
        with self.lock:
            art = self.article(article_id)
            content = normalize_article(content_at_revision(art.base, art.revisions, int(n)))
            art.content, art.revision, art.patched = content, int(n), False
            return art

    def set_article(self, article_id: int, content: dict[str, Any]) -> Article:
        """Replace (or create) an article's current content."""
        with self.lock:
            new = normalize_article({**content, "id": int(article_id)})
            art = self.articles.get(int(article_id))
            if art is None:
                art = Article(base=copy.deepcopy(new), revisions=[], content=new)
                self.articles[new["id"]] = art
            art.content, art.patched = new, True
            return art

    def patch_article(self, article_id: int, overrides: dict[str, Any]) -> Article:
        """Apply one override dict (revision format) on top of the current content."""
        with self.lock:
            art = self.article(article_id)
            art.content = normalize_article(apply_overrides(art.content, overrides))
            art.patched = True
            return art

    def set_live(self, article_id: int, live: bool) -> Article:
        """Publish or unpublish."""
        with self.lock:
            art = self.article(article_id)
            art.live = live
            return art

    def set_slug(self, article_id: int, slug: str) -> Article:
        """Change the slug; old `-a{id}` URLs then redirect to the new canonical."""
        return self.patch_article(article_id, {"slug": slug})

    def visible(self) -> list[dict[str, Any]]:
        """Live, already-published article contents, newest first."""
        now = now_moscow()
        with self.lock:
            found = [
                a.content
                for a in self.articles.values()
                if a.live and parse_dt(a.content["published"]) <= now
            ]
        return sorted(found, key=lambda c: (parse_dt(c["published"]), c["id"]), reverse=True)

    def find(
        self, *, article_id: int | None = None, slug: str | None = None
    ) -> dict[str, Any] | None:
        """Look up a visible article by id or by exact slug."""
        for content in self.visible():
            if article_id is not None and content["id"] == article_id:
                return content
            if slug is not None and content["slug"] == slug:
                return content
        return None
