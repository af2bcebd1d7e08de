"""Value for money: a social cost-benefit analysis of the employment effects the impact estimates give.

- `values`: the unit values as data (`load_values`), each with its source, price year and date checked;
- `universal_credit`: what a year in work changes in Universal Credit, tax and National Insurance;
- `appraisal`: `appraise` an activity's `EmploymentEffect` against its costs in low, central and high
  cases (`appraise_activity` from an `ActivityImpact`), and `combine` activities into the programme.

The method and the table of values are in docs/value_for_money.md; the sentences in
`evaluation.report.vfm_words`.
"""

from __future__ import annotations

from evaluation.vfm.appraisal import (
    Appraisal,
    Assumptions,
    CaseAppraisal,
    EmploymentEffect,
    appraise,
    appraise_activity,
    combine,
)
from evaluation.vfm.universal_credit import Claimant, InWork, in_work
from evaluation.vfm.values import UnitValue, ValuesTable, load_values, read_values_file

__all__ = [
    "Appraisal",
    "Assumptions",
    "CaseAppraisal",
    "Claimant",
    "EmploymentEffect",
    "InWork",
    "UnitValue",
    "ValuesTable",
    "appraise",
    "appraise_activity",
    "combine",
    "in_work",
    "load_values",
    "read_values_file",
]
