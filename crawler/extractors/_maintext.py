"""A compact readability-style main-text finder for pages with no site adapter.

Steps (after Arc90/Mozilla Readability): drop invisible and boilerplate
subtrees, score paragraph-like blocks (length, commas) into their parent and
grandparent, weight by class/id words and link density, take the best
container plus siblings that score close to it, clean link-heavy leftovers,
and cut the result into paragraphs.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from crawler.extractors._html import absolute, strip_query
from crawler.items import Image
from crawler.normalize import clean_text

logger = logging.getLogger(__name__)

BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot",
        "th", "thead", "tr", "ul",
    }
)
_DROP_TAGS = frozenset(
    {
        "aside", "button", "canvas", "dialog", "embed", "footer", "iframe", "input", "link",
        "meta", "nav", "noscript", "object", "script", "select", "style", "svg", "template",
        "textarea",
    }
)
_DROP_ROLES = frozenset(
    {
        "alert", "banner", "complementary", "contentinfo", "dialog", "menu", "menubar",
        "navigation", "search",
    }
)
_UNLIKELY = re.compile(
    r"-ad-|ai2html|banner|breadcrumb|combx|comment|community|cover-wrap|disqus|extra|foot|"
    r"gdpr|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|"
    r"sponsor|supplemental|ad-break|agegate|pagination|pager|popup|newsletter|subscri|"
    r"share|sharing|promo|cookie|modal|signup|paywall|outbrain|taboola|recirc|most-?read|"
    r"trending|byline|author-?bio|toolbar|masthead",
    re.IGNORECASE,
)
_MAYBE = re.compile(r"and|article|body|column|content|main|shadow|story|entry|post", re.I)
_POSITIVE = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|prose", re.I
)
_NEGATIVE = re.compile(
    r"-ad-|hidden|banner|combx|comment|com-|contact|foot|gdpr|masthead|media|meta|outbrain|"
    r"promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|tool|"
    r"widget|newsletter|subscribe|caption|credit",
    re.IGNORECASE,
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BOILERPLATE = re.compile(
    r"^(?:advertisement|advert|ad|sponsored|read more|continue reading|share(?: this)?(?: "
    r"article| story)?|related(?: articles| stories)?|sign up|subscribe|click here|"
    r"follow us.*|image|photo)\W*$",
    re.IGNORECASE,
)
_SCORED_TAGS = frozenset({"p", "pre", "td", "blockquote", "h2", "h3", "li"})
_LOOSE_TEXT_TAGS = frozenset({"div", "section", "article", "main", "td"})
_HARD_NOISE = re.compile(r"\bcomments?\b|\bcommentlist\b|disqus|\brespond\b", re.IGNORECASE)
_TAG_BASE = {"div": 5, "article": 8, "main": 5, "section": 3, "pre": 3, "td": 3,
             "blockquote": 3, "ol": -3, "ul": -3, "dl": -3, "li": -3, "form": -3,
             "th": -5, "h1": -5, "h2": -5, "h3": -5, "h4": -5}


@dataclass
class MainText:
    """The main text of a page: its paragraphs and the figures inside it."""

    paragraphs: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)


def _tag(el: Any) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _marker(el: Any) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def _text_len(el: Any) -> int:
    return len(clean_text(el.text_content()))


def _link_density(el: Any) -> float:
    total = _text_len(el)
    if not total:
        return 0.0
    links = sum(_text_len(a) for a in el.iter("a"))
    return min(1.0, links / total)


def _class_weight(el: Any) -> int:
    weight = 0
    for value in (el.get("class"), el.get("id")):
        if value:
            weight += 25 if _POSITIVE.search(value) else 0
            weight -= 25 if _NEGATIVE.search(value) else 0
    return weight


def _is_noise(el: Any, strip_unlikely: bool) -> bool:
    tag = _tag(el)
    if not tag or tag in {"html", "body", "article", "main"}:
        return tag == ""
    if tag in _DROP_TAGS or el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    if (el.get("role") or "").lower() in _DROP_ROLES:
        return True
    if _HIDDEN_STYLE.search(el.get("style") or ""):
        return True
    marker = _marker(el)
    if _HARD_NOISE.search(marker) and tag != "body":
        return True
    if not strip_unlikely:
        return False
    if tag == "header":
        return len(el.findall(".//p")) < 3
    return bool(_UNLIKELY.search(marker)) and not _MAYBE.search(marker) and tag != "figure"


def _prepare(root: Any, strip_unlikely: bool) -> Any:
    """Copy the page body, leaving out invisible and boilerplate subtrees."""
    doc = copy.deepcopy(root)
    body = doc.find(".//body")
    body = doc if body is None else body
    for el in list(body.iter()):
        if el.getparent() is None and el is not body:
            continue
        if _is_noise(el, strip_unlikely) and _in_tree(el, body):
            el.drop_tree()
    return body


def _in_tree(el: Any, body: Any) -> bool:
    parent = el.getparent()
    while parent is not None:
        if parent is body:
            return True
        parent = parent.getparent()
    return False


def _has_block_child(el: Any) -> bool:
    return any(_tag(child) in BLOCK_TAGS for child in el)


def _loose_text(el: Any) -> str:
    """Return the text directly inside a container, outside its block children.

    Readability wraps such runs in a ``<p>``; here they score as one.
    """
    parts = [el.text or ""]
    for child in el:
        if _tag(child) and _tag(child) not in BLOCK_TAGS:
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return clean_text("".join(parts))


def _text_units(body: Any) -> Iterator[tuple[Any, str]]:
    """(first element to credit, text) for each paragraph-like run of text."""
    for el in body.iter():
        tag = _tag(el)
        if not tag:
            continue
        blocks = _has_block_child(el)
        if tag in _SCORED_TAGS or (tag == "div" and not blocks):
            if not (blocks and tag in {"blockquote", "li", "td"}):
                yield el.getparent(), clean_text(el.text_content())
        elif blocks and tag in _LOOSE_TEXT_TAGS:
            yield el, _loose_text(el)


def _score_candidates(body: Any, weigh_classes: bool) -> dict[Any, float]:
    """Readability's content scores: each text block feeds its three nearest containers."""
    scores: dict[Any, float] = {}
    for start, text in _text_units(body):
        if start is None or len(text) < 25:
            continue
        points = 1 + text.count(",") + min(len(text) // 100, 3)
        ancestors = [start, *start.iterancestors()][:3]
        for level, ancestor in enumerate(ancestors):
            if ancestor not in scores:
                weight = _class_weight(ancestor) if weigh_classes else 0
                scores[ancestor] = _TAG_BASE.get(_tag(ancestor), 0) + weight
            scores[ancestor] += points / (1 if level == 0 else 2 if level == 1 else level * 3)
    return {el: score * (1 - _link_density(el)) for el, score in scores.items()}


def _top(scores: dict[Any, float], body: Any) -> Any:
    """Readability's choice: the best candidate, moved up to a shared or better ancestor."""
    if not scores:
        return body
    ranked = sorted(scores, key=lambda el: scores[el], reverse=True)
    best = ranked[0]
    top_score = scores[best]
    alternatives = [
        set(el.iterancestors()) for el in ranked[1:5] if scores[el] >= top_score * 0.75
    ]
    if len(alternatives) >= 3:
        for parent in best.iterancestors():
            if parent is body:
                break
            if sum(parent in ancestors for ancestors in alternatives) >= 3:
                best = parent
                break
    best = _climb(best, scores, body)
    while best is not body and best.getparent() is not None and len(best.getparent()) == 1:
        best = best.getparent()
    return best


def _climb(best: Any, scores: dict[Any, float], body: Any) -> Any:
    """Move up while the parents keep most of the score, to a parent scoring higher."""
    last = scores.get(best, 0.0)
    threshold = last / 3
    for parent in best.iterancestors():
        if parent is body or _tag(parent) in {"body", "html"}:
            break
        if parent not in scores:
            continue
        if scores[parent] < threshold:
            break
        if scores[parent] > last:
            return parent
        last = scores[parent]
    return best


def _gather(top: Any, scores: dict[Any, float]) -> list[Any]:
    """Return the top candidate and its siblings that look like more of the same text."""
    parent = top.getparent()
    if parent is None:
        return [top]
    threshold = max(10.0, scores.get(top, 0) * 0.2)
    top_marker = top.get("class")
    nodes = []
    for sibling in parent:
        if sibling is top:
            nodes.append(sibling)
            continue
        if not _tag(sibling):
            continue
        bonus = scores.get(top, 0) * 0.2 if top_marker and sibling.get("class") == top_marker else 0
        if scores.get(sibling, 0) + bonus >= threshold or _good_paragraph(sibling):
            nodes.append(sibling)
    return nodes


def _good_paragraph(el: Any) -> bool:
    if _tag(el) != "p":
        return False
    length, density = _text_len(el), _link_density(el)
    text = clean_text(el.text_content())
    return (length > 80 and density < 0.25) or (0 < length <= 80 and density == 0
                                                and text.endswith("."))


def _clean_conditionally(node: Any) -> None:
    """Drop link lists, image strips and other non-prose boxes left inside the text."""
    for el in reversed(list(node.iter("div", "section", "ul", "ol", "table", "dl"))):
        if el is node or not _in_tree(el, node):
            continue
        weight = _class_weight(el)
        text = clean_text(el.text_content())
        if weight < 0:
            el.drop_tree()
            continue
        if text.count(",") >= 10:
            continue
        paragraphs = len(el.findall(".//p"))
        images = len(el.findall(".//img"))
        items = len(el.findall(".//li"))
        density = _link_density(el)
        tag = _tag(el)
        if (
            (images > 1 and paragraphs / images < 0.5 and len(text) < 200)
            or (tag not in {"ul", "ol"} and items > paragraphs + 3)
            or (len(text) < 25 and images == 0 and not el.findall(".//figure"))
            or (weight < 25 and density > 0.33)
            or density > 0.5
        ):
            el.drop_tree()


def _paragraphs(node: Any, out: list[str]) -> None:
    """Cut a node into paragraphs: each block element, and each run of loose inline text."""
    if _tag(node) in {"figure", "figcaption"}:
        return
    buffer: list[str] = []

    def flush() -> None:
        text = clean_text("".join(buffer))
        buffer.clear()
        if text and not _BOILERPLATE.match(text):
            out.append(text)

    if node.text:
        buffer.append(node.text)
    for child in node:
        tag = _tag(child)
        if tag in {"figure", "figcaption", "h1"}:
            pass
        elif tag in BLOCK_TAGS:
            flush()
            _paragraphs(child, out)
        elif tag == "br":
            following = child.getnext()
            if following is not None and _tag(following) == "br" and not (child.tail or "").strip():
                flush()
            buffer.append(" ")
        elif tag:
            buffer.append(child.text_content())
        if child.tail:
            buffer.append(child.tail)
    flush()


def _figures(nodes: list[Any], base: str) -> list[Image]:
    images: list[Image] = []
    for node in nodes:
        for figure in node.iter("figure"):
            img = next(figure.iter("img"), None)
            if img is None:
                continue
            src = img.get("src") or img.get("data-src") or ""
            if not src or src.startswith("data:"):
                continue
            caption = figure.find(".//figcaption")
            text = clean_text(caption.text_content()) if caption is not None else ""
            images.append(Image(strip_query(absolute(src, base)), text, "", "inline"))
    return images


#: Below this many characters of text an attempt is retried with fewer filters.
MIN_TEXT = 500

#: (strip unlikely-looking subtrees, weigh class names, clean boxes), strictest first.
_ATTEMPTS = ((True, True, True), (False, True, True), (False, False, True), (False, False, False))


def extract_main_text(root: Any, base: str) -> MainText:
    """Find the main text under an lxml document root (the root is not modified).

    As Readability does, a result shorter than `MIN_TEXT` characters is
    retried with fewer filters, and the longest attempt wins.
    """
    best = MainText()
    best_length = -1
    for strip_unlikely, weigh_classes, clean in _ATTEMPTS:
        result = _attempt(root, base, strip_unlikely, weigh_classes, clean)
        length = sum(len(p) for p in result.paragraphs)
        if length >= MIN_TEXT:
            return result
        if length > best_length:
            best, best_length = result, length
    return best


def _attempt(root: Any, base: str, strip_unlikely: bool, weigh_classes: bool,
             clean: bool) -> MainText:
    body = _prepare(root, strip_unlikely)
    scores = _score_candidates(body, weigh_classes)
    top = _top(scores, body)
    nodes = _gather(top, scores)
    images = _figures(nodes, base)
    paragraphs: list[str] = []
    for node in nodes:
        if clean:
            _clean_conditionally(node)
        _paragraphs(node, paragraphs)
    return MainText(paragraphs=paragraphs, images=images)
