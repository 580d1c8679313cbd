"""One alert message (a change report, or a digest of several) and its text renderings."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

from monitor.diff import SIGNIFICANCE_RANK
from monitor.render.html import html_fragment, kind_label
from monitor.render.unified import UnifiedRenderer, marked_text

logger = logging.getLogger(__name__)

DIGEST_SCHEMA = "editwatch.digest/1"

#: Most telling first: which change names the subject when significance ties.
KIND_PRIORITY = (
    "removed",
    "restored",
    "redirected",
    "headline",
    "correction_note",
    "quote_edited",
    "quote_removed",
    "quote_added",
    "subtitle",
    "byline",
    "caption",
    "credit",
    "image",
    "paragraph_edited",
    "paragraph_removed",
    "paragraph_added",
    "paragraph_moved",
    "published_at",
    "updated_at",
    "related_added",
    "related_removed",
)


_SUBJECT_MAX = 200
_SHORT_CHANGES = 5
_SHORT_CHANGE_CHARS = 280


def main_change(report: dict[str, Any]) -> dict[str, Any] | None:
    """Return the most important change: highest significance, then the most telling kind."""
    changes: list[dict[str, Any]] = report.get("changes") or []
    if not changes:
        return None

    def rank(change: dict[str, Any]) -> tuple[int, int]:
        kind = change.get("kind", "")
        position = KIND_PRIORITY.index(kind) if kind in KIND_PRIORITY else len(KIND_PRIORITY)
        return SIGNIFICANCE_RANK.get(change.get("significance", ""), -1), -position

    return max(changes, key=rank)


def one_line(text: str, limit: int) -> str:
    """Collapse whitespace (no header injection, no broken layouts) and cut to `limit`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def report_subject(report: dict[str, Any]) -> str:
    """Make a subject such as `Headline changed: <headline> (+2 more changes)`."""
    title = report.get("headline") or report.get("url") or "article"
    change = main_change(report)
    label = kind_label(change["kind"]) if change else "No change"
    if report.get("silent"):
        label += " (silent edit)"
    more = len(report.get("changes") or []) - 1
    suffix = f" (+{more} more change{'s' if more != 1 else ''})" if more > 0 else ""
    return one_line(f"{label}: {title}", _SUBJECT_MAX - len(suffix)) + suffix


@dataclass(frozen=True)
class AlertMessage:
    """What a channel sends, with its renderings.

    The payload is an `editwatch.change/1` report, or an `editwatch.digest/1`
    envelope of several; receivers recognise a resend by the idempotency key.
    """

    channel: str
    idempotency_key: str
    payload: dict[str, Any]

    @classmethod
    def digest(
        cls, channel: str, idempotency_key: str, period: str, reports: list[dict[str, Any]]
    ) -> AlertMessage:
        """Make a digest: one message summarising several change reports."""
        payload = {"schema": DIGEST_SCHEMA, "period": period, "reports": list(reports)}
        return cls(channel, idempotency_key, payload)

    @property
    def is_digest(self) -> bool:
        """Tell whether this message summarises several reports."""
        return self.payload.get("schema") == DIGEST_SCHEMA

    @property
    def reports(self) -> list[dict[str, Any]]:
        """Return the change reports in this message (one unless a digest)."""
        if self.is_digest:
            return list(self.payload["reports"])
        return [self.payload]

    def subject(self) -> str:
        """Return a subject line naming the article and its most important change."""
        if not self.is_digest:
            return report_subject(self.payload)
        reports = self.reports
        articles = len({r.get("article_key") or r.get("url") for r in reports})
        changes = sum(len(r.get("changes") or []) for r in reports)
        return (
            f"editwatch {self.payload['period']} digest: {changes} change"
            f"{'s' if changes != 1 else ''} in {articles} article{'s' if articles != 1 else ''}"
        )

    def short_text(self) -> str:
        """Return a few lines for chat and push services (apprise)."""
        if self.is_digest:
            lines = [f"• {report_subject(r)}\n  {r.get('url', '')}" for r in self.reports[:20]]
            if len(self.reports) > 20:
                lines.append(f"… and {len(self.reports) - 20} more articles")
            return "\n".join(lines)
        return _short_report(self.payload)

    def text(self, width: int = 78) -> str:
        """Return the unified word diff (`[-deleted-]{+inserted+}`) of every report."""
        out = io.StringIO()
        renderer = UnifiedRenderer(width=width)
        for number, report in enumerate(self.reports):
            if number:
                out.write("\n" + "=" * min(width, 40) + "\n\n")
            renderer.write_diff(report, out)
        return out.getvalue()

    def html(self) -> str:
        """Return HTML fragment(s) with the highlighted diff, every article text escaped."""
        return '\n<hr style="border:0;border-top:1px solid #ddd;margin:24px 0">\n'.join(
            html_fragment(report) for report in self.reports
        )


def _short_report(report: dict[str, Any]) -> str:
    old, new = report["from"], report["to"]
    facts = [f"revision {old['revision']} → {new['revision']}"]
    if report.get("silent"):
        facts.append("SILENT EDIT")
    if report.get("significance"):
        facts.append(str(report["significance"]))
    lines = [str(report.get("url", "")), " · ".join(facts)]
    changes = report.get("changes") or []
    for change in changes[:_SHORT_CHANGES]:
        body = one_line(marked_text(change), _SHORT_CHANGE_CHARS)
        lines.append(f"• {kind_label(change['kind'])} ({change['significance']}): {body}")
    if len(changes) > _SHORT_CHANGES:
        lines.append(f"… and {len(changes) - _SHORT_CHANGES} more changes")
    return "\n".join(lines)


def sample_report() -> dict[str, Any]:
    """Return a made-up `editwatch.change/1` report for `editwatch alerts test`."""
    url = "https://www.themoscowtimes.com/2020/01/07/putin-makes-rare-visit-to-syria-a68828"
    return {
        "schema": "editwatch.change/1",
        "url": url,
        "article_key": "moscowtimes:68828",
        "headline": "Putin Makes Rare Visit to Syria, Meets Assad (editwatch test alert)",
        "from": {"revision": 1, "fetched_at": "2020-01-07T10:00:00+00:00", "url": url},
        "to": {"revision": 2, "fetched_at": "2020-01-07T12:00:00+00:00", "url": url},
        "silent": True,
        "significance": "major",
        "changes": [
            {
                "kind": "headline",
                "significance": "major",
                "field": "headline",
                "before": "Putin Visits Syria",
                "after": "Putin Makes Rare Visit to Syria, Meets Assad (editwatch test alert)",
                "diff": [
                    {"op": "equal", "text": "Putin "},
                    {"op": "delete", "text": "Visits Syria"},
                    {"op": "insert", "text": "Makes Rare Visit to Syria, Meets Assad"},
                    {"op": "insert", "text": " (editwatch test alert)"},
                ],
            }
        ],
    }
