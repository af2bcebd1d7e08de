"""Evaluation toolkit for UK employment-support programmes.

The public API (everything else is private and may change):

- Inputs: `load_programme(folder, as_of=None)` reads, checks and (for an interim update) cuts an
  input folder; `Programme` is what it returns.
- Impact: `estimate_activity(programme, activity_id)` estimates one activity's impact by the
  design its delivery plan names; `read_results(report_folder)` loads a run's results file
  (`results.json`, schema in docs/results.md) as `Results`: a mapping of activity id to
  `ImpactRecord` with the programme, reach, delivery and value for money.
- Estimator families, each usable on its own data: `matched_comparison` (participants against
  matched non-participants, change from a baseline), `match` (propensity-score matching),
  `staggered`, `twfe`, `event_study`, `two_by_two` (difference-in-differences), `time_to_stage`,
  `stage_survival` and `evaluation.funnel.funnel` (retention; the module keeps the name `funnel`),
  `net_impact` (counterfactual arithmetic).
- Errors: `EvaluationError` and its families `InputError` (with `ContractError`), `OptionError`,
  `DesignError`, `RunError`.

Names are imported when first used, so `import evaluation` stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "load_programme": "evaluation.programme",
    "Programme": "evaluation.programme",
    "estimate_activity": "evaluation.impact",
    "read_results": "evaluation.run_results",
    "Results": "evaluation.run_results",
    "ImpactRecord": "evaluation.report.record",
    "matched_comparison": "evaluation.matched",
    "match": "evaluation.matching",
    "staggered": "evaluation.did",
    "twfe": "evaluation.did",
    "event_study": "evaluation.did",
    "two_by_two": "evaluation.did",
    "time_to_stage": "evaluation.funnel",
    "stage_survival": "evaluation.funnel",
    "net_impact": "evaluation.counterfactual",
    "EvaluationError": "evaluation.errors",
    "InputError": "evaluation.errors",
    "ContractError": "evaluation.errors",
    "OptionError": "evaluation.errors",
    "DesignError": "evaluation.errors",
    "RunError": "evaluation.errors",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'evaluation' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
