"""Units of the diff engine: word diff, rules, alignment, notes, links, the data model."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
import yaml

from monitor.diff import Change, DiffResult, word_diff
from monitor.diff.align import align
from monitor.diff.classify import rules, rules_from, significance
from monitor.diff.links import link_key
from monitor.diff.notes import is_note
from monitor.diff.quotes import explained_by_quotes

SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "moscowtimes-a68828.md"
RULES = Path(__file__).resolve().parents[1] / "monitor" / "diff" / "rules.yaml"


def _sides(ops: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    return (
        "".join(t for op, t in ops if op != "insert"),
        "".join(t for op, t in ops if op != "delete"),
    )


def test_word_diff_keeps_words_whole() -> None:
    ops = word_diff("Putin met Assad on Tuesday.", "Putin met Assad on Wednesday.")
    assert ops == (
        ("equal", "Putin met Assad on "),
        ("delete", "Tuesday"),
        ("insert", "Wednesday"),
        ("equal", "."),
    )
    assert word_diff("", "") == ()
    assert word_diff("same", "same") == (("equal", "same"),)
    assert word_diff("", "new text") == (("insert", "new text"),)


def _random_pairs(count: int) -> list[tuple[str, str]]:
    words = SEED.read_text("utf-8").split() if SEED.exists() else ["the", "visit", "comes"]
    rng = random.Random(5)
    pairs = []
    for _ in range(count):
        start = rng.randrange(len(words))
        old = words[start : start + rng.randint(1, 80)]
        new = list(old)
        for _ in range(rng.randint(1, 5)):
            at = rng.randrange(len(new) + 1)
            roll = rng.random()
            if roll < 0.3 and at < len(new):
                del new[at]
            elif roll < 0.6:
                new.insert(at, rng.choice(words))
            elif at < len(new):
                new[at] = rng.choice(words)
        pairs.append((" ".join(old), " ".join(new)))
    return pairs


def test_word_diff_backends_agree_and_rebuild_both_texts() -> None:
    for before, after in _random_pairs(300):
        fast = word_diff(before, after, backend="fast")
        assert fast == word_diff(before, after, backend="python")
        assert _sides(fast) == (before, after)
        assert all(text for _, text in fast)
        assert all(a[0] != b[0] for a, b in itertools.pairwise(fast))


SIGNIFICANCE = [
    ("headline", "A rare visit", "A rare trip", "major"),
    ("headline", "Putin's visit", "Putin\u2019s visit", "typographic"),
    ("paragraph_edited", "It was a rare trip.", "It was a rare visit.", "minor"),
    ("paragraph_edited", "He met him in 2017.", "He met him in 2016.", "major"),
    ("paragraph_edited", "He met him twice.", "He met him three times.", "major"),
    ("paragraph_edited", "He will retaliate.", "He will not retaliate.", "major"),
    ("paragraph_edited", "He will retaliate.", "He won\u2019t retaliate.", "major"),
    ("paragraph_edited", "They met on Tuesday.", "They met on Thursday.", "major"),
    ("paragraph_edited", "They met in Iran.", "They met in Iraq.", "major"),
    ("paragraph_edited", "The Peterson museum.", "The Petersen museum.", "minor"),
    ("paragraph_edited", "They met on Wendesday.", "They met on Wednesday.", "minor"),
    ("paragraph_edited", "The visit comes now.", "This visit comes now.", "minor"),
    ("paragraph_edited", 'He said "we will win" then.', 'He said "we shall win" then.', "major"),
    ("paragraph_edited", "He said we will win.", 'He said "we will win."', "major"),
    ("paragraph_edited", "a b c d e f g h i j", "a k l m n o f g h i j", "major"),
    ("paragraph_edited", "Putin visited  Syria.", "Putin visited Syria.", "typographic"),
    ("subtitle", None, "A short new subtitle here", "minor"),
    ("paragraph_added", None, "Read more:", "minor"),
    ("paragraph_added", None, "He denied it.", "major"),
    ("paragraph_removed", "Advertisement", None, "minor"),
    ("paragraph_moved", "Same text.", "Same text.", "minor"),
    ("related_added", None, "Title <https://example.org>", "minor"),
    ("updated_at", None, "2020-01-07T18:00:00+03:00", "minor"),
    ("published_at", "2020-01-07T14:00:00+03:00", "2020-01-07T15:00:00+03:00", "major"),
    ("correction_note", None, "Correction: it was 2016.", "major"),
]


@pytest.mark.parametrize(("kind", "before", "after", "expected"), SIGNIFICANCE)
def test_significance_rules(
    kind: str, before: str | None, after: str | None, expected: str
) -> None:
    assert significance(kind, before, after) == expected


def test_rules_file_judges_every_kind_once() -> None:
    data = yaml.safe_load(RULES.read_text("utf-8"))
    groups = [set(data["kinds"][g]) for g in ("major", "minor", "by_length", "by_words")]
    assert sum(len(g) for g in groups) == len(set().union(*groups))
    assert rules().negations >= {"not", "no", "never", "without"}


def test_rules_file_errors_are_caught() -> None:
    data = yaml.safe_load(RULES.read_text("utf-8"))
    data["kinds"]["major"] = [*data["kinds"]["major"], "paragraph_rewritten"]
    with pytest.raises(ValueError, match="unknown change kinds"):
        rules_from(data)
    data = yaml.safe_load(RULES.read_text("utf-8"))
    data["word_edit"]["negations"] = yaml.safe_load("[not, no]")  # YAML 1.1: no -> False
    with pytest.raises(ValueError, match="strings"):
        rules_from(data)


A, B, C, D, E = (
    "Vladimir Putin met Bashar al-Assad in Damascus on Tuesday.",
    "The visit comes at a time of heightened regional tension.",
    "Putin also delivered greetings to Russian forces in Syria.",
    "Putin's previous trip to Syria was in 2017.",
    "Soleimani had played a critical role in the war.",
)


def test_align_moved_paragraph() -> None:
    result = align([A, B, C, D], [A, C, D, B])
    moved = [m for m in result.matches if m.moved]
    assert [(m.old, m.new) for m in moved] == [((1,), (3,))]
    assert not result.added and not result.removed


def test_align_split_and_joined_paragraphs() -> None:
    split = align([A, f"{B} {C}", D], [A, B, C, D])
    assert any(m.old == (1,) and m.new == (1, 2) and m.exact for m in split.matches)
    joined = align([A, B, C, D], [A, f"{B}\u00a0{C}", D])
    assert any(m.old == (1, 2) and m.new == (1,) and m.exact for m in joined.matches)


def test_align_edit_among_added_and_removed_neighbours() -> None:
    edited = C.replace("greetings", "New Year greetings")
    result = align([A, B, C, D, E], [A, "A new paragraph about something else.", edited, E])
    assert any(m.old == (2,) and m.new == (2,) and not m.exact for m in result.matches)
    assert result.removed == (1, 3)
    assert result.added == (1,)


def test_explained_by_quotes() -> None:
    before = '"Iran is weakened," said David Lesch, an expert.'
    after = '"Iran is badly weakened," said David Lesch, an expert.'
    texts = [("Iran is weakened", "Iran is badly weakened")]
    assert explained_by_quotes(before, after, word_diff(before, after), texts)
    elsewhere = after.replace("an expert", "a professor of history")
    assert not explained_by_quotes(before, elsewhere, word_diff(before, elsewhere), texts)
    assert not explained_by_quotes(before, after, word_diff(before, after), [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Correction: An earlier version misstated the year.", True),
        ("CORRECTION - the year was 2016.", True),
        ("Clarification: the base is in Latakia.", True),
        ("Editor\u2019s note: Reuters was not allowed in.", True),
        ("Update (Jan. 8): The Kremlin confirmed the visit.", True),
        ("This article has been updated with comments from the Kremlin.", True),
        ("This story was corrected on Jan. 8.", True),
        ("An earlier version of this article misidentified the agency.", True),
        ("Corrections officers said the prison was full.", False),
        ("The update to the software was released on Tuesday.", False),
        ("This article is about Syria.", False),
    ],
)
def test_is_note(text: str, expected: bool) -> None:
    assert is_note(text) is expected


def test_link_key_ignores_the_render_date_and_slug() -> None:
    assert link_key("https://www.themoscowtimes.com/2020/01/07/a-b-a68828") == "id:68828"
    assert link_key("https://www.themoscowtimes.com/2020/01/08/new-slug-a68828/") == "id:68828"
    assert link_key("https://x.org/2020/01/07/russias-lavrov") == link_key(
        "https://x.org/2020/01/09/russias-lavrov"
    )


def test_change_to_dict_and_result_significance() -> None:
    change = Change(
        kind="quote_edited",
        significance="major",
        field="quotes[1]",
        before="a",
        after="b",
        diff=(("delete", "a"), ("insert", "b")),
        detail={"speaker": "David Lesch", "kind": "ignored: the column wins"},
    )
    assert change.to_dict() == {
        "kind": "quote_edited",
        "significance": "major",
        "field": "quotes[1]",
        "before": "a",
        "after": "b",
        "diff": [{"op": "delete", "text": "a"}, {"op": "insert", "text": "b"}],
        "speaker": "David Lesch",
    }
    minor = Change("paragraph_moved", "minor", "paragraphs[2]", "x", "x")
    assert minor.detail == {} and minor.diff == ()
    assert DiffResult((minor, change), silent=True).significance == "major"
    assert DiffResult((), silent=False).significance is None
