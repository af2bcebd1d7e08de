"""Input checks shared by the DiD estimators: each raises with advice on the fix."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from evaluation.errors import DesignError, OptionError


def listed(values: Iterable[Any], limit: int = 10) -> str:
    """First `limit` values, quoted, then how many more (numpy scalars shown plainly)."""
    items = values.tolist() if hasattr(values, "tolist") else list(values)
    shown = ", ".join(repr(v) for v in items[:limit])
    more = len(items) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def covariate_list(covariates: str | Sequence[str] | None) -> list[str]:
    """Accept None, one name or a sequence of names."""
    if covariates is None:
        return []
    if isinstance(covariates, str):
        return [covariates]
    return list(covariates)


def check_alpha(alpha: float) -> float:
    if not 0 < alpha < 1:
        raise OptionError(f"alpha={alpha!r} must lie strictly between 0 and 1")
    return float(alpha)


def check_numeric(frame: pd.DataFrame, columns: Sequence[str], *, where: str) -> None:
    """Raise DesignError for a non-numeric column (outcome, covariate, time)."""
    for col in columns:
        series = frame[col]
        if not is_numeric_dtype(series):
            raise DesignError(
                f"{where}: column {col!r} is not numeric (dtype {series.dtype})",
                advice="convert it to numbers first, e.g. with pandas.to_numeric",
            )


def check_binary(frame: pd.DataFrame, column: str, *, where: str) -> np.ndarray:
    """Return the column as float 0/1, raising DesignError for other values."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        examples = frame[column][bad].unique()
        raise DesignError(
            f"{where}: column {column!r} must be 0/1; found {listed(examples)}",
            advice="code the indicator as 0 (no) and 1 (yes)",
        )
    return values


def check_complete(frame: pd.DataFrame, columns: Sequence[str], *, where: str) -> None:
    """Raise DesignError when a used column has missing values (no silent drops)."""
    missing = {c: int(frame[c].isna().sum()) for c in columns if frame[c].isna().any()}
    if missing:
        counts = ", ".join(f"{c!r} ({n} rows)" for c, n in missing.items())
        raise DesignError(
            f"{where}: missing values in {counts}",
            advice="drop or impute those rows explicitly before estimating",
        )


def check_unique_unit_time(frame: pd.DataFrame, unit: str, time: str, *, where: str) -> None:
    dup = frame.duplicated([unit, time], keep=False)
    if dup.any():
        units = frame.loc[dup, unit].unique()
        raise DesignError(
            f"{where}: {int(dup.sum())} rows repeat a (unit, time) pair; units {listed(units)}",
            advice="keep one row per unit and period",
        )
