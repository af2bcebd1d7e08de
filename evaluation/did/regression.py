"""Regression DiD: the 2x2 interaction model, two-way fixed effects and the TWFE event study.

statsmodels fits the 2x2 model; linearmodels' `PanelOLS` absorbs unit and time
effects. Small-sample corrections (stated once, used everywhere here):

- "classical": s^2 (X'X)^-1 with s^2 = RSS / (N - K).
- "robust": HC1, i.e. HC0 x N / (N - K).
- "cluster": CR1, i.e. CR0 x G / (G - 1) x (N - 1) / (N - K).

K counts every parameter of the equivalent dummy-variable regression, unit and
time dummies included, so `twfe` reproduces `statsmodels` OLS with C(unit) +
C(time) exactly (linearmodels: debiased=True, count_effects=True,
group_debias=True).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from linearmodels.panel import PanelOLS
from scipy import stats

from evaluation.did._checks import (
    check_alpha,
    check_binary,
    check_complete,
    check_numeric,
    check_unique_unit_time,
    covariate_list,
)
from evaluation.did.results import DiDResult, EventStudyResult, WaldTest, coefficient_frame
from evaluation.errors import DesignError, OptionError
from evaluation.options import check_option, require_columns
from evaluation.results import normal_interval

SEType = Literal["classical", "robust", "cluster"]
_STATSMODELS_COV = {"classical": "nonrobust", "robust": "HC1", "cluster": "cluster"}
_LINEARMODELS_COV = {"classical": "unadjusted", "robust": "robust", "cluster": "clustered"}


def _check_se(se: str, cluster: str | None, *, default_cluster: bool) -> None:
    """Validate `se` and its pairing with `cluster=`."""
    check_option("se", se, SEType)
    if se == "cluster" and cluster is None and not default_cluster:
        raise OptionError("se='cluster' needs cluster= naming the cluster column")
    if se != "cluster" and cluster is not None:
        raise OptionError(f"cluster={cluster!r} is only used with se='cluster' (got se={se!r})")


def _cell_means(y: np.ndarray, treated: np.ndarray, post: np.ndarray) -> pd.DataFrame:
    """Outcome mean and count in each of the four treated x post cells."""
    table = pd.DataFrame({"treated": treated.astype(int), "post": post.astype(int), "y": y})
    cells = table.groupby(["treated", "post"]).y.agg(mean="mean", n="size").reset_index()
    full = pd.MultiIndex.from_product([[0, 1], [0, 1]], names=["treated", "post"])
    return cells.set_index(["treated", "post"]).reindex(full).reset_index()


def two_by_two(
    frame: pd.DataFrame,
    *,
    outcome: str,
    treated: str,
    post: str,
    covariates: str | Sequence[str] | None = None,
    se: SEType = "robust",
    cluster: str | None = None,
    alpha: float = 0.05,
) -> DiDResult:
    """Canonical DiD: OLS of y on treated, post and treated x post (+ covariates).

    The headline is the interaction coefficient. Without covariates it equals
    the difference of the four cell means in `cell_means`.
    """
    where = "two_by_two"
    covs = covariate_list(covariates)
    _check_se(se, cluster, default_cluster=False)
    alpha = check_alpha(alpha)
    require_columns(
        frame,
        {"outcome": outcome, "treated": treated, "post": post, "cluster": cluster},
        where=where,
    )
    require_columns(frame, {f"covariates[{i}]": c for i, c in enumerate(covs)}, where=where)
    used = [outcome, treated, post, *covs] + ([cluster] if cluster else [])
    check_complete(frame, used, where=where)
    check_numeric(frame, [outcome, *covs], where=where)
    d = check_binary(frame, treated, where=where)
    p = check_binary(frame, post, where=where)
    y = frame[outcome].to_numpy(dtype=float)
    term = f"{treated}:{post}"
    exog = pd.DataFrame({"const": 1.0, treated: d, post: p, term: d * p}, index=frame.index)
    exog = exog.join(frame[covs].astype(float))
    fit = _fit_ols(y, exog, se, frame[cluster] if cluster else None)
    return _did_result(
        fit,
        term,
        se=se,
        alpha=alpha,
        n_clusters=frame[cluster].nunique() if cluster else None,
        method="2x2 difference-in-differences (OLS)",
        cell_means=_cell_means(y, d, p),
    )


def _fit_ols(y: np.ndarray, exog: pd.DataFrame, se: str, groups: pd.Series | None):
    """statsmodels OLS with the requested covariance."""
    model = sm.OLS(y, exog)
    if np.linalg.matrix_rank(exog.to_numpy()) < exog.shape[1]:
        raise DesignError(
            "two_by_two: the regressors are collinear",
            advice="check that both groups are seen in both periods and drop redundant covariates",
        )
    if se == "cluster":
        assert groups is not None, "_check_se refuses se='cluster' without a cluster column"
        codes = pd.factorize(groups, sort=True)[0]
        return model.fit(cov_type="cluster", cov_kwds={"groups": codes})
    return model.fit(cov_type=_STATSMODELS_COV[se])


def _did_result(fit, term, *, se, alpha, n_clusters, method, cell_means=None, **extra):
    """Wrap a fitted regression (statsmodels or linearmodels) as a DiDResult."""
    params = pd.Series(fit.params)
    errors = pd.Series(fit.bse if hasattr(fit, "bse") else fit.std_errors)
    z = stats.norm.ppf(1 - alpha / 2)
    table = coefficient_frame(params.index, params.to_numpy(), errors.to_numpy(), z)
    lower, upper = normal_interval(params[term], errors[term], alpha)
    return DiDResult(
        term=term,
        estimate=float(params[term]),
        std_error=float(errors[term]),
        ci_lower=lower,
        ci_upper=upper,
        n=int(fit.nobs),
        alpha=alpha,
        method=method,
        se_type=se,
        n_clusters=None if n_clusters is None else int(n_clusters),
        coefficients=table,
        cell_means=cell_means,
        **extra,
    )


def _panel_fit(frame, y, exog: pd.DataFrame, *, unit, time, se, cluster):
    """PanelOLS with unit and time effects and the LSDV-equivalent corrections."""
    index = pd.MultiIndex.from_arrays(
        [pd.factorize(frame[unit], sort=True)[0], pd.factorize(frame[time], sort=True)[0]],
        names=["unit", "time"],
    )
    exog = exog.set_axis(index)
    model = PanelOLS(pd.Series(y, index=index, name="y"), exog, entity_effects=True, time_effects=True)
    options: dict = {"cov_type": _LINEARMODELS_COV[se], "debiased": True, "count_effects": True}
    if se == "cluster":
        options["group_debias"] = True
        if cluster is None:
            options["cluster_entity"] = True
        else:
            codes = pd.factorize(frame[cluster], sort=True)[0]
            options["clusters"] = pd.DataFrame({"cluster": codes}, index=index)
    try:
        return model.fit(**options)
    except ValueError as exc:  # rank-deficient design
        raise DesignError(
            f"fixed-effects regression cannot be estimated: {exc}",
            advice="check that treatment varies within units and over time; "
            "an event study without never-treated units needs fewer binned periods",
        ) from exc


def _check_panel_inputs(frame, *, where, outcome, unit, time, others, cluster):
    require_columns(frame, {"outcome": outcome, "unit": unit, "time": time}, where=where)
    require_columns(frame, others | {"cluster": cluster}, where=where)
    used = [outcome, unit, time, *[c for c in others.values() if c]] + ([cluster] if cluster else [])
    return used


def twfe(
    frame: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    covariates: str | Sequence[str] | None = None,
    se: SEType = "cluster",
    cluster: str | None = None,
    alpha: float = 0.05,
) -> DiDResult:
    """Two-way fixed effects: y_it = a_i + l_t + b D_it (+ X_it g) + e_it.

    With `se="cluster"` and no `cluster=`, errors are clustered by unit. Under
    staggered adoption with effects that vary by cohort or over time, b is a
    weighted average with possibly negative weights; prefer `staggered`.
    """
    where = "twfe"
    covs = covariate_list(covariates)
    _check_se(se, cluster, default_cluster=True)
    alpha = check_alpha(alpha)
    others = {"treatment": treatment} | {f"covariates[{i}]": c for i, c in enumerate(covs)}
    used = _check_panel_inputs(
        frame, where=where, outcome=outcome, unit=unit, time=time, others=others, cluster=cluster
    )
    check_complete(frame, used, where=where)
    check_numeric(frame, [outcome, treatment, *covs], where=where)
    check_unique_unit_time(frame, unit, time, where=where)
    exog = frame[[treatment, *covs]].astype(float).reset_index(drop=True)
    fit = _panel_fit(
        frame,
        frame[outcome].to_numpy(dtype=float),
        exog,
        unit=unit,
        time=time,
        se=se,
        cluster=cluster,
    )
    n_clusters = frame[cluster or unit].nunique() if se == "cluster" else None
    return _did_result(
        fit,
        treatment,
        se=se,
        alpha=alpha,
        n_clusters=n_clusters,
        method="two-way fixed effects (PanelOLS)",
        n_units=int(frame[unit].nunique()),
        n_periods=int(frame[time].nunique()),
    )


def _event_dummies(rel: np.ndarray, leads: int, lags: int, reference: int) -> pd.DataFrame:
    """Relative-time indicators with binned endpoints; NaN (never treated) is all zeros.

    e = -leads collects every e <= -leads and e = lags every e >= lags, so units
    observed far from their start date stay in the model rather than being
    silently pooled with the reference period.
    """
    columns = {}
    for e in range(-leads, lags + 1):
        if e == reference:
            continue
        if e == -leads:
            hit = rel <= e
        elif e == lags:
            hit = rel >= e
        else:
            hit = rel == e
        columns[f"e={e}"] = np.where(np.isnan(rel), 0.0, hit.astype(float))
    return pd.DataFrame(columns)


def _check_window(leads: int, lags: int, reference: int) -> None:
    if leads < 1 or lags < 0:
        raise OptionError(f"need leads >= 1 and lags >= 0 (got leads={leads}, lags={lags})")
    if not -leads <= reference < 0:
        raise OptionError(f"reference={reference} must be a pre-period in [-{leads}, -1]")


def event_study(
    frame: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    leads: int,
    lags: int,
    reference: int = -1,
    se: SEType = "cluster",
    cluster: str | None = None,
    alpha: float = 0.05,
) -> EventStudyResult:
    """TWFE event study on relative time e = time - first_treated, in [-leads, lags].

    Endpoints are binned (e <= -leads and e >= lags each share one dummy); the
    `reference` period is omitted. Never-treated units (first_treated 0 or NaN)
    have all dummies zero. `time` and `first_treated` must be on the same
    numeric scale with unit steps (e.g. a month index). The headline is the
    average of the coefficients for e >= 0; `pretrend_test` is the joint Wald
    test that every pre-period coefficient is zero. Under heterogeneous effects
    by cohort the coefficients can be contaminated; prefer `staggered`.
    """
    where = "event_study"
    _check_se(se, cluster, default_cluster=True)
    _check_window(leads, lags, reference)
    alpha = check_alpha(alpha)
    others = {"first_treated": first_treated}
    used = _check_panel_inputs(
        frame, where=where, outcome=outcome, unit=unit, time=time, others=others, cluster=cluster
    )
    check_complete(frame, [c for c in used if c != first_treated], where=where)
    check_numeric(frame, [outcome, time, first_treated], where=where)
    check_unique_unit_time(frame, unit, time, where=where)
    start = frame[first_treated].to_numpy(dtype=float)
    start = np.where(start == 0, np.nan, start)
    rel = frame[time].to_numpy(dtype=float) - start
    dummies = _event_dummies(rel, leads, lags, reference)
    fit = _panel_fit(
        frame,
        frame[outcome].to_numpy(dtype=float),
        dummies,
        unit=unit,
        time=time,
        se=se,
        cluster=cluster,
    )
    return _event_study_result(
        fit,
        dummies,
        alpha=alpha,
        se=se,
        leads=leads,
        lags=lags,
        reference=reference,
        n_clusters=frame[cluster or unit].nunique() if se == "cluster" else None,
        n_units=frame[unit].nunique(),
        n_reference=int(np.sum(rel <= reference if reference == -leads else rel == reference)),
    )


def _wald(params: np.ndarray, cov: np.ndarray) -> WaldTest:
    """Chi-squared Wald statistic b' V^-1 b with df = len(b)."""
    stat = float(params @ np.linalg.solve(cov, params))
    return WaldTest(statistic=stat, df=len(params), p_value=float(stats.chi2.sf(stat, len(params))))


