"""Site adapters: the base class, its registry, and choosing one for a page."""

from __future__ import annotations

import json
import logging
import re
from typing import Any, ClassVar

from parsel import Selector
from w3lib.encoding import html_to_unicode

from crawler.extractors._html import host_of
from crawler.items import Extraction

logger = logging.getLogger(__name__)

#: kind -> adapter class, filled by `Extractor.__init_subclass__`.
registry: dict[str, type[Extractor]] = {}

#: The adapter used when no site adapter recognises a page.
FALLBACK_KIND = "generic"

_HTML_MARKER = re.compile(r"<\s*(?:html|!doctype\s+html|head|body)\b", re.IGNORECASE)


class ExtractionError(ValueError):
    """The response is not an HTML page an adapter can read (one-line, human message)."""


class Extractor:
    """Base of the site adapters; a subclass reads one site's article pages.

    Subclasses register themselves by naming their kind and domains::

        class MoscowTimes(Extractor, kind="moscowtimes", domains=("themoscowtimes.com",)):
            '''Help text shown to users.'''

    and implement `extract_from`. The class docstring is required: help text
    and documentation are made from it.
    """

    kind: ClassVar[str] = ""
    domains: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(
        cls, *, kind: str, domains: tuple[str, ...] = (), **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if not (cls.__doc__ or "").strip():
            raise TypeError(f"extractor {cls.__name__} needs a docstring (it is its help text)")
        if not kind:
            raise TypeError(f"extractor {cls.__name__} needs a kind")
        if kind in registry:
            raise ValueError(f"extractor kind {kind!r} is already registered")
        if isinstance(domains, str):
            raise TypeError("domains must be a tuple of host names, not a string")
        cls.kind = kind
        cls.domains = tuple(d.lower().strip(".") for d in domains)
        registry[kind] = cls

    @classmethod
    def signature_score(cls, url: str, sel: Selector) -> int:
        """How surely `sel` is a page of this adapter's site, from its markup; 0 means no."""
        return 0

    @classmethod
    def article_key_from_url(cls, url: str) -> str | None:
        """Return the stable article key readable from a URL alone, or None."""
        return None

    @classmethod
    def handles_host(cls, host: str) -> bool:
        """Tell whether `host` is one of this adapter's domains or a subdomain of one."""
        host = host.lower().strip(".")
        return any(host == d or host.endswith("." + d) for d in cls.domains)

    def extract(self, url: str, body: bytes | str, *, encoding: str | None = None) -> Extraction:
        """Parse a response body and read the article from it.

        Raises `ExtractionError` when the body is not an HTML page.
        """
        return self.extract_from(url, parse_page(body, encoding=encoding))

    def extract_from(self, url: str, sel: Selector) -> Extraction:
        """Read the article from an already parsed page."""
        raise NotImplementedError


def parse_page(body: bytes | str, *, encoding: str | None = None) -> Selector:
    """Decode and parse a response body, refusing anything that is not an HTML page."""
    if isinstance(body, str):
        text = body
    else:
        if not body.strip():
            raise ExtractionError("empty response body: nothing to extract")
        if body.lstrip()[:5] == b"%PDF-":
            raise ExtractionError("not an HTML page: the body is a PDF document")
        content_type = f"text/html; charset={encoding}" if encoding else None
        _, text = html_to_unicode(content_type, body)
    _check_html_text(text)
    sel = Selector(text=text, type="html")
    if not sel.xpath("normalize-space(//body)").get() and not sel.xpath("//title/text()").get():
        raise ExtractionError("HTML page without any text: nothing to extract")
    return sel


def _check_html_text(text: str) -> None:
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise ExtractionError("empty response body: nothing to extract")
    if stripped.startswith("%PDF-"):
        raise ExtractionError("not an HTML page: the body is a PDF document")
    if "\x00" in stripped[:4096]:
        raise ExtractionError("not an HTML page: the body is binary data")
    if stripped[0] in "[{":
        try:
            json.loads(stripped)
        except ValueError:
            pass
        else:
            raise ExtractionError("not an HTML page: the body is JSON")
    if not _HTML_MARKER.search(stripped[:65536]):
        raise ExtractionError("not an HTML page: no <html>, <head> or <body> element")


def choose_extractor(url: str, sel: Selector) -> type[Extractor]:
    """Choose the adapter for a page: by domain, else by page signature, else generic."""
    host = host_of(url)
    for cls in registry.values():
        if cls.domains and cls.handles_host(host):
            return cls
    best: type[Extractor] | None = None
    best_score = 0
    for cls in registry.values():
        score = cls.signature_score(url, sel)
        if score > best_score:
            best, best_score = cls, score
    if best is not None:
        logger.debug("%s recognised as %s by its markup (score %d)", url, best.kind, best_score)
        return best
    return registry[FALLBACK_KIND]


def extract_page(url: str, body: bytes | str, encoding: str | None = None) -> Extraction:
    """Parse a page once, choose its adapter and extract the article.

    Raises `ExtractionError` for a body that is not an HTML page.
    """
    sel = parse_page(body, encoding=encoding)
    cls = choose_extractor(url, sel)
    return cls().extract_from(url, sel)
