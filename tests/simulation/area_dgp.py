"""An independent data-generating process for area-level comparisons (not `evaluation.synthetic`).

Local authorities are observed quarterly: an area level drawn once, a common national path and
an AR(1) area shock (autocorrelation `rho`, stationary SD `shock_sd`), so neighbouring quarters
of one area move together, as claimant and employment rates do. `n_treated` areas start the
activity in quarter `start` (all at once), `n_control` never do. The activity adds `effect`
percentage points to a treated area's rate from its start; `pre_trend` adds that many points
per quarter to treated areas throughout, so parallel trends fail. The truth of the simple
average effect is `effect` (when `pre_trend` is 0).

Parameters were chosen to look like the Annual Population Survey's local-authority employment
rates (level about 70%, quarter-to-quarter noise of one to two points), not to suit any estimator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FIRST_QUARTER = pd.Timestamp("2022-01-01")


def area_panel(
    seed: int,
    *,
    n_treated: int,
    n_control: int = 18,
    quarters: int = 18,
    start: int = 11,
    effect: float = 0.0,
    pre_trend: float = 0.0,
    rho: float = 0.5,
    shock_sd: float = 1.2,
) -> pd.DataFrame:
    """One panel: unit, t (1..quarters), y (per cent), g (first treated quarter, 0 = never), plus
    period (each quarter's first day) and first_treated_period (NaT = never) for the toolkit."""
    rng = np.random.default_rng(seed)
    n = n_treated + n_control
    national = np.cumsum(rng.normal(0, 0.3, quarters))
    shocks = np.empty((n, quarters))
    shocks[:, 0] = rng.normal(0, shock_sd, n)
    innovation_sd = shock_sd * np.sqrt(1 - rho**2)
    for t in range(1, quarters):
        shocks[:, t] = rho * shocks[:, t - 1] + rng.normal(0, innovation_sd, n)
    level = rng.normal(70, 2, n)
    treated = np.arange(n) < n_treated
    time = np.arange(1, quarters + 1)
    y = (
        level[:, None]
        + national[None, :]
        + shocks
        + treated[:, None] * (effect * (time >= start) + pre_trend * time)[None, :]
    )
    periods = pd.date_range(FIRST_QUARTER, periods=quarters, freq="QS")
    first = np.where(treated, start, 0)
    started = pd.Series(periods[start - 1], index=range(n)).where(treated)
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), quarters),
            "t": np.tile(time, n),
            "y": y.ravel(),
            "g": np.repeat(first, quarters),
            "period": np.tile(periods, n),
            "first_treated_period": np.repeat(started.to_numpy(), quarters),
        }
    )
