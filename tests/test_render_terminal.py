"""`--format terminal` and `--format side-by-side`: colours, folds, widths, the plain fallback."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from rich.cells import cell_len

from monitor.render import get_renderer
from monitor.render.sidebyside import NARROW
from monitor.render.terminal import block_quote_slots, when, write_revision
from monitor.render.unified import fold_text
from tests.alerts_fixtures import change, report
from tests.test_render_layout import sample_report

ANSI = re.compile(r"\x1b\[[0-9;]*m")
STYLED = re.compile(r"\x1b\[([0-9;]+)m([^\x1b]*)\x1b\[0m")

STRIKE, RED, GREEN, BOLD, DIM = "9", "31", "32", "1", "2"


def render(fmt: str, built: dict[str, Any], *, color: bool = True, width: int = 100) -> str:
    out = io.StringIO()
    get_renderer(fmt, color=color, width=width).write_diff(built, out)
    return out.getvalue()


def styles(text: str) -> dict[str, set[str]]:
    """Each styled run of text -> its SGR codes (rich resets after every run)."""
    found: dict[str, set[str]] = {}
    for codes, run in STYLED.findall(text):
        found.setdefault(run, set()).update(codes.split(";"))
    return found


def plain(text: str) -> str:
    return ANSI.sub("", text)


# --- terminal ------------------------------------------------------------------------------


def test_deleted_words_are_struck_red_and_inserted_green() -> None:
    text = render("terminal", sample_report())
    runs = styles(text)
    assert {STRIKE, RED} <= runs["Rare Visit"]
    assert {GREEN, BOLD} <= runs["Surprise Visit"]
    assert {STRIKE, RED} <= runs["Putin greeted troops."]  # a removed paragraph
    assert GREEN in runs["The Kremlin said no more."]  # an added paragraph
    assert "[-" not in text and "{+" not in text  # colour, not marks


def test_kind_and_significance_are_labels() -> None:
    runs = styles(render("terminal", sample_report()))
    assert "7" in runs[" headline "]  # reverse video chip
    assert {"41", "37"} <= runs[" major "]  # white on red
    assert {"43", "30"} <= runs[" minor "]  # black on yellow
    assert "41" in runs["SILENT EDIT: the text changed but the update time did not"]


def test_unchanged_paragraphs_fold_to_one_dim_line_each() -> None:
    text = render("terminal", sample_report())
    folds = [line for line in text.splitlines() if "unchanged paragraph" in line]
    assert [plain(line).strip() for line in folds] == [fold_text(n) for n in (2, 1, 1, 3, 4)]
    assert all(f"\x1b[{DIM}m" in line for line in folds)
    assert "moved from paragraph 9 to paragraph 3" in text


def test_leading_fold_when_the_first_change_is_deep_in_the_body() -> None:
    edited = change("paragraph_edited", "minor", "paragraphs[20]", "It was cold.", "It was warm.")
    edited.update(from_index=20, to_index=20)
    built = report([edited])
    built["context"] = {"paragraphs": 21, "paragraphs_before": 21, "positions": [20]}
    lines = plain(render("terminal", built)).splitlines()
    folds = [line.strip() for line in lines if "unchanged" in line]
    assert folds == [fold_text(20)]  # above it; nothing after the last paragraph


def test_plain_terminal_output_has_no_ansi_but_keeps_marks() -> None:
    text = render("terminal", sample_report(), color=False)
    assert "\x1b" not in text
    assert "[-Rare Visit-]{+Surprise Visit+}" in text
    assert "@@ paragraph_removed (major) paragraphs[6]" in text
    assert fold_text(3) in text


def test_terminal_wraps_text_at_the_width() -> None:
    long = change("paragraph_added", "major", "paragraphs[0]", None, "word " * 80)
    text = plain(render("terminal", report([long]), width=50))
    body = [line for line in text.splitlines() if "word" in line]
    assert len(body) > 5 and all(cell_len(line) <= 50 for line in body)


def test_no_changes() -> None:
    assert "no changes" in plain(render("terminal", report([])))


# --- side-by-side --------------------------------------------------------------------------


@pytest.mark.parametrize("width", [NARROW, 72, 100, 137, 200])
@pytest.mark.parametrize("color", [True, False])
def test_side_by_side_fits_the_width(width: int, color: bool) -> None:
    built = sample_report()
    built["changes"][2]["after"] = "A much longer paragraph " * 12
    text = render("side-by-side", built, color=color, width=width)
    lines = plain(text).splitlines()
    assert [line for line in lines if cell_len(line) > width] == []
    assert sum("│" in line for line in lines) > 10  # two columns


def test_side_by_side_puts_before_left_and_after_right() -> None:
    text = render("side-by-side", sample_report(), width=100)
    runs = styles(text)
    assert {STRIKE, RED} <= runs["Rare Visit"]
    assert GREEN in runs["Surprise Visit"]
    row = next(line for line in plain(text).splitlines() if "Rare Visit" in line and "│" in line)
    left, right = row.split("│")
    assert "Rare Visit" in left and "Surprise Visit" in right
    assert "Surprise" not in left and "Rare" not in right
    header = next(line for line in plain(text).splitlines() if "before" in line)
    assert "revision 1" in header.split("│")[0] and "revision 2" in header.split("│")[1]
    fold = next(line for line in plain(text).splitlines() if fold_text(3) in line)
    assert fold.count(fold_text(3)) == 2


def test_side_by_side_plain_uses_marks() -> None:
    text = render("side-by-side", sample_report(), color=False, width=100)
    assert "\x1b" not in text
    row = next(line for line in text.splitlines() if "Rare Visit" in line and "│" in line)
    left, right = row.split("│")
    assert "[-Rare Visit-]" in left and "{+Surprise Visit+}" in right


@pytest.mark.parametrize("width", [30, 45, NARROW - 1])
def test_narrow_side_by_side_is_stacked(width: int) -> None:
    text = plain(render("side-by-side", sample_report(), width=width))
    lines = text.splitlines()
    assert not any("│" in line for line in lines)
    before = next(k for k, line in enumerate(lines) if line.startswith("- Putin Makes"))
    assert lines[before + 1].startswith("+ Putin Makes")
    assert all(cell_len(line) <= width for line in lines)


# --- show: one revision as the reader saw it -----------------------------------------------


def view(**fields: Any) -> dict[str, Any]:
    base = {
        "headline": "Putin Visits Syria",
        "subtitle": "A rare trip",
        "label": "News",
        "authors": ["Reuters", "AFP"],
        "published_at": "2020-01-07T13:42:00+03:00",
        "updated_at": "2020-01-07T14:30:00+03:00",
        "modified_at": None,
        "intro": "",
        "paragraphs": ["First paragraph.", '"We came," Putin said.', "Third paragraph."],
        "quotes": [
            {"text": "We came", "speaker": "Putin", "kind": "inline", "paragraph": 1},
            {"text": "A pull quote.", "speaker": "Lesch", "kind": "block", "paragraph": None},
        ],
        "images": [
            {
                "src": "https://x.test/a.jpg",
                "caption": "Putin",
                "credit": "TASS",
                "role": "featured",
            },
            {"src": "https://x.test/b.jpg", "caption": "Damascus", "credit": "", "role": "inline"},
        ],
        "related": [{"url": "https://x.test/related", "title": "Lavrov Speaks"}],
        "tags": ["Putin", "Syria"],
    }
    base.update(fields)
    return {
        "url": "https://x.test/putin",
        "revision": 3,
        "fetched_at": "2026-01-07T10:00:00+00:00",
        "fetched_url": "https://x.test/putin",
        "status": 200,
        "state": "article",
        "silent": True,
        "fields": base,
    }


def test_revision_reads_like_the_page() -> None:
    out = io.StringIO()
    write_revision(view(), out, color=False, width=80)
    text = out.getvalue()
    assert "\x1b" not in text
    order = [
        "NEWS",
        "Putin Visits Syria",
        "A rare trip",
        "By Reuters, AFP",
        "Published 2020-01-07 13:42 +03:00 · Updated 2020-01-07 14:30 +03:00",
        "revision 3",
        "SILENT EDIT",
        "[featured image] Putin  Credit: TASS",
        "First paragraph.",
        '"We came," Putin said.',
        "> A pull quote.",
        "— Lesch",
        "Third paragraph.",
        "[inline image] Damascus",
        "Lavrov Speaks",
        "https://x.test/related",
        "Tags: Putin, Syria",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)


def test_revision_in_colour() -> None:
    out = io.StringIO()
    write_revision(view(), out, color=True, width=80)
    runs = styles(out.getvalue())
    assert BOLD in runs["Putin Visits Syria"]


def test_removed_revision_says_so() -> None:
    out = io.StringIO()
    gone = {**view(), "state": "removed", "status": 404, "fields": {}}
    write_revision(gone, out, color=False, width=80)
    assert "gone" in out.getvalue()


def test_block_quotes_follow_the_quote_before_them() -> None:
    inline = {"kind": "inline", "paragraph": 4}
    block = {"kind": "block", "paragraph": None}
    assert block_quote_slots([inline, block], 9) == {5: [block]}
    assert block_quote_slots([block, inline], 9) == {4: [block]}
    assert block_quote_slots([block], 9) == {9: [block]}


def test_when_formats_iso_times() -> None:
    assert when("2020-01-07T13:42:00+03:00") == "2020-01-07 13:42 +03:00"
    assert when("not a time") == "not a time"
