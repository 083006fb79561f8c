"""Cold start of ``counterflow hotspots``: the whole command in a fresh process, against the same
command compiling every module it imports (no bytecode).

    python bench/cold_start_bench.py                          # a 100k-report SQLite store
    python bench/cold_start_bench.py --reports 1000000 --runs 3

Fills a store of generated reports in a temporary folder (``store_read_bench.fill``, in a process
of its own), then runs,
in turn and ``--runs`` times each, in fresh processes:

* no bytecode (the baseline): ``PYTHONDONTWRITEBYTECODE`` with ``PYTHONPYCACHEPREFIX`` set to an
  empty folder, so that no ``.pyc`` is found: what every command paid when the environment was
  installed without compiled bytecode where Python may not write ``__pycache__``;
* bytecode: the environment as ``sh scripts/uv.sh sync`` installs it;
* imports only: the modules the command imports, with bytecode, and nothing else.

``counterflow hotspots --route "Benin City > Agadez > Tripoli" --method gi`` is the command (it
stores a run and writes its map). Prints the median wall time, CPU time (user + system) and peak
resident memory of each, the ratio to the baseline and the load average before and after: the
machine may be shared, so only the ratios measured in the same run compare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

COMMAND = ["hotspots", "--route", "Benin City > Agadez > Tripoli", "--method", "gi"]
#: What the command imports on its way (the store, the analysis, the map), for "imports only".
MODULES = (
    "cli.main, cli.commands.analysis, flows.steps.analysis, intel.db, intel.store, intel.hotspot_store, "
    "hotspots.pipeline, hotspots.maps, hotspots.compare, hotspots.movement, hotspots.routes, pyproj, shapely"
)


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv[:4])}... failed ({proc.returncode}):\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", type=int, default=100_000, help="reports in the store (default 100000)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each case (default 3)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        home, empty = Path(tmp) / "home", Path(tmp) / "no-pycache"
        home.mkdir()
        empty.mkdir()
        url = f"sqlite:///{home / 'store.db'}"
        t = time.perf_counter()
        # in a process of its own: a child forked from a big process would count its pages
        subprocess.run(
            [sys.executable, "-c", f"from store_read_bench import fill; fill({url!r}, {str(home)!r}, {args.reports})"],
            cwd=HERE, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}"},
        )  # fmt: skip
        print(f"store: {args.reports:,} reports, filled in {time.perf_counter() - t:.0f} s")
        base = {**os.environ, "COUNTERFLOW_HOME": str(home), "COUNTERFLOW_DATABASE_URL": url}
        base.pop("PYTHONPYCACHEPREFIX", None)
        cases = {
            "no bytecode": (
                [sys.executable, "-m", "cli.main", *COMMAND],
                {**base, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(empty)},
            ),
            "bytecode": ([sys.executable, "-m", "cli.main", *COMMAND], base),
            "imports only": ([sys.executable, "-c", f"import {MODULES}"], base),
        }
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (argv, env) in cases.items():
                figures[name].append(_run(argv, env))
        print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    wall0 = statistics.median(f[0] for f in figures["no bytecode"])
    cpu0 = statistics.median(f[1] for f in figures["no bytecode"])
    print(f"{'case':<14}{'wall s':>8}{'cpu s':>8}{'peak MB':>9}{'wall ratio':>12}{'cpu ratio':>11}")
    for name, runs in figures.items():
        wall = statistics.median(f[0] for f in runs)
        cpu = statistics.median(f[1] for f in runs)
        peak = statistics.median(f[2] for f in runs)
        print(f"{name:<14}{wall:>8.2f}{cpu:>8.2f}{peak:>9.0f}{wall / wall0:>12.2f}{cpu / cpu0:>11.2f}")


if __name__ == "__main__":
    main()
