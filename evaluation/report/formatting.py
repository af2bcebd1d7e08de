"""How report text writes dates, months, percentages and money: one place for every report."""

from __future__ import annotations

import numpy as np
import pandas as pd

NOT_AVAILABLE = "[x]"


def long_date(value) -> str:
    """'1 July 2025'."""
    return f"{pd.Timestamp(value):%d %B %Y}".lstrip("0")


def month_year(value) -> str:
    """'July 2025'."""
    return f"{pd.Timestamp(value):%B %Y}"


def percent(rate: float) -> str:
    """A proportion as a whole percentage ('42%'), or [x] when it is not available."""
    return NOT_AVAILABLE if not np.isfinite(rate) else f"{100 * rate:.0f}%"


def money(value: float | None) -> str:
    """Pounds to the nearest pound ('£12,345'), or [x] when not available."""
    return NOT_AVAILABLE if value is None or not np.isfinite(value) else f"£{value:,.0f}"


def people_range(low: float, high: float) -> str:
    """An interval of a number of people as more or fewer: "between 3 and 40 more"."""
    if low >= 0:
        return f"between {low:,.0f} and {high:,.0f} more"
    if high <= 0:
        return f"between {-high:,.0f} and {-low:,.0f} fewer"
    return f"between {-low:,.0f} fewer and {high:,.0f} more"
