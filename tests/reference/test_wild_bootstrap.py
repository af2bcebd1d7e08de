"""`evaluation.did.few_clusters` against independent implementations and published figures.

References:
- [WBT] `wildboottest` 0.3.2 (PyPI; Fischer & Roodman's Python port of the "fast and wild"
  algorithm of Roodman, MacKinnon, Nielsen & Webb 2019, Stata Journal 19(1)), on the same
  statsmodels OLS. With full enumeration (Rademacher weights, 2^G < B) its p-values are
  deterministic and are compared to 1e-12. It enumerates Rademacher weights only, so for Webb
  weights the 6^G enumerated weight vectors are handed to its `WildboottestCL` steps and the
  bootstrap t statistics are compared draw by draw.
- [WBT-README] the worked example in wildboottest's README (data from numpy seed 12312312, 25
  clusters, 9,999 Rademacher draws): t = -1.0530803154504016, p = 0.308831 and 0.315132 in two
  printed runs (random draws, so compared within four Monte Carlo standard errors).
- [Webb] Webb (2023, Canadian Journal of Economics 56(3)): the six-point weights +/-sqrt(1/2),
  +/-1, +/-sqrt(3/2) with mean 0, variance 1 and fourth moment 7/6.
- scipy's `permutation_test` (exact when it can list every partition) for randomisation
  inference; statsmodels' cluster covariance with `use_t=True` (t on G - 1 df) for the t interval.
- `evaluation.did.staggered` and `evaluation.did.twfe` for the area designs written as regressions.

Ties: the bootstrap p-value is the share of draws with |t*| > |t| (Roodman et al. 2019, eq. 9;
fwildclusterboot and wildboottest code it as a strict inequality too). Under full enumeration the
all-equal weight vectors reproduce |t| exactly, so the strict inequality then depends on
rounding; we count them as ties (not exceeding), and compare with [WBT] by recomputing its p-value
from its own t* with that rule, and by bounding the difference to its printed p-value by the
number of all-equal vectors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from evaluation.did import staggered, twfe
from evaluation.did.few_clusters import (
    MIN_TREATED_CLUSTERS,
    RADEMACHER_MIN_CLUSTERS,
    WEBB_WEIGHTS,
    FewClusterIssue,
    _weight_draws,
    cluster_t_interval,
    count_assignments,
    cs_simple_design,
    few_cluster_check,
    randomisation_inference,
    twfe_design,
    wild_cluster_bootstrap,
)
from evaluation.errors import DesignError
from tests.simulation.area_dgp import area_panel

wbt = pytest.importorskip("wildboottest.wildboottest")


def _clustered_regression(seed: int, n_clusters: int, n: int = 240):
    """Unbalanced clusters, a regressor correlated with cluster, cluster-level shocks."""
    rng = np.random.default_rng(seed)
    clusters = rng.integers(0, n_clusters, n)
    X = pd.DataFrame(
        {"const": 1.0, "x1": rng.normal(size=n) + (clusters < n_clusters // 3), "x2": rng.normal(size=n)}
    )
    y = 0.15 * X["x1"] + rng.normal(size=n) + rng.normal(size=n_clusters)[clusters]
    return y.to_numpy(), X, clusters


def _area_regression(seed: int, n_treated: int, n_control: int):
    """The area TWFE regression (area and quarter dummies) of a small area panel."""
    panel = area_panel(seed, n_treated=n_treated, n_control=n_control, quarters=8, start=5, effect=0.5)
    wide = panel.pivot(index="unit", columns="t", values="y").to_numpy()
    first = panel.groupby("unit")["g"].first().to_numpy()
    design = twfe_design(wide, first)
    names = [f"c{i}" for i in range(design.X.shape[1] - 1)] + ["D"]
    return design.y, pd.DataFrame(design.X, columns=names), design.clusters


def _reference_run(y, X, clusters, param, *, impose_null=True, weights=None):
    """wildboottest's WCR11 steps; `weights` (G x B) replaces its own draws when given."""
    R = (np.asarray(X.columns) == param).astype(float)
    boot = wbt.WildboottestCL(
        X=X.to_numpy(), Y=np.asarray(y), cluster=clusters, R=R, B=9999, seed=1, parallel=False
    )
    boot.get_scores(bootstrap_type="11", impose_null=impose_null)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot.get_weights(weights_type="rademacher")
    if weights is not None:
        boot.v, boot.B = weights, weights.shape[1]
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    boot.get_pvalue(pval_type="two-tailed")
    return boot


