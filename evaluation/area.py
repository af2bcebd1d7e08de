"""The area design's step of the per-activity pipeline: local authorities compared over time.

`area_activity` numbers the activity's area panel (`_area_panel_indexed`: periods 1..T, the
period each area started, 0 for never), gives no verdict when fewer than `MIN_TREATED_AREAS`
local authorities ran the activity (`too_few_areas_reason`), and otherwise estimates the
Callaway & Sant'Anna staggered DiD of the employment rate with never-treated areas as controls
(`evaluation.did.staggered`), its event-time aggregate, and two-way fixed effects for
comparison (`evaluation.did.twfe`). The pre-period path decides whether the verdict is
published (`evaluation.falsification`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from evaluation.activity import AreaImpact, total_spend
from evaluation.counterfactual import evidence_strength
from evaluation.did import staggered, twfe
from evaluation.did.few_clusters import area_inference
from evaluation.falsification import Falsification
from evaluation.sensitivity.honest import HonestResult, honest_did

__all__ = ["MIN_TREATED_AREAS", "area_activity", "too_few_areas_reason"]

AREA_OUTCOME = "employment_rate"
AREA_UNIT = "la_code"
AREA_BOOTSTRAP = 999
MIN_TREATED_AREAS = 5
"""Fewest local authorities running an activity for an area comparison to give a verdict.

