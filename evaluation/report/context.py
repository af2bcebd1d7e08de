"""What every report is built from: the programme as known at the report's date, and its settings.

One context per report, built once by the notebook's first cell and passed to every section:
`ActivityContext` for a process report, `ImpactContext` (the activity plus its impact estimate)
for an impact report, `SummaryContext` (every activity's figures and records) for the programme
summary. The builders here load the programme the same way for all three and record the same
parameters in the provenance footer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from evaluation.activity import ActivityImpact
from evaluation.disclosure import DEFAULT_POLICY, DisclosurePolicy
from evaluation.impact import estimate_activity
from evaluation.programme import Programme, load_programme
from evaluation.report.display import Numbering
from evaluation.report.families import Family, family_of
from evaluation.report.record import ImpactRecord
from evaluation.run_parameters import RunParameters

__all__ = [
    "ALPHA",
    "HORIZONS",
    "ActivityContext",
    "ImpactContext",
    "SummaryContext",
    "activity_context",
    "impact_context",
]

ALPHA = 0.05
"""Significance level of every impact estimate in the reports."""
HORIZONS = (6, 12)
"""Follow-ups (months after referral) at which matched comparisons are estimated."""


@dataclass
class ActivityContext:
    """Everything a report about one activity needs, as known at the report's as-of date."""

    programme: Programme
    activity_id: str
    policy: DisclosurePolicy = DEFAULT_POLICY
    numbering: Numbering = field(default_factory=Numbering)
    interim: bool = False
    parameters: dict = field(default_factory=dict)
    output_dir: str | None = None

    @property
    def plan(self) -> pd.Series:
        return self.programme.plan(self.activity_id)

    @property
    def name(self) -> str:
        return str(self.plan["activity_name"])

    @property
    def people(self) -> pd.DataFrame:
        return self.programme.participants_of(self.activity_id)

    @property
    def as_of(self) -> pd.Timestamp:
        return self.programme.as_of

    @property
    def stages(self) -> list[tuple[str, str, str]]:
        return [(s.name, s.column, s.label) for s in self.programme.stages]


@dataclass
class ImpactContext(ActivityContext):
    """An activity's context plus its impact estimate, computed once for the whole report."""

    impact: ActivityImpact | None = None
    seed: int | None = None

    @property
    def result(self) -> ActivityImpact:
        if self.impact is None:
            raise RuntimeError("the impact context has no estimate; build it with impact.context(...)")
        return self.impact

    @property
    def family(self) -> Family:
        """The report family presenting this activity's design (`evaluation.report.families`)."""
        return family_of(self.result.design)

    @property
    def kind(self) -> str:
        """Which report this is: the family's name ("matched", "area", "descriptive"), with
        "_not_estimated" when the estimate its sections show is missing."""
        return self.family.kind(self.result)


@dataclass
class SummaryContext:
    """The programme, every activity's delivery figures and impact record, and report settings."""

    programme: Programme
    delivery: pd.DataFrame
    records: dict[str, ImpactRecord]
    sources: dict[str, str]
    policy: DisclosurePolicy = DEFAULT_POLICY
    numbering: Numbering = field(default_factory=Numbering)
    interim: bool = False
    parameters: dict = field(default_factory=dict)
    output_dir: str | None = None
    totals: dict | None = None
    """Programme totals counting each person once, and programme-level targets (`programme_totals`)."""

    @property
    def as_of(self) -> pd.Timestamp:
        return self.programme.as_of


def activity_context(
    programme_path: str,
    activity_id: str,
    as_of: str | None = None,
    *,
    seed: int | None = None,
    output_dir: str | None = None,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> ActivityContext:
    """Load the programme (cut at `as_of` for an interim update) and focus on one activity. The
    notebook's plain parameters are read once into a frozen `RunParameters`."""
    run = RunParameters.from_notebook(programme_path, activity_id, as_of, seed=seed, output_dir=output_dir)
    programme = load_programme(run.snapshot, as_of=run.as_of)
    programme.plan(activity_id)  # an unknown activity fails here, before any section
    return ActivityContext(
        programme,
        activity_id,
        policy=policy,
        interim=run.interim,
        parameters=run.provenance(),
        output_dir=output_dir,
    )


def impact_context(
    programme_path: str,
    activity_id: str,
    as_of: str | None = None,
    *,
    seed: int | None = 2025,
    output_dir: str | None = None,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> ImpactContext:
    """Load the programme (cut at `as_of` for an interim update) and estimate one activity's impact."""
    base = activity_context(
        programme_path, activity_id, as_of, seed=seed, output_dir=output_dir, policy=policy
    )
    impact = estimate_activity(
        base.programme, activity_id, policy=policy, seed=seed, alpha=ALPHA, horizons=HORIZONS
    )
    return ImpactContext(
        base.programme,
        activity_id,
        policy=policy,
        interim=base.interim,
        parameters=base.parameters,
        output_dir=output_dir,
        impact=impact,
        seed=seed,
    )
