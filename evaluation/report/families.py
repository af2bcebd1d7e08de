"""Report families: the module that presents each impact design, found through the design registry.

A design's registry entry (`evaluation.impact.DESIGNS`) names its report module (`Design.report`,
for example "evaluation.report.area_sections"), and that module defines `FAMILY`: a `Family` of
the functions writing the design's parts of the impact report, of its record, and of the
programme summary. The generic sections (`evaluation.report.impact`, `.record`, `.summary`,
`.sentences`, `.process`) call them through `family_of(design)` and never ask which design they
present, so a new design adds its report module and nothing in the generic sections changes.

A report module that cannot be imported, or defines no `Family`, is an `OptionError` naming the
design; a `Family` missing a required part cannot be built (a TypeError when its module loads).
The optional parts default to saying nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from evaluation import impact as impact_module
from evaluation.designs import design_of
from evaluation.errors import OptionError

if TYPE_CHECKING:
    from evaluation.activity import ActivityImpact
    from evaluation.disclosure import DisclosurePolicy
    from evaluation.report.context import ImpactContext, SummaryContext
    from evaluation.report.record import ImpactRecord

__all__ = ["Family", "families", "family_of", "load_family", "result_of"]

Result = TypeVar("Result")


def _nothing(ctx) -> list:
    return []


def _no_summary_lines(ctx, records) -> tuple[list[str], list[str]]:
    return [], []


def _no_figures(ctx, records) -> list:
    return []


def _no_participants(name: str) -> str:
    return f"{name} records no individual participants, so this report covers spend and milestones only."


@dataclass(frozen=True, kw_only=True)
class Family:
    """How one report family presents its designs' results.

    Required, because each says something only the design can say:

    - `name`: the family's name, which `ImpactContext.kind` reports ("matched", "area", ...);
    - `complete(impact)`: whether the result holds everything the family's full sections show
      (otherwise the report is its "<name>_not_estimated" version);
    - `headline(ctx)`: the display objects under the "Headline" heading;
    - `sentences(impact)`: plain-English headline sentences of an estimated result;
    - `scope(ctx)`: who (or which areas) were compared, under its heading;
    - `observable(ctx)`: what the update cannot observe yet, after the sentence on the update;
    - `net_outcomes(ctx, spend_text)`: net additional outcomes and cost, under their heading;
    - `evidence(ctx)`: the checks behind the strength of evidence;
    - `methods(ctx)`: (method items, assumptions) for "Methods and assumptions";
    - `caveats(ctx)`: (what could bias the estimate, what the data cannot show first);
    - `record(impact, policy)`: the record's design-specific fields ("horizons",
      "n_treated_areas", "n_control_areas", and "headline" with its measure, horizon and
      estimate in percentage points when there is an estimate).

    Optional: the design-specific sections (`balance`, `over_time`, `falsification`,
    `sensitivity`, and `how_sure`: power and sensitivity, `evaluation.report.how_sure`), the summary's lines (`summary_headline(ctx, records)` gives (headline texts,
    notes after the spend); `summary_figures(ctx, records)`), whether the summary shows the
    family's estimates at each follow-up in months (`follow_ups`) and with net additional outcomes
    and cost (`costed`), and the process report's headline for an activity with no participants.
    """

    name: str
    complete: Callable[[ActivityImpact], bool]
    headline: Callable[[ImpactContext], list]
    sentences: Callable[[ActivityImpact], list[str]]
    scope: Callable[[ImpactContext], list]
    observable: Callable[[ImpactContext], list[str]]
    net_outcomes: Callable[[ImpactContext, str], list]
    evidence: Callable[[ImpactContext], list[str]]
    methods: Callable[[ImpactContext], tuple[list[str], list[str]]]
    caveats: Callable[[ImpactContext], tuple[list[str], list[str]]]
    record: Callable[[ActivityImpact, DisclosurePolicy], dict]
    balance: Callable[[ImpactContext], list] = _nothing
    over_time: Callable[[ImpactContext], list] = _nothing
    falsification: Callable[[ImpactContext], list] = _nothing
    sensitivity: Callable[[ImpactContext], list] = _nothing
    how_sure: Callable[[ImpactContext], list] = _nothing
    summary_headline: Callable[[SummaryContext, list[ImpactRecord]], tuple[list[str], list[str]]] = (
        _no_summary_lines
    )
    summary_figures: Callable[[SummaryContext, list[ImpactRecord]], list] = _no_figures
    follow_ups: bool = False
    costed: bool = False
    no_participants: Callable[[str], str] = _no_participants

    def kind(self, impact: ActivityImpact) -> str:
        """The family's name, with "_not_estimated" when the result lacks what its sections show."""
        return self.name if self.complete(impact) else f"{self.name}_not_estimated"


def result_of(impact: object, kind: type[Result]) -> Result:
    """`impact` as the result type a family presents (`kind`); a TypeError when it is another
    design's result, so a family never reads fields its design does not have."""
    if not isinstance(impact, kind):
        raise TypeError(f"these sections present a {kind.__name__}, not a {type(impact).__name__}")
    return impact


def load_family(module: str) -> Family:
    """The `FAMILY` of the report module `module`; an OptionError when there is none."""
    try:
        found = importlib.import_module(module)
    except ImportError as error:
        raise OptionError(f"Report module {module!r} cannot be imported: {error}.") from None
    family = getattr(found, "FAMILY", None)
    if not isinstance(family, Family):
        raise OptionError(
            f"Report module {module!r} defines no FAMILY (an evaluation.report.families.Family)."
        )
    return family


def family_of(design: str) -> Family:
    """The report family presenting the impact design `design` (`evaluation.impact.DESIGNS`); an
    unknown design or a missing report module is an error, never another design's wording."""
    entry = design_of(impact_module.DESIGNS, design)
    try:
        return load_family(entry.report)
    except OptionError as error:
        raise OptionError(f"Impact design {design!r} cannot be reported: {error}") from None


def families() -> list[tuple[Family, list[str]]]:
    """Every report family of the registered designs, in registry order, with its designs' names."""
    found: dict[str, list[str]] = {}
    for name, entry in impact_module.DESIGNS.items():
        found.setdefault(entry.report, []).append(name)
    return [(family_of(names[0]), names) for names in found.values()]
