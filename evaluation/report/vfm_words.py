"""Value for money in words, built from an `Appraisal`'s numbers (`evaluation.vfm`).

Ranges and switching values come first and the benefit-cost ratio after them, as the 2026 Green
Book asks: a ratio is a summary of the same figures, not a pass mark. An activity whose effect is
not statistically significant gets a range of benefits in pounds that starts at zero and no ratio
at all (one from the top of its interval would imply a return the evidence does not show). Money is rounded for reading (`short_money`: £1.2m, £950,000); the tables give the figures.
"""

from __future__ import annotations

import math

import pandas as pd

from evaluation.report.formatting import money
from evaluation.vfm.appraisal import Appraisal, CaseAppraisal
from evaluation.vfm.values import DEFLATOR_KEY

__all__ = [
    "agency_table",
    "assumption_sentences",
    "fiscal_sentences",
    "payback_sentence",
    "range_sentence",
    "ratio_sentence",
    "ratio_text",
    "sentences",
    "short_money",
    "switching_sentences",
    "values_table",
    "years_text",
]

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def short_money(value: float) -> str:
    """Pounds for running text: £1.2m from a million, to the nearest £1,000 from £10,000, else to
    the pound; a minus sign for a loss."""
    if not math.isfinite(value):
        return money(float("nan"))
    sign, size = ("-" if value < 0 else ""), abs(value)
    if round(size, -3) >= 1e6:
        return f"{sign}£{size / 1e6:.1f}m"
    if size >= 1e4:
        return f"{sign}£{round(size, -3):,.0f}"
    return f"{sign}£{size:,.0f}"


def ratio_text(ratio: float) -> str:
    """A ratio to one decimal place ("1.3"); "less than 0.1" for a small positive one."""
    if not math.isfinite(ratio):
        return "[x]"
    if 0 < ratio < 0.05:
        return "less than 0.1"
    return f"{ratio:.1f}"


def years_text(years: float) -> str:
    """A number of years to one decimal place: "2.5 years", "1 year"."""
    shown = f"{years:.1f}".removesuffix(".0")
    if shown == "0":
        return "less than 0.1 years"
    return f"{shown} year" + ("" if shown == "1" else "s")


def _horizon(appraisal: Appraisal) -> str:
    n = appraisal.assumptions.horizon_years
    words = _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else f"{n:,}"
    return f"{words} year" + ("" if n == 1 else "s")


def _owner(appraisal: Appraisal, start: bool = False) -> str:
    text = f"{appraisal.label}'s"
    return text[:1].upper() + text[1:] if start else text


def _costs(appraisal: Appraisal) -> str:
    low, central, high = (c.pv_costs for c in (appraisal.high, appraisal.central, appraisal.low))
    if short_money(low) == short_money(high):
        return short_money(central)
    return f"between {short_money(low)} and {short_money(high)} (central {short_money(central)})"


def range_sentence(appraisal: Appraisal) -> str:
    """The range of discounted benefits against costs over the horizon, by the effect's verdict."""
    central = appraisal.central
    pvs = sorted(c.pv_benefits for c in appraisal.cases.values())
    over = f"over {_horizon(appraisal)}"
    if appraisal.verdict == "not_significant":
        below = appraisal.effect is not None and appraisal.effect.estimate < 0
        return (
            f"{_owner(appraisal, True)} effect on employment is not statistically significant"
            + (" and its central estimate is a fall in employment" if below else "")
            + f", so its benefits could be zero: {over} they are between £0 and {short_money(pvs[-1])}, "
            f"against costs of {_costs(appraisal)}."
        )
    if appraisal.verdict == "negative":
        return (
            f"{_owner(appraisal, True)} effect on employment is negative: {over} the earnings, taxes and "
            f"wellbeing lost come to between {short_money(-max(pvs))} and {short_money(-min(pvs))}, on top "
            f"of costs of {_costs(appraisal)}."
        )
    text = (
        f"{over[:1].upper() + over[1:]} {_owner(appraisal)} benefits are between "
        f"{short_money(pvs[0])} and {short_money(pvs[-1])} (central "
        f"{short_money(central.pv_benefits)}) against costs of {_costs(appraisal)}."
    )
    if appraisal.verdict == "mixed":
        text += (
            " Some activities' effects are not statistically significant, so their part of the range "
            "starts at zero benefit."
        )
    return text


