"""`--format html`: one self-contained page (and an e-mail fragment) with the highlighted diff."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable
from typing import Any, TextIO

from monitor.render.base import Renderer

logger = logging.getLogger(__name__)

KIND_LABELS = {
    "headline": "Headline changed",
    "subtitle": "Subtitle changed",
    "byline": "Byline changed",
    "quote_edited": "Quote edited",
    "quote_added": "Quote added",
    "quote_removed": "Quote removed",
    "caption": "Caption changed",
    "credit": "Photo credit changed",
    "image": "Image changed",
    "paragraph_added": "Paragraph added",
    "paragraph_removed": "Paragraph removed",
    "paragraph_edited": "Paragraph edited",
    "paragraph_moved": "Paragraph moved",
    "related_added": "Related link added",
    "related_removed": "Related link removed",
    "correction_note": "Correction note added",
    "published_at": "Publication time changed",
    "updated_at": "Update time changed",
    "removed": "Article removed",
    "redirected": "Article redirected",
    "restored": "Article restored",
}

_FONT = "-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
_LABEL = "display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600"

#: One style per role; the page turns them into CSS classes, the fragment inlines them.
STYLES = {
    "ew": f"font-family:{_FONT};color:#1b1b1b;line-height:1.5;max-width:780px;margin:0 auto",
    "title": "font-size:22px;line-height:1.3;margin:0 0 6px",
    "link": "color:#0b4f9c;text-decoration:none",
    "meta": "color:#555;font-size:13px;margin:2px 0",
    "silent": f"{_LABEL};background:#b00020;color:#fff;letter-spacing:.04em",
    "summary": "margin:14px 0 4px;font-size:14px",
    "change": "border:1px solid #d9d9d9;border-radius:8px;padding:10px 14px;margin:12px 0",
    "head": "margin:0 0 8px",
    "kind": f"{_LABEL};background:#1b1b1b;color:#fff",
    "major": f"{_LABEL};background:#fde2e1;color:#8a1010",
    "minor": f"{_LABEL};background:#fff4c2;color:#6b5200",
    "typographic": f"{_LABEL};background:#eee;color:#555",
    "field": "font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#666",
    "rows": "border-collapse:collapse;width:100%",
    "rowlabel": "text-align:left;vertical-align:top;color:#777;font-size:12px;font-weight:600;"
    "padding:4px 12px 4px 0;width:60px",
    "text": "white-space:pre-wrap;padding:4px 0;font-size:15px",
    "del": "background:#ffe3e3;color:#a4000f;text-decoration:line-through",
    "ins": "background:#d9f7de;color:#0a5c1f;text-decoration:none;font-weight:600",
}

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'"


def kind_label(kind: str) -> str:
    """Name a change kind in words: "quote_edited" -> "Quote edited"."""
    return KIND_LABELS.get(kind) or kind.replace("_", " ").capitalize()


def esc(text: object) -> str:
    """Escape any text for HTML content and quoted attributes."""
    return html.escape(str(text), quote=True)


class _Style:
    """Gives each role either a class (page with a stylesheet) or an inline style (e-mail)."""

    def __init__(self, inline: bool) -> None:
        self.inline = inline

    def __call__(self, role: str) -> str:
        return f'style="{STYLES[role]}"' if self.inline else f'class="{role}"'


def _safe_link(url: str) -> str | None:
    """Only http(s) URLs become links; anything else (javascript:, data:) stays text."""
    return url if url.lower().startswith(("http://", "https://")) else None


def _header(report: dict[str, Any], s: _Style, tag: str) -> list[str]:
    url = str(report.get("url") or "")
    title = esc(report.get("headline") or url or "article")
    link = _safe_link(url)
    heading = f'<a {s("link")} href="{esc(link)}">{title}</a>' if link else title
    old, new = report["from"], report["to"]
    parts = [
        f"<{tag} {s('title')}>{heading}</{tag}>",
        f"<p {s('meta')}>{esc(url)}</p>",
        f"<p {s('meta')}>revision {esc(old['revision'])} (fetched {esc(old['fetched_at'])})"
        f" &rarr; revision {esc(new['revision'])} (fetched {esc(new['fetched_at'])})</p>",
    ]
    if new.get("url") and new.get("url") != url:
        parts.append(f"<p {s('meta')}>fetched from {esc(new['url'])}</p>")
    if report.get("silent"):
        parts.append(
            f"<p {s('summary')}><span {s('silent')}>SILENT EDIT</span> "
            "the text changed but the visible update time did not</p>"
        )
    changes = report.get("changes") or []
    summary = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
    if report.get("significance"):
        summary += f", highest significance: {esc(report['significance'])}"
    parts.append(f"<p {s('summary')}>{summary if changes else 'no changes'}</p>")
    return parts


def _marked(ops: Iterable[dict[str, Any]], keep: str, s: _Style) -> str:
    """One side of a word diff: equal text plus the `keep` ops ("delete" or "insert") marked."""
    tag = "del" if keep == "delete" else "ins"
    out = []
    for op in ops:
        if op["op"] == "equal":
            out.append(esc(op["text"]))
        elif op["op"] == keep:
            out.append(f"<{tag} {s(tag)}>{esc(op['text'])}</{tag}>")
    return "".join(out)


def _rows(change: dict[str, Any], s: _Style) -> list[tuple[str, str]]:
    """(label, html) rows: before and after with the changed words highlighted."""
    ops = change.get("diff") or []
    before, after = change.get("before"), change.get("after")
    if ops:
        return [("Before", _marked(ops, "delete", s)), ("After", _marked(ops, "insert", s))]
    if before is not None and before == after:
        return [("Text", esc(before))]
    rows = []
    if before is not None:
        rows.append(("Before", f"<del {s('del')}>{esc(before)}</del>"))
    if after is not None:
        rows.append(("After", f"<ins {s('ins')}>{esc(after)}</ins>"))
    return rows


def _change_block(change: dict[str, Any], s: _Style) -> str:
    level = str(change.get("significance", ""))
    level_role = level if level in ("major", "minor", "typographic") else "typographic"
    head = (
        f"<p {s('head')}><span {s('kind')}>{esc(kind_label(str(change.get('kind', ''))))}</span> "
        f"<span {s(level_role)}>{esc(level)}</span> "
        f"<span {s('field')}>{esc(change.get('field', ''))}</span></p>"
    )
    rows = "".join(
        f"<tr><th {s('rowlabel')}>{label}</th><td {s('text')}>{body}</td></tr>"
        for label, body in _rows(change, s)
    )
    return f"<div {s('change')}>{head}<table {s('rows')}>{rows}</table></div>"


def _body(report: dict[str, Any], s: _Style, tag: str) -> str:
    parts = _header(report, s, tag)
    parts.extend(_change_block(change, s) for change in report.get("changes") or [])
    return f"<div {s('ew')}>\n" + "\n".join(parts) + "\n</div>"


def html_fragment(report: dict[str, Any]) -> str:
    """Render the report as an HTML fragment with inline styles (as e-mail clients need)."""
    return _body(report, _Style(inline=True), "h2")


def html_page(report: dict[str, Any]) -> str:
    """Render the report as one self-contained HTML page: inline CSS, no external assets."""
    css = "\n".join(f".{role}{{{rule}}}" for role, rule in STYLES.items())
    title = esc(report.get("headline") or report.get("url") or "editwatch diff")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>editwatch: {title}</title>\n"
        f"<style>\nbody{{margin:24px;background:#fafafa}}\n{css}\n</style>\n"
        f"</head>\n<body>\n{_body(report, _Style(inline=False), 'h1')}\n</body>\n</html>\n"
    )


class HtmlRenderer(Renderer, format="html"):
    """One self-contained HTML page: before/after with highlights, metadata, a link to the page."""

    def write_diff(self, report: dict[str, Any], out: TextIO) -> None:
        """Write the report as one HTML page."""
        out.write(html_page(report))
