"""Coverage of few-cluster inference for the area estimate (wild cluster bootstrap, t(G-1), RI).

Run: `python bench/bench_few_cluster_coverage.py [--replications 1000] [--sweep-replications 500]`.
Writes bench/results_few_cluster_coverage.txt. Data: `tests.simulation.area_dgp` (18 comparison
areas, 18 quarters, start in quarter 11, AR(1) area shocks). Methods and estimators as in
`tests/simulation/test_few_cluster_coverage.py` (9,999 Webb bootstrap draws, randomisation
inference exact up to 2,000 assignments, else 999 random ones). For each scenario: coverage of a
true effect of one point, the false-positive rate when there is no effect (separate panels),
the share of unbounded intervals and the median interval width. The sweep over the number of
treated areas sets `evaluation.did.few_clusters.MIN_TREATED_CLUSTERS`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.simulation.test_few_cluster_coverage import METHODS, coverage_study  # noqa: E402

DRAWS = {"bootstrap": 9_999, "ri_draws": 999, "ri_enumerate_up_to": 2_000}
SCENARIOS = (
    ("CS simple (headline), 7 treated, rho 0.8", {"estimator": "cs", "n_treated": 7, "rho": 0.8}),
    ("TWFE, 7 treated, rho 0.8", {"estimator": "twfe", "n_treated": 7, "rho": 0.8}),
    ("CS simple (headline), 7 treated, rho 0.5", {"estimator": "cs", "n_treated": 7, "rho": 0.5}),
)
SWEEP = (1, 2, 3, 4, 5)


def _table(summary: dict, replications: int, false_positive: dict | None = None) -> list[str]:
    lines = []
    for m in METHODS:
        share = summary[m]["coverage"]
        se = (share * (1 - share) / replications) ** 0.5
        text = f"  {m:<7} coverage {share:.3f} (MC SE {se:.3f})"
        if false_positive is not None:
            text += f", false-positive rate {false_positive[m]['rejects_zero']:.3f}"
        if m != "ri":
            text += (
                f", unbounded {summary[m]['unbounded']:.3f}, median width {summary[m]['median_width']:.2f}"
            )
        lines.append(text)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--sweep-replications", type=int, default=500)
    args = parser.parse_args()
    lines = [
        f"18 comparison areas, 18 quarters, start in quarter 11; 95% intervals; {DRAWS['bootstrap']} Webb draws; "
        f"RI exact up to {DRAWS['ri_enumerate_up_to']} assignments, else {DRAWS['ri_draws']} random ones"
    ]
    with threadpool_limits(1):
        for offset, (title, options) in enumerate(SCENARIOS):
            began = time.perf_counter()
            seeds = 1_000_000 * (offset + 1)
            covered = coverage_study(args.replications, effect=1.0, first_seed=seeds, **options, **DRAWS)
            null = coverage_study(
                args.replications, effect=0.0, first_seed=seeds + 500_000, **options, **DRAWS
            )
            lines.append(
                f"{title}: {args.replications} replications with effect 1 and {args.replications} with 0"
            )
            lines.extend(_table(covered, args.replications, null))
            lines.append(f"  ({time.perf_counter() - began:.0f} s)")
            print("\n".join(lines[-6:]), flush=True)
        lines.append(f"Sweep, CS simple, rho 0.8, effect 1, {args.sweep_replications} replications each:")
        for n_treated in SWEEP:
            began = time.perf_counter()
            covered = coverage_study(
                args.sweep_replications,
                effect=1.0,
                first_seed=9_000_000 + 10_000 * n_treated,
                estimator="cs",
                n_treated=n_treated,
                rho=0.8,
                **DRAWS,
            )
            lines.append(f" treated areas {n_treated} ({time.perf_counter() - began:.0f} s)")
            lines.extend(_table(covered, args.sweep_replications))
            print("\n".join(lines[-5:]), flush=True)
    out = Path(__file__).with_name("results_few_cluster_coverage.txt")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
