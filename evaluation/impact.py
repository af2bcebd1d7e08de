"""The per-activity impact pipeline: `estimate_activity`, and the impact API in one place.

`estimate_activity` picks the design from the delivery plan (matched comparison, area-level
staggered DiD, or descriptive), applies the disclosure policy's minimum number of
participants, runs the falsification checks (`evaluation.falsification`) that decide whether
the verdict is published, and adds net impact and value for money when it is. Nothing here
plots or prints.

The pieces live one job to a module, each importing only those before it in this list:
`evaluation.stacking` (people stacked by referral month and matched), `evaluation.matched`
(the matched-comparison estimator, `matched_comparison`, and its candidates),
`evaluation.falsification` (the checks), `evaluation.activity` (the result types),
`evaluation.area` (the area design's step); the matched design's step is `_matched_activity`
below. The public names of those modules are re-exported here; the headline sentences are
in the report layer (`evaluation.report.sentences`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np

from evaluation import progress
from evaluation.activity import (
    ActivityImpact,
    AreaImpact,
    DescriptiveImpact,
    ImpactDesign,
    MatchedImpact,
    total_spend,
)
from evaluation.area import MIN_TREATED_AREAS, area_activity, too_few_areas_reason
from evaluation.counterfactual import evidence_strength, net_impact
from evaluation.designs import Design, design_of, registry
from evaluation.disclosure import DEFAULT_POLICY, DisclosurePolicy, impact_allowed
from evaluation.errors import DesignError
from evaluation.falsification import falsify
from evaluation.matched import (
    CANDIDATES,
    DEFAULT_EXACT,
    Estimator,
    MatchedDiDResult,
    matched_comparison,
    matched_did,
)
from evaluation.stacking import (
    AGE_BANDS,
    BANDED_COLUMNS,
    DEFAULT_COVARIATES,
    FULL_HISTORY_COVARIATES,
    HISTORY,
    LOG1P_COLUMNS,
    POOL_SAMPLE,
    PRE_HISTORY,
    RECENT_HISTORY,
    WORK_GAP_BANDS,
    MatchedSample,
    baseline_window,
    matched_sample,
    stacked_people,
)

__all__ = [
    "DESIGNS",
    "AGE_BANDS",
    "BANDED_COLUMNS",
    "CANDIDATES",
    "DEFAULT_COVARIATES",
    "FULL_HISTORY_COVARIATES",
    "HISTORY",
    "LOG1P_COLUMNS",
    "MIN_TREATED_AREAS",
    "PRE_HISTORY",
    "RECENT_HISTORY",
    "WORK_GAP_BANDS",
    "ActivityImpact",
    "AreaImpact",
    "DescriptiveImpact",
    "Estimator",
    "ImpactDesign",
    "MatchedDiDResult",
    "MatchedImpact",
    "MatchedSample",
    "baseline_window",
    "estimate_activity",
    "matched_comparison",
    "matched_did",
    "matched_sample",
    "too_few_areas_reason",
]


def _matched_activity(programme, activity_id, plan, *, policy, seed, alpha, horizons):
    people = programme.participants_of(activity_id)
    n = len(people)
    spend = total_spend(programme, activity_id)
    base = {
        "activity_id": activity_id,
        "activity_name": str(plan["activity_name"]),
        "design": "matched_comparison",
        "evidence": evidence_strength("matched_did"),
        "n_participants": n,
        "spend_gbp": spend,
        "alpha": alpha,
        "seed": seed,
        "policy": policy,
    }
    allowed, why = impact_allowed(n, policy)
    if not allowed:
        return MatchedImpact(status="not_estimated", reason=why, **base)
    # The data end where the whole outcome table ends, whichever rows are read.
    options = {
        "seed": seed,
        "alpha": alpha,
        "pool_sample": POOL_SAMPLE,
        "last_month": programme.last_outcome_month,
    }
    # Only the outcome rows the estimate can use: its participants' and the comparison people
    # it may stack (a national pool's table never comes into memory whole).
    pool = programme.comparison_pool
    needed = stacked_people(
        people, pool, exact=DEFAULT_EXACT, person="person_id", pool_sample=POOL_SAMPLE, seed=seed
    )
    progress.note(f"reading the outcomes of {len(needed):,} people")
    outcomes = programme.outcomes_of(needed)
    result = matched_comparison(
        people,
        pool,
        outcomes,
        horizons=horizons,
        min_n=policy.min_impact_n,
        candidates=True,
        secondary=True,
        subgroups=True,
        **options,
    )
    progress.note("placebo referrals")
    checks = falsify(
        result,
        people,
        pool,
        outcomes,
        min_n=policy.min_impact_n,
        **options,
    )
    nets, notes = {}, []
    for row in result.horizons.itertuples():
        label = f"{row.horizon} months after referral"
        if not row.reportable:
            notes.append(
                f"{label}: not reported; fewer than {policy.min_impact_n} participants have "
                "been followed this long (Justice Data Lab minimum)"
            )
            continue
        nets[int(row.horizon)] = net_impact(
            result.at(int(row.horizon)),
            observed_rate=float(row.participants_rate),
            n_participants=n,
            spend_gbp=spend if np.isfinite(spend) else None,
            horizon_label=label,
        )
    if not checks.credible:
        nets = {}
        base["evidence"] = evidence_strength("comparison_not_credible")
    if nets:
        notes.append(
            "Net additional outcomes apply the effect measured on matched participants "
            f"followed long enough to all {n} participants of the activity, and the cost per "
            "additional outcome divides the activity's whole spend by that number."
        )
    if not result.meets_minimum:
        return MatchedImpact(
            status="not_estimated",
            reason=(
                f"Fewer than {policy.min_impact_n} participants have been followed for "
                "the shortest horizon yet: too few for a reliable impact estimate"
            ),
            matched=result,
            notes=tuple(notes),
            **base,
        )
    return MatchedImpact(
        status="estimated",
        reason=why,
        headline=result,
        matched=result,
        falsification=checks,
        net_impacts=MappingProxyType(nets),
        notes=tuple(notes),
        **base,
    )


def estimate_activity(
    programme,
    activity_id: str,
    *,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    seed: int | None = None,
    alpha: float = 0.05,
    horizons: Sequence[int] = (6, 12),
) -> ActivityImpact:
    """Estimate one activity's impact by the design in the delivery plan's `impact_design`.

    - "matched_comparison": `matched_did` on the activity's participants and the comparison
      pool, if `impact_allowed` under `policy` (else the reason), with net impact and cost
      per net additional outcome (whole activity spend) at each horizon with enough people.
    - "did": Callaway & Sant'Anna staggered DiD of the employment rate over local
      authorities x periods (periods numbered 1..T, never-treated areas as controls), its
      event-time aggregate, and two-way fixed effects for comparison.
    - "descriptive": no estimate; the reason is stated.
    A `DesignError` (for example no usable comparison people) becomes a "not_estimated"
    result stating why rather than an exception. The result is the design's declared type
    (`MatchedImpact`, `AreaImpact`, `DescriptiveImpact`: an `ActivityImpact` tagged by `design`);
    an estimator returning another type is a TypeError.
    """
    plan = programme.plan(activity_id)
    design = design_of(DESIGNS, str(plan["impact_design"]))
    if not isinstance(policy, DisclosurePolicy):
        raise TypeError(f"policy must be a DisclosurePolicy, got {type(policy).__name__}")
    try:
        with progress.about(activity_id):  # each long step of the estimate is said to the run
            found = design.estimate(
                programme, activity_id, plan, policy=policy, seed=seed, alpha=alpha, horizons=horizons
            )
    except DesignError as error:
        return design.result(
            activity_id=activity_id,
            activity_name=str(plan["activity_name"]),
            design=design.name,
            status="not_estimated",
            reason=f"the data cannot support the analysis ({error})",
            evidence=evidence_strength(design.evidence),
            n_participants=len(programme.participants_of(activity_id)),
            spend_gbp=total_spend(programme, activity_id),
            alpha=alpha,
            seed=seed,
            policy=policy,
        )
    if not isinstance(found, design.result):
        raise TypeError(
            f"The {design.name!r} estimator returned a {type(found).__name__}, not its declared "
            f"{design.result.__name__}."
        )
    return found


def _area_activity(programme, activity_id, plan, *, policy, seed, alpha, horizons) -> AreaImpact:
    """The area design's step (`evaluation.area.area_activity`); areas have no follow-up horizons."""
    return area_activity(programme, activity_id, plan, seed=seed, alpha=alpha, policy=policy)


