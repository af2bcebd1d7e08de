"""The priority cohorts of the Trailblazer programmes, as rules on the participants table.

DWP's Economic Inactivity Trailblazers name the groups they most want to reach; process
reports count how many of each an activity reached, and impact reports estimate what it
achieved for each (`evaluation.subgroups`). Each rule takes the participants table and
returns who belongs.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

import pandas as pd

__all__ = ["PRIORITY_COHORTS", "cohort_members"]

PRIORITY_COHORTS: MappingProxyType[str, Callable[[pd.DataFrame], pd.Series]] = MappingProxyType(
    {
        "Long-term health condition": lambda f: f["health_condition"] != "none",
        "Disabled": lambda f: f["disabled"] == 1,
        "Carers": lambda f: f["carer"] == 1,
        "Parents with childcare needs": lambda f: f["parent"] == 1,
        "Young people (16 to 24)": lambda f: f["age"] < 25,
        "Aged 50 and over": lambda f: f["age"] >= 50,
        "Neurodivergent": lambda f: f["neurodivergent"] == 1,
        "Women": lambda f: f["sex"] == "female",
        "Social housing tenants": lambda f: f["social_housing"] == 1,
        "Veterans": lambda f: f["veteran"] == 1,
        "Ethnic minority groups": lambda f: ~f["ethnic_group"].isin(["white", "not_stated"]),
    }
)


def cohort_members(participants: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per priority cohort, one row per participant (same index)."""
    return pd.DataFrame(
        {name: rule(participants).fillna(False).astype(bool) for name, rule in PRIORITY_COHORTS.items()},
        index=participants.index,
    )
