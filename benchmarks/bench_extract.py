"""Speed of geo.extract: articles per second for ~500-word wire articles, after warm-up.

Articles are made from the seed and the hand-written test articles (tests/articles/*.txt):
their paragraphs are shuffled deterministically into ~500-word articles, each with one
dateline. Prints articles/s and the ratio against the 100 articles/s target (Mordecai3, the
research geoparser, reports 60–110 documents/s on a GPU), and against a floor measured in
the same run: sentence splitting plus one gazetteer lookup per capitalised word, no rules.

Two figures: with the extractor's name-lookup memo warm (a desk app reading article after
article) and with the memo cleared before every article (every lookup goes to the gazetteer).

Run: python benchmarks/bench_extract.py [--seconds 3]
"""

from __future__ import annotations

import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 100.0  # articles/s
WORDS = 500


def corpus(n: int = 40, seed: int = 7) -> list[str]:
    sources = sorted((ROOT / "tests" / "articles").glob("*.txt"))
    seed_article = ROOT.parent / "shared" / "seed" / "balochistan-attacks-2026-02-01.txt"
    if seed_article.is_file():
        sources.append(seed_article)
    paras: list[str] = []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            line = re.sub(
                r"^[A-Z][A-Za-z]+(?:, [A-Za-z. ]+?)?(?: \([A-Za-z]+\))? [:—-]+ ", "", line
            )
            if len(line.split()) > 4:
                paras.append(line)
    rng = random.Random(seed)
    out = []
    for i in range(n):
        rng.shuffle(paras)
        body: list[str] = []
        words = 0
        for p in paras:
            body.append(p)
            words += len(p.split())
            if words >= WORDS:
                break
        out.append(f"QUETTA, Pakistan, March {i % 28 + 1} (Reuters) - " + "\n".join(body))
    return out


def rate(fn, articles: list[str], seconds: float) -> tuple[float, float]:
    """(articles per CPU-second of this process, articles per wall-clock second). Other jobs
    on the machine share the cores, so wall-clock time measures them too: both are shown."""
    done = 0
    t0, w0 = time.process_time(), time.perf_counter()
    while True:
        for a in articles:
            fn(a)
        done += len(articles)
        elapsed = time.process_time() - t0
        if elapsed >= seconds:
            return done / elapsed, done / (time.perf_counter() - w0)


def main() -> int:
    seconds = 3.0
    if "--seconds" in sys.argv:
        seconds = float(sys.argv[sys.argv.index("--seconds") + 1])
    from geo import districts
    from geo.extract import _finder, extract_article, split_sentences
    from geo.gazetteer import Gazetteer

    gaz = Gazetteer.default()
    layer = districts.load()
    articles = corpus()
    words = sum(len(a.split()) for a in articles) / len(articles)
    drafts = sum(len(extract_article(a, gazetteer=gaz, districts=layer).drafts) for a in articles)
    print(f"{len(articles)} articles, {words:.0f} words on average, {drafts} drafts in all")

    cap = re.compile(r"\b[A-Z][\w'-]+")

    def floor(text: str) -> None:
        for s in split_sentences(text):
            for m in cap.finditer(s.text):
                gaz.exact(m.group())

    finder = _finder(gaz, "PAK")

    def cold(text: str) -> None:
        finder._memo.clear()
        extract_article(text, gazetteer=gaz, districts=layer)

    def warm(text: str) -> None:
        extract_article(text, gazetteer=gaz, districts=layer)

    for fn in (floor, warm, cold):  # warm-up
        rate(fn, articles, 0.3)
    base, _ = rate(floor, articles, seconds)
    r_warm, w_warm = rate(warm, articles, seconds)
    r_cold, w_cold = rate(cold, articles, seconds)
    print(f"floor (split + one lookup per capitalised word): {base:8.1f} articles/CPU-s")
    for label, r, w in (
        ("extract, lookup memo warm", r_warm, w_warm),
        ("extract, lookup memo cleared", r_cold, w_cold),
    ):
        print(
            f"{label:30}: {r:7.1f} articles/CPU-s ({1000 / r:.2f} ms), wall {w:7.1f}/s; "
            f"ratio vs {TARGET:.0f}/s target {r / TARGET:.2f} (wall {w / TARGET:.2f}); "
            f"vs floor {r / base:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
