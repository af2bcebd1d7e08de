"""Shared shape and inference helpers for every estimator's frozen result.

Every estimator returns a frozen dataclass that inherits `EstimateResult`: the
headline `estimate`, `std_error`, `ci_lower`, `ci_upper`, `n`, the `alpha` used,
plus method-specific diagnostics declared as extra fields by the subclass.
Tables and charts are views of `to_frame()`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TypeVar

import numpy as np
import pandas as pd
from scipy import stats

FRAME_COLUMNS = ["term", "estimate", "std_error", "ci_lower", "ci_upper", "n"]

_Part = TypeVar("_Part")


def required(part: _Part | None, what: str) -> _Part:
    """An optional part of a result where the caller's design guarantees it is there (the matched
    estimate of an estimated matched comparison, say); a RuntimeError naming `what` if it is not."""
    if part is None:
        raise RuntimeError(f"The result has no {what}, which this step needs (a bug: please report it).")
    return part


def normal_interval(estimate: float, std_error: float, alpha: float = 0.05) -> tuple[float, float]:
    """Two-sided (1 - alpha) Wald interval from the normal distribution."""
    z = stats.norm.ppf(1 - alpha / 2)
    return float(estimate - z * std_error), float(estimate + z * std_error)


def p_value(estimate: float, std_error: float) -> float:
    """Two-sided p-value of a Wald z-test of zero."""
    if not np.isfinite(std_error) or std_error <= 0:
        return float("nan")
    return float(2 * stats.norm.sf(abs(estimate / std_error)))


def headline_fields(row, *, term: str | None = None, estimate: str = "estimate") -> dict:
    """The headline fields of a result (term, estimate, std_error, ci_lower, ci_upper, n) from one
    row of a results table, so a result's headline is always read the same way."""
    return {
        "term": str(row["term"]) if term is None else term,
        "estimate": float(row[estimate]),
        "std_error": float(row["std_error"]),
        "ci_lower": float(row["ci_lower"]),
        "ci_upper": float(row["ci_upper"]),
        "n": int(row["n"]),
    }


@dataclass(frozen=True, kw_only=True)
class EstimateResult:
    """Headline estimate with its uncertainty; subclasses add diagnostics."""

    term: str
    estimate: float
    std_error: float
    ci_lower: float
    ci_upper: float
    n: int
    alpha: float = 0.05
    method: str = ""

    @property
    def p_value(self) -> float:
        return p_value(self.estimate, self.std_error)

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero."""
        return bool(self.ci_lower > 0 or self.ci_upper < 0)

    def rows(self) -> list[dict]:
        """Rows of `to_frame()`; subclasses with several terms override this."""
        return [{c: getattr(self, c) for c in FRAME_COLUMNS}]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows(), columns=FRAME_COLUMNS)

    def summary(self) -> str:
        level = round(100 * (1 - self.alpha))
        head = f"{self.method or type(self).__name__}: n = {self.n}, {level}% intervals"
        table = self.to_frame().to_string(index=False, float_format=lambda v: f"{v:.4f}")
        return f"{head}\n{table}"

    def diagnostics(self) -> dict:
        """The subclass's extra fields, by name."""
        base = {f.name for f in fields(EstimateResult)}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in base}
