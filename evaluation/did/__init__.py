"""Difference-in-differences family: regression DiD and Callaway & Sant'Anna staggered DiD.

- `two_by_two`: the canonical 2x2 interaction regression.
- `twfe`: two-way fixed effects with a treatment indicator.
- `event_study`: TWFE with binned relative-time dummies and a pre-trend test.
- `staggered`: group-time ATT(g,t) for staggered adoption, then
  `GroupTimeResult.aggregate(kind)` for simple / group / dynamic / calendar summaries.

Compute, aggregate and present are separate steps; nothing here plots or prints.
"""

from evaluation.did.regression import event_study, twfe, two_by_two
from evaluation.did.results import (
    AggregateResult,
    DiDResult,
    EventStudyResult,
    GroupTimeResult,
    WaldTest,
)
from evaluation.did.staggered import staggered

__all__ = [
    "AggregateResult",
    "DiDResult",
    "EventStudyResult",
    "GroupTimeResult",
    "WaldTest",
    "event_study",
    "staggered",
    "twfe",
    "two_by_two",
]
