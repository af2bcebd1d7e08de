"""A toy impact design for `test_designs`: its estimator and its result type, as a new design's
estimator module would hold them. It "estimates" an activity by the share of its participants who
started support, which is not an impact; it exists only to show what adding a design takes."""

from __future__ import annotations

from dataclasses import dataclass

from evaluation.activity import ActivityImpact, total_spend
from evaluation.counterfactual import evidence_strength


@dataclass(frozen=True, kw_only=True)
class ToyImpact(ActivityImpact):
    """The toy design's own result: one number no other design has."""

    started_share: float | None = None


def toy_activity(programme, activity_id, plan, *, policy, seed, alpha, horizons) -> ToyImpact:
    """The toy design's step of `estimate_activity`."""
    people = programme.participants_of(activity_id)
    return ToyImpact(
        activity_id=activity_id,
        activity_name=str(plan["activity_name"]),
        design="toy",
        status="estimated",
        reason="a toy design",
        evidence=evidence_strength("before_after"),
        n_participants=len(people),
        spend_gbp=total_spend(programme, activity_id),
        alpha=alpha,
        seed=seed,
        policy=policy,
        started_share=float(people["started_date"].notna().mean()) if len(people) else None,
    )
