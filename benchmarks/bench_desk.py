"""The desk on archive-sized stories: `streamlit run` of the desk app in headless Chromium,
a synthetic story of 10k (and optionally 50k/200k) incidents in a GeoPackage store.

Not a test: prints figures measured in this one run and ratios against a baseline measured
in the same run (opening the story: a fresh page load to its map drawn).

    python benchmarks/bench_desk.py [SIZES...]      # default 10k; e.g. 10k 50k 200k
    python benchmarks/bench_desk.py 10k --repeats 10

Per size: ``header`` = navigation → the story's title on the page; ``open`` = navigation →
the map page in its iframe drawn (``data-ready``); ``filter`` = a click on an attack-type
option in the filter bar → the map page shows exactly that type's incidents
(``data-shown-ids`` set by its ``sitmap:show`` handler, which draws synchronously);
``clear`` = Backspace in that filter (the option removed) → the map shows all again. Both
medians and worst of N, read from the pages' own clocks: the desk page's last pointer or
key press (a capturing listener) to the animation frame after the map page's
``data-shown-ids`` changed (a MutationObserver in the map page), in ``Date.now()``
milliseconds, which both processes share. ``seen`` is the same filter click as Playwright
sees it, to its polls of the two pages answering: that adds its round trips, which wait
behind the desk page's rerun work on the main thread. ``reloads`` counts map pages loaded
again during the filter runs (a marker set on the page's window that a reload would lose;
ideal 0); ``lost`` counts inputs the widget dropped (redrawn under the click by the page's
3 s store poll) and that were done again (timed from the attempt that took). ``RSS`` = the
streamlit process's peak resident memory (VmHWM) after the runs.

Target (issue 16): filter on a 10k story ≤ 1 s, click → markers updated (page clocks; the
verdict also gives Playwright's figure).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_scale import synthetic  # noqa: E402  (the archive benchmark's stories)
from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from geo.desk import attack_label  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, chromium_path, desk_server  # noqa: E402

TARGET_FILTER_S = 1.0
#: How long one step may take before the run is called failed (a 200k open is slow).
DEADLINE_S = float(os.environ.get("BENCH_DESK_DEADLINE", "300"))

#: The map page's state as the benchmark reads it: null while (re)loading.
STATE = """() => {
  const root = document.querySelector('.sitmap');
  if (!root || root.getAttribute('data-ready') !== '1') return null;
  return {
    shown: root.getAttribute('data-shown-ids') || 'all',
    drawn: Number(root.getAttribute('data-drawn') || 0),
    same: window.__bench === 1,
  };
}"""


def map_frame(page):
    """The map iframe's frame (the desk's one ``srcdoc`` frame), or None while it is not
    there yet. Found among the page's frames, not through an element handle: at 200k
    incidents a handle to the iframe (whose ``srcdoc`` is the 31 MB page) took 1–2.6 s to
    make, over the 1 s slice the lookup had, so the benchmark never saw the map."""
    main = page.main_frame
    return next(
        (f for f in page.frames if f.parent_frame == main and f.url == "about:srcdoc"), None
    )


def wait_map(page, want, deadline_s: float = DEADLINE_S) -> dict:
    """Wait until the map page's state satisfies ``want``: the frame is looked up again
    after a (re)load, and inside it Playwright polls each animation frame."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        frame = map_frame(page)
        if frame is None:
            page.wait_for_timeout(20)  # the poll's interval while the iframe is made
            continue
        try:
            left = max(100, int((end - time.monotonic()) * 1000))
            frame.wait_for_function(
                f"(want) => {{ const s = ({STATE})(); return s && ({want}) ? s : null; }}",
                timeout=min(left, 5000),
            )
            state = frame.evaluate(STATE)
            if state:
                return state
        except PlaywrightError:
            continue  # the frame navigated or timed out this slice: look again
    frame = map_frame(page)
    try:
        last = frame.evaluate(STATE) if frame else "no map frame"
    except PlaywrightError as e:
        last = str(e).splitlines()[0]
    raise SystemExit(f"the map did not reach {want} within {deadline_s:.0f} s (last: {last})")


