"""Measure the generic adapter on the shared corpora (prints figures; not a unit test).

    .venv/bin/python bench/bench_extract.py [--compare-trafilatura] [--worst N]

* scrapinghub-aeb: body-text precision/recall/F1 over 4-word shingles, computed
  as in the Zyte article-extraction-benchmark's evaluate.py (per-page tp/fp/fn
  normalised, precision and recall averaged over pages, F1 of the averages).
* trafilatura evaldata-subset: share of `with` snippets found and `without`
  snippets absent in the main text; headline and author accuracy.
* readability: headline and author (byline) accuracy against expected-metadata.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.extractors import registry  # noqa: E402
from crawler.normalize import typographic_key  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
_TOKEN = re.compile(r"\w+", re.UNICODE)

BodyFn = Callable[[str, bytes], str]


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(
        tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n]
    )


def tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def prf(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)

    p = statistics.mean(precision(*r) for r in rows if r[0] + r[1] > 0)
    r = statistics.mean(recall(*r) for r in rows if r[0] + r[2] > 0)
    return p, r, 2 * p * r / (p + r)


def generic_body(url: str, html: bytes) -> str:
    return "\n".join(registry["generic"]().extract(url, html).fields.paragraphs)


def trafilatura_body(url: str, html: bytes) -> str:
    import trafilatura  # optional comparison only

    return trafilatura.extract(html.decode("utf-8", "replace"), url=url) or ""


def bench_aeb(body: BodyFn, worst: int) -> None:
    folder = CORPUS / "scrapinghub-aeb"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    rows, per_page = [], []
    started = time.perf_counter()
    for key, item in truth.items():
        html = gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes())
        row = tp_fp_fn(item.get("articleBody", ""), body(item.get("url", ""), html))
        rows.append(row)
        per_page.append((row[0], key, item.get("url", "")))
    p, r, f1 = prf(rows)
    took = time.perf_counter() - started
    print(
        f"scrapinghub-aeb  pages={len(rows)}  precision={p:.3f}  recall={r:.3f}  "
        f"F1={f1:.3f}  ({took:.1f}s)"
    )
    for score, key, url in sorted(per_page)[:worst]:
        print(f"    worst  tp-share={score:.2f}  {key[:12]}  {url}")


def _same_title(got: str, want: str) -> bool:
    return typographic_key(got).lower() == typographic_key(want).lower()


def _author_ok(got: list[str], want: str | None) -> bool:
    if not want:
        return not got
    want_key = typographic_key(want).lower()
    return bool(got) and all(typographic_key(a).lower() in want_key for a in got)


def bench_trafilatura_subset(body: BodyFn) -> None:
    folder = CORPUS / "trafilatura"
    data = json.loads((folder / "evaldata-subset.json").read_text(encoding="utf-8"))
    found = missing_ok = n_with = n_without = titles = 0
    for url, item in data.items():
        html = (folder / "html" / item["file"]).read_bytes()
        text = typographic_key(body(url, html))
        n_with += len(item["with"])
        n_without += len(item["without"])
        found += sum(typographic_key(s) in text for s in item["with"])
        missing_ok += sum(typographic_key(s) not in text for s in item["without"])
        if body is generic_body:
            got = registry["generic"]().extract(url, html).fields.headline
            titles += _same_title(got, item.get("title") or "")
    print(
        f"trafilatura-subset  pages={len(data)}  with-found={found}/{n_with} "
        f"({found / n_with:.3f})  without-absent={missing_ok}/{n_without} "
        f"({missing_ok / n_without:.3f})"
        + (f"  headline={titles}/{len(data)}" if body is generic_body else "")
    )


def bench_readability(verbose: bool) -> None:
    folder = CORPUS / "readability"
    titles = bylines = pages = 0
    for page in sorted(p for p in folder.iterdir() if p.is_dir()):
        expected = json.loads((page / "expected-metadata.json").read_text(encoding="utf-8"))
        fields = (
            registry["generic"]()
            .extract("https://example.com/", (page / "source.html").read_bytes())
            .fields
        )
        pages += 1
        title_ok = _same_title(fields.headline, expected.get("title") or "")
        byline_ok = _author_ok(fields.authors, expected.get("byline"))
        titles += title_ok
        bylines += byline_ok
        if verbose and not (title_ok and byline_ok):
            print(
                f"    {page.name}: headline={fields.headline!r} want {expected.get('title')!r}"
                f" authors={fields.authors} want {expected.get('byline')!r}"
            )
    print(
        f"readability  pages={pages}  headline={titles}/{pages} ({titles / pages:.3f})  "
        f"author={bylines}/{pages} ({bylines / pages:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--compare-trafilatura",
        action="store_true",
        help="also score trafilatura.extract (must be importable)",
    )
    parser.add_argument("--worst", type=int, default=0, help="list the N worst AEB pages")
    parser.add_argument("--verbose", action="store_true", help="list metadata misses")
    args = parser.parse_args()
    print("generic adapter:")
    bench_aeb(generic_body, args.worst)
    bench_trafilatura_subset(generic_body)
    bench_readability(args.verbose)
    if args.compare_trafilatura:
        print("trafilatura.extract (comparison):")
        bench_aeb(trafilatura_body, 0)
        bench_trafilatura_subset(trafilatura_body)


if __name__ == "__main__":
    main()
