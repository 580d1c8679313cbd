"""Header fields: headline, label, subtitle, intro, byline, and the published/updated times."""

from __future__ import annotations

import logging
from datetime import datetime

from crawler.items import ArticleFields
from crawler.normalize import clean_text, typographic_key
from monitor.diff.classify import make_change
from monitor.diff.model import Change

logger = logging.getLogger(__name__)

#: Text fields of the header: (field, kind). The label ("opinion", "News Analysis")
#: frames the headline, so it is reported as a headline change of field "label"; the
#: intro (standfirst) is told like the subtitle, as a subtitle change of field "intro".
_TEXT_FIELDS = (("headline", "headline"), ("label", "headline"), ("subtitle", "subtitle"))
_INTRO = ("intro", "subtitle")


def _text_change(field: str, kind: str, old: str, new: str) -> list[Change]:
    before, after = clean_text(old) or None, clean_text(new) or None
    if before == after:
        return []
    return [make_change(kind, field, before, after)]


def header_changes(old: ArticleFields, new: ArticleFields) -> list[Change]:
    """List headline, label and subtitle changes."""
    found: list[Change] = []
    for field, kind in _TEXT_FIELDS:
        found += _text_change(field, kind, getattr(old, field), getattr(new, field))
    return found


def intro_changes(old: ArticleFields, new: ArticleFields) -> list[Change]:
    """Report a change of the intro (standfirst) as kind `subtitle`, field `intro`."""
    field, kind = _INTRO
    return _text_change(field, kind, old.intro, new.intro)


def byline_changes(old: ArticleFields, new: ArticleFields) -> list[Change]:
    """Report one `byline` change when the list of authors changed (beyond spacing)."""
    before = [clean_text(a) for a in old.authors if clean_text(a)]
    after = [clean_text(a) for a in new.authors if clean_text(a)]
    if before == after:
        return []
    detail = {
        "added": [a for a in after if typographic_key(a) not in map(typographic_key, before)],
        "removed": [a for a in before if typographic_key(a) not in map(typographic_key, after)],
    }
    return [
        make_change(
            "byline", "authors", ", ".join(before) or None, ", ".join(after) or None, detail
        )
    ]


def same_time(a: str | None, b: str | None) -> bool:
    """Tell whether two ISO 8601 stamps name the same instant (or are the same text)."""
    a, b = (a or "").strip() or None, (b or "").strip() or None
    if a == b:
        return True
    if a is None or b is None:
        return False
    try:
        return datetime.fromisoformat(a) == datetime.fromisoformat(b)
    except ValueError:
        return False


def time_changes(old: ArticleFields, new: ArticleFields) -> list[Change]:
    """List `published_at` and `updated_at` changes (modified_at is never a change)."""
    found = []
    for field in ("published_at", "updated_at"):
        a, b = getattr(old, field), getattr(new, field)
        if not same_time(a, b):
            found.append(make_change(field, field, a or None, b or None))
    return found
