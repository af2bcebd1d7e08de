"""`honest_did` on the Medicaid example of the HonestDiD README against its published tables.

Source: github.com/asheshrambachan/HonestDiD, README.md (rendered 2024-03-28, commit 99e05c7,
unchanged since), section "Example usage - Medicaid expansions": a TWFE event study of `dins`
on the ehec data (years 2008-2015, the 2015 expansion cohort dropped, D = first expansion in
2014, reference year 2013, fixest `feols(... | stfips + year, cluster = "stfips")`), then
- [RM] `createSensitivityResults_relativeMagnitudes(numPrePeriods = 5, numPostPeriods = 2,
  Mbarvec = seq(0.5, 2, by = 0.5))`, printed lb / ub;
- [SD] `createSensitivityResults(Mvec = seq(0, 0.05, by = 0.01))`, printed lb / ub;
- [SDc] the same with a random control added ("Regressions with controls"), printed lb / ub.
The README prints 3 significant figures; its knitr cache in the same commit
(README_cache/gfm/unnamed-chunk-{4,6,7,8}_*.rdb) holds the same tables at full precision, the
average-effect ones (`l_vec = c(0.5, 0.5)`, Mbar = 0, 0.5, ..., 2, and `constructOriginalCS`)
and the [SDc] coefficients and covariance, used below as they are stored.

What agrees, and why:
- the event study: our statsmodels fit with fixest's small-sample factor reproduces the
  cached original interval of the average effect to 1e-12 (so betahat and sigma are the README's);
- [RM], both targets: to the last digit (1e-12), as the least-favourable critical value is
  simulated with R's generator and seed, and the grid is HonestDiD's;
- [SD], [SDc]: to 3 decimals (5e-4) of the printed figures and within 4e-5 of the cached ones.
  HonestDiD simulates the folded-normal quantile of the FLCI with 10^6 draws (its 1.9623 where
  the exact quantile is 1.9600), so its half-lengths are about 0.1% longer; the centres agree.
The README's breakdown values ("Mbar = 2", "M ~ 0.03") are read off these grids; ours must lie
between the last grid value that excludes zero and the first that includes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evaluation.sensitivity.honest import _Flci, _r_normals, honest_did

EVENT_YEARS = [2008, 2009, 2010, 2011, 2012, 2014, 2015]  # 2013 is the reference year
MBAR = [0.5, 1.0, 1.5, 2.0]
M = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05]
DECIMALS_3 = 5e-4  # "to 3 decimals": half a unit in the third decimal place

# [RM] printed: Mbar -> (lb, ub), and the knitr cache (chunk 4)
RM_PRINTED = {0.5: (0.0241, 0.0673), 1.0: (0.0171, 0.0720), 1.5: (0.00859, 0.0796), 2.0: (-0.00107, 0.0883)}
RM_CACHED = {
    0.5: (0.024130122237794344, 0.06726330158312863),
    1.0: (0.017093720963044234, 0.07196297648143499),
    1.5: (0.008586907802101723, 0.0795988279137052),
    2.0: (-0.0010670258970860713, 0.08834728003302408),
}
# average of the two post-period effects (chunk 7): Mbar -> (lb, ub), and the original interval
RM_AVERAGE_CACHED = {
    0.0: (0.04053046714881314, 0.07512256249015431),
    0.5: (0.03214178319537053, 0.07981560160559506),
    1.0: (0.01938431730559176, 0.09014856148539291),
    1.5: (0.005824264875491425, 0.1035014948083135),
    2.0: (-0.008538374094930495, 0.11724861535515924),
}
ORIGINAL_AVERAGE_CACHED = (0.04036995251077609, 0.07528307712819136)
# [SD] printed and cached (chunk 6), M as in M above
SD_PRINTED = [(0.0259, 0.0607), (0.0132, 0.0787), (0.00286, 0.0907), (-0.00714, 0.101), (-0.0171, 0.111), (-0.0271, 0.121)]  # fmt: skip
SD_CACHED = [
    (0.02594147902742559, 0.06072578637633297),
    (0.013197025151447349, 0.0786707425358153),
    (0.002856995951433544, 0.09071603940652409),
    (-0.007142576403053387, 0.10071561176101101),
    (-0.017142576402225745, 0.11071561176018338),
    (-0.027142576401398125, 0.12071561175935576),
]
# [SDc] printed, with the cached coefficients and covariance (chunk 8) of that regression
SDC_PRINTED = [(0.0264, 0.0607), (0.0128, 0.0788), (0.00186, 0.0908), (-0.00814, 0.101), (-0.0181, 0.111), (-0.0281, 0.121)]  # fmt: skip
SDC_BETA = [-0.00550345940206875, -0.01122778820363205, -0.0024676126204477883, -0.0016661616464780146, -0.0002392167160723217, 0.046573191126320905, 0.06929652113913157]  # fmt: skip
SDC_SIGMA_LOWER = [  # row by row, the lower triangle
    [7.961911625843814e-05],
    [6.412780246129048e-05, 7.515798352060588e-05],
    [4.6519083061812765e-05, 3.9528649627876766e-05, 5.128056197440992e-05],
    [3.6171764713886395e-05, 3.0421758561458543e-05, 2.837059882786142e-05, 4.138173887696788e-05],
    [
        4.6858154911574167e-05,
        4.8454431326260225e-05,
        2.9572913502559405e-05,
        2.5909365667858778e-05,
        5.788266974628532e-05,
    ],  # fmt: skip
    [
        5.026146001056232e-05,
        4.609163830057115e-05,
        3.3266756470467304e-05,
        2.5711066354935596e-05,
        3.981601514993493e-05,
        8.4278488176577e-05,
    ],  # fmt: skip
    [
        2.6050451033468366e-05,
        2.844123776676667e-05,
        1.1617401205213651e-05,
        4.599738363713679e-06,
        1.1712581058450754e-05,
        6.24777842076134e-05,
        0.00010607763842677617,
    ],  # fmt: skip
]


def _symmetric(lower: list[list[float]]) -> np.ndarray:
    out = np.zeros((len(lower), len(lower)))
    for i, row in enumerate(lower):
        out[i, : len(row)] = row
    return out + np.tril(out, -1).T


@pytest.fixture(scope="module")
def event_study() -> tuple[np.ndarray, np.ndarray]:
    """The README's TWFE event study: coefficients (2008..2015 without 2013) and covariance,
    clustered by state with fixest's small-sample factor G/(G-1) * (n-1)/(n-K), where K counts
    the 7 event-time coefficients and the 8 year effects but not the state effects, which are
    nested in the clusters (fixest's default). statsmodels' own factor would count the states."""
    data = pytest.importorskip("moderndid.core.data")
    frame: pd.DataFrame = data.load_ehec().to_pandas()
    frame = frame[(frame["year"] < 2016) & (frame["yexp2"] != 2015)].reset_index(drop=True)
    treated = frame["yexp2"] == 2014
    names = [f"d{year}" for year in EVENT_YEARS]
    for name, year in zip(names, EVENT_YEARS, strict=True):
        frame[name] = (treated & (frame["year"] == year)).astype(float)
    fit = smf.ols(f"dins ~ {' + '.join(names)} + C(stfips) + C(year)", data=frame).fit(
        cov_type="cluster", cov_kwds={"groups": frame["stfips"], "use_correction": False}
    )
    n, clusters, k = len(frame), frame["stfips"].nunique(), len(names) + frame["year"].nunique()
    factor = clusters / (clusters - 1) * (n - 1) / (n - k)
    return fit.params[names].to_numpy(), fit.cov_params().loc[names, names].to_numpy() * factor


@pytest.fixture(scope="module")
def first_effect(event_study):
    beta, sigma = event_study
    return honest_did(beta, sigma, 5, 2, mbar=MBAR, m=M)


def test_r_generator_gives_rs_normals():
    """R >= 3.6: set.seed(0); rnorm(5) prints 1.2629543 -0.3262334 1.3297993 1.2724293 0.4146414."""
    expected = [1.2629543, -0.3262334, 1.3297993, 1.2724293, 0.4146414]
    np.testing.assert_allclose(_r_normals(5, 0), expected, atol=5e-8)


def test_event_study_is_the_readmes(event_study):
    beta, sigma = event_study
    result = honest_did(beta, sigma, 5, 2, l_vec=[0.5, 0.5], mbar=[0.0], m=[0.0], breakdown=False)
    np.testing.assert_allclose(result.original, ORIGINAL_AVERAGE_CACHED, rtol=0, atol=1e-12)


def test_relative_magnitudes_table(first_effect):
    rows = {r.bound: (r.lower, r.upper) for r in first_effect.relative_magnitudes}
    for mbar in MBAR:
        np.testing.assert_allclose(rows[mbar], RM_PRINTED[mbar], rtol=0, atol=DECIMALS_3)
        assert [float(f"{x:.3g}") for x in rows[mbar]] == list(RM_PRINTED[mbar])  # as R prints it
        np.testing.assert_allclose(rows[mbar], RM_CACHED[mbar], rtol=0, atol=1e-12)


def test_relative_magnitudes_of_the_average_effect(event_study):
    beta, sigma = event_study
    result = honest_did(
        beta, sigma, 5, 2, l_vec=[0.5, 0.5], mbar=list(RM_AVERAGE_CACHED), m=[0.0], breakdown=False
    )
    rows = {r.bound: (r.lower, r.upper) for r in result.relative_magnitudes}
    for mbar, expected in RM_AVERAGE_CACHED.items():
        np.testing.assert_allclose(rows[mbar], expected, rtol=0, atol=1e-12)


def test_smoothness_table(first_effect):
    for row, printed, cached in zip(first_effect.smoothness, SD_PRINTED, SD_CACHED, strict=True):
        np.testing.assert_allclose((row.lower, row.upper), printed, rtol=0, atol=DECIMALS_3)
        np.testing.assert_allclose((row.lower, row.upper), cached, rtol=0, atol=4e-5)
        assert abs((row.lower + row.upper) - sum(cached)) / 2 < 1e-5  # the same estimator


def test_smoothness_differs_from_r_only_by_rs_simulated_quantile(event_study):
    """HonestDiD's half-length is sd * quantile(|N(0,1) draws + bias / sd|, 0.95) over 10^6 draws
    after set.seed(0). With that in place of the exact quantile, R's half-lengths come back:
    to 1e-9 where the optimum is the least-bias estimator (M >= 0.02), to 1e-5 where R's conic
    solver and bisection over sd find the optimum (M = 0, 0.01), ours being the shorter there."""
    beta, sigma = event_study
    flci = _Flci(sigma, 5, np.array([1.0, 0.0]), 0.05)
    draws = _r_normals(10**6, 0)
    for m, cached in zip(M, SD_CACHED, strict=True):
        _, sd, bias = flci.solve(m)
        simulated = np.quantile(np.abs(draws + bias / sd), 0.95) * sd
        published = (cached[1] - cached[0]) / 2
        assert simulated == pytest.approx(published, rel=1e-5 if m < 0.02 else 1e-9)
        assert simulated <= published * (1 + 1e-9)


def test_smoothness_table_with_a_control():
    result = honest_did(SDC_BETA, _symmetric(SDC_SIGMA_LOWER), 5, 2, mbar=[1.0], m=M, breakdown=False)
    for row, printed in zip(result.smoothness, SDC_PRINTED, strict=True):
        np.testing.assert_allclose((row.lower, row.upper), printed, rtol=0, atol=DECIMALS_3)


def test_breakdown_values_lie_between_the_grid_values(first_effect, event_study):
    """RM: significant at Mbar = 1.5, not at 2 ("breakdown ... Mbar = 2" in the README); SD:
    significant at M = 0.02, not at 0.03 ("M ~ 0.03"). Each breakdown value is the boundary:
    its interval excludes zero, a slightly larger bound's includes it."""
    result = first_effect
    assert result.original_excludes_zero
    assert 1.5 < result.breakdown_rm < 2.0
    assert 0.02 < result.breakdown_sd < 0.03
    beta, sigma = event_study
    rm, sd = result.breakdown_rm, result.breakdown_sd
    edges = honest_did(beta, sigma, 5, 2, mbar=[rm, rm + 2e-3], m=[sd, sd * 1.002], breakdown=False)
    assert [r.excludes_zero for r in edges.relative_magnitudes] == [True, False]
    assert [r.excludes_zero for r in edges.smoothness] == [True, False]


@pytest.mark.parametrize(("n_pre", "n_post", "keep"), [(5, 1, slice(0, 6)), (1, 2, slice(4, 7))])
def test_other_shapes_give_nested_intervals(event_study, n_pre, n_post, keep):
    """One post-start period (no nuisance) and one pre-start period: larger bounds allow more
    trends, so each interval contains the previous one (up to one grid step for Delta^RM)."""
    beta, sigma = event_study
    result = honest_did(beta[keep], sigma[keep, keep], n_pre, n_post, mbar=[0, 0.5, 1, 2], m=[0, 0.01, 0.02])
    for rows, slack in ((result.relative_magnitudes, 5e-4), (result.smoothness, 1e-12)):
        assert all(np.isfinite([r.lower for r in rows]))
        for narrow, wide in zip(rows, rows[1:], strict=False):
            assert wide.lower <= narrow.lower + slack and wide.upper >= narrow.upper - slack
        assert rows[-1].upper - rows[-1].lower > rows[0].upper - rows[0].lower
    assert result.breakdown_rm is not None and result.breakdown_rm > 0
