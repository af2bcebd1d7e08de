"""Why an area comparison needs enough treated areas (issue 9, item 6): a coverage simulation.

Data from `tests.simulation.area_dgp` (AR(1) area shocks, 18 comparison areas, no effect), the
estimator the reports use (Callaway & Sant'Anna simple average with the multiplier bootstrap,
as `evaluation.area.area_activity` calls it). The full study (1,000 replications for 1, 2, 3,
5 and 7 treated areas) is `bench/bench_few_areas.py`, results in `bench/results_few_areas.txt`:
coverage 34%, 66%, 80%, 90% and 93%. Here 300 replications each at 1 and 5 treated areas (about
3 s each), with bands of about three binomial standard errors around those figures.
"""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.did.staggered import staggered
from evaluation.impact import MIN_TREATED_AREAS
from tests.simulation.area_dgp import area_panel

REPLICATIONS = 300


def coverage(n_treated: int, replications: int = REPLICATIONS, bootstrap: int = 199) -> float:
    """Share of 95% intervals (true effect 0) that contain the truth."""
    hits = []
    for seed in range(replications):
        panel = area_panel(1000 * n_treated + seed, n_treated=n_treated)
        result = staggered(
            panel, outcome="y", unit="unit", time="t", first_treated="g", bootstrap=bootstrap, seed=seed
        )
        simple = result.aggregate("simple")
        hits.append(simple.ci_lower <= 0 <= simple.ci_upper)
    return float(np.mean(hits))


@pytest.mark.slow
def test_one_treated_area_gives_intervals_that_miss_the_truth_most_of_the_time():
    # bench: 34% over 1,000 replications; 3 binomial SEs at 300 replications is about 0.08
    assert coverage(1) < 0.45


@pytest.mark.slow
def test_at_the_minimum_number_of_treated_areas_intervals_are_near_their_level():
    # bench: 90% at 5 treated areas over 1,000 replications (binomial SE at 300 replications 0.018)
    assert MIN_TREATED_AREAS == 5
    assert coverage(MIN_TREATED_AREAS) >= 0.84
