"""Images matched by src (else by position among their role), with caption and credit changes."""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from crawler.items import Image
from crawler.normalize import clean_text
from monitor.diff.classify import make_change
from monitor.diff.model import Change

logger = logging.getLogger(__name__)


def _src(image: Image) -> str:
    return image.src.strip()


def _src_path(image: Image) -> str:
    """Return the src without scheme, query and fragment (cache-busting tokens, http/https)."""
    parts = urlsplit(image.src.strip())
    return f"{parts.netloc.lower()}{parts.path}"


def _role(image: Image) -> str:
    return image.role


def _match(old: Sequence[Image], new: Sequence[Image]) -> list[tuple[int, int]]:
    """Pair (old, new) images: same src, same src path, then same role in order of position."""
    free_old, free_new = set(range(len(old))), set(range(len(new)))
    pairs: list[tuple[int, int]] = []
    keys: tuple[Callable[[Image], str], ...] = (_src, _src_path, _role)
    for key in keys:
        waiting: dict[str, deque[int]] = defaultdict(deque)
        for i in sorted(free_old):
            waiting[key(old[i])].append(i)
        for j in sorted(free_new):
            queue = waiting[key(new[j])]
            if queue:
                i = queue.popleft()
                pairs.append((i, j))
                free_old.discard(i)
                free_new.discard(j)
    return pairs


def _text(value: str) -> str | None:
    return clean_text(value) or None


def _pair_changes(a: Image, b: Image, i: int, j: int) -> list[Change]:
    detail = {"src": b.src, "role": b.role, "from_index": i, "to_index": j}
    found = []
    if _src_path(a) != _src_path(b):
        found.append(make_change("image", f"images[{j}]", a.src, b.src, detail))
    for kind, attr in (("caption", "caption"), ("credit", "credit")):
        before, after = _text(getattr(a, attr)), _text(getattr(b, attr))
        if before != after:
            found.append(make_change(kind, f"images[{j}].{attr}", before, after, detail))
    return found


def diff_images(old: Sequence[Image], new: Sequence[Image]) -> list[Change]:
    """List image changes in new order: image (swapped, added, removed), caption, credit."""
    pairs = _match(old, new)
    placed: list[tuple[tuple[int, int], Change]] = []
    for i, j in pairs:
        placed.extend(((j, 1), c) for c in _pair_changes(old[i], new[j], i, j))
    for i in sorted(set(range(len(old))) - {i for i, _ in pairs}):
        a = old[i]
        detail = {"src": a.src, "role": a.role, "caption": a.caption, "credit": a.credit}
        placed.append(((i, 0), make_change("image", f"images[{i}]", a.src, None, detail)))
    for j in sorted(set(range(len(new))) - {j for _, j in pairs}):
        b = new[j]
        detail = {"src": b.src, "role": b.role, "caption": b.caption, "credit": b.credit}
        placed.append(((j, 1), make_change("image", f"images[{j}]", None, b.src, detail)))
    placed.sort(key=lambda p: p[0])
    return [c for _, c in placed]