With fewer, the interval around the Callaway & Sant'Anna estimate does not mean what it says:
in our simulation (`bench/bench_few_areas.py`, 18 comparison areas, AR(1) area shocks, 1,000
replications) 95% intervals covered the truth 34% of the time with 1 treated area, 66% with 2,
80% with 3, 90% with 5 and 93% with 7. MacKinnon & Webb (2017, "Wild bootstrap inference for
wildly different cluster sizes") show cluster-robust and wild bootstrap inference failing in the
same way when very few clusters are treated. The headline's interval now comes from the wild
cluster restricted bootstrap (`evaluation.did.few_clusters`), which covered 94% with 7 treated
areas and 95% with 5 (`bench/bench_few_cluster_coverage.py`); 5 stays the floor."""

SENSITIVITY_PRE_QUARTERS = 8
"""Quarters before the start that the parallel-trends sensitivity analysis takes as its yardstick
(as many as the report's event-study chart shows)."""


def _area_panel_indexed(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel with integer periods 1..T, first-treated index (0 = never) and D_it."""
    periods = np.sort(pd.to_datetime(panel["period"]).unique())
    frame = panel.copy()
    frame["_time"] = np.searchsorted(periods, pd.to_datetime(frame["period"]).to_numpy()) + 1
    start = pd.to_datetime(frame["first_treated_period"]).to_numpy()
    never = pd.isna(frame["first_treated_period"]).to_numpy()
    position = np.searchsorted(periods, start, side="left") + 1  # first period on/after start
    frame["_first"] = np.where(never, 0, position)
    frame["_treated"] = ((frame["_first"] > 0) & (frame["_time"] >= frame["_first"])).astype(float)
    frame[AREA_OUTCOME] = pd.to_numeric(frame[AREA_OUTCOME]).astype(float)
    return frame


def area_activity(programme, activity_id, plan, *, seed, alpha, policy) -> AreaImpact:
    """One activity of the "did" design (its delivery-plan row `plan`), as `estimate_activity` needs."""
    base = {
        "activity_id": activity_id,
        "activity_name": str(plan["activity_name"]),
        "design": "did",
        "evidence": evidence_strength("area_did"),
        "n_participants": len(programme.participants_of(activity_id)),
        "spend_gbp": total_spend(programme, activity_id),
        "alpha": alpha,
        "seed": seed,
        "policy": policy,
    }
    panel = programme.area_panel_of(activity_id)
    if panel.empty:
        reason = (
            "no area statistics were supplied with the input (the optional area_panel table), so areas cannot be "
            "compared"
            if not programme.has("area_panel")
            else "the area statistics supplied (area_panel) hold no rows for this activity"
        )
        return AreaImpact(status="not_estimated", reason=reason, **base)
    frame = _area_panel_indexed(panel)
    units = frame.groupby(AREA_UNIT)["_first"].first()
    n_treated, n_control = int((units > 0).sum()), int((units == 0).sum())
    if n_treated < MIN_TREATED_AREAS:
        base["evidence"] = evidence_strength("area_too_few")
        return AreaImpact(
            status="not_estimated",
            reason=too_few_areas_reason(n_treated),
            n_treated_areas=n_treated,
            n_control_areas=n_control,
            **base,
        )
    result = staggered(
        frame,
        outcome=AREA_OUTCOME,
        unit=AREA_UNIT,
        time="_time",
        first_treated="_first",
        control_group="never_treated",
        alpha=alpha,
        bootstrap=AREA_BOOTSTRAP,
        seed=seed,
    )
    simple = result.aggregate("simple")
    dynamic = result.aggregate("dynamic")
    wide = frame.pivot(index=AREA_UNIT, columns="_time", values=AREA_OUTCOME).to_numpy()
    inference = area_inference(wide, units.to_numpy(), alpha=alpha, seed=seed)
    if not inference.check.verdict or inference.wild is None:
        base["evidence"] = evidence_strength("area_too_few")
        return AreaImpact(
            status="not_estimated",
            reason=too_few_areas_reason(n_treated),
            n_treated_areas=n_treated,
            n_control_areas=n_control,
            area_inference=inference,
            **base,
        )
    headline = replace(
        simple,
        std_error=inference.wild.std_error,
        ci_lower=inference.wild.ci_lower,
        ci_upper=inference.wild.ci_upper,
        method=f"{simple.method}; interval by wild cluster restricted bootstrap (Webb weights)",
    )
    regression = twfe(
        frame,
        outcome=AREA_OUTCOME,
        unit=AREA_UNIT,
        time="_time",
        treatment="_treated",
        alpha=alpha,
    )
    notes = (
        f"Compares {n_treated} local authorities where the activity ran with {n_control} "
        "comparable local authorities where it did not, quarter by quarter.",
        "The headline is the Callaway & Sant'Anna average effect on the employment rate "
        "(percentage points) over the quarters after each area started, with a 95% interval from a "
        "wild cluster restricted bootstrap (Webb weights), which keeps its coverage with few areas "
        "where the usual interval does not; the two-way "
        f"fixed-effects estimate ({regression.estimate:.2f} points) is shown for comparison.",
        "Net impact in people is not estimated for a system-level activity: the panel "
        "holds rates, not the number of residents affected.",
    )
    checks = Falsification(placebos=(), pre_path=result.pretrend_test, pre_path_label="area")
    if not checks.credible:
        base["evidence"] = evidence_strength("area_not_credible")
    return AreaImpact(
        status="estimated",
        reason="area-level difference-in-differences",
        headline=headline,
        falsification=checks,
        area=result,
        area_dynamic=dynamic,
        area_twfe=regression,
        area_inference=inference,
        area_sensitivity=parallel_trends_sensitivity(frame, alpha=alpha),
        n_treated_areas=n_treated,
        n_control_areas=n_control,
        notes=notes,
        **base,
    )


def parallel_trends_sensitivity(frame: pd.DataFrame, *, alpha: float) -> HonestResult | None:
    """How far trends may diverge before the area verdict fails (Rambachan & Roth 2023).

    The event study is Callaway & Sant'Anna's with one reference period (the quarter before each
    area started: `base_period="universal"`), with analytic covariance; it keeps the
    `SENSITIVITY_PRE_QUARTERS` quarters before the start and the quarters after it that at
    least `MIN_TREATED_AREAS` areas reached, and the target is the average effect over those
    quarters after the start. None when there are fewer than two such quarters before."""
    study = staggered(
        frame,
        outcome=AREA_OUTCOME,
        unit=AREA_UNIT,
        time="_time",
        first_treated="_first",
        control_group="never_treated",
        alpha=alpha,
        bootstrap=0,
        base_period="universal",
    ).aggregate("dynamic")
    detail, covariance = study.detail, study.detail_covariance
    if detail is None or covariance is None:
        return None
    event = detail["event_time"].to_numpy()
    pre = (event >= -SENSITIVITY_PRE_QUARTERS) & (event < -1)
    post = (event >= 0) & (detail["n"].to_numpy() >= MIN_TREATED_AREAS)
    keep = pre | post
    n_pre, n_post = int(pre.sum()), int(post.sum())
    if n_pre < 2 or n_post < 1:
        return None
    return honest_did(
        detail["estimate"].to_numpy()[keep],
        covariance[np.ix_(keep, keep)],
        n_pre,
        n_post,
        l_vec=np.full(n_post, 1 / n_post),
        alpha=alpha,
    )


def too_few_areas_reason(n_treated: int) -> str:
    """Why an area comparison with `n_treated` (< MIN_TREATED_AREAS) treated areas gives no verdict."""
    areas = "1 local authority" if n_treated == 1 else f"{n_treated} local authorities"
    return (
        f"only {areas} ran the activity, and an area comparison needs at least {MIN_TREATED_AREAS} "
        "before its interval can be trusted (with fewer, chance differences between areas are "
        "mistaken for an effect far more often than the interval admits), so no verdict is given"
    )
