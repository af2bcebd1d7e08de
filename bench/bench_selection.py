"""Full-size study of the candidate estimators on the independent DGP (docs/method_selection.md).

For each scenario of `tests/simulation/dgp.py` (500 participants, a pool 8 times as large)
and each replication: every candidate estimator of `evaluation.matched.CANDIDATES` at 6 and
12 months, and the falsification checks of `evaluation.falsification` (both placebos).
Prints, per scenario, candidate and horizon: mean estimate, truth, bias (absolute and
relative), SD of the estimates, mean SE, coverage of the 95% interval and the share
significant; then, for the headline, how often each check failed, how often a verdict was
published, and bias and coverage among published replications.

    .venv/bin/python bench/bench_selection.py --replications 200 --workers 2

The CI version (fewer people, the headline and the deciding checks only) is
tests/simulation/test_selection_bias.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluation.falsification import falsify  # noqa: E402
from evaluation.matched import matched_comparison  # noqa: E402
from tests.simulation.dgp import SCENARIOS, simulate  # noqa: E402

HORIZONS = (6, 12)


def replicate(task: tuple[str, int]) -> list[dict]:
    scenario, seed = task
    with threadpool_limits(1):
        sim = simulate(1000 + seed, **SCENARIOS[scenario])
        options = {"seed": seed, "last_month": sim.last_month}
        found = matched_comparison(
            sim.participants, sim.comparison_pool, sim.outcomes, horizons=HORIZONS, candidates=True, **options
        )
        checks = falsify(found, sim.participants, sim.comparison_pool, sim.outcomes, min_n=60, **options)
    p = {f"placebo_{c.months_before}_p": c.test.p_value if c.test else np.nan for c in checks.placebos}
    rows = []
    for row in found.candidates.itertuples():
        truth = float(sim.truth[row.horizon])
        rows.append(
            {
                "scenario": scenario,
                "seed": seed,
                "candidate": row.candidate,
                "horizon": row.horizon,
                "estimate": row.estimate,
                "std_error": row.std_error,
                "truth": truth,
                "covered": row.ci_lower <= truth <= row.ci_upper,
                "significant": bool(row.ci_lower > 0 or row.ci_upper < 0),
                "published": checks.credible,
                "pre_path_p": found.pretrend_p_value,
                **p,
            }
        )
    return rows


def summarise(frame: pd.DataFrame) -> str:
    out = []
    for scenario, data in frame.groupby("scenario", sort=False):
        n = data["seed"].nunique()
        table = data.groupby(["candidate", "horizon"]).agg(
            estimate=("estimate", "mean"),
            truth=("truth", "mean"),
            sd=("estimate", "std"),
            se=("std_error", "mean"),
            coverage=("covered", "mean"),
            significant=("significant", "mean"),
        )
        table["bias"] = table["estimate"] - table["truth"]
        table["relative_bias"] = table["bias"] / table["truth"].where(table["truth"].abs() > 1e-9)
        table["bias_mc_se"] = table["sd"] / np.sqrt(n)
        out += [f"## {scenario} ({n} replications)", table.round(4).to_string(), ""]
        head = data[data["candidate"] == "baseline_did"]
        for horizon, rows in head.groupby("horizon"):
            published = rows[rows["published"]]
            out.append(
                f"headline at {horizon} months: placebo 6 failed {np.mean(rows['placebo_6_p'] < 0.05):.2f}, "
                f"placebo 12 failed {np.mean(rows['placebo_12_p'] < 0.05):.2f}, pre-path failed "
                f"{np.mean(rows['pre_path_p'] < 0.05):.2f}; published {rows['published'].mean():.2f}; "
                f"published and significant {(rows['published'] & rows['significant']).mean():.3f}; "
                f"published with an interval missing the truth {(rows['published'] & ~rows['covered']).mean():.3f}; "
                f"among published: bias {(published['estimate'] - published['truth']).mean():.4f}, "
                f"coverage {published['covered'].mean():.3f} (n = {len(published)})"
            )
        out.append("")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--scenarios", nargs="*", default=["dip_and_unobserved", "unobserved_only", "true_zero"]
    )
    parser.add_argument("--csv", type=Path, help="write every replication's rows here")
    args = parser.parse_args()
    start = time.perf_counter()
    tasks = [(s, seed) for s in args.scenarios for seed in range(args.replications)]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = [row for chunk in pool.map(replicate, tasks, chunksize=4) for row in chunk]
    frame = pd.DataFrame(rows)
    if args.csv:
        frame.to_csv(args.csv, index=False)
    print(summarise(frame))
    print(f"{len(tasks)} replications in {time.perf_counter() - start:.0f} s with {args.workers} workers")


if __name__ == "__main__":
    main()
