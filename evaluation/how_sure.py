"""How sure can we be of an activity's impact estimate: the numbers behind the report section.

A reviewer asks of every estimate: could a real effect have been detected at all with this
many people, and how wrong would the assumptions have to be to overturn the verdict? This
module answers with numbers only (`evaluation.report.how_sure` writes the words):

- **Matched comparisons**: the minimum detectable effect from the headline's own standard
  error (`evaluation.power.detectable_from_standard_error`) and the participants an activity
  of the same design would need to detect `STATED_EFFECT`; Rosenbaum bounds on the matched sets
  at the headline horizon, scored by what the estimate compares (each person's change from the
  baseline), giving the Γ at which hidden bias could explain the finding away
  (`evaluation.sensitivity.rosenbaum.score_bounds`); and the E-value of the headline turned
  into a risk ratio on the comparison group's rate (`e_value_from_difference`).
- **Area comparisons** and **descriptive** activities: see `AREA_SURENESS` (area) and nothing
  (descriptive: there is no estimate to be sure of).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from evaluation.power import DetectableFromError, detectable_from_standard_error
from evaluation.sensitivity.rosenbaum import EValue, RosenbaumBounds, e_value_from_difference, score_bounds

__all__ = ["STATED_EFFECT", "MatchedSureness", "matched_sureness"]

STATED_EFFECT = 0.05
"""The effect (5 percentage points) for which reports say how many participants would be needed:
about the effect of the most successful UK health-and-work trials (Individual Placement and
Support in primary care, the Work and Health Programme's disability group) on employment."""


@dataclass(frozen=True)
class MatchedSureness:
    """The power and hidden-bias sensitivity of one matched comparison's headline."""

    horizon: int
    estimate: float
    p_value: float
    significant: bool
    detectable: DetectableFromError | None
    rosenbaum: RosenbaumBounds | None
    e_value: EValue | None
    n_sets: int


def matched_sureness(matched, *, alpha: float, stated_effect: float = STATED_EFFECT) -> MatchedSureness:
    """The numbers of the "How sure can we be" section for a `MatchedDiDResult`."""
    horizon = int(matched.horizon)
    row = matched.horizons.loc[matched.horizons["horizon"] == horizon].iloc[0]
    n_followed = int(row["n"])
    se, estimate = float(matched.std_error), float(matched.estimate)
    significant = bool(matched.ci_lower > 0 or matched.ci_upper < 0)
    detectable = (
        detectable_from_standard_error(se, n_followed, alpha=alpha, stated_effect=stated_effect)
        if math.isfinite(se) and se > 0 and n_followed >= 1
        else None
    )
    sets = matched.matched_sets
    rosenbaum = None
    if len(sets) and sets["set"].nunique() >= 2:
        rosenbaum = score_bounds(
            sets["set"],
            sets["treated"],
            sets["score"],
            alpha=alpha,
            alternative="greater" if estimate >= 0 else "less",
        )
    base = float(matched.comparison_rate)
    evalue = None
    if 0 < base < 1 and base + estimate > 0 and np.isfinite(estimate):
        floor = 1e-6 - base  # a limit below a zero rate is a risk ratio near 0
        evalue = e_value_from_difference(
            estimate, base, max(float(matched.ci_lower), floor), max(float(matched.ci_upper), floor)
        )
    return MatchedSureness(
        horizon=horizon,
        estimate=estimate,
        p_value=float(matched.p_value),
        significant=significant,
        detectable=detectable,
        rosenbaum=rosenbaum,
        e_value=evalue,
        n_sets=int(sets["set"].nunique()) if len(sets) else 0,
    )
