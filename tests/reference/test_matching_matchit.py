"""`match` and `balance_table` options against R MatchIt (4.7.2, kosukeimai/MatchIt).

Published figures: MatchIt's README (and its "Getting Started" vignette) print `summary()` for
`matchit(treat ~ age + educ + race + married + nodegree + re74 + re75, data = lalonde)`.
Its "Summary of Balance for All Data" does not depend on the matching (it is the same for
every method): means by group and the standardised mean difference with the treated group's
SD, MatchIt's default for the ATT (`s.d.denom = "treated"`, R/match.qoi.R `bal1var` with
`wvar` in R/utils.R: p(1 - p) for 0/1 covariates, the n - 1 sample variance otherwise).

MatchIt's lalonde is the 185 NSW participants and 429 PSID comparison people. The treated rows
are the NSW participants of causaldata's `nsw_mixtape` (the printed treated means are
reproduced below to the digit); the 429 comparison rows are not shipped with any installed
package, so they are stood in for by 429 rows carrying exactly the printed comparison means
(integer counts for the 0/1 rows: 87 black, 61 Hispanic, 281 white, 220 married, 256 without a
degree). A before-matching SMD with the treated SD depends on the comparison group only
through its mean, so the published SMDs are a fair target. (Run once by hand on MatchIt's own
614-row data file, the same code reproduced all nine SMDs, and with `replace=False,
caliper=None, common_support="none"` the matched SMDs of MatchIt's 1:1 nearest-neighbour
example; that file is not redistributed here.)

The common-support rules follow MatchIt's `discard=` (R/discard.R): "treated" drops treated
units outside the controls' score range, "control" controls outside the treated range,
"both" everyone outside the overlap, "none" nobody.
"""

from __future__ import annotations

import causaldata
import numpy as np
import pandas as pd
import pytest

from evaluation.matching import balance_table, match

COVARIATES = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]
ROWS = ["age", "educ", "race=black", "race=hispan", "race=white", "married", "nodegree", "re74", "re75"]
# MatchIt README, summary(m.out), "Summary of Balance for All Data"
MEANS_TREATED = [25.8162, 10.3459, 0.8432, 0.0595, 0.0973, 0.1892, 0.7081, 2095.5737, 1532.0553]
MEANS_CONTROL = [28.0303, 10.2354, 0.2028, 0.1422, 0.6550, 0.5128, 0.5967, 5619.2365, 2466.4844]
STD_MEAN_DIFF = [-0.3094, 0.0550, 1.7615, -0.3498, -1.8819, -0.8263, 0.2450, -0.7211, -0.2903]
PRINTED = 5e-5  # half a unit in the 4th decimal


def _nsw_participants() -> pd.DataFrame:
    data = causaldata.nsw_mixtape.load_pandas().data
    treated = data[data["treat"] == 1]
    race = np.select([treated["black"] == 1, treated["hisp"] == 1], ["black", "hispan"], "white")
    return pd.DataFrame(
        {
            "treat": 1,
            "age": treated["age"].astype(float),
            "educ": treated["educ"].astype(float),
            "race": race,
            "married": treated["marr"].astype(float),
            "nodegree": treated["nodegree"].astype(float),
            "re74": treated["re74"].astype(float),
            "re75": treated["re75"].astype(float),
        }
    )


def _comparison_with_printed_means(n: int = 429) -> pd.DataFrame:
    """429 rows whose means are the printed ones (see the module docstring)."""
    spread = np.linspace(-1.0, 1.0, n)  # mean 0: spreads the earnings around their means
    flags = np.arange(n)
    return pd.DataFrame(
        {
            "treat": 0,
            "age": 28.0 + (flags < 13),  # 12,025 / 429 = 28.0303
            "educ": 10.0 + (flags < 101),  # 4,391 / 429 = 10.2354
            "race": np.where(flags < 87, "black", np.where(flags < 148, "hispan", "white")),
            "married": (flags < 220).astype(float),
            "nodegree": (flags >= n - 256).astype(float),
            "re74": 5619.2365 + 4000.0 * (spread - spread.mean()),
            "re75": 2466.4844 + 2000.0 * (spread - spread.mean()),
        }
    )


