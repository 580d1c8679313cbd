"""HTML helpers shared by the site adapters: text of a node, metas, JSON-LD, URLs."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from parsel import Selector, SelectorList

from crawler.normalize import clean_text

logger = logging.getLogger(__name__)

#: Elements whose text a reader never sees.
INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "title"})

#: XPath predicate (for use inside ``[...]``) true for ad slots and their contents.
BANNER_XPATH = (
    "contains(concat(' ', normalize-space(@y-name), ' '), ' banner ')"
    " or contains(concat(' ', normalize-space(@y-use), ' '), ' Banner ')"
)

_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_JSON_LD_XPATH = "//script[contains(translate(@type, 'LDJSON', 'ldjson'), 'ld+json')]/text()"


def is_banner(el: Any) -> bool:
    """Tell whether an element is an ad slot: ``[y-name~=banner]`` or ``[y-use~=Banner]``."""
    return "banner" in (el.get("y-name") or "").split() or "Banner" in (
        el.get("y-use") or ""
    ).split()


def node_text(el: Any, skip: Callable[[Any], bool] | None = None) -> str:
    """Visible text of an lxml element, ``<br>`` read as a space, through `clean_text`.

    Subtrees for which `skip` returns true are left out (their tails are kept).
    """
    parts: list[str] = []
    _collect(el, parts, skip, top=True)
    return clean_text("".join(parts))


def _collect(el: Any, parts: list[str], skip: Callable[[Any], bool] | None, top: bool) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    visible = bool(tag) and tag not in INVISIBLE_TAGS and not (skip and skip(el))
    if visible:
        if tag == "br":
            parts.append(" ")
        if el.text:
            parts.append(el.text)
        for child in el:
            _collect(child, parts, skip, top=False)
        if tag in _BLOCK_TAGS:
            parts.append(" ")
    if not top and el.tail:
        parts.append(el.tail)


_BLOCK_TAGS = frozenset(
    {
        "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure",
        "figcaption", "section", "article", "table", "tr", "td", "th", "dd", "dt", "dl",
        "header", "footer", "aside", "pre", "hr",
    }
)


def sel_text(sel: Selector | None, skip: Callable[[Any], bool] | None = None) -> str:
    """`node_text` of a parsel selector; "" for None."""
    return "" if sel is None else node_text(sel.root, skip)


def first_of(found: SelectorList[Selector]) -> Selector | None:
    """Return the first selector of a result list, or None."""
    return found[0] if found else None


def meta(sel: Selector, *names: str) -> str | None:
    """Content of the first non-empty ``<meta>`` whose property or name is one of `names`."""
    for name in names:
        for value in sel.xpath(
            "//meta[@property=$n or @name=$n or @itemprop=$n]/@content", n=name
        ).getall():
            if value.strip():
                return value.strip()
    return None


def _loads_tolerant(raw: str) -> Any:
    """Parse JSON; on failure retry with trailing commas removed; None if still invalid."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        pass
    try:
        return json.loads(_TRAILING_COMMA.sub(r"\1", raw))
    except json.JSONDecodeError as exc:
        logger.debug("ignoring invalid JSON-LD block: %s", exc)
        return None


def json_ld_objects(sel: Selector) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page (``@graph`` and top-level lists flattened).

    Invalid blocks are repaired by dropping trailing commas, or else ignored.
    """
    objects: list[dict[str, Any]] = []
    for raw in sel.xpath(_JSON_LD_XPATH).getall():
        data = _loads_tolerant(raw.strip().rstrip(";"))
        objects.extend(_flatten(data))
    return objects


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _flatten(graph)


def ld_types(obj: dict[str, Any]) -> set[str]:
    """Return the ``@type`` values of a JSON-LD object, as a set of strings."""
    value = obj.get("@type")
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {v for v in value if isinstance(v, str)}
    return set()


def ld_names(value: Any) -> list[str]:
    """Names from a JSON-LD person/organisation value (a string, an object or a list)."""
    if isinstance(value, str):
        return [clean_text(value)] if value.strip() else []
    if isinstance(value, dict):
        name = value.get("name")
        return ld_names(name) if isinstance(name, str | list) else []
    if isinstance(value, list):
        return [n for item in value for n in ld_names(item)]
    return []


def ld_str(obj: dict[str, Any], key: str) -> str | None:
    """Return a JSON-LD string value, or None when missing or not a non-empty string."""
    value = obj.get(key)
    if isinstance(value, list) and value:
        value = value[0]
    return value.strip() if isinstance(value, str) and value.strip() else None


def page_base(sel: Selector, url: str) -> str:
    """Return the URL relative links resolve against: ``<base href>`` or the page URL."""
    base = sel.xpath("//base/@href").get()
    return urljoin(url, base.strip()) if base else url


def absolute(href: str | None, base: str) -> str:
    """`href` made absolute against `base`; "" for an empty href."""
    return urljoin(base, href.strip()) if href and href.strip() else ""


def strip_query(url: str) -> str:
    """Drop the query string and the fragment, keep scheme, host and path."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def host_of(url: str) -> str:
    """Lower-case host name of a URL, without port; "" if none."""
    return (urlsplit(url).hostname or "").lower()


def dedupe(items: list[str]) -> list[str]:
    """Items in first-seen order, duplicates and empty strings removed."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out

