"""What the impact report says about one activity, computed: a result type per impact design.

`evaluation.impact.estimate_activity` builds one per activity, by the design in the delivery
plan. The results are a tagged union: every design's result is a frozen `ActivityImpact` (the
fields every design has, tagged by `design`) of the type its registry entry declares
(`evaluation.designs.Design.result`): `MatchedImpact`, `AreaImpact` or `DescriptiveImpact` here,
and a new design's own type beside its estimator. Numbers only: the reason an activity was not
estimated and its notes are the only words, and the report layer (`evaluation.report`) writes
everything else, reading a design's own fields through that design's report family.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from evaluation.counterfactual import EvidenceStrength, NetImpact
from evaluation.did.few_clusters import AreaInference
from evaluation.did.results import AggregateResult, DiDResult, GroupTimeResult
from evaluation.disclosure import DEFAULT_POLICY, DisclosurePolicy
from evaluation.falsification import Falsification
from evaluation.matched import MatchedDiDResult
from evaluation.results import EstimateResult
from evaluation.sensitivity.honest import HonestResult

__all__ = [
    "ActivityImpact",
    "AreaImpact",
    "DescriptiveImpact",
    "ImpactDesign",
    "MatchedImpact",
    "total_spend",
]

ImpactDesign = str
"""A delivery plan's `impact_design`: a name in `evaluation.impact.DESIGNS` (the contract's
allowed values are tested against it)."""

FRAME_COLUMNS = ["term", "estimate", "std_error", "ci_lower", "ci_upper", "n"]


@dataclass(frozen=True, kw_only=True)
class ActivityImpact:
    """What every design's result has: one activity's impact, computed, not presented.

    `design` is the tag (the delivery plan's `impact_design`). `status` is "estimated" or
    "not_estimated" (then `reason` says why, in words that can be published). `headline` is the
    design's main estimate, if it made one, and `falsification` the checks that decide whether
    its verdict is published; `notes` lists the other facts a reader needs. A design's own
    fields are on its result type, each with a default, so that a result stating only why
    nothing was estimated can be built from these fields alone.
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
    falsification: Falsification | None = field(default=None, repr=False, compare=False)
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

    @property
    def headline_p_value(self) -> float:
        """The headline's two-sided p-value by the design's own inference (NaN without one)."""
        return float(self.headline.p_value) if self.headline is not None else float("nan")

    def _estimate_frames(self) -> list[pd.DataFrame]:
        """The design's estimates as frames with a `method` column (none here)."""
        return []

    def to_frame(self) -> pd.DataFrame:
        """Every estimate behind the report: term, estimate, std_error, CI, n, and method."""
        parts = self._estimate_frames()
        if not parts:
            return pd.DataFrame(columns=[*FRAME_COLUMNS, "method"])
        return pd.concat(parts, ignore_index=True)

    def summary(self) -> str:
        """The result for a console: design and status, then the estimates and notes or the reason."""
        head = f"{self.activity_name} ({self.activity_id}): {self.design}, {self.status}"
        if not self.estimated:
            return f"{head}: {self.reason}"
        table = self.to_frame().to_string(index=False, float_format=lambda v: f"{v:.4f}")
        return f"{head}\n{table}\n" + "\n".join(self.notes)


@dataclass(frozen=True, kw_only=True)
class MatchedImpact(ActivityImpact):
    """A matched comparison's result: the matched DiD (`matched`: the headline horizon's estimate,
    every horizon, balance, candidates; None when too few people for one) and, at each horizon in
    months with enough participants, its `NetImpact` (`net_impacts`)."""

    matched: MatchedDiDResult | None = field(default=None, repr=False, compare=False)
    net_impacts: Mapping[int, NetImpact] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )

    def _estimate_frames(self) -> list[pd.DataFrame]:
        if self.matched is None:
            return []
        return [
            self.matched.to_frame().assign(method="matched DiD"),
            self.matched.naive.to_frame().assign(method="unmatched difference"),
        ]


@dataclass(frozen=True, kw_only=True)
class AreaImpact(ActivityImpact):
    """An area comparison's result: the Callaway & Sant'Anna estimate (`area`), its event-time
    aggregate, two-way fixed effects for comparison, few-cluster inference and parallel-trends
    sensitivity, and how many local authorities ran the activity and did not."""

    area: GroupTimeResult | None = field(default=None, repr=False, compare=False)
    area_dynamic: AggregateResult | None = field(default=None, repr=False, compare=False)
    area_twfe: DiDResult | None = field(default=None, repr=False, compare=False)
    area_inference: AreaInference | None = field(default=None, repr=False, compare=False)
    area_sensitivity: HonestResult | None = field(default=None, repr=False, compare=False)
    n_treated_areas: int = 0
    n_control_areas: int = 0

    @property
    def headline_p_value(self) -> float:
        """The wild cluster restricted bootstrap's p-value, which the headline interval comes from."""
        wild = self.area_inference.wild if self.area_inference is not None else None
        return float(wild.p_value) if wild is not None else super().headline_p_value

    def _estimate_frames(self) -> list[pd.DataFrame]:
        parts = []
        if self.area is not None:
            head = pd.DataFrame(EstimateResult.rows(self.area), columns=FRAME_COLUMNS)
            parts.append(head.assign(method="staggered DiD (Callaway & Sant'Anna)"))
        if self.area_twfe is not None:
            parts.append(self.area_twfe.to_frame().assign(method="two-way fixed effects"))
        return parts


@dataclass(frozen=True, kw_only=True)
class DescriptiveImpact(ActivityImpact):
    """A descriptive design's result: no comparison, so never an estimate; `reason` says so."""


def total_spend(programme, activity_id: str) -> float:
    """The activity's whole spend in pounds (NaN when the input has no spend for it)."""
    spend = programme.spend_of(activity_id)
    if spend.empty:
        return float("nan")
    return float(pd.to_numeric(spend["spend_gbp"], errors="coerce").sum())