@pytest.fixture(scope="module")
def lalonde_all_data() -> pd.DataFrame:
    return pd.concat([_nsw_participants(), _comparison_with_printed_means()], ignore_index=True)


def test_the_frame_carries_matchits_printed_group_means(lalonde_all_data):
    table = balance_table(lalonde_all_data, treatment="treat", covariates=COVARIATES)
    assert table["covariate"].tolist() == ROWS
    np.testing.assert_allclose(table["mean_treated"], MEANS_TREATED, rtol=0, atol=PRINTED)
    np.testing.assert_allclose(table["mean_control"], MEANS_CONTROL, rtol=0, atol=PRINTED)


def test_smd_with_the_treated_sd_reproduces_matchit(lalonde_all_data):
    treated_sd = balance_table(
        lalonde_all_data, treatment="treat", covariates=COVARIATES, balance_sd="treated"
    )
    np.testing.assert_allclose(treated_sd["smd"], STD_MEAN_DIFF, rtol=0, atol=PRINTED + 1e-6)
    matched = match(
        lalonde_all_data, treatment="treat", covariates=COVARIATES, caliper=None, balance_sd="treated"
    )
    np.testing.assert_allclose(matched.balance["smd_before"], treated_sd["smd"], rtol=0, atol=1e-12)
    assert matched.balance_sd == "treated" and "treated group's SD" in matched.summary()
    # the default pooled SD is another denominator: age's SMD moves off MatchIt's -0.3094
    pooled = balance_table(lalonde_all_data, treatment="treat", covariates=COVARIATES)
    assert abs(pooled["smd"].iloc[0] - STD_MEAN_DIFF[0]) > 0.01


@pytest.fixture(scope="module")
def nsw_cps() -> pd.DataFrame:
    """NSW participants and the first 1,000 of Dehejia & Wahba's CPS comparison people: the
    scores overlap poorly at both ends, so every rule but "none" discards someone."""
    columns = ["treat", "age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]
    nsw = causaldata.nsw_mixtape.load_pandas().data
    cps = causaldata.cps_mixtape.load_pandas().data
    return pd.concat([nsw[nsw["treat"] == 1][columns], cps[columns].iloc[:1000]], ignore_index=True).astype(
        float
    )


def _matchit_discard(score: pd.Series, treated: np.ndarray, rule: str) -> np.ndarray:
    """MatchIt R/discard.R on the propensity score."""
    low0, high0 = score[~treated].min(), score[~treated].max()
    low1, high1 = score[treated].min(), score[treated].max()
    if rule == "both":
        return ((score < max(low0, low1)) | (score > min(high0, high1))).to_numpy()
    if rule == "control":
        return (~treated & ((score < low1) | (score > high1))).to_numpy()
    if rule == "treated":
        return (treated & ((score < low0) | (score > high0))).to_numpy()
    return np.zeros(len(score), dtype=bool)


@pytest.mark.parametrize("rule", ["none", "treated", "control", "both"])
def test_common_support_rules_are_matchits_discard(nsw_cps, rule):
    covariates = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]
    result = match(nsw_cps, treatment="treat", covariates=covariates, caliper=None, common_support=rule)
    treated = nsw_cps["treat"].to_numpy() == 1
    off = _matchit_discard(result.propensity, treated, rule)
    assert result.discarded["support"] == int((off & treated).sum())
    assert result.n_controls_discarded == int((off & ~treated).sum())
    assert result.n_matched == int((treated & ~off).sum())  # no caliper: every kept treated matched
    used = nsw_cps.index.get_indexer(pd.Index(result.pairs["control_index"].unique()))
    assert not off[used].any()
    assert result.common_support == rule
    if rule in ("control", "both"):
        assert result.n_controls_discarded > 100
    if rule in ("treated", "both"):
        assert result.discarded["support"] > 0