def switching_sentences(appraisal: Appraisal) -> list[str]:
    """How long the measured effect must last, and how large it must be, for benefits to equal
    costs (central values)."""
    central = appraisal.central
    people, needed, years = central.people_full_effect, central.people_needed, central.years_needed
    found: list[str] = []
    if people > 0:
        if years is None:
            found.append(
                f"Even if the effect lasted {appraisal.assumptions.max_years} years at its measured size, "
                "benefits would not equal costs."
            )
        elif appraisal.verdict == "not_significant":
            found.append(
                "If the central estimate of the effect were real, benefits would equal costs if it lasted at "
                f"least {years_text(years)}."
            )
        else:
            found.append(
                f"Benefits equal costs if the effect lasts at least {years_text(years)} at its measured size."
            )
    if needed is not None:
        what = "the activity" if appraisal.kind == "activity" else "the programme"
        if people > 0:
            found.append(
                "With the central assumption on how long the effect lasts, benefits equal costs if about "
                f"{needed:,.0f} more people are in work because of {what} (the central estimate is {people:,.0f})."
            )
        else:
            found.append(
                f"Benefits would equal costs only if {what} brought about {needed:,.0f} more people into work, "
                "with the central assumption on how long the effect lasts; the evidence does not show that it "
                "brought any."
            )
    return found


def ratio_sentence(appraisal: Appraisal) -> str:
    """The benefit-cost ratio as a range, after the ranges and switching values."""
    low, central, high = (ratio_text(c.bcr) for c in (appraisal.low, appraisal.central, appraisal.high))
    if appraisal.verdict == "not_significant":
        return (
            "No benefit-cost ratio is given: with an effect that could be zero, any ratio would imply a return "
            "the evidence does not show."
        )
    if appraisal.verdict == "negative":
        return "A benefit-cost ratio is not meaningful here: the monetised effects are losses."
    return (
        f"The benefit-cost ratio is between {low} and {high} (central {central}); it summarises the "
        "same figures and is not a pass mark."
    )


def _pounds(ratio: float) -> str:
    """A return per pound: "£0.34"."""
    return f"£{ratio:.2f}" if math.isfinite(ratio) else "[x]"


def fiscal_sentences(appraisal: Appraisal) -> list[str]:
    """The Exchequer's return, who saves and gains, and whether public costs are repaid."""
    central, low, high = appraisal.central, appraisal.low, appraisal.high
    owner = _owner(appraisal)
    public = short_money(central.pv_public_costs)
    if appraisal.verdict == "negative":
        return [
            f"For the Exchequer, {owner} central fiscal effect is a loss of {short_money(-central.pv_fiscal)} "
            f"in benefits paid and taxes forgone, on top of public costs of {public}."
        ]
    if appraisal.verdict == "not_significant":
        first = (
            f"For the Exchequer, savings and taxes could also be zero: between £0 and {short_money(high.pv_fiscal)} "
            f"against public costs of {public}."
        )
    else:
        first = (
            f"For the Exchequer, {owner} central savings and taxes are {short_money(central.pv_fiscal)} "
            f"against public costs of {public}: each £1 of public money returns between "
            f"{_pounds(low.fiscal_bcr)} and {_pounds(high.fiscal_bcr)} (central {_pounds(central.fiscal_bcr)})."
        )
    dwp = central.pv("uc_saving")
    hmt = central.pv("income_tax", "employee_ni", "employer_ni")
    found = [first]
    if appraisal.verdict != "not_significant":
        found.append(
            f"DWP saves {short_money(dwp)} in Universal Credit no longer paid and HM Treasury gains "
            f"{short_money(hmt)} in income tax and National Insurance (central)."
        )
        repaid = central.fiscal_payback_years
        found.append(
            f"Public costs are repaid to the Exchequer after {years_text(repaid)}."
            if repaid is not None
            else f"Public costs are not repaid to the Exchequer within {_horizon(appraisal)}."
        )
    return found


