"""Start-up time of sitmap commands, against a bare ``python -c pass`` in the same run.

Each command runs in a fresh interpreter, as a user starts it (``python -m geo.cli``, what
the ``sitmap`` script runs); the median of several runs is printed as wall and CPU seconds
(CPU is the steadier figure on a shared machine: when other work keeps the cores busy,
wall time counts the waiting too, so both are judged against the target) with the ratio to the bare interpreter,
then the modules that cost most to import for ``validate`` (``python -X importtime``).

Targets: ``sitmap --help`` <= 0.3 s, ``sitmap validate`` of the seed story <= 0.5 s.
Run: SITMAP_DISTRICTS=... python benchmarks/bench_startup.py [RUNS]
"""

from __future__ import annotations

import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from geo import paths

TARGETS = {"--help": 0.3, "validate": 0.5}


def timed(cmd: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def importtime(cmd: list[str], top: int = 8) -> list[tuple[int, str]]:
    """The top-level imports that took longest (cumulative microseconds)."""
    out = subprocess.run(
        [cmd[0], "-X", "importtime", *cmd[1:]], capture_output=True, text=True, check=True
    )
    rows = []
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m:  # no leading spaces before the name: imported by the command itself
            rows.append((int(m.group(1)), m.group(2)))
    return sorted(rows, reverse=True)[:top]


def main(runs: int = 7) -> None:
    py = sys.executable
    seed = str(paths.seed_story())
    with tempfile.TemporaryDirectory() as tmp:
        html = str(Path(tmp) / "seed.html")
        commands = {
            "python -c pass": [py, "-c", "pass"],
            "--help": [py, "-m", "geo.cli", "--help"],
            "validate": [py, "-m", "geo.cli", "validate", seed],
            "build geojson": [py, "-m", "geo.cli", "build", seed, "--out", html[:-4] + "geojson"],
            "build html": [py, "-m", "geo.cli", "build", seed, "--out", html],
        }
        for cmd in commands.values():  # warm the caches (bytecode, grid, layer)
            timed(cmd)
        results = {}
        for name, cmd in commands.items():
            samples = [timed(cmd) for _ in range(runs)]
            results[name] = (
                statistics.median(s[0] for s in samples),
                statistics.median(s[1] for s in samples),
            )
    base_wall, base_cpu = results["python -c pass"]
    print(f"median of {runs} runs; load average {os.getloadavg()[0]:.2f}")
    print(f"{'command':<16}{'wall s':>8}{'cpu s':>8}{'x bare':>8}  target")
    for name, (wall, cpu) in results.items():
        target = TARGETS.get(name)
        verdict = (
            ""
            if target is None
            else f"<= {target} s: wall {'ok' if wall <= target else 'MISSED'}, "
            f"CPU {'ok' if cpu <= target else 'MISSED'}"
        )
        print(f"{name:<16}{wall:>8.3f}{cpu:>8.3f}{wall / base_wall:>8.1f}  {verdict}")
    print("\nslowest top-level imports of `sitmap validate` (cumulative ms):")
    for us, mod in importtime(commands["validate"]):
        print(f"  {us / 1000:7.1f}  {mod}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
