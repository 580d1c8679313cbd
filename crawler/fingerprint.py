"""A stable hash of an article's editorial content, to tell a new revision from a re-check."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from crawler.items import Extraction
from crawler.normalize import clean_text

logger = logging.getLogger(__name__)

#: Bump when the hashed content changes shape, so old and new fingerprints never collide.
FINGERPRINT_VERSION = 1


def _text(value: str | None) -> str | None:
    return None if value is None else clean_text(value)


def fingerprint_payload(extraction: Extraction) -> dict[str, Any]:
    """Return the canonical, JSON-ready content that `fingerprint` hashes."""
    f = extraction.fields
    return {
        "v": FINGERPRINT_VERSION,
        "state": extraction.state,
        "canonical_url": clean_text(extraction.canonical_url),
        "headline": clean_text(f.headline),
        "subtitle": clean_text(f.subtitle),
        "label": clean_text(f.label),
        "authors": [clean_text(a) for a in f.authors],
        "published_at": _text(f.published_at),
        "updated_at": _text(f.updated_at),
        "intro": clean_text(f.intro),
        "paragraphs": [clean_text(p) for p in f.paragraphs],
        "quotes": [
            [clean_text(q.text), clean_text(q.speaker), q.kind, q.paragraph] for q in f.quotes
        ],
        "images": [
            [clean_text(i.src), clean_text(i.caption), clean_text(i.credit), i.role]
            for i in f.images
        ],
        "related": [[clean_text(r.url), clean_text(r.title)] for r in f.related],
        "tags": [clean_text(t) for t in f.tags],
    }


def fingerprint(extraction: Extraction) -> str:
    """SHA-256 hex digest of the article's editorial content.

    Hashed: state, canonical URL, headline, subtitle, label, authors, published
    and visible "Updated" times, intro, paragraphs, quotes, images (src,
    caption, credit, role), related links and tags, each text through
    `clean_text` (so NFC, invisible characters, non-breaking spaces and spacing
    never make a new revision), serialised as sorted-key compact JSON.

    Not hashed: `modified_at` (``article:modified_time`` / ``dateModified``).
    On the Moscow Times it comes from a database column that may move on
    non-editorial row updates, such as view counting, so it would turn
    re-checks of an unchanged article into new revisions. An editorial save
    still shows in the byline "Updated:" time, which is hashed, and in the
    text itself. Everything the adapters leave out (sidebar, banners, "Read
    more" cluster, asset versions) is outside the hash by construction.
    """
    payload = json.dumps(
        fingerprint_payload(extraction), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
