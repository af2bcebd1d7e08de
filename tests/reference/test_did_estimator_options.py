"""`staggered`'s sampling weights, cluster variable and unbalanced panels against R `did`.

References:
- moderndid 0.2.0 (`att_gt`, `aggte`), a Python port of R `did`, run live on mpdta with
  `weightsname`, `clustervars` and an unbalanced panel.
- R `did` 2.5.1 (bcallaway11/did, `R/att_gt.R`, `R/mboot.R`, `R/compute.aggte.R`; tests
  `test-cluster-analytic.R`, `test-mboot-cluster.R`): with a cluster variable the variance
  comes from cluster *sums* of the influence function (Callaway & Sant'Anna 2021, Remark 10),
  analytic SE sqrt(sum_c S_c^2) / n, and the Wald pre-test uses that covariance. moderndid
  0.2.0 implements the older cluster *means*, which agree with sums only for equal-sized
  clusters, so R 2.5.1's formula is applied to moderndid's influence functions for unequal
  clusters and moderndid's bootstrap is compared directly only on equal-sized ones.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from evaluation.did import staggered

md = pytest.importorskip("moderndid")
pl = pytest.importorskip("polars")

COLUMNS = {"outcome": "lemp", "unit": "countyreal", "time": "year", "first_treated": "first.treat"}
KINDS = ["simple", "group", "dynamic", "calendar"]


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    """mpdta with a sampling weight (county population, exp(lpop)), its state (the FIPS code's
    leading digits: 29 clusters of 3 to 46 counties) and blocks of 5 counties (100 clusters)."""
    frame = md.load_mpdta().to_pandas()
    ids = np.sort(frame["countyreal"].unique())
    return frame.assign(
        pop=np.exp(frame["lpop"]),
        state=frame["countyreal"] // 1000,
        block=frame["countyreal"].map(dict(zip(ids, np.arange(len(ids)) // 5, strict=True))),
    )


def _reference(frame: pd.DataFrame, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return md.att_gt(
            pl.from_pandas(frame),
            yname="lemp",
            tname="year",
            idname="countyreal",
            gname="first.treat",
            cband=False,
            **options,
        )


def _reference_unit_order(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per county in moderndid's influence-function order (cohort, never-treated last)."""
    units = frame.groupby("countyreal").first()
    order = units["first.treat"].replace(0, np.inf)
    return units.assign(_order=order).sort_values("_order", kind="stable")


@pytest.mark.parametrize(
    ("covariates", "method"), [(None, "dr"), ("lpop", "dr"), ("lpop", "reg"), ("lpop", "ipw")]
)
def test_sampling_weights_match_moderndid(mpdta, covariates, method):
    """Cells, analytic SEs, Wald pre-test and all four aggregates with weightsname="pop".

    moderndid 0.2.0's att_gt does not pass the weights on to aggte (its result's weights_ind
    stays None when weightsname is given), so they are handed over per unit, as R's aggte
    reads them (`dta$.w`), before aggregating.
    """
    ours = staggered(mpdta, **COLUMNS, covariates=covariates, method=method, weights="pop", bootstrap=0)
    ref = _reference(
        mpdta,
        weightsname="pop",
        xformla=None if covariates is None else f"~{covariates}",
        est_method=method,
        boot=False,
    )
    np.testing.assert_allclose(ours.att_gt["estimate"], ref.att_gt, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.att_gt["std_error"], ref.se_gt, rtol=1e-8)
    assert ours.pretrend_test.statistic == pytest.approx(ref.wald_stat, rel=1e-8)
    assert ours.weights == "pop"
    units = _reference_unit_order(mpdta)
    assert np.array_equal(units["_order"].to_numpy(), np.asarray(ref.G))
    weighted = ref._replace(weights_ind=units["pop"].to_numpy())
    unweighted_simple = md.aggte(ref, type="simple", boot=False, cband=False).overall_att
    for kind in KINDS:
        agg, expected = ours.aggregate(kind), md.aggte(weighted, type=kind, boot=False, cband=False)
        assert agg.estimate == pytest.approx(expected.overall_att, rel=0, abs=1e-9), kind
        assert agg.std_error == pytest.approx(expected.overall_se, rel=1e-8), kind
        if kind != "simple":
            np.testing.assert_allclose(agg.detail["estimate"], expected.att_by_event, rtol=0, atol=1e-9)
            np.testing.assert_allclose(agg.detail["std_error"], expected.se_by_event, rtol=1e-8)
    # the cohort shares are weighted: the unweighted shares give another simple aggregate
    assert abs(ours.aggregate("simple").estimate - unweighted_simple) > 1e-3


