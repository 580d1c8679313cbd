"""The diff engine against the table of cases in tests/data/diff_cases.yaml."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.diff import KINDS, SIGNIFICANCES, Change, DiffResult, Snapshot, compare

DATA = yaml.safe_load((Path(__file__).parent / "data" / "diff_cases.yaml").read_text("utf-8"))
CASES = DATA["cases"]


def _edit_list(items: list[Any], ops: dict[Any, Any]) -> list[Any]:
    items = copy.deepcopy(items)
    doomed = set()
    for index, value in ops.items():
        if not isinstance(index, int):
            continue
        if value is None:
            doomed.add(index)
        elif isinstance(value, dict) and isinstance(items[index], dict):
            items[index] = {**items[index], **value}
        else:
            items[index] = value
    items = [item for k, item in enumerate(items) if k not in doomed]
    for source, target in ops.get("move", []):
        items.insert(target, items.pop(source))
    for index, value in ops.get("insert", []):
        items.insert(index, value)
    items.extend(ops.get("append", []))
    return items


def _substitute(value: Any, old: str, new: str) -> tuple[Any, int]:
    if isinstance(value, str):
        return value.replace(old, new), value.count(old)
    if isinstance(value, list):
        done = [_substitute(v, old, new) for v in value]
        return [v for v, _ in done], sum(n for _, n in done)
    if isinstance(value, dict):
        done_items = {k: _substitute(v, old, new) for k, v in value.items()}
        return {k: v for k, (v, _) in done_items.items()}, sum(n for _, n in done_items.values())
    return value, 0


def apply_patch(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """The base article with one case patch applied (see the file's header)."""
    fields = copy.deepcopy(base)
    for key, value in patch.items():
        if key == "sub":
            continue
        assert key in base, f"unknown field {key!r}"
        if isinstance(value, dict) and isinstance(base[key], list):
            fields[key] = _edit_list(fields[key], value)
        else:
            fields[key] = copy.deepcopy(value)
    for old, new in patch.get("sub", []):
        fields, count = _substitute(fields, old, new)
        assert count, f"substitution text not found: {old!r}"
    return fields


def snapshot(case: dict[str, Any], side: str) -> Snapshot | None:
    state = case.get(f"{side}_state", "article")
    if state == "none":
        return None
    fields = apply_patch(DATA["base"], case.get(side) or {}) if state == "article" else {}
    url = case.get(f"{side}_url", DATA["url"])
    return Snapshot(state=state, url=url, fields=fields, status=case.get(f"{side}_status", 200))


def run(case: dict[str, Any]) -> DiffResult:
    new = snapshot(case, "after")
    assert new is not None
    return compare(snapshot(case, "before"), new)


def _fits(change: dict[str, Any], want: dict[str, Any]) -> bool:
    for key in ("kind", "significance", "field", "before", "after"):
        if key in want and change[key] != want[key]:
            return False
    for key, side in (("before_has", "before"), ("after_has", "after")):
        if key in want and (change[side] is None or want[key] not in change[side]):
            return False
    return True


def _describe(changes: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"  {c['kind']} {c['significance']} {c['field']}: {c['before']!r} -> {c['after']!r}"
        for c in changes
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    result = run(case)
    actual = [c.to_dict() for c in result.changes]
    expected = case["expect"]
    got = Counter((c["kind"], c["significance"]) for c in actual)
    want = Counter((e["kind"], e["significance"]) for e in expected)
    assert got == want, f"changes:\n{_describe(actual)}"
    waiting = list(actual)
    for item in expected:
        match = next((c for c in waiting if _fits(c, item)), None)
        assert match is not None, f"no change fits {item}; changes:\n{_describe(actual)}"
        waiting.remove(match)
    assert result.silent is case["silent"]


def test_table_is_big_enough_and_covers_every_kind() -> None:
    assert len(CASES) >= 60
    assert len({c["name"] for c in CASES}) == len(CASES)
    covered = {e["kind"] for c in CASES for e in c["expect"]}
    assert covered == set(KINDS)


def _rebuilt(change: Change) -> tuple[str, str]:
    before = "".join(text for op, text in change.diff if op != "insert")
    after = "".join(text for op, text in change.diff if op != "delete")
    return before, after


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_changes_are_well_formed(case: dict[str, Any]) -> None:
    result = run(case)
    assert result == run(case)  # deterministic
    for change in result.changes:
        assert change.kind in KINDS
        assert change.significance in SIGNIFICANCES
        assert change.before is not None or change.after is not None
        if change.diff:
            assert _rebuilt(change) == (change.before, change.after)
        data = json.loads(json.dumps(change.to_dict()))
        assert {"kind", "significance", "field", "before", "after", "diff"} <= data.keys()
    levels = [c.significance for c in result.changes]
    assert result.significance == (max(levels, key=SIGNIFICANCES.index) if levels else None)
