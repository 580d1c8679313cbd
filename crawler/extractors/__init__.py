"""Site adapters that read article fields from fetched pages."""

from __future__ import annotations

import logging

from crawler.extractors import generic, moscowtimes
from crawler.extractors.base import (
    ExtractionError,
    Extractor,
    choose_extractor,
    extract_page,
    registry,
)

logger = logging.getLogger(__name__)

__all__ = [
    "ExtractionError",
    "Extractor",
    "choose_extractor",
    "extract_page",
    "generic",
    "moscowtimes",
    "registry",
]
