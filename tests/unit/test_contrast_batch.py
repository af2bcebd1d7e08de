"""`weighted_contrasts` (several outcomes in one pass) gives what `weighted_contrast` gives for each.

The batched form shares one pseudo-inverse between outcomes with the same usable rows and
computes statsmodels' clustered variance as the correction times the sum of squared per-person
contributions; the two are the same quantity (see its docstring). Every field is compared with
the one-at-a-time statsmodels fit on the same data: outcomes with different missing rows,
regression adjustment with a column of zeros (a cohort absent at that month: rank deficient),
a single participant, no participant, and a single cluster.
"""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.contrast import Contrast, weighted_contrast, weighted_contrasts


def _data(seed: int = 0, n: int = 300, n_clusters: int = 120):
    rng = np.random.default_rng(seed)
    clusters = rng.integers(0, n_clusters, n)
    treated = rng.random(n) < 0.3
    adjust = np.column_stack([rng.normal(size=n), (rng.random(n) < 0.4).astype(float)])
    weights = np.where(treated, 1.0, rng.uniform(0.0, 1.0, n))
    weights[rng.random(n) < 0.1] = 0.0
    ys = rng.normal(size=(n, 6)) + 0.2 * treated[:, None] + 0.3 * rng.normal(size=(n_clusters, 1))[clusters]
    ys[rng.random(n) < 0.2, 1] = np.nan  # a month some rows are not followed to
    ys[:, 2] = ys[:, 0]
    ys[np.isnan(ys[:, 1]), 2] = np.nan  # the same rows missing as column 1: one shared fit
    ys[treated, 3] = np.nan  # nobody treated followed
    only = np.flatnonzero(treated)[1:]
    ys[only, 4] = np.nan  # a single participant: estimate, but no standard error
    levels = (ys > 0).astype(float)
    levels[np.isnan(ys)] = np.nan
    return ys, treated, weights, clusters, adjust, levels


def _same(batch: Contrast, one: Contrast) -> None:
    assert batch.n_treated == one.n_treated and batch.n_comparisons == one.n_comparisons
    for name in ("estimate", "std_error", "treated_rate", "comparison_rate"):
        a, b = getattr(batch, name), getattr(one, name)
        assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-10, abs=1e-14), name
    np.testing.assert_allclose(batch.contributions, one.contributions, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("adjusted", [False, True])
def test_each_column_is_the_single_contrast(adjusted):
    ys, treated, weights, clusters, adjust, levels = _data()
    regressors = np.column_stack([adjust, np.zeros(len(ys))]) if adjusted else None  # rank deficient
    options = dict(treated=treated, weights=weights, clusters=clusters, n_clusters=120, adjust=regressors)
    found = weighted_contrasts(ys, levels=levels, **options)
    assert len(found) == ys.shape[1]
    for j, batch in enumerate(found):
        _same(batch, weighted_contrast(ys[:, j], level=levels[:, j], **options))
    assert found[3].n_treated == 0 and np.isnan(found[3].estimate)
    assert found[4].n_treated == 1 and np.isfinite(found[4].estimate) and np.isnan(found[4].std_error)
    assert np.isfinite(found[0].std_error) and found[0].std_error > 0


def test_levels_default_to_the_outcomes_and_a_single_cluster_has_no_standard_error():
    ys, treated, weights, _, _, _ = _data(1)
    one_cluster = np.zeros(len(ys), dtype=np.int64)
    options = dict(treated=treated, weights=weights, clusters=one_cluster, n_clusters=1)
    found = weighted_contrasts(ys[:, :2], **options)
    for j, batch in enumerate(found):
        single = weighted_contrast(ys[:, j], **options)
        _same(batch, single)
        assert np.isnan(batch.std_error) and np.isfinite(batch.estimate)
