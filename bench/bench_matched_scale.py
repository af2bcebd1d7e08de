"""One matched activity at growing comparison pools: time and peak memory (issue 13, item 3).

For each pool size (15,000 = the default programme, then 100,000, 500,000 and, with
`--sizes`, 1,000,000) a first subprocess generates the default synthetic programme with that
pool (`evaluation.synthetic.generate(2025, pool_size=...)`; its time is reported apart) and
writes the tables as Parquet. A second, fresh subprocess then

1. reads the outcome table once (`pandas.read_parquet`): the *floor*, the least any estimator
   must spend to look at the outcomes, measured in the same run;
2. reads the other tables and records its resident memory (the inputs held, as a run holds them);
3. estimates one matched activity exactly as `evaluation.impact` does: the headline with its
   candidates, secondary outcomes and priority cohorts, then the two placebo referrals
   (`evaluation.falsification.falsify`);

and reports the seconds of step 3, its ratio to the floor, the process's peak resident memory
(VmHWM from /proc/self/status) and the peak above the inputs held after step 2: the memory the
estimator itself needs. Run:

    .venv/bin/python bench/bench_matched_scale.py [--sizes 15000 100000 500000] [--label after]

Appends the table, labelled, to bench/results_matched_scale.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results_matched_scale.txt")
ACTIVITY = "women"
TABLES = ("participants", "comparison_pool", "outcomes_monthly")


def _memory_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def generate(folder: str, pool_size: int) -> None:
    from evaluation import synthetic

    started = time.perf_counter()
    tables = synthetic.generate(2025, pool_size=pool_size).tables
    seconds = time.perf_counter() - started
    for name in TABLES:
        tables[name].to_parquet(Path(folder) / f"{name}.parquet", index=False)
    rows = len(tables["outcomes_monthly"])
    print(json.dumps({"generate_s": seconds, "outcome_rows": rows}))


def estimate(folder: str) -> None:
    import pandas as pd

    from evaluation.falsification import falsify
    from evaluation.matched import matched_comparison

    started = time.perf_counter()
    outcomes = pd.read_parquet(Path(folder) / "outcomes_monthly.parquet")
    floor = time.perf_counter() - started
    participants = pd.read_parquet(Path(folder) / "participants.parquet")
    pool = pd.read_parquet(Path(folder) / "comparison_pool.parquet")
    people = participants[participants["activity_id"] == ACTIVITY].reset_index(drop=True)
    held = _memory_kb("VmRSS")
    options = {"seed": 2025, "alpha": 0.05, "min_n": 10}
    started = time.perf_counter()
    result = matched_comparison(
        people, pool, outcomes, horizons=(6, 12), candidates=True, secondary=True, subgroups=True, **options
    )
    falsify(result, people, pool, outcomes, **options)
    seconds = time.perf_counter() - started
    peak = _memory_kb("VmHWM")
    print(
        json.dumps(
            {
                "floor_s": floor,
                "estimate_s": seconds,
                "peak_gb": peak / 2**20,
                "held_gb": held / 2**20,
                "estimator_gb": (peak - held) / 2**20,
                "estimate": result.estimate,
                "n_pool": result.n_pool,
                "stacked_rows": result.n_stacked_rows if hasattr(result, "n_stacked_rows") else None,
            }
        )
    )


def _child(*args: str) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[15_000, 100_000, 500_000])
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    lines = [
        f"One matched activity ({ACTIVITY}: headline, candidates, secondary, cohorts, 2 placebos) "
        f"by comparison pool {args.label}".rstrip(),
        "pool | outcome rows | generate s | floor s (read outcomes) | estimate s (x floor) | "
        "peak GB | estimator GB above inputs",
    ]
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            made = _child("--generate", folder, str(size))
            found = _child("--estimate", folder)
        line = (
            f"{size:,} | {made['outcome_rows'] / 1e6:.2f} M | {made['generate_s']:.0f} | "
            f"{found['floor_s']:.2f} | {found['estimate_s']:.1f} ({found['estimate_s'] / found['floor_s']:.0f}x) | "
            f"{found['peak_gb']:.2f} | {found['estimator_gb']:.2f}"
        )
        print(line, flush=True)
        lines.append(line)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--generate":
        sys.path.insert(0, str(ROOT))
        generate(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--estimate":
        sys.path.insert(0, str(ROOT))
        estimate(sys.argv[2])
    else:
        main()
