"""The diff engine: compare two revisions of an article field by field (pure functions)."""

from __future__ import annotations

import logging

from monitor.diff.engine import compare
from monitor.diff.model import (
    KINDS,
    SIGNIFICANCE_RANK,
    SIGNIFICANCES,
    Change,
    DiffResult,
    Snapshot,
)
from monitor.diff.words import word_diff

logger = logging.getLogger(__name__)

__all__ = [
    "KINDS",
    "SIGNIFICANCES",
    "SIGNIFICANCE_RANK",
    "Change",
    "DiffResult",
    "Snapshot",
    "compare",
    "word_diff",
]
