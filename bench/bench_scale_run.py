"""A full `evaluation run` on a national-size comparison pool: time and peak memory of the whole
process tree (issue 13, item 4), against validating the same folder once in the same run.

The default synthetic programme is generated with `--pool-size` comparison people (1,000,000 by
default: about 41 million person-months) into a folder of CSV files (kept in `--folder` and
reused when it is already there). Then, each in a fresh process and one after the other:

1. validation alone, as a run starts: `validate_into_snapshot` (read, type and check every table in
   DuckDB and write the snapshot the reports read);
2. the full run: `evaluation run FOLDER --out TMP` (27 reports, the summary, results.json);
3. an interim update of the same folder: `evaluation run FOLDER --as-of DATE` (`--as-of`,
   31 January 2026 by default; `--as-of ''` skips it), which cuts the validated snapshot.

For each it reports the seconds and the peak resident memory of the whole process tree (the
runner and its report kernels together), sampled every 0.2 s from /proc, and the run's time as a
multiple of validation's. The goal on this 2-core, 24 GB machine: a full run at a 1,000,000 pool
in at most 5 minutes with the tree's peak at most 6 GB. Run:

    .venv/bin/python bench/bench_scale_run.py [--pool-size 1000000] [--folder /tmp/scale/pool1m]

Appends its lines to bench/results_scale_run.txt.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results_scale_run.txt")
BIN = Path(sys.executable).parent


def tree_rss(root: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants now."""
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total


def measured(command: list[str]) -> tuple[float, float]:
    """(seconds, peak GB of the process tree) of a command run to its end; fails if it fails."""
    started = time.perf_counter()
    # One BLAS thread per process, as `evaluation run` sets for itself and its kernels.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    child = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    root = psutil.Process(child.pid)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            with contextlib.suppress(psutil.Error):
                peak = max(peak, tree_rss(root))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, errors = child.communicate()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{errors[-3000:]}")
    return seconds, peak / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool-size", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--as-of", default="2026-01-31", help="date of the interim update ('' for none)")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.gettempdir()) / f"scale_pool{args.pool_size}"
    python = str(BIN / "python")
    if not (folder / "outcomes_monthly.csv").exists():
        generate = f"from evaluation import synthetic; synthetic.write({str(folder)!r}, 2025, pool_size={args.pool_size})"
        seconds, peak = measured([python, "-c", generate])
        print(f"generated in {seconds:.0f} s (peak {peak:.1f} GB)", flush=True)
    rows = sum(1 for _ in (folder / "outcomes_monthly.csv").open("rb")) - 1
    with tempfile.TemporaryDirectory() as snapshot:
        validate = (
            f"from evaluation.snapshot import validate_into_snapshot; "
            f"validate_into_snapshot({str(folder)!r}, {snapshot!r})"
        )
        valid_s, valid_gb = measured([python, "-c", validate])
    print(f"validation {valid_s:.0f} s, peak {valid_gb:.1f} GB", flush=True)
    with tempfile.TemporaryDirectory() as out:
        run_s, run_gb = measured([str(BIN / "evaluation"), "run", str(folder), "--out", out])
    interim = []
    if args.as_of:
        with tempfile.TemporaryDirectory() as out:
            command = [str(BIN / "evaluation"), "run", str(folder), "--out", out, "--as-of", args.as_of]
            cut_s, cut_gb = measured(command)
        interim = [
            f"- interim update as of {args.as_of}: {cut_s:.0f} s = {cut_s / valid_s:.1f} x validation, "
            f"peak of the process tree {cut_gb:.1f} GB"
        ]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"## {stamp}: pool {args.pool_size:,}, {rows:,} outcome rows (CSV), 27 reports",
        f"- validate once into the snapshot: {valid_s:.0f} s, peak {valid_gb:.1f} GB",
        f"- full evaluation run: {run_s:.0f} s = {run_s / valid_s:.1f} x validation, "
        f"peak of the process tree {run_gb:.1f} GB",
        *interim,
        "",
    ]
    print("\n".join(lines))
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