#: Set on the desk page: when the last pointer or key press happened (ms since the epoch).
ACT_CLOCK = """for (const kind of ['pointerdown', 'keydown']) {
  addEventListener(kind, () => { window.__benchAct = Date.now(); }, true);
}"""
#: Run in the map page (by ``mark``): when the frame after its last filter change began.
SHOWN_CLOCK = """() => {
  const root = document.querySelector('.sitmap');
  window.__benchShown = null;
  new MutationObserver(() => requestAnimationFrame(() => { window.__benchShown = Date.now(); }))
    .observe(root, { attributes: true, attributeFilter: ['data-shown-ids'] });
}"""


def timed(page, act, chips, want_chips: int, want: str) -> tuple[float, float, int]:
    """Seconds from ``act()`` (a click or key press in the filter) to the map page in state
    ``want``: by the pages' clocks, and as Playwright sees it; and how many times the act
    was lost and done again: the store poll (a fragment rerun every 3 s) can redraw the
    dropdown under the click, and the widget then shows no change; the act is timed from
    the attempt that took. A map page that was loaded again (no clock in it), or a clock
    reading from before the act, gives Playwright's figure for both."""
    frame = map_frame(page)
    if frame is not None:
        with contextlib.suppress(PlaywrightError):
            frame.evaluate("window.__benchShown = null")
    lost = 0
    while True:
        t0 = time.perf_counter()
        act()
        try:
            expect(chips).to_have_count(want_chips, timeout=3000)
            break
        except AssertionError:
            lost += 1
            if lost > 5:
                raise SystemExit(
                    "the filter widget ignored the benchmark's input 5 times"
                ) from None
    wait_map(page, want)
    seen = time.perf_counter() - t0
    frame = map_frame(page)
    try:
        frame.wait_for_function("window.__benchShown != null", timeout=2000)
        drawn = (frame.evaluate("window.__benchShown") - page.evaluate("window.__benchAct")) / 1000
    except (PlaywrightError, AttributeError):
        drawn = seen
    return (drawn if drawn > 0 else seen), seen, lost


def open_list(box, option) -> None:
    """Open the filter's dropdown until ``option`` shows (a rerun may close it)."""
    end = time.monotonic() + DEADLINE_S
    while not option.is_visible():
        if time.monotonic() > end:
            raise SystemExit("the filter's dropdown did not open")
        box.click()
        with contextlib.suppress(PlaywrightError):
            option.wait_for(timeout=2000)


def mark(page) -> None:
    """Set a marker and the filter clock on the map page's window: gone if it reloads."""
    wait_map(page, "(window.__bench = 1)")
    frame = map_frame(page)
    if frame is not None:
        frame.evaluate(SHOWN_CLOCK)


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def streamlit_pid(port_url: str) -> int:
    """The pid of the streamlit process serving ``port_url`` (started by desk_server as
    ``python -m streamlit run``: the child of this process)."""
    port = port_url.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and b"streamlit" in cmd and port.encode() in cmd:
            return int(entry.name)
    raise SystemExit("the streamlit process was not found")


def measure(page, url: str, out: dict, title: str, counts, kinds, repeats: int) -> None:
    """Open the story twice, then filter and clear ``repeats`` times, into ``out``."""
    opens, headers = [], []
    for _ in range(2):  # the first open also loads the district layer: the second is the baseline
        t0 = time.perf_counter()
        page.goto(url)
        page.get_by_role("heading", level=1, name=title).wait_for()
        headers.append(time.perf_counter() - t0)
        out["header_first" if len(headers) == 1 else "header"] = headers[-1]
        wait_map(page, "s.drawn > 0")
        opens.append(time.perf_counter() - t0)
        out["open_first" if len(opens) == 1 else "open"] = opens[-1]
    mark(page)
    box = page.get_by_role("combobox", name="Attack type")
    chips = page.get_by_test_id("stMultiSelect").filter(has=box).locator("[data-tag]")
    filt, clear, seen, reloads, lost = [], [], [], 0, 0
    for k in range(repeats):
        kind = kinds[k % len(kinds)]
        option = page.get_by_role("option", name=attack_label(kind), exact=True)

        def choose(option=option) -> None:
            open_list(box, option)
            option.click()

        took, saw, again = timed(page, choose, chips, 1, f"s.shown === '{counts[kind]}'")
        filt.append(took)
        seen.append(saw)
        lost += again
        page.keyboard.press("Escape")
        took, _, again = timed(page, lambda: box.press("Backspace"), chips, 0, "s.shown === 'all'")
        clear.append(took)
        lost += again
        page.keyboard.press("Escape")
        if not wait_map(page, "true")["same"]:
            reloads += 1
            mark(page)
    out["filter"], out["clear"], out["seen"] = filt, clear, seen
    out["reloads"], out["lost"] = reloads, lost


