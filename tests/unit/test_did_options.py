"""`staggered`'s weights, cluster and unbalanced options: input checks and invariances.

The reference comparisons (moderndid, R did 2.5.1's cluster sums) are in
tests/reference/test_did_estimator_options.py; these check what R did's documentation
promises of the options: weights of any common scale change nothing, clustering each unit
alone is unit-level inference, and the clustered multiplier bootstrap estimates the analytic
cluster-sum variance (R did's test-cluster-analytic.R checks the same, within 6%).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.did import staggered
from evaluation.did.inference import analytic_se, bootstrap_draws, cluster_sums
from evaluation.errors import DesignError, OptionError

STAG = {"outcome": "y", "unit": "id", "time": "t", "first_treated": "g"}


def _panel(seed: int = 0, periods: int = 5, clusters: int = 40) -> pd.DataFrame:
    """Staggered panel of 200 units sharing a shock each period within 40 clusters of 1 to 13."""
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(clusters), np.resize([1, 2, 4, 13], clusters))
    n = len(cluster)
    g = rng.choice([0, 3, 4], size=clusters)[cluster]
    shock = rng.normal(scale=1.5, size=(clusters, periods))
    t = np.tile(np.arange(1, periods + 1), n)
    unit = np.repeat(np.arange(n), periods)
    c, cohort = cluster[unit], g[unit]
    y = (
        rng.normal(size=n)[unit]
        + 0.3 * t
        + shock[c, t - 1]
        + ((cohort > 0) & (t >= cohort))
        + rng.normal(size=n * periods)
    )
    weight = rng.uniform(0.5, 2.0, size=n)[unit]
    return pd.DataFrame({"id": unit, "t": t, "g": cohort, "y": y, "area": c, "w": weight})


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return _panel()


def test_constant_weights_change_nothing(panel):
    plain = staggered(panel, **STAG, bootstrap=0)
    scaled = staggered(panel.assign(w=2.5), **STAG, weights="w", bootstrap=0)
    np.testing.assert_allclose(scaled.att_gt["estimate"], plain.att_gt["estimate"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(scaled.att_gt["std_error"], plain.att_gt["std_error"], rtol=1e-10)
    assert scaled.aggregate("dynamic").std_error == pytest.approx(
        plain.aggregate("dynamic").std_error, rel=1e-10
    )
    weighted = staggered(panel, **STAG, weights="w", bootstrap=0)
    assert not np.allclose(weighted.att_gt["estimate"], plain.att_gt["estimate"])


def test_each_unit_its_own_cluster_is_unit_level_inference(panel):
    plain = staggered(panel, **STAG, bootstrap=299, seed=5)
    alone = staggered(panel, **STAG, cluster="id", bootstrap=299, seed=5)
    np.testing.assert_allclose(alone.att_gt["std_error"], plain.att_gt["std_error"], rtol=1e-10)
    assert alone.critical_value == pytest.approx(plain.critical_value, rel=1e-10)
    assert alone.n_clusters == alone.n_units


def test_clustered_bootstrap_estimates_the_cluster_sum_variance(panel):
    res = staggered(panel, **STAG, cluster="area", bootstrap=0)
    psi, codes = res._core.psi, res._core.cluster
    draws = bootstrap_draws(cluster_sums(psi, codes), 4000, 3, psi.shape[0])
    np.testing.assert_allclose(draws.std(axis=0) / np.sqrt(psi.shape[0]), analytic_se(psi, codes), rtol=0.06)
    # the shared shocks make the clustered SEs larger than the unit-level ones
    assert np.median(res.att_gt["std_error"] / analytic_se(psi)) > 1.5


def test_option_values_are_checked(panel):
    with pytest.raises(OptionError, match="unbalanced"):
        staggered(panel, **STAG, unbalanced="keep")
    with pytest.raises(KeyError, match="weights='weight'"):
        staggered(panel, **STAG, weights="weight")
    with pytest.raises(KeyError, match="cluster='region'"):
        staggered(panel, **STAG, cluster="region")


def test_weights_and_clusters_must_be_constant_within_unit(panel):
    moving = panel.assign(w=np.where((panel.id == 4) & (panel.t == 2), 9.0, panel.w))
    with pytest.raises(DesignError, match="'w' changes within unit.*4"):
        staggered(moving, **STAG, weights="w", bootstrap=0)
    with pytest.raises(DesignError, match="non-negative"):
        staggered(panel.assign(w=-panel.w), **STAG, weights="w", bootstrap=0)
    switching = panel.assign(area=np.where((panel.id == 7) & (panel.t == 5), 99, panel.area))
    with pytest.raises(DesignError, match="'area' changes within unit.*7"):
        staggered(switching, **STAG, cluster="area", bootstrap=0)


def test_missing_weight_or_cluster_values_make_a_unit_incomplete(panel):
    blank = panel.assign(area=panel.area.where(~((panel.id == 3) & (panel.t == 1))))
    with pytest.warns(UserWarning, match="1 of 200 units .*: 3$"):
        res = staggered(blank, **STAG, cluster="area", bootstrap=0)
    assert res.n_units == 199 and res.n_dropped_incomplete == 1
    with pytest.raises(DesignError, match="missing values .* unit\\(s\\) 3"):
        staggered(blank, **STAG, cluster="area", bootstrap=0, unbalanced="raise")


def test_dropping_keeps_refusing_duplicates_and_empty_panels(panel):
    with pytest.raises(DesignError, match="repeat a \\(unit, time\\) pair"):
        staggered(pd.concat([panel, panel.head(1)]), **STAG, bootstrap=0)
    ragged = panel[(panel.id % 5) != panel.t - 1]  # every unit misses one period
    with pytest.raises(DesignError, match="no unit is seen"):
        staggered(ragged, **STAG, bootstrap=0)
