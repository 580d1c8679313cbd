"""The diff engine over real revision pairs in ../shared/revisions (read in place, never copied)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from crawler.normalize import typographic_key
from monitor.diff import DiffResult, Snapshot, compare

REVISIONS = Path(__file__).resolve().parents[1].parent / "shared" / "revisions"
URL = "https://example.org/article"

pytestmark = pytest.mark.skipif(not REVISIONS.is_dir(), reason=f"{REVISIONS} not found")

#: Block elements whose text is one "paragraph" of the FEMA page.
BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd")


def newsedits_fields(folder: Path, name: str) -> dict[str, Any]:
    """Headline (first line, where meta.json says there is one) and one paragraph per line.

    The lines follow the source's diff table, not always the article's order:
    the alignment has to cope with that.
    """
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    lines = (folder / name).read_text("utf-8").splitlines()
    fields: dict[str, Any] = {}
    if meta.get("headline_old") is not None:
        fields["headline"], lines = lines[0], lines[1:]
    fields["paragraphs"] = [line for line in lines if line.strip()]
    return fields


def newsedits(folder_name: str) -> DiffResult:
    folder = REVISIONS / folder_name
    old = Snapshot("article", URL, newsedits_fields(folder, "old.txt"))
    new = Snapshot("article", URL, newsedits_fields(folder, "new.txt"))
    return compare(old, new)


def kinds(result: DiffResult) -> Counter[tuple[str, str]]:
    return Counter((c.kind, c.significance) for c in result.changes)


def test_headline_rewrite_is_major() -> None:
    result = newsedits("01_nyt-554965_v1-v2_moscow-opposition-march")
    headlines = [c for c in result.changes if c.kind == "headline"]
    assert len(headlines) == 1
    assert headlines[0].significance == "major"
    assert headlines[0].before == "Anti - Putin Protesters March in Moscow"
    assert headlines[0].after is not None and headlines[0].after.startswith("Undaunted by Arrests")
    # The contributor line changed too, and is matched to its old self.
    credits = [c for c in result.changes if c.after and "contributed reporting" in c.after]
    assert [(c.kind, c.significance) for c in credits] == [("paragraph_edited", "major")]
    assert result.silent  # no update stamp in this data


def test_body_only_update_keeps_the_headline() -> None:
    result = newsedits("02_nyt-1925369_v0-v1_aircraft-carrier-virus")
    assert not any(c.kind == "headline" for c in result.changes)
    assert kinds(result) == Counter(
        {("paragraph_added", "major"): 7, ("paragraph_edited", "minor"): 2}
    )
    # "laid out the laid out the dire situation": the doubled words removed is minor.
    fix = next(c for c in result.changes if c.before and "laid out the laid out" in c.before)
    assert fix.kind == "paragraph_edited"
    assert fix.significance == "minor"


def test_one_word_typo_fix_in_a_name_is_minor() -> None:
    result = newsedits("06_nyt-sample_nra-donor")
    assert kinds(result) == Counter({("paragraph_edited", "minor"): 1})
    change = result.changes[0]
    assert change.before is not None and "Peterson Automotive Museum" in change.before
    assert change.after is not None and "Petersen Automotive Museum" in change.after
    assert [op for op in change.diff if op[0] != "equal"] == [
        ("delete", "Peterson"),
        ("insert", "Petersen"),
    ]


def test_appended_sentence_is_one_paragraph_added() -> None:
    result = newsedits("12_a1077063_v1-v2_stocks-worst-week")
    assert kinds(result) == Counter({("paragraph_added", "major"): 1})
    assert result.changes[0].after is not None
    assert result.changes[0].after.startswith("In other energy trading, wholesale gasoline fell")


def fema_paragraphs(path: Path) -> list[str]:
    """Visible text of the page's main content, one entry per innermost block element."""
    root = lxml.html.fromstring(path.read_bytes())
    (main,) = root.xpath('//div[contains(concat(" ", @class, " "), " region-content ")]')
    for hidden in main.xpath(".//script | .//style | .//noscript"):
        hidden.drop_tree()
    inner = " | ".join(f".//{tag}" for tag in BLOCKS)
    texts = []
    for element in main.iter(*BLOCKS):
        if not element.xpath(inner) and element.text_content().strip():
            texts.append(element.text_content())
    return texts


@pytest.fixture(scope="module")
def fema() -> tuple[list[str], list[str]]:
    folder = REVISIONS / "edgi-fema"
    before = fema_paragraphs(next(folder.glob("before_*.html")))
    after = fema_paragraphs(next(folder.glob("after_*.html")))
    return before, after


def test_mojibake_alone_is_typographic(fema: tuple[list[str], list[str]]) -> None:
    """The earlier page against itself as mojibake (UTF-8 read as Latin-1): typographic only."""
    before, _ = fema
    garbled = [text.encode("utf-8").decode("latin-1") for text in before]
    assert garbled != before
    result = compare(
        Snapshot("article", URL, {"paragraphs": before}),
        Snapshot("article", URL, {"paragraphs": garbled}),
    )
    assert result.changes
    assert {(c.kind, c.significance) for c in result.changes} == {
        ("paragraph_edited", "typographic")
    }
    assert not result.silent


def test_real_mojibake_page_reports_only_real_edits(fema: tuple[list[str], list[str]]) -> None:
    """The later page is mojibake and also carries a new situation report and new tweets.

    Every block whose text survives (after mojibake repair) is typographic or
    unchanged; what is reported beyond typography is text found on one side only.
    """
    before, after = fema
    result = compare(
        Snapshot("article", URL, {"paragraphs": before}),
        Snapshot("article", URL, {"paragraphs": after}),
    )
    old_keys = {typographic_key(t) for t in before}
    new_keys = {typographic_key(t) for t in after}
    typographic = [c for c in result.changes if c.significance == "typographic"]
    real = [c for c in result.changes if c.significance != "typographic"]
    assert len(typographic) >= 30  # the mojibake blocks, repaired
    assert {c.kind for c in typographic} == {"paragraph_edited"}
    for change in real:
        assert change.before is None or typographic_key(change.before) not in new_keys
        assert change.after is None or typographic_key(change.after) not in old_keys
    # The real edits: the situation report of October 3 became that of October 5.
    assert any(
        c.before == "All figures as of October 3, 2017, 10 am EDT"
        and c.after == "All figures as of October 5, 2017, 10 am EDT"
        and c.significance == "major"
        for c in real
    )
