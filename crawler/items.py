"""What a crawl produces: the fetched page and the article fields extracted from it."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

#: Page states an extractor can report.
STATE_ARTICLE = "article"
STATE_NOT_FOUND = "not_found"


@dataclass
class Image:
    """A picture shown with the article, with the words printed under it."""

    src: str
    caption: str = ""
    credit: str = ""
    role: str = "inline"  # featured | inline | gallery


@dataclass
class Quote:
    """Quoted speech: a quote block, or a quotation inside a paragraph."""

    text: str
    speaker: str = ""
    kind: str = "inline"  # inline | block
    paragraph: int | None = None  # index into ArticleFields.paragraphs for inline quotes


@dataclass
class Link:
    """A link to another article (related card, in-body link)."""

    url: str
    title: str = ""


@dataclass
class ArticleFields:
    """The editorial content of one article page, as a reader sees it.

    Times are ISO 8601 strings with their offset, as the page gives them.
    """

    headline: str = ""
    subtitle: str = ""
    label: str = ""
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    updated_at: str | None = None  # the visible "Updated:" stamp
    modified_at: str | None = None  # article:modified_time / dateModified metadata
    intro: str = ""
    paragraphs: list[str] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    related: list[Link] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArticleFields:
        """Rebuild from `to_dict` output; unknown keys are ignored."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["quotes"] = [Quote(**q) for q in data.get("quotes", [])]
        known["images"] = [Image(**i) for i in data.get("images", [])]
        known["related"] = [Link(**r) for r in data.get("related", [])]
        return cls(**known)


@dataclass
class Extraction:
    """What a site adapter read from one page."""

    site: str  # adapter kind, e.g. "moscowtimes" or "generic"
    canonical_url: str
    article_key: str  # stable identity across slug changes, e.g. "moscowtimes:68828"
    state: str = STATE_ARTICLE  # article | not_found (soft 404)
    fields: ArticleFields = field(default_factory=ArticleFields)


@dataclass
class FetchedPage:
    """One check of one tracked article, passed along the item pipelines.

    `error` is set when the fetch failed; `extraction` and `fingerprint` are
    filled in by the pipelines.
    """

    article_id: int
    requested_url: str
    url: str = ""  # final URL after redirects
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    fetched_at: str = ""  # ISO 8601 UTC
    duration_ms: float = 0.0
    redirected_from: list[str] = field(default_factory=list)
    error: str | None = None
    extraction: Extraction | None = None
    fingerprint: str | None = None
    revision_id: int | None = None  # set by the store pipeline when a revision was stored