def _event_study_result(fit, dummies, *, alpha, se, leads, lags, reference, n_clusters, n_units, n_reference):
    """Coefficient table, post-period average and pre-trend test from the fit."""
    names = list(dummies.columns)
    b = fit.params[names].to_numpy()
    cov = fit.cov.loc[names, names].to_numpy()
    times = np.array([int(n[2:]) for n in names])
    z = stats.norm.ppf(1 - alpha / 2)
    table = coefficient_frame(names, b, np.sqrt(np.diag(cov)), z).drop(columns="term")
    table.insert(0, "event_time", times)
    table["n"] = dummies.sum().to_numpy().astype(int)
    table["reference"] = False
    ref = {"event_time": reference, "estimate": 0.0, "n": n_reference, "reference": True}
    table = pd.concat([table, pd.DataFrame([ref])], ignore_index=True)
    table = table.sort_values("event_time", ignore_index=True)
    post = times >= 0
    weights = post / post.sum()
    estimate = float(weights @ b)
    std_error = float(np.sqrt(weights @ cov @ weights))
    lower, upper = normal_interval(estimate, std_error, alpha)
    pre = times < 0
    return EventStudyResult(
        term=f"mean of e=0..{lags}",
        estimate=estimate,
        std_error=std_error,
        ci_lower=lower,
        ci_upper=upper,
        n=int(fit.nobs),
        alpha=alpha,
        method="TWFE event study (PanelOLS, binned endpoints)",
        coefficients=table,
        pretrend_test=_wald(b[pre], cov[np.ix_(pre, pre)]) if pre.any() else None,
        leads=leads,
        lags=lags,
        reference=reference,
        se_type=se,
        n_clusters=None if n_clusters is None else int(n_clusters),
        n_units=int(n_units),
    )
