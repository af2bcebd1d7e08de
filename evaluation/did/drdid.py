"""Two-period panel DiD estimators with influence functions (Sant'Anna & Zhao 2020).

Each estimator takes, for the units of one 2x2 comparison, the outcome change
`dy` = Y_post - Y_base, the treated indicator `d` and covariates `x` (with an
intercept column), and returns the ATT with its influence function psi, scaled
so that Var(ATT) is estimated by mean(psi^2) / n.

- "reg": outcome regression (Heckman, Ichimura & Todd 1997): OLS of dy on x among
  controls, ATT = mean over treated of dy - x'b. (R: `DRDID::reg_did_panel`.)
- "ipw": normalised (Hajek) inverse-probability weighting with a logit propensity
  score. (R: `DRDID::std_ipw_did_panel`.)
- "dr": the "traditional" locally efficient doubly robust estimator, logit
  propensity score plus unweighted OLS outcome regression among controls.
  (R: `DRDID::drdid_panel`, which is what R `did`'s default est_method="dr"
  calls; not the "improved" `drdid_imp_panel`.)

As in DRDID, propensity scores are capped at 1 - 1e-6 and control units with a
score of 0.995 or more get weight zero. Each influence function adds the
first-step estimation effect of the OLS and logit coefficients (delta method).

Sampling weights (DRDID's `i.weights`) are rescaled to mean 1 over the units of the
comparison and enter every step: the logit (frequency-weighted likelihood), the OLS
among controls (weighted least squares), the treated and control means, and each
influence function. Without weights every unit counts 1, the unweighted estimators.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationError

from evaluation.errors import DesignError

Method = Literal["dr", "reg", "ipw"]
PS_CAP = 1 - 1e-6
PS_TRIM = 0.995


def _ols(dy, x, control, w, weighted: bool) -> tuple[np.ndarray, np.ndarray]:
    """(Weighted) OLS of dy on x among controls: coefficients and their linear representation."""
    xc, yc = x[control], dy[control]
    if weighted:  # least squares on sqrt(w)-scaled rows
        root = np.sqrt(w[control])
        beta = np.linalg.lstsq(xc * root[:, None], yc * root, rcond=None)[0]
        gram = (xc * w[control][:, None]).T @ xc / len(dy)
    else:
        beta = np.linalg.lstsq(xc, yc, rcond=None)[0]
        gram = xc.T @ xc / len(dy)
    resid = np.where(control, w * (dy - x @ beta), 0.0)
    return beta, (resid[:, None] * x) @ np.linalg.pinv(gram)


def _logit(d: np.ndarray, x: np.ndarray, w: np.ndarray, weighted: bool) -> tuple[np.ndarray, np.ndarray]:
    """Logit propensity score by (weighted) MLE and the linear representation of its coefficients."""
    if x.shape[1] == 1:  # intercept only: the MLE is the (weighted) treated share
        ps = np.full(len(d), np.mean(w * d) / np.mean(w))
    else:
        try:
            model = sm.GLM(d, x, family=sm.families.Binomial(), freq_weights=w if weighted else None)
            fit = model.fit(tol=1e-12, maxiter=200)
        except (PerfectSeparationError, np.linalg.LinAlgError) as exc:
            raise DesignError(
                f"propensity-score logit failed ({exc})",
                advice="drop or coarsen covariates that separate treated from controls, or use method='reg'",
            ) from exc
        ps = np.asarray(fit.mu)
    ps = np.minimum(ps, PS_CAP)
    hessian = (x * (ps * (1 - ps) * w)[:, None]).T @ x / len(d)
    return ps, ((w * (d - ps))[:, None] * x) @ np.linalg.pinv(hessian)


def _control_weights(d: np.ndarray, ps: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Sampling weight times the odds ps / (1 - ps) for controls, zero where the score is trimmed."""
    keep = (d == 1) | (ps < PS_TRIM)
    return keep * w * ps * (1 - d) / (1 - ps)


def _reg(dy, d, x, w, weighted):
    control = d == 0
    beta, lin_ols = _ols(dy, x, control, w, weighted)
    fitted = x @ beta
    w_t = w * d
    mean_d = w_t.mean()
    eta_t = np.mean(w_t * dy) / mean_d
    eta_c = np.mean(w_t * fitted) / mean_d
    inf_t = (w_t * dy - w_t * eta_t) / mean_d
    inf_c = (w_t * fitted - w_t * eta_c + lin_ols @ np.mean(w_t[:, None] * x, axis=0)) / mean_d
    return eta_t - eta_c, inf_t - inf_c


def _ipw(dy, d, x, w, weighted):
    ps, lin_ps = _logit(d, x, w, weighted)
    w_t, w_c = w * d, _control_weights(d, ps, w)
    eta_t = np.sum(w_t * dy) / np.sum(w_t)
    eta_c = np.sum(w_c * dy) / np.sum(w_c)
    inf_t = (w_t * dy - w_t * eta_t) / w_t.mean()
    m2 = np.mean((w_c * (dy - eta_c))[:, None] * x, axis=0)
    inf_c = (w_c * dy - w_c * eta_c + lin_ps @ m2) / w_c.mean()
    return eta_t - eta_c, inf_t - inf_c


def _dr(dy, d, x, w, weighted):
    ps, lin_ps = _logit(d, x, w, weighted)
    beta, lin_ols = _ols(dy, x, d == 0, w, weighted)
    w_t, w_c = w * d, _control_weights(d, ps, w)
    resid = dy - x @ beta
    eta_t = np.sum(w_t * resid) / np.sum(w_t)
    eta_c = np.sum(w_c * resid) / np.sum(w_c)
    m1 = np.mean(w_t[:, None] * x, axis=0)
    inf_t = (w_t * resid - w_t * eta_t - lin_ols @ m1) / w_t.mean()
    m2 = np.mean((w_c * (resid - eta_c))[:, None] * x, axis=0)
    m3 = np.mean(w_c[:, None] * x, axis=0)
    inf_c = (w_c * resid - w_c * eta_c + lin_ps @ m2 - lin_ols @ m3) / w_c.mean()
    return eta_t - eta_c, inf_t - inf_c


_ESTIMATORS = {"reg": _reg, "ipw": _ipw, "dr": _dr}


def did_panel(
    dy: np.ndarray,
    d: np.ndarray,
    x: np.ndarray,
    method: Method = "dr",
    weights: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """ATT and influence function of one 2x2 panel comparison (see module docstring);
    `weights` are sampling weights (any positive scale), None for none."""
    w = np.ones(len(dy)) if weights is None else weights / np.mean(weights)
    att, psi = _ESTIMATORS[method](dy, d.astype(float), x, w, weights is not None)
    return float(att), psi