def _cluster_sum_se(influence: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """R did 2.5.1's analytic clustered SE: sqrt(colSums(rowsum(inffunc, cluster)^2)) / n."""
    sums = np.array([influence[codes == c].sum(axis=0) for c in np.unique(codes)])
    return np.sqrt((sums**2).sum(axis=0)) / influence.shape[0]


def test_analytic_cluster_se_is_r_cluster_sum_on_unequal_clusters(mpdta):
    """Clustering by state (29 clusters of unequal size): every cell and aggregate SE, and the
    pre-test, from cluster sums of moderndid's influence functions (R did 2.5.1's formula)."""
    ours = staggered(mpdta, **COLUMNS, cluster="state", bootstrap=0)
    ref = _reference(mpdta, boot=False)
    codes = _reference_unit_order(mpdta)["state"].to_numpy()
    assert ours.cluster == "state" and ours.n_clusters == 29
    np.testing.assert_allclose(ours.att_gt["estimate"], ref.att_gt, rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        ours.att_gt["std_error"], _cluster_sum_se(ref.influence_func, codes), rtol=1e-8
    )
    # clustering matters here (state SEs run from half to 1.5 times the unit-level ones)
    assert np.max(np.abs(ours.att_gt["std_error"] / ref.se_gt - 1)) > 0.3
    pre = np.flatnonzero(ref.groups > ref.times)
    sums = np.array([ref.influence_func[codes == c][:, pre].sum(axis=0) for c in np.unique(codes)])
    n = ref.influence_func.shape[0]
    wald = n * ref.att_gt[pre] @ np.linalg.solve(sums.T @ sums / n, ref.att_gt[pre])
    assert ours.pretrend_test.statistic == pytest.approx(wald, rel=1e-8)
    for kind in KINDS:
        agg, expected = ours.aggregate(kind), md.aggte(ref, type=kind, boot=False, cband=False)
        overall = _cluster_sum_se(np.asarray(expected.influence_func_overall).reshape(n, 1), codes)
        assert agg.std_error == pytest.approx(overall[0], rel=1e-8), kind
        assert agg.n_clusters == 29
        if kind != "simple":
            detail = _cluster_sum_se(np.asarray(expected.influence_func), codes)
            np.testing.assert_allclose(agg.detail["std_error"], detail, rtol=1e-8)


def test_cluster_bootstrap_matches_moderndid_on_equal_clusters(mpdta):
    """Blocks of 5 counties (100 equal clusters, where R's old cluster means and 2.5.1's sums
    coincide): moderndid's clustered multiplier bootstrap against ours, 20,000 draws each with
    different seeds. An IQR-based SE from B draws has a relative Monte Carlo SD of about
    1.17 / sqrt(B) (0.8% here), so two independent ones differ by under 5% (4 SDs)."""
    ref = _reference(mpdta, clustervars=["block"], boot=True, biters=20_000, random_state=11)
    ours = staggered(mpdta, **COLUMNS, cluster="block", bootstrap=20_000, seed=29)
    np.testing.assert_allclose(ours.att_gt["std_error"], ref.se_gt, rtol=0.05)
    unclustered = _reference(mpdta, boot=False).se_gt
    assert np.max(np.abs(ref.se_gt / unclustered - 1)) > 0.2  # the test can tell clustering apart


def test_unbalanced_panel_is_balanced_as_moderndid_does(mpdta):
    """40 random rows removed and 3 outcomes blanked: moderndid (allow_unbalanced_panel=False,
    R did's default) drops the incomplete counties and estimates on the rest, as we do."""
    rng = np.random.default_rng(0)
    gappy = mpdta.drop(index=mpdta.index[rng.choice(len(mpdta), 40, replace=False)])
    gappy.loc[gappy.index[[3, 50, 700]], "lemp"] = np.nan
    ref = _reference(gappy, xformla="~lpop", boot=False)
    n_ref = ref.estimation_params["n_units"]
    with pytest.warns(UserWarning, match=f"{500 - n_ref} of 500 units are missing") as caught:
        ours = staggered(gappy, **COLUMNS, covariates="lpop", bootstrap=0)
    assert len(caught) == 1
    assert ours.n_units == n_ref and ours.n_dropped_incomplete == 500 - n_ref > 30
    np.testing.assert_allclose(ours.att_gt["estimate"], ref.att_gt, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.att_gt["std_error"], ref.se_gt, rtol=1e-8)
    assert ours.pretrend_test.statistic == pytest.approx(ref.wald_stat, rel=1e-8)
