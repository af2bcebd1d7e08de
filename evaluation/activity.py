"""What the impact report says about one activity, computed: the `ActivityImpact` record.

`evaluation.impact.estimate_activity` builds one per activity, by the design in the delivery
plan (`ImpactDesign`). Numbers, the reason an activity was not estimated and its notes; the
headline sentences built from them are in the report layer (`evaluation.report.sentences`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import pandas as pd

from evaluation.counterfactual import EvidenceStrength, NetImpact
from evaluation.did.few_clusters import AreaInference
from evaluation.did.results import AggregateResult, DiDResult, GroupTimeResult
from evaluation.disclosure import DEFAULT_POLICY, DisclosurePolicy
from evaluation.falsification import Falsification
from evaluation.matched import MatchedDiDResult
from evaluation.results import EstimateResult
from evaluation.sensitivity.honest import HonestResult

__all__ = ["ActivityImpact", "ImpactDesign", "reason_clause", "total_spend"]

ImpactDesign = Literal["matched_comparison", "did", "descriptive"]
"""The delivery plan's `impact_design` values (data_contracts/delivery_plan.yaml)."""


@dataclass(frozen=True, kw_only=True)
class ActivityImpact:
    """Everything the impact report says about one activity, computed, not presented.

    `status` is "estimated" or "not_estimated" (then `reason` says why, in words that can
    be published). `headline` is the main estimate: the matched DiD at its headline horizon
    (a proportion) or the area-level simple ATT (percentage points of the employment rate).
    `net_impacts` maps each horizon in months with enough participants to its `NetImpact`;
    `notes` lists the other facts a reader needs (horizons not reported, scope of net
    impact, areas compared).
    """

    activity_id: str
    activity_name: str
    design: str
    status: str
    reason: str
    evidence: EvidenceStrength
    n_participants: int
    spend_gbp: float
    headline: EstimateResult | None = field(default=None, repr=False, compare=False)
    matched: MatchedDiDResult | None = field(default=None, repr=False, compare=False)
    area: GroupTimeResult | None = field(default=None, repr=False, compare=False)
    area_dynamic: AggregateResult | None = field(default=None, repr=False, compare=False)
    area_twfe: DiDResult | None = field(default=None, repr=False, compare=False)
    area_inference: AreaInference | None = field(default=None, repr=False, compare=False)
    area_sensitivity: HonestResult | None = field(default=None, repr=False, compare=False)
    falsification: Falsification | None = field(default=None, repr=False, compare=False)
    n_treated_areas: int = 0
    n_control_areas: int = 0
    net_impacts: Mapping[int, NetImpact] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )
    notes: tuple[str, ...] = ()
    alpha: float = 0.05
    seed: int | None = None
    policy: DisclosurePolicy = DEFAULT_POLICY

    @property
    def estimated(self) -> bool:
        return self.status == "estimated"

    @property
    def published(self) -> bool:
        """An estimate whose verdict may be published: it passed the falsification checks."""
        return self.estimated and (self.falsification is None or self.falsification.credible)

    def to_frame(self) -> pd.DataFrame:
        """Every estimate behind the report: term, estimate, std_error, CI, n, and method."""
        columns = ["term", "estimate", "std_error", "ci_lower", "ci_upper", "n"]
        parts = []
        if self.matched is not None:
            parts.append(self.matched.to_frame().assign(method="matched DiD"))
            naive = self.matched.naive.to_frame().assign(method="unmatched difference")
            parts.append(naive)
        if self.area is not None:
            head = pd.DataFrame(EstimateResult.rows(self.area), columns=columns)
            parts.append(head.assign(method="staggered DiD (Callaway & Sant'Anna)"))
        if self.area_twfe is not None:
            parts.append(self.area_twfe.to_frame().assign(method="two-way fixed effects"))
        if not parts:
            return pd.DataFrame(columns=[*columns, "method"])
        return pd.concat(parts, ignore_index=True)

    def summary(self) -> str:
        head = f"{self.activity_name} ({self.activity_id}): {self.design}, {self.status}"
        if not self.estimated:
            return f"{head}: {reason_clause(self.reason)}."
        table = self.to_frame().to_string(index=False, float_format=lambda v: f"{v:.4f}")
        return f"{head}\n{table}\n" + "\n".join(self.notes)


def reason_clause(reason: str) -> str:
    """A reason as the middle of a sentence: first letter in lower case, no full stop."""
    reason = reason.rstrip(". ")
    return reason[:1].lower() + reason[1:] if reason[:2] != reason[:2].upper() else reason


def total_spend(programme, activity_id: str) -> float:
    """The activity's whole spend in pounds (NaN when the input has no spend for it)."""
    spend = programme.spend_of(activity_id)
    if spend.empty:
        return float("nan")
    return float(pd.to_numeric(spend["spend_gbp"], errors="coerce").sum())
