"""Unit tests for evaluation.matching: hand-computed examples, simulated truths, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from evaluation.errors import DesignError
from evaluation.matching import (
    ATTResult,
    MatchResult,
    WeightingResult,
    att,
    balance_table,
    match,
    weighting,
)

# ---------------------------------------------------------------- hand-built examples
# One covariate, so the logit score is a + b*x with b > 0: nearest on the score is nearest
# on x, and a caliper of c SDs of the score is c pooled SDs of x. Everything below can be
# worked out with pencil and paper.

TREATED_X = [1.0, 2.0, 5.0]
TREATED_Y = [10.0, 12.0, 20.0]
CONTROL_X = [0.0, 1.2, 1.9, 3.0, 4.6, 6.0]
CONTROL_Y = [5.0, 7.0, 8.0, 9.0, 15.0, 11.0]


def hand_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "d": [1] * 3 + [0] * 6,
            "x": TREATED_X + CONTROL_X,
            "y": TREATED_Y + CONTROL_Y,
        },
        index=[f"t{i}" for i in range(3)] + [f"c{i}" for i in range(6)],
    )


def pooled_sd(treated, control) -> float:
    return float(np.sqrt((np.var(treated, ddof=1) + np.var(control, ddof=1)) / 2))


def test_hand_example_one_to_one_matches_and_att():
    result = match(hand_frame(), treatment="d", covariates=["x"], caliper=None)
    # by hand: 1.0 -> 1.2 (c1), 2.0 -> 1.9 (c2), 5.0 -> 4.6 (c4)
    pairs = dict(zip(result.pairs["treated_index"], result.pairs["control_index"], strict=True))
    assert pairs == {"t0": "c1", "t1": "c2", "t2": "c4"}
    estimate = att(result, outcome="y")
    # by hand: ((10 - 7) + (12 - 8) + (20 - 15)) / 3 = 4
    assert estimate.estimate == pytest.approx(4.0, abs=1e-12)
    assert estimate.mean_treated == pytest.approx(14.0, abs=1e-12)
    assert estimate.mean_control == pytest.approx(10.0, abs=1e-12)
    assert isinstance(estimate, ATTResult)
    assert (estimate.n_treated, estimate.n_controls, estimate.n) == (3, 3, 6)


def test_hand_example_abadie_imbens_standard_error():
    result = match(hand_frame(), treatment="d", covariates=["x"], caliper=None)
    estimate = att(result, outcome="y")
    # Abadie & Imbens (2006) conditional variance with J = 2 same-group neighbours, by hand:
    # treated: x=1 -> (10 - (12+20)/2)^2 * 2/3 = 24; x=2 -> (12 - 15)^2 * 2/3 = 6;
    #          x=5 -> (20 - 11)^2 * 2/3 = 54
    # used controls (weight 1): x=1.2 -> (7 - (8+5)/2)^2 * 2/3 = 1/6; x=1.9 -> (8 - 8)^2 = 0;
    #          x=4.6 -> (15 - (11+9)/2)^2 * 2/3 = 50/3
    variance = (24 + 6 + 54 + 1 / 6 + 0 + 50 / 3) / 3**2
    assert estimate.std_error == pytest.approx(np.sqrt(variance), rel=1e-12)


def test_ratio_two_weights_and_att_by_hand():
    result = match(hand_frame(), treatment="d", covariates=["x"], caliper=None, ratio=2)
    # by hand: 1.0 -> {1.2, 1.9}; 2.0 -> {1.9, 1.2}; 5.0 -> {4.6, 6.0}
    weights = result.matched["_weight"]
    expected = {"t0": 1, "t1": 1, "t2": 1, "c1": 1.0, "c2": 1.0, "c4": 0.5, "c5": 0.5}
    assert weights.to_dict() == pytest.approx(expected, abs=1e-12)
    assert weights[weights.index.str.startswith("c")].sum() == pytest.approx(3.0, abs=1e-12)
    # by hand: (10 - 7.5) + (12 - 7.5) + (20 - 13) = 14, over 3 treated
    assert att(result, outcome="y").estimate == pytest.approx(14 / 3, abs=1e-12)


def test_match_group_names_the_treated_row():
    result = match(hand_frame(), treatment="d", covariates=["x"], caliper=None)
    groups = result.matched["_match_group"].to_dict()
    assert groups == {"t0": "t0", "t1": "t1", "t2": "t2", "c1": "t0", "c2": "t1", "c4": "t2"}


def test_caliper_discards_treated_without_a_close_control():
    frame = hand_frame()
    sd = pooled_sd(TREATED_X, CONTROL_X)
    # distances by hand: 0.2, 0.1, 0.4; a caliper of 0.3 x-units keeps the first two
    result = match(frame, treatment="d", covariates=["x"], caliper=0.3 / sd)
    assert set(result.pairs["treated_index"]) == {"t0", "t1"}
    assert result.discarded == {"support": 0, "no_controls": 0, "caliper": 1}
    assert (result.n_treated, result.n_matched, result.n_discarded) == (3, 2, 1)
    assert result.pairs["distance"].max() <= result.caliper_width


def test_common_support_drops_treated_beyond_the_controls_range():
    frame = pd.concat([hand_frame(), pd.DataFrame({"d": [1], "x": [7.0], "y": [30.0]}, ["t3"])])
    result = match(frame, treatment="d", covariates=["x"], caliper=None)
    # x = 7 lies above the largest control x = 6, so outside the controls' score range
    assert "t3" not in set(result.pairs["treated_index"])
    assert result.discarded["support"] == 1
    assert result.n_matched == 3


def test_without_replacement_uses_each_control_once_in_greedy_order():
    frame = pd.DataFrame(
        {
            "d": [1, 1, 1, 0, 0, 0, 0, 0, 0],
            "x": [1.0, 1.1, 4.0, 1.05, 0.0, 0.2, 0.5, 0.3, 4.5],
        },
        index=list("abcdefghi"),
    )
    with_replacement = match(frame, treatment="d", covariates=["x"], caliper=None)
    scores = with_replacement.propensity
    assert scores["c"] > scores["b"] > scores["a"]  # the score rises with x here
    pairs = with_replacement.pairs.set_index("treated_index")["control_index"].to_dict()
    assert pairs == {"a": "d", "b": "d", "c": "i"}  # 1.0 and 1.1 both nearest to 1.05
    greedy = match(frame, treatment="d", covariates=["x"], caliper=None, replace=False)
    # greedy in descending score: 4.0 takes 4.5, 1.1 takes 1.05, then 1.0 takes 0.5
    pairs = greedy.pairs.set_index("treated_index")["control_index"].to_dict()
    assert pairs == {"c": "i", "b": "d", "a": "g"}
    assert greedy.pairs["control_index"].is_unique


def test_exact_strata_are_respected(selection_data):
    frame = selection_data.assign(la=np.arange(len(selection_data)) % 3)
    result = match(frame, treatment="d", covariates=["x1", "x2"], exact=["la"], seed=3)
    la = frame["la"]
    crossing = la[result.pairs["treated_index"]].to_numpy() != la[result.pairs["control_index"]]
    assert not crossing.any()
    assert result.exact == ("la",)


def test_stratum_without_controls_is_discarded():
    frame = hand_frame().assign(g=["a", "a", "b", "a", "a", "a", "a", "a", "a"])
    result = match(frame, treatment="d", covariates=["x"], exact=["g"], caliper=None)
    assert result.discarded["no_controls"] == 1
    assert "t2" not in set(result.pairs["treated_index"])


def test_ties_break_by_index_label_then_by_seed():
    frame = pd.DataFrame(
        {"d": [1, 0, 0, 0, 1, 0], "x": [1.0, 1.0, 1.0, 1.0, 2.0, 2.5]},
        index=[10, 13, 11, 12, 20, 21],
    )
    unseeded = match(frame, treatment="d", covariates=["x"], caliper=None)
    # three controls tie at distance 0 from treated 10; with no seed the lowest label wins
    assert unseeded.pairs.set_index("treated_index").loc[10, "control_index"] == 11
    chosen = {
        match(frame, treatment="d", covariates=["x"], caliper=None, seed=s)
        .pairs.set_index("treated_index")
        .loc[10, "control_index"]
        for s in range(20)
    }
    assert chosen == {11, 12, 13}  # a seed shuffles the tie order


def test_input_frame_is_not_mutated(selection_data):
    frame = selection_data.assign(area=np.where(selection_data["x3"] == 1, "north", "south"))
    before = frame.copy(deep=True)
    result = match(frame, treatment="d", covariates=["x1", "x2", "area"], seed=1)
    att(result, outcome="y")
    weighting(frame, treatment="d", covariates=["x1", "area"], outcome="y", method="aipw")
    balance_table(frame, treatment="d", covariates=["x1", "area"])
    pd.testing.assert_frame_equal(frame, before)


def test_row_order_does_not_change_results(selection_data):
    frame = selection_data.assign(la=np.arange(len(selection_data)) % 4)
    shuffled = frame.sample(frac=1.0, random_state=7)
    settings = {"treatment": "d", "covariates": ["x1", "x2", "x3"], "exact": ["la"], "seed": 5}
    original, reordered = match(frame, **settings), match(shuffled, **settings)
    pd.testing.assert_frame_equal(original.pairs, reordered.pairs, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(
        original.matched.sort_index(), reordered.matched.sort_index(), check_exact=False
    )
    first, second = att(original, outcome="y"), att(reordered, outcome="y")
    assert second.estimate == pytest.approx(first.estimate, rel=1e-10)
    assert second.std_error == pytest.approx(first.std_error, rel=1e-10)


def test_categorical_covariates_are_one_hot_encoded(selection_data):
    levels = np.array(["a", "b", "c"])[np.arange(len(selection_data)) % 3]
    frame = selection_data.assign(region=pd.Categorical(levels))
    result = match(frame, treatment="d", covariates=["x1", "region"], seed=0)
    assert {"region=a", "region=b", "region=c"} <= set(result.balance["covariate"])
    assert result.propensity.between(0, 1).all()


def test_perfect_separation_falls_back_to_penalised_logit():
    frame = pd.DataFrame({"d": [1, 1, 1, 0, 0, 0, 0], "x": [3.0, 4, 5, 0, 1, 2, 2.5]})
    frame["y"] = frame["x"] + frame["d"]
    result = weighting(frame, treatment="d", covariates=["x"], outcome="y")
    assert "penalised logit" in result.propensity_method
    assert "separation" in result.propensity_method
    # separated groups share no scores, so nobody can be matched: say so plainly
    with pytest.raises(DesignError, match="support"):
        match(frame, treatment="d", covariates=["x"], caliper=None)


def with_separating_dummies(frame: pd.DataFrame) -> pd.DataFrame:
    """Add two covariates that on their own quasi-separate the groups: no treated person is a
    veteran, and the region "coast" occurs among controls only."""
    control = frame["d"].to_numpy() == 0
    every_tenth = np.arange(len(frame)) % 10 == 0
    region = np.where(control & (np.arange(len(frame)) % 3 == 0), "coast", "inland")
    return frame.assign(veteran=(control & every_tenth).astype(int), region=region)


def test_separating_dummies_are_found_by_counting_and_noted(selection_data, monkeypatch):
    # A dummy held by controls only sends its logit coefficient to minus infinity, so a
    # plain Newton-Raphson fit cannot converge on these data:
    frame = with_separating_dummies(selection_data)
    design = sm.add_constant(frame[["x1", "x2", "x3", "veteran"]].astype(float))
    with pytest.warns(ConvergenceWarning):
        plain = sm.Logit(frame["d"], design).fit(method="newton", maxiter=100, disp=False)
    assert not plain.mle_retvals["converged"]
    # `match` counts levels per group first: veterans and "coast" rows get propensity 0 (the
    # maximum-likelihood limit), are never matched, and the logit of the other rows
    # converges in one short Newton-Raphson fit, with no penalised fallback.
    iterations = []
    fit = sm.Logit.fit

    def counted_fit(self, *args, **kwargs):
        result = fit(self, *args, **kwargs)
        iterations.append(result.mle_retvals["iterations"])
        return result

    monkeypatch.setattr(sm.Logit, "fit", counted_fit)
    covariates = ["x1", "x2", "x3", "veteran", "region"]
    result = match(frame, treatment="d", covariates=covariates, seed=1)
    assert len(iterations) == 1 and iterations[0] < 15, iterations
    assert result.propensity_method == "logit (statsmodels, Newton-Raphson)"
    notes = "\n".join(result.propensity_notes)
    # veterans are set aside first; then the coast rows that are left
    n_veterans = int(frame["veteran"].sum())
    n_coast = int(((frame["region"] == "coast") & (frame["veteran"] == 0)).sum())
    assert f"veteran=1 is held by no treated row: its {n_veterans} control row(s)" in notes
    assert f"region=coast is held by no treated row: its {n_coast} control row(s)" in notes
    assert "dropped constant covariate 'veteran'" in notes
    set_aside = (frame["veteran"] == 1) | (frame["region"] == "coast")
    assert (result.propensity[set_aside] == 0).all()
    assert np.isneginf(result.logit_propensity[set_aside]).all()
    assert not set_aside[result.matched.index].any()
    # the same matches as the other rows alone would give: it is the MLE limit
    alone = match(frame[~set_aside], treatment="d", covariates=["x1", "x2", "x3"], seed=1)
    pd.testing.assert_frame_equal(result.pairs, alone.pairs)
    np.testing.assert_allclose(result.propensity[~set_aside], alone.propensity, rtol=1e-9, atol=0)
    assert att(result, outcome="y").std_error == pytest.approx(att(alone, outcome="y").std_error, rel=1e-12)
    # the balance table still shows them before matching (all controls, so imbalanced)
    balance = result.balance.set_index("covariate")
    assert balance.loc["veteran", "smd_before"] < 0 and balance.loc["veteran", "smd_after"] == 0
    # weighting gives them weight 0: the same estimate as without them
    weighted = weighting(frame, treatment="d", covariates=covariates, outcome="y")
    unweighted = weighting(frame[~set_aside], treatment="d", covariates=["x1", "x2", "x3"], outcome="y")
    assert weighted.estimate == pytest.approx(unweighted.estimate, rel=1e-9)
    assert weighted.std_error == pytest.approx(unweighted.std_error, rel=1e-6)


def test_a_level_no_control_has_is_off_support():
    frame = hand_frame().assign(site=["island", "main", "main", *["main"] * 6])
    result = match(frame, treatment="d", covariates=["x", "site"], caliper=None)
    assert "site=island is held by no control row: its 1 treated row(s) have propensity 1" in "\n".join(
        result.propensity_notes
    )
    assert result.discarded["support"] == 1 and result.n_matched == 2
    assert "t0" not in set(result.pairs["treated_index"])
    weighted = weighting(frame, treatment="d", covariates=["x", "site"], outcome="y")
    assert weighted.n_treated == 2 and weighted.n_trimmed == 1


def test_covariates_that_leave_no_comparison_are_a_design_error():
    frame = hand_frame().assign(flag=[1] * 3 + [0] * 6)
    with pytest.raises(DesignError, match="separate treated from control rows completely"):
        match(frame, treatment="d", covariates=["x", "flag"])


def test_match_result_is_frozen_and_summarises(selection_data):
    result = match(selection_data, treatment="d", covariates=["x1", "x2"])
    assert isinstance(result, MatchResult)
    with pytest.raises(AttributeError):
        result.n_matched = 0
    assert "matched" in result.summary()


# ---------------------------------------------------------------- balance (SMD) by hand


def test_smd_and_variance_ratio_by_hand():
    frame = pd.DataFrame(
        {
            "d": [1, 1, 1, 1, 0, 0, 0, 0],
            "x": [1.0, 2.0, 3.0, 2.0, 2.0, 4.0, 6.0, 8.0],
            "b": [1, 0, 1, 1, 0, 0, 1, 0],
        }
    )
    table = balance_table(frame, treatment="d", covariates=["x", "b"]).set_index("covariate")
    # x: means 2 and 5; variances (dividing by n) 0.5 and 5; SMD = -3 / sqrt(2.75)
    assert table.loc["x", "smd"] == pytest.approx(-3 / np.sqrt(2.75), rel=1e-12)
    assert table.loc["x", "variance_ratio"] == pytest.approx(0.1, rel=1e-12)
    # b: p = 0.75 and 0.25, each variance p(1 - p) = 0.1875; SMD = 0.5 / sqrt(0.1875)
    assert table.loc["b", "smd"] == pytest.approx(0.5 / np.sqrt(0.1875), rel=1e-12)
    # weights moving the control mean of x to 2 leave the unweighted denominator in place
    weights = np.array([1, 1, 1, 1, 1, 0, 0, 0], dtype=float)
    after = balance_table(frame, treatment="d", covariates=["x"], weights=weights)
    assert after.loc[0, "mean_control"] == pytest.approx(2.0, abs=1e-12)
    assert after.loc[0, "smd"] == pytest.approx(0.0, abs=1e-12)


def test_match_balance_improves_on_simulated_selection(selection_data):
    result = match(selection_data, treatment="d", covariates=["x1", "x2", "x3"], seed=1)
    balance = result.balance.set_index("covariate")
    assert (balance.loc[["x1", "x2"], "smd_before"].abs() > 0.4).all()  # DGP selects on x1, x2
    assert balance["balanced_after"].all()
    assert result.threshold == 0.1


# ---------------------------------------------------------------- simulated truth

TRUE_EFFECT = 2.0


def simulate(n: int, seed: int) -> pd.DataFrame:
    """Selection on observables, constant effect TRUE_EFFECT; treated have high x1, low x2."""
    rng = np.random.default_rng(seed)
    x1, x2, x3 = rng.normal(size=n), rng.normal(size=n), rng.binomial(1, 0.5, n)
    d = rng.binomial(1, 1 / (1 + np.exp(-(-1.2 + 0.8 * x1 - 0.6 * x2 + 0.5 * x3))))
    y = 1 + TRUE_EFFECT * d + 1.5 * x1 - 1.0 * x2 + 0.8 * x3 + rng.normal(size=n)
    return pd.DataFrame({"d": d, "x1": x1, "x2": x2, "x3": x3, "y": y})


@pytest.fixture(scope="module")
def selection_data() -> pd.DataFrame:
    return simulate(3000, seed=2024)


def test_naive_difference_is_biased(selection_data):
    fit = sm.OLS(selection_data["y"], sm.add_constant(selection_data["d"])).fit()
    # known truth 2.0; selection on x1 (+) and x2 (-) inflates the raw gap
    assert fit.params["d"] - TRUE_EFFECT > 10 * fit.bse["d"]


def test_matched_att_recovers_the_simulated_truth(selection_data):
    result = att(match(selection_data, treatment="d", covariates=["x1", "x2", "x3"]), outcome="y")
    assert abs(result.estimate - TRUE_EFFECT) < 3 * result.std_error  # known truth 2.0
    assert result.std_error_regression > 0


@pytest.mark.parametrize("method", ["ipw", "aipw"])
def test_weighting_recovers_the_simulated_truth(selection_data, method):
    result = weighting(
        selection_data, treatment="d", covariates=["x1", "x2", "x3"], outcome="y", method=method
    )
    assert isinstance(result, WeightingResult)
    assert abs(result.estimate - TRUE_EFFECT) < 3 * result.std_error  # known truth 2.0
    assert 0 < result.ess_controls <= result.n_controls
    assert result.balance["balanced_after"].all()


def test_trimming_drops_extreme_scores(selection_data):
    result = weighting(selection_data, treatment="d", covariates=["x1", "x2", "x3"], outcome="y", trim=0.1)
    assert result.n_trimmed > 0
    assert result.n == len(selection_data) - result.n_trimmed
    assert abs(result.estimate - TRUE_EFFECT) < 3 * result.std_error  # constant effect: 2.0


@pytest.mark.slow
def test_abadie_imbens_interval_coverage():
    """Coverage of the 95% interval over 200 simulated samples (known truth 2.0)."""
    covered = {"match": 0, "ipw": 0, "aipw": 0}
    for replication in range(200):
        frame = simulate(800, seed=10_000 + replication)
        estimates = {
            "match": att(match(frame, treatment="d", covariates=["x1", "x2", "x3"]), outcome="y"),
            "ipw": weighting(frame, treatment="d", covariates=["x1", "x2", "x3"], outcome="y"),
            "aipw": weighting(
                frame, treatment="d", covariates=["x1", "x2", "x3"], outcome="y", method="aipw"
            ),
        }
        for name, result in estimates.items():
            covered[name] += result.ci_lower <= TRUE_EFFECT <= result.ci_upper
    for name, count in covered.items():
        assert 0.90 <= count / 200 <= 0.99, (name, count)


# ---------------------------------------------------------------- influence functions
# Independent computation: the IPW and AIPW ATTs are just-identified M-estimators, so their
# influence-function variance equals the sandwich A^-1 B A^-T / n of the stacked moments
# (logit score, control OLS normal equations, the two weighted means), with A taken here by
# central finite differences of the raw (unstandardised) moments.


def stacked_moments(theta, x, d, y, augmented):
    k = x.shape[1]
    gamma, beta, eta1, eta0 = theta[:k], theta[k : 2 * k], theta[-2], theta[-1]
    odds = np.exp(x @ gamma)
    fitted = x @ beta if augmented else np.zeros(len(y))
    logit = x * (d - odds / (1 + odds))[:, None]
    ols = x * ((1 - d) * (y - fitted))[:, None] if augmented else np.zeros_like(x)
    treated = d * (y - fitted - eta1)
    control = (1 - d) * odds * (y - fitted - eta0)
    return np.column_stack([logit, ols, treated, control])


def sandwich_se(frame, augmented) -> float:
    x = sm.add_constant(frame[["x1", "x2", "x3"]].to_numpy(float))
    d, y = frame["d"].to_numpy(float), frame["y"].to_numpy(float)
    k = x.shape[1]
    gamma = sm.Logit(d, x).fit(disp=False).params
    beta = sm.OLS(y[d == 0], x[d == 0]).fit().params if augmented else np.zeros(k)
    fitted = x @ beta
    odds = np.exp(x @ gamma) * (1 - d)
    eta1 = np.sum(d * (y - fitted)) / d.sum()
    eta0 = np.sum(odds * (y - fitted)) / odds.sum()
    theta = np.concatenate([gamma, beta, [eta1, eta0]])
    g = stacked_moments(theta, x, d, y, augmented)
    jac = np.empty((len(theta), len(theta)))
    for j in range(len(theta)):
        step = np.zeros(len(theta))
        step[j] = 1e-6
        up = stacked_moments(theta + step, x, d, y, augmented).mean(axis=0)
        down = stacked_moments(theta - step, x, d, y, augmented).mean(axis=0)
        jac[:, j] = (up - down) / 2e-6
    if not augmented:  # drop the idle OLS block
        keep = np.r_[0:k, 2 * k, 2 * k + 1]
        jac, g = jac[np.ix_(keep, keep)], g[:, keep]
    inverse = np.linalg.inv(jac)
    covariance = inverse @ (g.T @ g / len(y)) @ inverse.T / len(y)
    contrast = np.zeros(len(covariance))
    contrast[-2:] = [1, -1]
    return float(np.sqrt(contrast @ covariance @ contrast))


@pytest.mark.parametrize("method", ["ipw", "aipw"])
def test_influence_function_se_matches_stacked_sandwich(selection_data, method):
    result = weighting(
        selection_data, treatment="d", covariates=["x1", "x2", "x3"], outcome="y", method=method
    )
    expected = sandwich_se(selection_data, augmented=method == "aipw")  # independent sandwich
    assert result.std_error == pytest.approx(expected, rel=1e-5)


def test_ipw_point_estimate_by_direct_formula(selection_data):
    frame = selection_data
    result = weighting(frame, treatment="d", covariates=["x1", "x2", "x3"], outcome="y")
    x = sm.add_constant(frame[["x1", "x2", "x3"]])
    p = sm.Logit(frame["d"], x).fit(disp=False).predict(x)
    control = frame["d"] == 0
    odds = p[control] / (1 - p[control])
    expected = frame.loc[~control, "y"].mean() - np.average(frame.loc[control, "y"], weights=odds)
    assert result.estimate == pytest.approx(expected, rel=1e-8)  # Hajek odds weighting


# ---------------------------------------------------------------- errors


def test_treatment_must_be_zero_or_one():
    frame = hand_frame().assign(d=[1, 1, 2, 0, 0, 0, 0, 0, 0])
    with pytest.raises(ValueError, match=r"'d'.*1 row"):
        match(frame, treatment="d", covariates=["x"])


def test_no_treated_or_no_controls_is_a_design_error():
    frame = hand_frame()
    with pytest.raises(DesignError, match="no treated"):
        match(frame.assign(d=0), treatment="d", covariates=["x"])
    with pytest.raises(DesignError, match="no control"):
        weighting(frame.assign(d=1), treatment="d", covariates=["x"], outcome="y")


def test_missing_covariate_values_name_column_and_count():
    frame = hand_frame()
    frame.loc[["c0", "c3"], "x"] = np.nan
    with pytest.raises(ValueError, match=r"'x'.*2 row"):
        match(frame, treatment="d", covariates=["x"])


def test_missing_outcome_values_are_refused():
    frame = hand_frame()
    frame.loc["c2", "y"] = np.nan
    result = match(frame, treatment="d", covariates=["x"], caliper=None)
    with pytest.raises(ValueError, match=r"'y'.*1 row"):
        att(result, outcome="y")
    with pytest.raises(ValueError, match=r"'y'.*1 row"):
        weighting(frame, treatment="d", covariates=["x"], outcome="y")


def test_unknown_columns_and_options_are_refused():
    frame = hand_frame()
    with pytest.raises(KeyError, match="nope"):
        match(frame, treatment="d", covariates=["nope"])
    with pytest.raises(ValueError, match="ratio"):
        match(frame, treatment="d", covariates=["x"], ratio=0)
    with pytest.raises(ValueError, match="caliper"):
        match(frame, treatment="d", covariates=["x"], caliper=-1)
    with pytest.raises(ValueError, match="'ipw', 'aipw'"):
        weighting(frame, treatment="d", covariates=["x"], outcome="y", method="dr")
    with pytest.raises(ValueError, match="trim"):
        weighting(frame, treatment="d", covariates=["x"], outcome="y", trim=0.7)


def test_duplicate_index_labels_are_refused():
    frame = hand_frame()
    frame.index = ["a"] * len(frame)
    with pytest.raises(ValueError, match="duplicated"):
        match(frame, treatment="d", covariates=["x"])


def test_collinear_covariates_are_a_design_error():
    frame = hand_frame().assign(x2=lambda f: 2 * f["x"])
    with pytest.raises(DesignError, match="collinear"):
        match(frame, treatment="d", covariates=["x", "x2"])