def _strict_p(t_boot: np.ndarray, t_stat: float) -> float:
    """|t*| > |t| with exact ties (equal to 1e-10 relative) not counted, as ours."""
    return float(np.mean(np.abs(t_boot) > abs(t_stat) * (1 + 1e-10) + 1e-10))


CASES = {
    "regression, 10 unbalanced clusters": lambda: (*_clustered_regression(11, 10), "x1"),
    "regression, 12 unbalanced clusters": lambda: (*_clustered_regression(12, 12), "x1"),
    "area TWFE, 4 treated of 11 areas": lambda: (*_area_regression(5, 4, 7), "D"),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("impose_null", [True, False], ids=["WCR", "WCU"])
def test_rademacher_enumeration_matches_wildboottest(case, impose_null):
    y, X, clusters, param = CASES[case]()
    n_clusters = len(np.unique(clusters))
    ours = wild_cluster_bootstrap(
        y, X, clusters, param=param, weights="rademacher", B=9999, seed=None, impose_null=impose_null
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # wildboottest warns that it enumerates
        printed = wbt.wildboottest(
            sm.OLS(y, X),
            B=9999,
            cluster=clusters,
            param=param,
            weights_type="rademacher",
            impose_null=impose_null,
            seed=1,
            parallel=False,
            show=False,
        )
    reference = _reference_run(y, X, clusters, param, impose_null=impose_null)
    assert ours.full_enumeration and ours.draws == 2**n_clusters == reference.B
    assert ours.t_stat == pytest.approx(float(np.ravel(printed["statistic"].iloc[0])[0]), rel=1e-9)
    assert ours.p_value == pytest.approx(
        _strict_p(reference.t_boot, float(np.ravel(reference.t_stat)[0])), abs=1e-12
    )
    # the printed p-value differs at most by the two all-equal vectors (+/-1), whose |t*| ties |t|
    assert abs(ours.p_value - float(printed["p-value"].iloc[0])) <= 2 / 2**n_clusters + 1e-12


@pytest.mark.parametrize("case", CASES)
def test_webb_enumeration_gives_wildboottests_bootstrap_statistics(case):
    y, X, clusters, param = CASES[case]()
    keep = np.isin(clusters, np.unique(clusters)[:5])  # 6^5 = 7,776 <= 9,999: every vector listed
    y, X, clusters = y[keep], X[keep].loc[:, lambda f: f.std() > 0].assign(const=1.0), clusters[keep]
    ours = wild_cluster_bootstrap(y, X, clusters, param=param, weights="webb", B=9999, seed=None)
    assert ours.full_enumeration and ours.draws == 6**5
    weights, _ = _weight_draws("webb", 5, 9999, None)
    reference = _reference_run(y, X, clusters, param, weights=weights)
    ref_p = _strict_p(reference.t_boot, float(np.ravel(reference.t_stat)[0]))
    assert ours.p_value == pytest.approx(ref_p, abs=1e-12)
    assert abs(ours.p_value - reference.pvalue) <= 6 / 6**5 + 1e-12  # six all-equal vectors tie


def test_the_readme_example_of_wildboottest():
    # [WBT-README]: legacy numpy stream, 25 clusters, 1,000 observations, no constant
    legacy = np.random.RandomState(12312312)
    n, k, n_clusters = 1000, 10, 25
    X = pd.DataFrame(legacy.normal(0, 1, n * k).reshape((n, k)), columns=["X1", *map(str, range(1, k))])
    beta = legacy.normal(0, 1, k)
    beta[0] = 0.005
    y = 1 + X.to_numpy() @ beta + legacy.normal(0, 1, n)
    clusters = legacy.choice(list(range(n_clusters)), n)
    ours = wild_cluster_bootstrap(y, X, clusters, param="X1", weights="rademacher", B=9999, seed=2019)
    assert not ours.full_enumeration
    assert ours.t_stat == pytest.approx(-1.0530803154504016, rel=1e-10)
    # two printed runs of 9,999 random draws; Monte Carlo SE of one run about 0.0046
    published = np.mean([0.308831, 0.315132])
    assert abs(ours.p_value - published) < 4 * np.sqrt(2) * np.sqrt(0.31 * 0.69 / 9999)


def test_webb_weights_have_the_published_moments():
    assert np.allclose(np.sort(np.abs(WEBB_WEIGHTS)), np.sqrt([0.5, 0.5, 1, 1, 1.5, 1.5]))
    assert WEBB_WEIGHTS.mean() == pytest.approx(0, abs=1e-15)
    assert np.mean(WEBB_WEIGHTS**2) == pytest.approx(1)
    assert np.mean(WEBB_WEIGHTS**4) == pytest.approx(7 / 6)


def test_random_webb_draws_are_seeded_and_use_every_point():
    first, enumerated = _weight_draws("webb", 25, 999, 7)
    again, _ = _weight_draws("webb", 25, 999, 7)
    assert not enumerated and first.shape == (25, 999) and np.array_equal(first, again)
    shares = np.array([np.mean(first == w) for w in WEBB_WEIGHTS])
    assert np.allclose(shares, 1 / 6, atol=0.01)


def test_the_interval_is_the_set_of_nulls_the_bootstrap_does_not_reject():
    y, X, clusters, param = CASES["area TWFE, 4 treated of 11 areas"]()
    result = wild_cluster_bootstrap(y, X, clusters, param=param, B=999, seed=4)
    width = result.ci_upper - result.ci_lower
    for end, outward in ((result.ci_lower, -1), (result.ci_upper, 1)):
        outside = wild_cluster_bootstrap(
            y, X, clusters, param=param, B=999, seed=4, null=end + outward * 1e-6 * width
        )
        inside = wild_cluster_bootstrap(
            y, X, clusters, param=param, B=999, seed=4, null=end - outward * 1e-6 * width
        )
        assert outside.p_value <= 0.05 < inside.p_value
    assert (result.p_value <= 0.05) == (not result.ci_lower <= 0 <= result.ci_upper)
    # the bootstrap interval is not the t interval: it is asymmetric about the estimate
    assert result.ci_upper - result.estimate != pytest.approx(result.estimate - result.ci_lower, rel=1e-3)


def test_a_fit_without_residual_variation_is_refused():
    X = pd.DataFrame({"const": 1.0, "x": np.arange(12.0)})
    with pytest.raises(DesignError):
        wild_cluster_bootstrap(2 + 0.5 * X["x"], X, np.arange(12) // 3, param="x", seed=1)


def test_t_interval_on_g_minus_1_df_matches_statsmodels():
    y, X, clusters, param = CASES["regression, 12 unbalanced clusters"]()
    fit = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True)
    ours = cluster_t_interval(fit.params[param], fit.bse[param], 12)
    assert ours.df == 11 and ours.critical_value == pytest.approx(stats.t.ppf(0.975, 11))
    assert (ours.ci_lower, ours.ci_upper) == pytest.approx(tuple(fit.conf_int().loc[param]), rel=1e-12)
    assert ours.p_value == pytest.approx(fit.pvalues[param], rel=1e-10)
    wcr = wild_cluster_bootstrap(y, X, clusters, param=param, B=99, seed=1)
    assert wcr.std_error == pytest.approx(fit.bse[param], rel=1e-12)
    assert wcr.cluster_t == ours


def test_randomisation_inference_matches_scipys_exact_permutation_test():
    rng = np.random.default_rng(3)
    outcome = rng.normal(size=11) + np.r_[np.full(4, 0.8), np.zeros(7)]
    first = np.r_[np.full(4, 5), np.zeros(7)]

    def difference(assignment):
        return outcome[assignment > 0].mean() - outcome[assignment == 0].mean()

    ours = randomisation_inference(difference, first, seed=None)
    scipy_test = stats.permutation_test(
        (outcome[:4], outcome[4:]),
        lambda a, b, axis: np.abs(np.mean(a, axis=axis) - np.mean(b, axis=axis)),
        permutation_type="independent",
        alternative="greater",
        n_resamples=np.inf,
    )
    assert ours.exact and ours.n_assignments == 330 == ours.n_evaluated
    assert ours.p_value == pytest.approx(scipy_test.pvalue, abs=1e-12)
    assert ours.smallest_p_value == pytest.approx(1 / 330)


def test_randomisation_inference_lists_every_distinct_assignment_of_staggered_starts():
    first = np.array([3, 3, 5, 0, 0, 0, 0])
    seen: list[tuple] = []

    def record(assignment):
        seen.append(tuple(assignment))
        return float(assignment @ np.arange(7))

    result = randomisation_inference(record, first, seed=None)
    listed = seen[1:]  # the first call is the observed assignment
    assert count_assignments(first) == 7 * 6 // 2 * 5 == 105
    assert result.exact and len(listed) == len(set(listed)) == 105
    assert all(sorted(a) == sorted(first) for a in listed) and tuple(first) in listed


def test_randomisation_inference_samples_with_a_seed_beyond_the_limit():
    first = np.r_[np.full(7, 11), np.zeros(18)]
    stat = lambda a: float(a[:5].sum())  # noqa: E731
    one = randomisation_inference(stat, first, enumerate_up_to=100, draws=199, seed=9)
    two = randomisation_inference(stat, first, enumerate_up_to=100, draws=199, seed=9)
    assert not one.exact and one.n_assignments == 480_700 and one.n_evaluated == 199
    assert one == two and one.smallest_p_value == pytest.approx(1 / 200)


@pytest.mark.parametrize("starts", ["one cohort", "staggered"])
def test_area_designs_reproduce_the_toolkits_estimates(starts):
    panel = area_panel(8, n_treated=7, rho=0.7, effect=1.0)
    if starts == "staggered":
        cohort = {0: 8, 1: 8, 2: 14, 3: 20}  # 20 > 18 quarters: treated after the panel, as never
        panel["g"] = panel["g"].where(~panel["unit"].isin(list(cohort)), panel["unit"].map(cohort))
    panel["D"] = ((panel["g"] > 0) & (panel["t"] >= panel["g"])).astype(float)
    wide = panel.pivot(index="unit", columns="t", values="y").to_numpy()
    first = panel.groupby("unit")["g"].first().to_numpy()
    simple = staggered(panel, outcome="y", unit="unit", time="t", first_treated="g", bootstrap=0).aggregate(
        "simple"
    )
    assert cs_simple_design(wide, first).estimate == pytest.approx(simple.estimate, rel=1e-10)
    fixed = twfe(panel, outcome="y", unit="unit", time="t", treatment="D")
    design = twfe_design(wide, first)
    assert design.estimate == pytest.approx(fixed.estimate, rel=1e-10)
    assert wild_cluster_bootstrap(
        design.y, design.X, design.clusters, param=design.param, B=9, seed=1
    ).std_error == pytest.approx(fixed.std_error, rel=1e-10)


def test_too_few_treated_or_comparison_areas_give_no_verdict():
    one = few_cluster_check(1, 18)
    assert not one.verdict and not (one.cluster_t or one.wild_bootstrap or one.randomisation)
    assert FewClusterIssue.TOO_FEW_TREATED in one.issues
    assert FewClusterIssue.TOO_FEW_ASSIGNMENTS in one.issues and one.smallest_ri_p_value == pytest.approx(
        1 / 19
    )
    assert few_cluster_check(MIN_TREATED_CLUSTERS - 1, 18).verdict is False
    assert few_cluster_check(MIN_TREATED_CLUSTERS, 18).verdict is True
    assert FewClusterIssue.TOO_FEW_CONTROL in few_cluster_check(18, 2).issues
    seven = few_cluster_check(7, 18)
    assert seven.verdict and seven.wild_bootstrap and seven.randomisation and seven.issues == ()


def test_rademacher_weights_and_randomisation_need_enough_clusters_and_assignments():
    small = few_cluster_check(4, RADEMACHER_MIN_CLUSTERS - 5, weights="rademacher")
    assert not small.wild_bootstrap and small.cluster_t
    assert FewClusterIssue.RADEMACHER_TOO_FEW_CLUSTERS in small.issues
    assert few_cluster_check(4, 6, weights="webb").wild_bootstrap
    # 4 of 8 areas: 70 assignments, 5% of them is 3.5 < 20 in the rejection region
    assert not few_cluster_check(4, 4).randomisation
    assert few_cluster_check(4, 14).randomisation  # 3,060 assignments
    staggered_starts = count_assignments([3, 3, 5, 5, 0, 0, 0, 0])
    assert staggered_starts == 420 and few_cluster_check(4, 4, n_assignments=staggered_starts).randomisation
