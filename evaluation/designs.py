"""Impact designs as data: one `Design` per value of the delivery plan's `impact_design`.

A design declares everything the toolkit needs to know about it in one place: its name (the
contract value), its label in tables, its estimator and the frozen result type it returns, the
evidence rating of an estimate it makes, and the report module whose family of sections presents
it. `evaluation.impact.DESIGNS` holds the entries; `estimate_activity` dispatches through them,
the reports find their sections and labels through them (`evaluation.report.families`), and a
test checks that the contract's allowed values and the registry agree.

Adding a design (synthetic control, say) touches its estimator, its entry in `DESIGNS`, a value
in the delivery-plan contract, and its report module; a part missing fails loudly here, when the
entry is built (the report module is looked for, not imported), or when the report layer loads the
module's `FAMILY`, never by falling back to another design's wording.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any

from evaluation.activity import ActivityImpact
from evaluation.counterfactual import Design as EvidenceDesign
from evaluation.counterfactual import evidence_strength
from evaluation.errors import OptionError


@dataclass(frozen=True)
class Design:
    """One impact design (see the module docstring).

    `estimate(programme, activity_id, plan, *, policy, seed, alpha, horizons)` returns a
    `result`: the design's own frozen subclass of `ActivityImpact`, whose extra fields all have
    defaults (a result saying only why nothing was estimated is built from the common ones);
    `evidence` names the evidence rating of an estimate it makes
    (`counterfactual.evidence_strength`); `report` is the module (dotted name) whose `FAMILY`
    presents it (`evaluation.report.families.Family`).
    """

    name: str
    label: str
    estimate: Callable[..., Any]
    result: type[ActivityImpact]
    evidence: EvidenceDesign  # checked when the entry is built
    report: str

    def __post_init__(self) -> None:
        problems = []
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(self.name)):
            problems.append(f"name {self.name!r} is not a lower-case identifier")
        if not str(self.label).strip():
            problems.append("it has no label")
        if not callable(self.estimate):
            problems.append("its estimator is not callable")
        problems += _result_problems(self.result)
        if not _module_exists(self.report):
            problems.append(f"its report module {self.report!r} does not exist")
        try:
            evidence_strength(self.evidence)
        except (OptionError, KeyError):
            problems.append(f"evidence {self.evidence!r} is not a known evidence rating")
        if problems:
            raise OptionError(f"Impact design {self.name!r} is incomplete: " + "; ".join(problems) + ".")


def _result_problems(result: Any) -> list[str]:
    """What stops `result` being a design's result type: its own subclass of `ActivityImpact` (frozen,
    as Python requires of a dataclass subclassing a frozen one) whose own fields have defaults."""
    if not (isinstance(result, type) and issubclass(result, ActivityImpact)) or result is ActivityImpact:
        return [f"its result type {result!r} is not its own subclass of ActivityImpact"]
    common = {f.name for f in fields(ActivityImpact)}
    required = [
        f.name
        for f in fields(result)
        if f.name not in common and f.default is MISSING and f.default_factory is MISSING
    ]
    if required:
        return [f"its result type {result.__name__} has fields without defaults: {', '.join(required)}"]
    return []


def _module_exists(name: str) -> bool:
    """Whether a module can be found by its dotted name, without importing it (its parent packages are)."""
    try:
        return importlib.util.find_spec(str(name)) is not None
    except (ImportError, ValueError):
        return False


def registry(*designs: Design) -> Mapping[str, Design]:
    """The designs by name; two with one name are refused."""
    names = [d.name for d in designs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise OptionError(f"Impact designs registered twice: {', '.join(repeated)}.")
    return {d.name: d for d in designs}


def design_of(designs: Mapping[str, Design], name: str) -> Design:
    """The design called `name`, or an OptionError listing the known ones."""
    if name not in designs:
        raise OptionError(f"Unknown impact design {name!r}: use one of {', '.join(designs)}.")
    return designs[name]


__all__ = ["Design", "design_of", "registry"]
