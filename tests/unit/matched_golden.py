"""What `tests/unit/test_matched_golden.py` pins: every number a matched activity publishes.

`snapshot(impact)` flattens one activity's `MatchedImpact` (the headline's horizons, event
times, balance, naive difference, the candidates' sensitivity table, secondary outcomes,
priority cohorts, matched sets, counts and tests, and each placebo referral) into plain JSON
values. `python -m tests.unit.matched_golden` rewrites the fixture from the code as it stands:
only do that on purpose, when a change of the published numbers is intended and explained.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 2025
SCALE = 0.5
"""The scaled-down default programme the fast test estimates on (seed 2025, half the participants)."""

ACTIVITIES = ("women", "placements_neurodivergent", "social_housing_tenants")
FULL_ACTIVITY = "women"
"""Checked on the full default programme as well (slow)."""

FIXTURE = Path(__file__).with_name("golden") / "matched_golden.json"


def _value(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # "nan", "inf": JSON has no such numbers
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_value(v) for v in value]
    return value


def _table(frame: pd.DataFrame) -> dict:
    return {str(c): [_value(v) for v in frame[c].tolist()] for c in frame.columns}


def _test(test) -> list | None:
    return None if test is None else [_value(test.statistic), int(test.df), _value(test.p_value)]


def snapshot(impact) -> dict:
    """Every published number of one matched activity, as JSON values."""
    result = impact.matched
    if result is None:
        return {"status": impact.status, "reason": impact.reason}
    scalars = {
        name: _value(getattr(result, name))
        for name in (
            "estimate",
            "std_error",
            "ci_lower",
            "ci_upper",
            "n",
            "horizon",
            "observed_rate",
            "comparison_rate",
            "n_participants",
            "n_excluded",
            "n_matched",
            "n_discarded",
            "n_comparisons_used",
            "n_comparison_rows_used",
            "n_comparisons_in_several_cohorts",
            "n_pool",
            "pretrend_p_value",
            "max_abs_smd_before",
            "max_abs_smd_after",
            "meets_minimum",
            "history_months",
            "baseline",
            "propensity_method",
            "method",
            "last_month",
        )
    }
    naive = result.naive
    out = {
        "status": impact.status,
        "scalars": scalars,
        "discarded": dict(result.discarded),
        "pretrend_test": _test(result.pretrend_test),
        "horizons_test": _test(result.horizons_test),
        "naive": [_value(naive.estimate), _value(naive.std_error), int(naive.n)],
        "horizons": _table(result.horizons),
        "event_time": _table(result.event_time),
        "balance": _table(result.balance),
        "candidates": _table(result.candidates),
        "secondary": _table(result.secondary),
        "subgroups": _table(result.subgroups),
        "matched_sets": _table(result.matched_sets),
        "net_impacts": sorted(impact.net_impacts),
    }
    checks = impact.falsification
    if checks is not None:
        out["falsification"] = {
            "credible": checks.credible,
            "failed": list(checks.failed),
            "pre_path": _test(checks.pre_path),
            "placebos": [
                {
                    "months_before": p.months_before,
                    "test": _test(p.test),
                    "n": p.n,
                    "reason_not_run": p.reason_not_run,
                    "table": _table(p.table),
                }
                for p in checks.placebos
            ],
        }
    return out


def programme(folder: Path, scale: float = SCALE):
    """The synthetic default programme at `scale`, written to `folder` and loaded as a run loads it."""
    from evaluation import synthetic
    from evaluation.programme import load_programme

    return load_programme(synthetic.write(folder, SEED, scale=scale))


def estimate(loaded, activity: str) -> dict:
    from evaluation.impact import estimate_activity

    return snapshot(estimate_activity(loaded, activity, seed=SEED, alpha=0.05, horizons=(6, 12)))


def compare(found, expected, where: str = "") -> list[str]:
    """Differences between two snapshots (numbers to a relative 1e-9), as readable lines."""
    problems: list[str] = []
    if isinstance(expected, dict):
        if not isinstance(found, dict) or set(found) != set(expected):
            return [
                f"{where}: keys {sorted(found) if isinstance(found, dict) else found!r} != {sorted(expected)}"
            ]
        for key in expected:
            problems += compare(found[key], expected[key], f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(found, list) or len(found) != len(expected):
            return [f"{where}: {found!r} != {expected!r}"[:300]]
        for i, (f, e) in enumerate(zip(found, expected, strict=True)):
            problems += compare(f, e, f"{where}[{i}]")
        return problems
    if isinstance(expected, float) and isinstance(found, (float, int)) and not isinstance(found, bool):
        if not math.isclose(found, expected, rel_tol=1e-9, abs_tol=1e-12):
            problems.append(f"{where}: {found!r} != {expected!r}")
        return problems
    if found != expected:
        problems.append(f"{where}: {found!r} != {expected!r}")
    return problems


def main(folder: str) -> None:
    root = Path(folder)
    small = programme(root / "small")
    golden = {"small": {a: estimate(small, a) for a in ACTIVITIES}}
    full = programme(root / "full", scale=1.0)
    golden["full"] = {FULL_ACTIVITY: estimate(full, FULL_ACTIVITY)}
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps(golden, indent=0, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
