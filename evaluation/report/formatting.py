"""How report text writes numbers, dates, money, counts and clauses: one place for every report.

One rounding rule per kind of number (effects to one decimal place, percentages and money whole),
and the markers for missing or hidden values taken from `evaluation.disclosure`, so a process
report, an impact report and the summary never write the same figure two ways.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.disclosure import DEFAULT_POLICY, NOT_AVAILABLE, SUPPRESSED, DisclosurePolicy, safe_count

__all__ = [
    "about_count",
    "and_list",
    "clause",
    "interval_level",
    "long_date",
    "money",
    "month_year",
    "people_interval",
    "people_range",
    "percent",
    "pp_interval",
    "signed",
    "signed_people",
    "verdict",
    "whole_percent",
]


def long_date(value) -> str:
    """'1 July 2025'."""
    return f"{pd.Timestamp(value):%d %B %Y}".lstrip("0")


def month_year(value) -> str:
    """'July 2025'."""
    return f"{pd.Timestamp(value):%B %Y}"


def whole_percent(rate: float) -> str:
    """A proportion as a whole number of per cent without the sign ('42'), or [x] when not available."""
    return NOT_AVAILABLE if not np.isfinite(rate) else f"{100 * rate:.0f}"


def percent(rate: float) -> str:
    """A proportion as a whole percentage ('42%'), or [x] when it is not available."""
    shown = whole_percent(rate)
    return shown if shown == NOT_AVAILABLE else f"{shown}%"


def money(value: float | None) -> str:
    """Pounds to the nearest pound ('£12,345', '-£12,345'), or [x] when not available."""
    if value is None or not np.isfinite(value):
        return NOT_AVAILABLE
    pounds = f"£{abs(value):,.0f}"
    return f"-{pounds}" if round(value) < 0 else pounds


def interval_level(alpha: float) -> str:
    """The confidence level of intervals at significance `alpha`: '95%'."""
    return f"{round(100 * (1 - alpha))}%"


def signed(value: float | None, decimals: int = 1) -> str:
    """A signed number for tables: +3.2, -1.0, 0.0 (never -0.0); [x] when missing."""
    if value is None or not np.isfinite(value):
        return NOT_AVAILABLE
    text = f"{value:+.{decimals}f}"
    return text.replace("+0.0", "0.0").replace("-0.0", "0.0") if decimals == 1 else text


def pp_interval(estimate: float, lower: float, upper: float, scale: float = 100.0) -> str:
    """Percentage points with interval, from proportions: "+3.2 (-1.0 to +7.4)" (`scale=1` when
    the numbers are percentage points already)."""
    return f"{signed(scale * estimate)} ({signed(scale * lower)} to {signed(scale * upper)})"


def verdict(lower: float, upper: float) -> str:
    """Significance in words (an interval that excludes zero is significant at the report's level)."""
    if not (np.isfinite(lower) and np.isfinite(upper)):
        return "not estimated"
    if lower > 0:
        return "significant increase"
    if upper < 0:
        return "significant decrease"
    return "not significant"


def signed_people(value: float | None) -> str:
    """A signed number of people to the nearest whole one: "+46", "-3", "0" (never "-0" or "+0");
    [x] when missing."""
    if value is None or not np.isfinite(value):
        return NOT_AVAILABLE
    whole = round(float(value))
    return "0" if whole == 0 else f"{whole:+,.0f}"


def people_interval(value: float | None, lower: float | None, upper: float | None) -> str:
    """A number of people with its interval: "+46 (+12 to +80)"; [x] when any part is missing."""
    if value is None or lower is None or upper is None:
        return NOT_AVAILABLE
    return f"{signed_people(value)} ({signed_people(lower)} to {signed_people(upper)})"


def people_range(low: float, high: float) -> str:
    """An interval of a number of people as more or fewer: "between 3 and 40 more"."""
    if low >= 0:
        return f"between {low:,.0f} and {high:,.0f} more"
    if high <= 0:
        return f"between {-high:,.0f} and {-low:,.0f} fewer"
    return f"between {-low:,.0f} fewer and {high:,.0f} more"


def about_count(n: int, policy: DisclosurePolicy = DEFAULT_POLICY) -> str:
    """A count for running text, rounded as `safe_count` publishes it: "about 45", "a few" when it
    is hidden, "0" for a true zero (which is shown exactly, so "about 0" would be wrong)."""
    shown = safe_count(int(n), policy)
    if shown == SUPPRESSED:
        return "a few"
    return "0" if shown == 0 else f"about {shown:,}"


def clause(text: str, empty: str = "") -> str:
    """A sentence (a reason, a label) as the middle of another: no full stop at the end, first letter
    in lower case unless it starts an abbreviation ("DWP ..."); `empty` when there is no text."""
    text = text.strip().rstrip(". ")
    if not text:
        return empty
    abbreviation = text[:2].isalpha() and text[:2].isupper()
    return text if abbreviation else text[:1].lower() + text[1:]


def and_list(items: list[str]) -> str:
    """Items joined for running text: "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