def payback_sentence(appraisal: Appraisal) -> str | None:
    """When central benefits repay the costs; None for an effect that is not significant, where a
    payback would imply a return the evidence does not show."""
    if appraisal.verdict in ("not_significant", "negative"):
        return None
    years = appraisal.central.payback_years
    if years is None:
        return f"Central benefits do not repay the costs within {_horizon(appraisal)}."
    return f"Central benefits repay the costs after {years_text(years)}."


def _row(appraisal: Appraisal, key: str) -> pd.Series | None:
    used = appraisal.values_used
    rows = used[used["key"] == key]
    return None if rows.empty else rows.iloc[0]


def assumption_sentences(appraisal: Appraisal) -> list[str]:
    """The stated assumptions: prices, discounting, persistence, displacement, deadweight."""
    a = appraisal.assumptions
    base = f"{a.base_year}-{(a.base_year + 1) % 100:02d}"
    rate = appraisal.central.discount_rate
    found = [
        f"Money is in {base} prices, brought there with HM Treasury's GDP deflator, and discounted at "
        f"{100 * rate:g}% a year over {_horizon(appraisal)} from the year of the spend."
    ]
    persistence = _row(appraisal, "persistence_retention")
    if persistence is not None:
        observed = appraisal.effect.observed_years if appraisal.effect is not None else 1
        months = appraisal.effect.measured_months if appraisal.effect is not None else None
        held = "the first year" if observed == 1 else f"the first {observed} years"
        subject = "The effect" if months is None else f"The effect measured {months} months after referral"
        low, central, high = persistence["low"], persistence["value"], persistence["high"]
        low_text = "none after that" if low == 0 else f"{100 * low:g}%"
        found.append(
            f"{subject} is taken to hold for {held}; after that it is assumed to keep {100 * central:g}% "
            f"of its size each year (low case: {low_text}; high case: {100 * high:g}%)."
        )
    found.extend(appraisal.notes)
    return found


def sentences(appraisal: Appraisal) -> list[str]:
    """Everything in reading order: range, switching values, ratio, Exchequer, payback."""
    found = [range_sentence(appraisal), *switching_sentences(appraisal), ratio_sentence(appraisal)]
    found += fiscal_sentences(appraisal)
    payback = payback_sentence(appraisal)
    return found + ([payback] if payback else [])


def _amount(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "[x]"
    if unit.startswith("GBP"):
        return f"£{value:,.2f}" if value != round(value) else f"£{value:,.0f}"
    if unit.startswith("proportion"):
        return f"{100 * value:g}%"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def values_table(appraisal: Appraisal) -> pd.DataFrame:
    """The unit values the appraisal used, as the report prints them: what, amount, low, high,
    unit, prices, source, link and when checked (or "not checked", "assumption")."""
    rows = []
    for record in appraisal.values_used.to_dict("records"):
        year, unit = record["price_year"], str(record["unit"])
        prices = "" if pd.isna(year) else f"{int(year)}-{(int(year) + 1) % 100:02d}"
        status = str(record["status"])
        checked = {"checked": str(record["date_checked"]), "assumption": "assumption"}.get(
            status, "not checked"
        )
        rows.append(
            {
                "Value": record["description"] if record["key"] != DEFLATOR_KEY else f"GDP deflator {prices}",
                "Amount": _amount(float(record["value"]), unit),
                "Low": _amount(float(record["low"]), unit),
                "High": _amount(float(record["high"]), unit),
                "Unit": unit,
                "Prices": prices,
                "Source": record["source"],
                "Link": record["url"],
                "Checked": checked,
            }
        )
    return pd.DataFrame(
        rows, columns=["Value", "Amount", "Low", "High", "Unit", "Prices", "Source", "Link", "Checked"]
    )


def agency_table(case: CaseAppraisal) -> pd.DataFrame:
    """Who pays and who gains in a case, as the report prints it: present values to the pound."""
    table = case.by_agency()
    return pd.DataFrame(
        {
            "Who": table["agency"],
            "Costs": [money(v) for v in table["costs"]],
            "Benefits": [money(v) for v in table["benefits"]],
            "Net": [money(v) for v in table["net"]],
        }
    )