def one_size(browser, n: int, repeats: int, tmp: Path) -> dict:
    path = tmp / f"story-{n}.geojson"
    synthetic(n, path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    counts = collections.Counter(f["properties"]["attack_type"] for f in doc["features"])
    title = doc["story"]["title"]
    del doc
    store = tmp / f"s-{n}.gpkg"
    subprocess.run(
        [sys.executable, "-m", "geo.cli", "import", str(path), "--store", str(store)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    kinds = [k for k, _ in counts.most_common()][:repeats] or list(counts)
    out: dict = {"n": n}
    with desk_server(tmp, store) as server:
        pid = streamlit_pid(server["url"])
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        ctx.route(
            "**/*",
            lambda r: (
                r.continue_()
                if r.request.url.startswith((server["url"], "data:", "blob:", "about:"))
                else r.abort()
            ),
        )
        page = ctx.new_page()
        page.add_init_script(ACT_CLOCK)
        page.set_default_timeout(DEADLINE_S * 1000)
        try:
            measure(page, server["url"], out, title, counts, kinds, repeats)
        except (SystemExit, PlaywrightError) as failure:  # a row with what was measured
            out["error"] = str(failure).splitlines()[0][:160]
        out["rss"] = vm_hwm_mb(pid)
        ctx.close()
    path.unlink()
    store.unlink()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="*", default=["10k"])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    sizes = [int(s.lower().replace("k", "000")) for s in args.sizes]
    from playwright.sync_api import sync_playwright

    head = (
        f"{'incidents':>9} | {'1st header':>10} {'1st open':>8} | {'header':>6} {'open':>6} | "
        f"{'filter':^13} | {'seen':^13} | {'clear':^13} | {'filter/open':>11} | {'reloads':>7} {'lost':>4} | "
        f"{'RSS MB':>6}"
    )
    print(
        f"seconds; filter/seen/clear: median / worst of {args.repeats}; open = baseline (fresh page "
        "load → map drawn, second open)\n"
    )
    print(head)
    print("-" * len(head), flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="sitmap-bench-desk-") as tmp,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for n in sizes:
            r = one_size(browser, n, args.repeats, Path(tmp))
            print(row(r) + f"   (load average {os.getloadavg()[0]:.2f})", flush=True)
            if "error" in r:
                print(f"{'':>9}   {n:,}: stopped: {r['error']}", flush=True)
            if n == 10_000 and r.get("filter"):
                fm, fw = statistics.median(r["filter"]), max(r["filter"])
                sm, sw = statistics.median(r["seen"]), max(r["seen"])
                verdict = "met" if fw <= TARGET_FILTER_S else "missed"
                print(
                    f"{'':>9}   target at 10k: filter click → markers updated ≤ "
                    f"{TARGET_FILTER_S:.0f} s (page clocks: median {fm:.2f} s, worst {fw:.2f} s; "
                    f"as Playwright sees it: median {sm:.2f} s, worst {sw:.2f} s): {verdict}",
                    flush=True,
                )
        browser.close()


def row(r: dict) -> str:
    """One size's line; what was not measured (the run stopped) is a dash."""

    def f(key: str, width: int) -> str:
        return f"{r[key]:>{width}.2f}" if key in r else f"{'—':>{width}}"

    def spread(key: str) -> str:
        v = r.get(key) or []
        return f"{statistics.median(v):>5.2f} / {max(v):>5.2f}" if v else f"{'—':^13}"

    ratio = (
        f"{statistics.median(r['filter']) / r['open']:>10.2f}x"
        if r.get("filter") and "open" in r
        else f"{'—':>11}"
    )
    return (
        f"{r['n']:>9,} | {f('header_first', 10)} {f('open_first', 8)} | {f('header', 6)} "
        f"{f('open', 6)} | {spread('filter')} | {spread('seen')} | {spread('clear')} | {ratio} | "
        f"{r.get('reloads', '—'):>7} {r.get('lost', '—'):>4} | {r.get('rss', 0):>6.0f}"
    )


if __name__ == "__main__":
    main()
