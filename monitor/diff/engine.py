"""`compare`: two revisions in, typed changes and the silent-edit flag out."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from crawler.items import ArticleFields
from monitor.diff.classify import is_silent, make_change
from monitor.diff.images import diff_images
from monitor.diff.links import related_changes, tag_changes
from monitor.diff.meta import (
    byline_changes,
    header_changes,
    intro_changes,
    same_time,
    time_changes,
)
from monitor.diff.model import STATE_ARTICLE, Change, DiffResult, Snapshot
from monitor.diff.notes import diff_notes, split_notes
from monitor.diff.paragraphs import diff_paragraphs
from monitor.diff.quotes import diff_quotes

logger = logging.getLogger(__name__)


def _fields(data: Mapping[str, Any]) -> ArticleFields:
    return ArticleFields.from_dict(dict(data))


def _state_change(old: Snapshot, new: Snapshot) -> Change | None:
    """Return `removed` or `restored` when the page went away or came back.

    Any state but "article" counts as removed ("removed", or the crawler's
    "not_found" for a soft 404).
    """
    was, now = old.state == STATE_ARTICLE, new.state == STATE_ARTICLE
    detail = {"status": new.status, "state": new.state}
    if was and not now:
        return make_change("removed", "url", old.url, None, detail)
    if now and not was:
        return make_change("restored", "url", None, new.url, detail)
    return None


def field_changes(old: ArticleFields, new: ArticleFields) -> list[Change]:
    """List every change between two sets of article fields, in reading order.

    Order: headline and label, subtitle, byline, published/updated, intro,
    images, quotes, paragraphs (by new position), related links, tags,
    correction notes.
    """
    unchanged = set(old.paragraphs).intersection(new.paragraphs)
    old_body, old_notes = split_notes(old.paragraphs, unchanged)
    new_body, new_notes = split_notes(new.paragraphs, unchanged)
    quotes = diff_quotes(old.quotes, new.quotes, old.paragraphs, new.paragraphs)
    return [
        *header_changes(old, new),
        *byline_changes(old, new),
        *time_changes(old, new),
        *intro_changes(old, new),
        *diff_images(old.images, new.images),
        *quotes.changes,
        *diff_paragraphs(old.paragraphs, old_body, new.paragraphs, new_body, quotes.texts),
        *related_changes(old.related, new.related),
        *tag_changes(old.tags, new.tags),
        *diff_notes(old.paragraphs, old_notes, new.paragraphs, new_notes),
    ]


def compare(old: Snapshot | None, new: Snapshot) -> DiffResult:
    """Say what changed from revision `old` to revision `new` (old None: first, no changes).

    A page that went away is one `removed` change, a page that came back one
    `restored` change (not diffed against the empty removed page). Between two
    article revisions: `redirected` when the URL changed, then the field changes.
    `silent` is True when the text changed while neither `updated_at` nor
    `modified_at` did.
    """
    if old is None:
        return DiffResult(changes=(), silent=False)
    state = _state_change(old, new)
    if state is not None:
        return DiffResult(changes=(state,), silent=False)
    if new.state != STATE_ARTICLE:
        return DiffResult(changes=(), silent=False)
    changes: list[Change] = []
    if old.url.strip() != new.url.strip():
        changes.append(make_change("redirected", "url", old.url, new.url, {"status": new.status}))
    a, b = _fields(old.fields), _fields(new.fields)
    changes += field_changes(a, b)
    stamps_changed = not (
        same_time(a.updated_at, b.updated_at) and same_time(a.modified_at, b.modified_at)
    )
    return DiffResult(changes=tuple(changes), silent=is_silent(changes, stamps_changed))
