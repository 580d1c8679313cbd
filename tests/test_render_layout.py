"""The report's body context, the fold layout the text formats share, and `--format unified`."""

from __future__ import annotations

import io
from typing import Any

import jsonschema
import pytest

from crawler.items import ArticleFields, Quote
from monitor.diff import Snapshot, compare
from monitor.render import formats, get_renderer
from monitor.render.unified import fold_text, layout, short_change
from monitor.report import body_context
from tests.alerts_fixtures import CHANGE_SCHEMA, change, report

PARAGRAPHS = [f"Paragraph number {n} says something about the visit to Syria." for n in range(12)]


def fields(paragraphs: list[str], **extra: Any) -> dict[str, Any]:
    return ArticleFields(headline="Putin Visits Syria", paragraphs=paragraphs, **extra).to_dict()


def engine_report(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A report as `monitor.report.diff_report` builds it, from the real diff engine."""
    url = "https://www.themoscowtimes.com/2020/01/07/putin-visits-syria-a68828"
    result = compare(Snapshot("article", url, old), Snapshot("article", url, new))
    changes = [c.to_dict() for c in result.changes]
    built = report(changes, silent=result.silent)
    built["context"] = body_context(old, new, changes)
    return built


def sample_report() -> dict[str, Any]:
    """14 paragraphs: a headline edit, a move, an edit, a removal, an addition, a related link."""
    moved = change("paragraph_moved", "minor", "paragraphs[2]", "Same text.", "Same text.")
    moved.update(from_index=8, to_index=2)
    edited = change(
        "paragraph_edited",
        "minor",
        "paragraphs[4]",
        "Putin's previous trip to Syria was in 2017.",
        "Putin's previous trip to Syria was in December 2017.",
    )
    edited.update(from_index=4, to_index=4)
    removed = change("paragraph_removed", "major", "paragraphs[6]", "Putin greeted troops.", None)
    removed["from_index"] = 6
    added = change("paragraph_added", "major", "paragraphs[9]", None, "The Kremlin said no more.")
    added["to_index"] = 9
    built = report(
        [
            change(
                "headline",
                "major",
                "headline",
                "Putin Makes Rare Visit",
                "Putin Makes Surprise Visit",
            ),
            moved,
            edited,
            removed,
            added,
            change("related_removed", "minor", "related", "Read also: Lavrov", None),
        ],
        silent=True,
    )
    built["context"] = {
        "paragraphs": 14,
        "paragraphs_before": 14,
        "positions": [None, 2, 4, 5.5, 9, None],
    }
    return built


def kinds_and_folds(items: list[Any]) -> list[Any]:
    return [item if isinstance(item, int) else item["kind"] for item in items]


def test_the_context_key_keeps_the_report_valid() -> None:
    jsonschema.validate(sample_report(), CHANGE_SCHEMA)
    old = fields(PARAGRAPHS)
    new = fields([*PARAGRAPHS[:3], "An added paragraph about talks.", *PARAGRAPHS[3:]])
    jsonschema.validate(engine_report(old, new), CHANGE_SCHEMA)


def test_edit_in_the_middle_folds_the_paragraphs_around_it() -> None:
    new = list(PARAGRAPHS)
    new[5] = new[5].replace("the visit", "the surprise visit")
    built = engine_report(fields(PARAGRAPHS), fields(new))
    assert built["context"]["paragraphs"] == 12
    assert built["context"]["positions"] == [5]
    assert kinds_and_folds(layout(built)) == [5, "paragraph_edited", 6]


def test_removed_paragraph_sits_where_it_was() -> None:
    new = PARAGRAPHS[:4] + PARAGRAPHS[5:]
    built = engine_report(fields(PARAGRAPHS), fields(new))
    assert [c["kind"] for c in built["changes"]] == ["paragraph_removed"]
    assert built["context"]["positions"] == [3.5]  # between new paragraphs 3 and 4
    assert kinds_and_folds(layout(built)) == [4, "paragraph_removed", 7]


def test_removal_at_the_top_and_addition_at_the_end() -> None:
    new = [*PARAGRAPHS[1:], "A new closing paragraph about the Kremlin."]
    built = engine_report(fields(PARAGRAPHS), fields(new))
    assert kinds_and_folds(layout(built)) == ["paragraph_removed", 11, "paragraph_added"]
    assert built["context"]["positions"] == [-0.5, 11]


def test_inline_quote_edit_is_placed_in_its_paragraph() -> None:
    old_par = list(PARAGRAPHS)
    old_par[7] = '"We will respond firmly," said Dmitry Peskov, the Kremlin spokesman.'
    new_par = list(old_par)
    new_par[7] = '"We may respond," said Dmitry Peskov, the Kremlin spokesman.'
    old = fields(old_par, quotes=[Quote("We will respond firmly", "Dmitry Peskov", "inline", 7)])
    new = fields(new_par, quotes=[Quote("We may respond", "Dmitry Peskov", "inline", 7)])
    built = engine_report(old, new)
    assert "quote_edited" in [c["kind"] for c in built["changes"]]
    items = kinds_and_folds(layout(built))
    assert items[0] == 7 and items[-1] == 4  # 7 paragraphs above the quote, 4 below
    assert "quote_edited" in items


def test_header_changes_keep_their_place_before_the_body() -> None:
    items = kinds_and_folds(layout(sample_report()))
    assert items == [
        "headline",
        2,
        "paragraph_moved",
        1,
        "paragraph_edited",
        1,
        "paragraph_removed",
        3,
        "paragraph_added",
        4,
        "related_removed",
    ]
    # the folds and changed paragraphs account for every paragraph of the newer revision
    assert sum(i for i in items if isinstance(i, int)) + 3 == 14


def test_report_without_context_still_folds_between_paragraph_changes() -> None:
    built = sample_report()
    del built["context"]
    items = kinds_and_folds(layout(built))
    assert items[:3] == ["headline", 2, "paragraph_moved"]
    assert items[-1] == "related_removed"
    assert 4 not in items[-2:]  # no trailing fold without the paragraph count


def test_positions_that_do_not_match_the_changes_are_ignored() -> None:
    built = sample_report()
    built["changes"] = built["changes"][:2]  # someone filtered the changes
    assert kinds_and_folds(layout(built)) == ["headline", 2, "paragraph_moved"]


@pytest.mark.parametrize(
    ("count", "text"),
    [(1, "⋯ 1 unchanged paragraph ⋯"), (4, "⋯ 4 unchanged paragraphs ⋯")],
)
def test_fold_text(count: int, text: str) -> None:
    assert fold_text(count) == text


def test_short_change_shows_only_the_changed_words() -> None:
    ops = [
        {"op": "equal", "text": "Iran's position "},
        {"op": "delete", "text": "has been indelibly"},
        {"op": "insert", "text": "may have been"},
        {"op": "equal", "text": " weakened, since he was "},
        {"op": "delete", "text": "essentially"},
        {"op": "insert", "text": "in many ways"},
    ]
    assert (
        short_change({"diff": ops}, limit=100)
        == "has been indelibly → may have been · essentially → in many ways"
    )
    assert short_change({"diff": [], "before": None, "after": "New text."}) == "+ New text."
    assert short_change({"diff": [], "before": "Old text.", "after": None}) == "- Old text."
    long = short_change({"diff": [], "before": None, "after": "word " * 40}, limit=30)
    assert len(long) == 30 and long.endswith("…")


def unified(built: dict[str, Any], width: int = 80) -> str:
    out = io.StringIO()
    get_renderer("unified", width=width).write_diff(built, out)
    return out.getvalue()


def test_unified_has_marks_folds_and_notes_and_no_ansi() -> None:
    text = unified(sample_report())
    assert "\x1b" not in text
    assert "Putin Makes [-Rare Visit-]{+Surprise Visit+}" in text
    assert "[-2017.-]{+December 2017.+}" in text
    assert "[-Putin greeted troops.-]" in text
    assert "{+The Kremlin said no more.+}" in text
    assert "(moved from paragraph 9 to paragraph 3)" in text
    folds = [line.strip() for line in text.splitlines() if "unchanged paragraph" in line]
    assert folds == [fold_text(n) for n in (2, 1, 1, 3, 4)]
    assert "SILENT EDIT" in text


def test_unified_lines_fit_the_width() -> None:
    text = unified(sample_report(), width=40)
    body = [line for line in text.splitlines()[4:] if not line.startswith("@@")]
    assert body and all(len(line) <= 40 for line in body)


def test_every_format_is_registered_with_help() -> None:
    registered = formats()
    assert {"terminal", "side-by-side", "unified", "json", "html"} <= set(registered)
    assert all(cls.__doc__ for cls in registered.values())
