"""The diff engine's plain data: a stored revision in, typed changes out."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

logger = logging.getLogger(__name__)

STATE_ARTICLE = "article"
STATE_REMOVED = "removed"

#: Significance levels, lowest first.
SIGNIFICANCES = ("typographic", "minor", "major")
#: Rank of each significance, for "at least minor" comparisons.
SIGNIFICANCE_RANK = {name: rank for rank, name in enumerate(SIGNIFICANCES)}

#: The closed vocabulary of change kinds.
KINDS = (
    "headline",
    "subtitle",
    "byline",
    "quote_edited",
    "quote_added",
    "quote_removed",
    "caption",
    "credit",
    "image",
    "paragraph_added",
    "paragraph_removed",
    "paragraph_edited",
    "paragraph_moved",
    "related_added",
    "related_removed",
    "correction_note",
    "published_at",
    "updated_at",
    "removed",
    "redirected",
    "restored",
)

#: Word-level diff operations: ("equal" | "insert" | "delete", text).
DiffOps = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Snapshot:
    """One stored revision, as plain data.

    `state` is "article" or "removed" (404/410/soft 404); `fields` is
    `ArticleFields.to_dict()` output (empty for a removed page).
    """

    state: str
    url: str
    fields: Mapping[str, Any]
    status: int | None = None


@dataclass(frozen=True)
class Change:
    """One thing an editor did, at one place in the article.

    `before` is None when something was added, `after` None when it was
    removed; `diff` holds word operations where they mean something.
    """

    kind: str
    significance: str
    field: str
    before: str | None
    after: str | None
    diff: DiffOps = ()
    detail: Mapping[str, Any] = dataclass_field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the columns, `diff` as [{"op", "text"}], then the detail keys."""
        data: dict[str, Any] = {
            "kind": self.kind,
            "significance": self.significance,
            "field": self.field,
            "before": self.before,
            "after": self.after,
            "diff": [{"op": op, "text": text} for op, text in self.diff],
        }
        for key, value in self.detail.items():
            data.setdefault(key, value)
        return data


@dataclass(frozen=True)
class DiffResult:
    """All changes between two revisions, in reading order, and the silent-edit flag."""

    changes: tuple[Change, ...]
    silent: bool

    @property
    def significance(self) -> str | None:
        """The highest significance among the changes (None when there are none)."""
        if not self.changes:
            return None
        return max((c.significance for c in self.changes), key=SIGNIFICANCES.index)
