"""The propensity logit's warm start (matching._warm_start) reaches the maximum a fit from zero
reaches, in fewer full passes, and a problem on the warm path is found as before."""

from __future__ import annotations

import numpy as np

from evaluation import matching


def _design(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    linear = -5.0 + x @ np.array([1.0, -0.5, 0.8, 0.0, 0.3])
    treated = rng.random(n) < 1 / (1 + np.exp(-linear))
    return np.column_stack([np.ones(n), x]), treated


def test_warm_start_gives_the_maximum_a_fit_from_zero_gives():
    design, treated = _design(60_000)
    assert len(design) > matching.WARM_START_ROWS
    start = matching._warm_start(design, treated)
    assert start is not None
    cold, problem = matching._newton_logit(design, treated, None)
    warm, warm_problem = matching._fit_logit(design, treated)
    assert problem == warm_problem == ""
    np.testing.assert_allclose(warm, cold, rtol=0, atol=1e-10)
    # the start is near the maximum, not at it: Newton still has work to do
    assert 1e-6 < np.abs(start - cold).max() < 1.0


def test_small_fits_start_from_zero():
    design, treated = _design(5_000)
    assert matching._warm_start(design, treated) is None


def test_separation_is_reported_on_the_warm_path_as_from_zero():
    design, treated = _design(60_000)
    separated = design.copy()
    separated[:, 1] = np.where(treated, 10.0, -10.0)  # one covariate separates completely
    warm = matching._fit_logit(separated, treated)
    cold = matching._newton_logit(separated, treated, None)
    assert warm[1] == cold[1] != ""
    assert warm[0].size == 0
