"""Benchmark of the diff engine: `compare` on a 1,500-word article, and word_diff backends.

Run from the repository root:  .venv/bin/python bench/bench_diff.py [--runs N]

Text: the real articles in ../shared/revisions (NewsEdits pairs), read at run
time, never copied. Prints median and 90th-percentile times in milliseconds.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from monitor.diff import Snapshot, compare  # noqa: E402
from monitor.diff.words import word_diff  # noqa: E402

logger = logging.getLogger(__name__)

REVISIONS = ROOT.parent / "shared" / "revisions"
WORDS = 1500
TARGET_EDITS_MS = 5.0
TARGET_REWRITE_MS = 50.0


def sentences(*folders: str) -> list[str]:
    """Sentences of the old texts of some revision pairs (headline lines skipped)."""
    found: list[str] = []
    for folder in folders:
        lines = (REVISIONS / folder / "old.txt").read_text("utf-8").splitlines()
        found += [line for line in lines[2:] if len(line.split()) > 3]
    return found


def article(source: list[str], words: int = WORDS) -> list[str]:
    """Paragraphs of three sentences each, cut at about `words` words."""
    paragraphs: list[str] = []
    count = 0
    for k in range(0, len(source), 3):
        paragraph = " ".join(source[k : k + 3])
        paragraphs.append(paragraph)
        count += len(paragraph.split())
        if count >= words:
            break
    return paragraphs


def scattered_edits(paragraphs: list[str], edits: int = 10) -> list[str]:
    """The same paragraphs with `edits` one-word edits spread evenly through them."""
    edited = list(paragraphs)
    rng = random.Random(7)
    step = len(edited) / edits
    for n in range(edits):
        k = int(n * step)
        words = edited[k].split()
        at = rng.randrange(1, len(words) - 1)
        if n % 3 == 0:
            words[at] = "reportedly"
        elif n % 3 == 1:
            words.insert(at, "not")
        else:
            del words[at]
        edited[k] = " ".join(words)
    return edited


def reworded(paragraphs: list[str]) -> list[str]:
    """Every paragraph rewritten: a third of its words replaced, its sentences reordered."""
    rng = random.Random(11)
    result = []
    for paragraph in paragraphs:
        words = paragraph.split()
        for at in rng.sample(range(len(words)), len(words) // 3):
            words[at] = words[at][::-1]
        result.append(" ".join(words))
    rng.shuffle(result)
    return result


def snapshot(paragraphs: list[str], headline: str) -> Snapshot:
    """An article revision with these paragraphs."""
    return Snapshot(
        "article", "https://example.org/a1", {"headline": headline, "paragraphs": paragraphs}
    )


def timed(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and 90th percentile of `runs` timed calls, in milliseconds (after one warm-up)."""
    call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def report(label: str, times: tuple[float, float], target: float | None = None) -> None:
    """Print one line of results."""
    verdict = "" if target is None else ("  ok" if times[0] < target else "  OVER TARGET")
    goal = "" if target is None else f"  (target < {target:g} ms)"
    print(f"{label:<58} median {times[0]:7.2f} ms   p90 {times[1]:7.2f} ms{goal}{verdict}")


def main() -> None:
    """Run every benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    base = article(sentences("06_nyt-sample_nra-donor", "12_a1077063_v1-v2_stocks-worst-week"))
    other = article(
        sentences(
            "02_nyt-1925369_v0-v1_aircraft-carrier-virus",
            "01_nyt-554965_v1-v2_moscow-opposition-march",
        )
        + sentences("12_a1077063_v1-v2_stocks-worst-week")
    )
    words = sum(len(p.split()) for p in base)
    print(f"article: {words} words in {len(base)} paragraphs; {runs} runs each\n")
    old = snapshot(base, "Headline")
    cases = [
        (
            "compare: 10 scattered one-word edits",
            snapshot(scattered_edits(base), "Headline"),
            TARGET_EDITS_MS,
        ),
        (
            "compare: every paragraph reworded and reordered",
            snapshot(reworded(base), "Headline"),
            TARGET_REWRITE_MS,
        ),
        (
            "compare: a different article of the same length",
            snapshot(other, "Other headline"),
            TARGET_REWRITE_MS,
        ),
        ("compare: identical revisions", snapshot(list(base), "Headline"), None),
    ]
    for label, new, target in cases:
        kinds = len(compare(old, new).changes)
        report(f"{label} ({kinds} changes)", timed(partial(compare, old, new), runs), target)
    print()
    whole_old = "\n".join(base)
    texts = [
        ("one paragraph, one word", base[3], base[3].replace(" the ", " a ", 1), runs),
        ("one paragraph, reworded", base[3], reworded([base[3]])[0], runs),
        ("whole text, 10 edits", whole_old, "\n".join(scattered_edits(base)), runs),
        ("whole text, reworded", whole_old, "\n".join(reworded(base)), 3),
    ]
    for label, a, b, count in texts:
        same = word_diff(a, b, backend="fast") == word_diff(a, b, backend="python")
        for backend in ("fast", "python"):
            times = timed(partial(word_diff, a, b, backend=backend), count)
            report(f"word_diff: {label} [{backend}, {count} runs]", times)
        print(f"{'':<58} same operations from both backends: {same}")


if __name__ == "__main__":
    main()
