"""Coverage of the area comparison's 95% interval by the number of treated areas (issue 9, item 6).

Run: `python bench/bench_few_areas.py [--replications 300]`. Writes bench/results_few_areas.txt.
Data: `tests.simulation.area_dgp` (18 comparison areas, 18 quarters, start in quarter 11, AR(1)
area shocks with autocorrelation 0.5, no effect). Estimator: Callaway & Sant'Anna simple average
with 199 multiplier-bootstrap draws, as the reports use it. Coverage below about 90% means the
interval claims more certainty than the data hold; `evaluation.area.MIN_TREATED_AREAS` is set
from this table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.simulation.test_few_areas import coverage  # noqa: E402

TREATED = (1, 2, 3, 5, 7)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replications", type=int, default=300)
    args = parser.parse_args()
    lines = [f"replications {args.replications}; 18 comparison areas; AR(1) shocks rho 0.5; effect 0"]
    with threadpool_limits(1):
        for n_treated in TREATED:
            began = time.perf_counter()
            share = coverage(n_treated, args.replications)
            se = (share * (1 - share) / args.replications) ** 0.5
            lines.append(
                f"treated areas {n_treated}: coverage {share:.3f} (MC SE {se:.3f}), "
                f"false-positive rate {1 - share:.3f}, {time.perf_counter() - began:.0f} s"
            )
            print(lines[-1], flush=True)
    out = Path(__file__).with_name("results_few_areas.txt")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
