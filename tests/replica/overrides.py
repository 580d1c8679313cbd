"""Apply revision overrides (set / blocks operations) to replica article content."""

from __future__ import annotations

import copy
import logging
from typing import Any

logger = logging.getLogger(__name__)

# Keys of an override dict that are instructions, not content fields.
_META_KEYS = frozenset({"n", "note"})
# Block fields that an `edit` (find/to) operation searches.
_TEXT_FIELDS = ("html", "text", "caption", "credits", "title", "description", "cite")


class OverrideError(ValueError):
    """An override refers to a missing block or text, or is malformed."""


def apply_overrides(content: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of `content` with one override dict applied.

    Keys: `set` (dotted path -> value), `blocks` (list of block operations), `n`/`note`
    (ignored), anything else replaces that top-level field. Setting `updated` without
    `modified` moves `modified` too (an editor save touches both).
    """
    out = copy.deepcopy(content)
    for key, value in overrides.items():
        if key in _META_KEYS:
            continue
        if key == "set":
            if not isinstance(value, dict):
                raise OverrideError("`set` must be a mapping of dotted paths to values")
            for path, item in value.items():
                set_path(out, str(path), copy.deepcopy(item))
        elif key == "blocks":
            out["blocks"] = apply_block_ops(out.get("blocks") or [], value)
        else:
            out[key] = copy.deepcopy(value)
    if "updated" in overrides and "modified" not in overrides:
        out["modified"] = out["updated"]
    return out


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Set `a.b.c` inside nested dicts, creating intermediate dicts."""
    parts = path.split(".")
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def _index(blocks: list[dict[str, Any]], key: str) -> int:
    for i, block in enumerate(blocks):
        if block.get("key") == key:
            return i
    raise OverrideError(f"no body block with key {key!r}")


def _edit_block(block: dict[str, Any], find: str, to: str) -> None:
    hits = 0
    paragraphs = block.get("paragraphs")
    if isinstance(paragraphs, list):
        for i, para in enumerate(paragraphs):
            if find in para:
                paragraphs[i] = para.replace(find, to)
                hits += 1
    for field in _TEXT_FIELDS:
        value = block.get(field)
        if isinstance(value, str) and find in value:
            block[field] = value.replace(find, to)
            hits += 1
    if not hits:
        raise OverrideError(f"text {find!r} not found in block {block.get('key')!r}")


def _apply_one(blocks: list[dict[str, Any]], op: dict[str, Any]) -> None:
    if "replace" in op:
        i = _index(blocks, op["replace"])
        new = copy.deepcopy(op["with"])
        new.setdefault("key", op["replace"])
        blocks[i] = new
    elif "remove" in op:
        del blocks[_index(blocks, op["remove"])]
    elif "insert_after" in op:
        blocks.insert(_index(blocks, op["insert_after"]) + 1, copy.deepcopy(op["block"]))
    elif "insert_before" in op:
        blocks.insert(_index(blocks, op["insert_before"]), copy.deepcopy(op["block"]))
    elif "append" in op:
        blocks.append(copy.deepcopy(op["append"]))
    elif "edit" in op:
        _edit_block(blocks[_index(blocks, op["edit"])], str(op["find"]), str(op["to"]))
    else:
        raise OverrideError(f"unknown block operation: {sorted(op)}")


def apply_block_ops(blocks: list[dict[str, Any]], ops: Any) -> list[dict[str, Any]]:
    """Apply a list of block operations (replace/remove/insert_*/append/edit) to a copy."""
    if not isinstance(ops, list):
        raise OverrideError("`blocks` must be a list of operations")
    out = copy.deepcopy(blocks)
    for op in ops:
        if not isinstance(op, dict):
            raise OverrideError(f"block operation must be a mapping, got {op!r}")
        try:
            _apply_one(out, op)
        except KeyError as exc:
            raise OverrideError(f"block operation {op!r} lacks {exc}") from exc
    return out


def content_at_revision(
    base: dict[str, Any], revisions: list[dict[str, Any]], n: int
) -> dict[str, Any]:
    """Revision 1 is `base`; revision n applies the entries numbered 2..n in order."""
    known = [int(rev["n"]) for rev in revisions]
    if n != 1 and n not in known:
        raise OverrideError(f"unknown revision {n}; known: {[1, *known]}")
    content = copy.deepcopy(base)
    for rev in revisions:
        if int(rev["n"]) > n:
            break
        content = apply_overrides(content, rev)
    return content