def _descriptive_activity(
    programme, activity_id, plan, *, policy, seed, alpha, horizons
) -> DescriptiveImpact:
    """A descriptive design: no comparison group, so no estimate; the reason is stated."""
    return DescriptiveImpact(
        activity_id=activity_id,
        activity_name=str(plan["activity_name"]),
        design="descriptive",
        status="not_estimated",
        reason=(
            "the delivery plan sets a descriptive design for this activity, so there is no "
            "comparison group and no impact estimate"
        ),
        evidence=evidence_strength("descriptive"),
        n_participants=len(programme.participants_of(activity_id)),
        spend_gbp=total_spend(programme, activity_id),
        alpha=alpha,
        seed=seed,
        policy=policy,
    )


DESIGNS: Mapping[str, Design] = MappingProxyType(
    registry(
        Design(
            name="matched_comparison",
            label="Matched comparison",
            estimate=_matched_activity,
            result=MatchedImpact,
            evidence="matched_did",
            report="evaluation.report.matched_sections",
        ),
        Design(
            name="did",
            label="Area comparison",
            estimate=_area_activity,
            result=AreaImpact,
            evidence="area_did",
            report="evaluation.report.area_sections",
        ),
        Design(
            name="descriptive",
            label="Descriptive",
            estimate=_descriptive_activity,
            result=DescriptiveImpact,
            evidence="descriptive",
            report="evaluation.report.descriptive_sections",
        ),
    )
)
"""Every impact design by its delivery-plan name (`evaluation.designs`): its label, estimator,
evidence rating and report module. `estimate_activity` dispatches through it, the report layer
finds each design's sections through it (`evaluation.report.families`)."""
