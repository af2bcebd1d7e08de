"""Falsification checks that decide whether a matched estimate may be published.

A matched comparison is only as good as the claim that, given what was matched on,
participants and their comparisons would have fared alike without the activity. That claim
can be tested where the true effect is known to be zero, before referral:

- **Placebo referrals** (`PLACEBO_MONTHS`): the same people and the same method, but
  everyone is anchored 6 or 12 months before their real referral, matched on their history
  up to that pseudo-referral, and compared over the next `PLACEBO_HORIZONS` months, all
  before they joined.
  - 12 months early, the compared months (12 to 7 before referral) lie before the six months
    the headline matches one by one: nothing in the method explains a difference there, so
    a significant one (unrecorded differences between participants and their matches)
    withholds the verdict.
  - 6 months early, the compared months are the last six before referral, where people
    who join after a fall in employment (Ashenfelter's dip) differ by construction from
    people matched six months earlier. The headline matches exactly those months, so the
    difference is one the method accounts for: this placebo measures the dip and is
    reported, but does not decide publication (`DECIDING_PLACEBOS`). Letting it decide would
    withhold every programme whose participants join after losing a job.
- **The pre-referral path**: the headline's own matched sample month by month between its
  baseline and the six matched months (12 to 7 months before referral); the joint test is
  the estimator's `pretrend_test`. For area-level activities the same rule applies to the
  quarters before each area started (the staggered DiD's joint pre-trend test).

`PUBLISH_ALPHA` is the level of each deciding check. When one fails, the verdict, net
additional outcomes and cost per outcome are withheld (`Falsification.credible` False) and
the report says why; the estimate itself stays visible as evidence. This module computes;
the report layer writes the words. Simulations of the rule: docs/method_selection.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.did.results import WaldTest
from evaluation.errors import DesignError
from evaluation.matched import matched_horizons

PLACEBO_MONTHS = (6, 12)
"""Pseudo-referral dates, months before the real referral."""

DECIDING_PLACEBOS = (12,)
"""Placebos whose failure withholds the verdict (see the module docstring)."""

PLACEBO_HORIZONS = 6
"""Months after a pseudo-referral compared (all before the real referral)."""

PUBLISH_ALPHA = 0.05
"""Significance level of each falsification check."""

__all__ = ["DECIDING_PLACEBOS", "PLACEBO_MONTHS", "PUBLISH_ALPHA", "Falsification", "Placebo", "falsify"]


@dataclass(frozen=True)
class Placebo:
    """One placebo referral: estimates at each pseudo-horizon and their joint test."""

    months_before: int
    table: pd.DataFrame = field(repr=False, compare=False)  # horizon, estimate, std_error, ci, n
    test: WaldTest | None
    n: int
    reason_not_run: str = ""

    @property
    def run(self) -> bool:
        return self.test is not None

    @property
    def passed(self) -> bool:
        return self.test is None or self.test.p_value >= PUBLISH_ALPHA

    @property
    def p_value(self) -> float:
        """The joint test's p-value; NaN when the placebo was not run."""
        return self.test.p_value if self.test is not None else float("nan")

    @property
    def deciding(self) -> bool:
        """Whether a failure of this placebo withholds the verdict."""
        return self.months_before in DECIDING_PLACEBOS

    @property
    def largest(self) -> float:
        """The pseudo-effect furthest from zero (proportion)."""
        if self.table.empty:
            return float("nan")
        values = self.table["estimate"].to_numpy(dtype=float)
        return float(values[np.nanargmax(np.abs(values))]) if np.isfinite(values).any() else float("nan")


@dataclass(frozen=True)
class Falsification:
    """The placebo referrals and the pre-referral path test, and the publication decision."""

    placebos: tuple[Placebo, ...]
    pre_path: WaldTest | None
    alpha: float = PUBLISH_ALPHA
    pre_path_label: str = "individual"  # "area": the quarters before each area started

    @property
    def pre_path_passed(self) -> bool:
        return self.pre_path is None or self.pre_path.p_value >= self.alpha

    @property
    def pre_path_p_value(self) -> float:
        """The pre-referral path's joint test p-value; NaN when it was not tested."""
        return self.pre_path.p_value if self.pre_path is not None else float("nan")

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the failed checks ("placebo_6", "placebo_12", "pre_path")."""
        names = [f"placebo_{p.months_before}" for p in self.placebos if p.deciding and not p.passed]
        if not self.pre_path_passed:
            names.append("pre_path")
        return tuple(names)

    @property
    def credible(self) -> bool:
        return not self.failed

    @property
    def n_run(self) -> int:
        return sum(p.run for p in self.placebos) + (self.pre_path is not None)


def falsify(
    estimate, participants, comparison_pool, outcomes, *, min_n: int, deciding_only: bool = False, **options
) -> Falsification:
    """Placebo referrals for a `matched_comparison` result `estimate`, with the same options.

    `options` are the keyword arguments the headline was estimated with (covariates,
    exact, ratio, caliper, seed, ...); horizons and the anchor are set here. A placebo that
    cannot be run (too little history before the pseudo-referral, too few people) is kept
    with the reason and does not count as failed. `deciding_only` skips the placebos that do
    not decide publication (for simulations). Each placebo is estimated at its horizons only
    (`matched_horizons`: the same numbers as `matched_comparison`'s, without what it does not publish).
    """
    placebos = []
    options = {k: v for k, v in options.items() if k not in ("horizons", "candidates", "anchor_shift")}
    months_list = PLACEBO_MONTHS if not deciding_only else DECIDING_PLACEBOS
    for months in months_list:
        horizons = tuple(range(min(PLACEBO_HORIZONS, months)))
        try:
            found = matched_horizons(
                participants,
                comparison_pool,
                outcomes,
                horizons=horizons,
                anchor_shift=months,
                min_n=min_n,
                **options,
            )
        except DesignError as error:
            placebos.append(Placebo(months, pd.DataFrame(), None, 0, reason_not_run=str(error)))
            continue
        table = found.horizons[["horizon", "estimate", "std_error", "ci_lower", "ci_upper", "n", "p_value"]]
        n = int(table["n"].max()) if len(table) else 0
        if n < min_n:
            reason = (
                f"fewer than {min_n} participants have {months} months of history before a pseudo-referral"
            )
            placebos.append(Placebo(months, table, None, n, reason_not_run=reason))
            continue
        placebos.append(Placebo(months, table.reset_index(drop=True), found.horizons_test, n))
    return Falsification(placebos=tuple(placebos), pre_path=estimate.pretrend_test)
