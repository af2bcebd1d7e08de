"""`match`'s common_support and balance_sd options: defaults, checks and edge cases.

MatchIt (R/discard.R, R/match.qoi.R) is the reference for what the options mean; the
published comparison is in tests/reference/test_matching_matchit.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.errors import OptionError
from evaluation.matching import balance_table, match


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 600
    x = rng.normal(size=n)
    treated = rng.random(n) < 1 / (1 + np.exp(1.5 - 1.5 * x))
    flag = np.where(treated, 1.0, (rng.random(n) < 0.3).astype(float))  # every treated row has it
    return pd.DataFrame({"t": treated.astype(int), "x": x, "flag": flag})


def test_defaults_are_treated_support_and_pooled_sd(frame):
    default = match(frame, treatment="t", covariates=["x"])
    explicit = match(frame, treatment="t", covariates=["x"], common_support="treated", balance_sd="pooled")
    pd.testing.assert_frame_equal(default.pairs, explicit.pairs)
    pd.testing.assert_frame_equal(default.balance, explicit.balance)
    assert (default.common_support, default.balance_sd, default.n_controls_discarded) == (
        "treated",
        "pooled",
        0,
    )
    assert "Common support" not in default.summary() and "group's SD" not in default.summary()


def test_options_are_checked(frame):
    with pytest.raises(OptionError, match="common_support"):
        match(frame, treatment="t", covariates=["x"], common_support="overlap")
    with pytest.raises(OptionError, match="balance_sd"):
        balance_table(frame, treatment="t", covariates=["x"], balance_sd="control")


def test_treated_sd_of_zero_falls_back_to_the_pooled_sd(frame):
    # `flag` is 1 for every treated row: the treated SD is 0, so MatchIt uses a pooled SD
    treated_sd = balance_table(frame, treatment="t", covariates=["x", "flag"], balance_sd="treated")
    pooled = balance_table(frame, treatment="t", covariates=["x", "flag"])
    assert np.isfinite(treated_sd["smd"]).all()
    assert treated_sd["smd"].iloc[1] == pytest.approx(pooled["smd"].iloc[1], rel=1e-12)
    t = frame.loc[frame.t == 1, "x"]
    difference = t.mean() - frame.loc[frame.t == 0, "x"].mean()
    assert treated_sd["smd"].iloc[0] == pytest.approx(difference / t.std(ddof=1), rel=1e-12)


def test_control_support_trims_the_pool_and_none_keeps_everyone(frame):
    none = match(frame, treatment="t", covariates=["x"], caliper=None, common_support="none")
    control = match(frame, treatment="t", covariates=["x"], caliper=None, common_support="control")
    assert none.n_discarded == 0 and none.n_matched == none.n_treated
    assert control.n_controls_discarded > 0
    logit = control.logit_propensity
    treated = frame.t == 1
    used = logit[control.pairs["control_index"]]
    assert used.min() >= logit[treated].min() and used.max() <= logit[treated].max()
