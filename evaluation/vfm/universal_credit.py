"""What a year in work changes for one person and the Exchequer: Universal Credit, tax and NI.

Universal Credit is not simply stopped when someone starts work. The monthly award is

    award = max(0, maximum award - taper x max(0, net earnings - work allowance))

where the maximum award is the standard allowance plus the elements the claimant has (the health
element, LCWRA, continues in work), net earnings are after income tax and employee National
Insurance, and a work allowance applies only to claimants with the health element (or children).
So the saving to DWP from a job is the award out of work minus the award in work at the stated
earnings: part of the award, the whole of it only when earnings are high enough.

Income tax and National Insurance are the 2025/26 rules for England, Wales and Northern Ireland
(Scottish income tax bands differ). Every amount comes from the values file; money is first brought
to the appraisal's base-year prices, which leaves tax and the taper unchanged in real terms because
thresholds and earnings are deflated together. Not modelled: pension contributions, childcare and
travel costs of working, child and carer elements unless given as `other_elements_gbp_month`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from evaluation.errors import OptionError
from evaluation.options import check_option
from evaluation.vfm.values import Case, ValuesTable

__all__ = [
    "Claimant",
    "HealthElement",
    "InWork",
    "TaxRules",
    "UCRules",
    "in_work",
    "uc_keys",
]

HealthElement = Literal["lcwra", "lcwra_new_claim_2026", "none"]
_HEALTH_KEYS = {"lcwra": "uc_lcwra_element", "lcwra_new_claim_2026": "uc_lcwra_element_new_claim_2026"}
TAX_KEYS = (
    "income_tax_personal_allowance",
    "income_tax_basic_rate",
    "income_tax_basic_rate_limit",
    "income_tax_higher_rate",
    "ni_primary_threshold",
    "ni_employee_rate",
    "ni_upper_earnings_limit",
    "ni_employee_upper_rate",
    "ni_secondary_threshold",
    "ni_employer_rate",
)


def _non_negative(name: str, value: float) -> float:
    value = float(value)
    if not value >= 0 or value == float("inf"):
        raise OptionError(f"{name}={value!r} must be a non-negative amount")
    return value


@dataclass(frozen=True, kw_only=True)
class Claimant:
    """Who the person is on Universal Credit out of work: a single claimant by default.

    `health_element`: "lcwra" (the 2025/26 health element, which continues in work; the default,
    since the Trailblazers serve people out of work with health conditions), "lcwra_new_claim_2026"
    (the lower element for new claims from April 2026) or "none". `work_allowance`: None gives one
    only with the health element; True for a claimant responsible for a child. Housing and other
    elements (children, carer) are monthly amounts in 2025/26 prices; a housing element lowers the
    work allowance. No housing element is the default: it gives the smaller, cautious saving.
    """

    age_25_or_over: bool = True
    health_element: HealthElement = "lcwra"
    housing_element_gbp_month: float = 0.0
    other_elements_gbp_month: float = 0.0
    work_allowance: bool | None = None

    def __post_init__(self) -> None:
        check_option("health_element", self.health_element, HealthElement)
        _non_negative("housing_element_gbp_month", self.housing_element_gbp_month)
        _non_negative("other_elements_gbp_month", self.other_elements_gbp_month)

    @property
    def has_work_allowance(self) -> bool:
        return self.health_element != "none" if self.work_allowance is None else self.work_allowance


def _work_allowance_key(claimant: Claimant) -> str:
    with_housing = claimant.housing_element_gbp_month > 0
    return "uc_work_allowance_with_housing" if with_housing else "uc_work_allowance_no_housing"


def uc_keys(claimant: Claimant) -> tuple[str, ...]:
    """The values-file keys the Universal Credit award of `claimant` uses."""
    keys = [
        "uc_standard_allowance_single_25_plus"
        if claimant.age_25_or_over
        else "uc_standard_allowance_single_under_25"
    ]
    if claimant.health_element != "none":
        keys.append(_HEALTH_KEYS[claimant.health_element])
    if claimant.has_work_allowance:
        keys.append(_work_allowance_key(claimant))
    keys.append("uc_taper_rate")
    return tuple(keys)


@dataclass(frozen=True, kw_only=True)
class UCRules:
    """A claimant's monthly maximum award, work allowance and taper, in base-year prices."""

    maximum_award: float
    work_allowance: float
    taper: float

    @classmethod
    def from_values(
        cls, values: ValuesTable, claimant: Claimant, *, base_year: int, uc_price_year: int = 2025
    ) -> UCRules:
        """Rules from the values file; the claimant's own housing and other elements are taken to be
        in `uc_price_year` prices, the year of the shipped rates."""
        keys = uc_keys(claimant)
        standard = values.real(keys[0], "central", base_year)
        health = values.real(keys[1], "central", base_year) if claimant.health_element != "none" else 0.0
        own = (claimant.housing_element_gbp_month + claimant.other_elements_gbp_month) * values.price_factor(
            uc_price_year, base_year
        )
        allowance = (
            values.real(_work_allowance_key(claimant), "central", base_year)
            if claimant.has_work_allowance
            else 0.0
        )
        taper = values.value("uc_taper_rate")
        if not 0 <= taper <= 1:
            raise OptionError(f"uc_taper_rate={taper!r} must be a proportion from 0 to 1")
        return cls(maximum_award=standard + health + own, work_allowance=allowance, taper=taper)

    def award(self, net_earnings_month: float) -> float:
        """The monthly award at a level of monthly net earnings: never below zero."""
        excess = max(0.0, net_earnings_month - self.work_allowance)
        return max(0.0, self.maximum_award - self.taper * excess)


@dataclass(frozen=True, kw_only=True)
class TaxRules:
    """Income tax and Class 1 National Insurance for a year's earnings, in base-year prices."""

    personal_allowance: float
    basic_rate: float
    basic_rate_limit: float
    higher_rate: float
    ni_primary_threshold: float
    ni_employee_rate: float
    ni_upper_earnings_limit: float
    ni_employee_upper_rate: float
    ni_secondary_threshold: float
    ni_employer_rate: float

    @classmethod
    def from_values(cls, values: ValuesTable, *, base_year: int) -> TaxRules:
        return cls(
            **{key.removeprefix("income_tax_"): values.real(key, "central", base_year) for key in TAX_KEYS}
        )

    def income_tax(self, gross: float) -> float:
        """Tax on a year's earnings: basic rate above the personal allowance, higher rate above the
        basic-rate limit (the personal allowance taper above £100,000 is not modelled)."""
        basic = max(0.0, min(gross, self.basic_rate_limit) - self.personal_allowance)
        higher = max(0.0, gross - self.basic_rate_limit)
        return self.basic_rate * basic + self.higher_rate * higher

    def employee_ni(self, gross: float) -> float:
        main = max(0.0, min(gross, self.ni_upper_earnings_limit) - self.ni_primary_threshold)
        upper = max(0.0, gross - self.ni_upper_earnings_limit)
        return self.ni_employee_rate * main + self.ni_employee_upper_rate * upper

    def employer_ni(self, gross: float) -> float:
        """Employer contributions above the secondary threshold (no Employment Allowance)."""
        return self.ni_employer_rate * max(0.0, gross - self.ni_secondary_threshold)


@dataclass(frozen=True, kw_only=True)
class InWork:
    """One person's year in work against a year out of work on Universal Credit (base-year £)."""

    gross_earnings: float
    income_tax: float
    employee_ni: float
    employer_ni: float
    uc_out_of_work: float
    uc_in_work: float

    @property
    def net_earnings(self) -> float:
        return self.gross_earnings - self.income_tax - self.employee_ni

    @property
    def uc_saving(self) -> float:
        """Universal Credit no longer paid: the award out of work minus the award in work."""
        return self.uc_out_of_work - self.uc_in_work

    @property
    def net_gain(self) -> float:
        """What the person is better off: net earnings less the Universal Credit withdrawn."""
        return self.net_earnings - self.uc_saving


def in_work(
    values: ValuesTable,
    *,
    base_year: int,
    claimant: Claimant | None = None,
    case: Case = "central",
    gross_earnings: float | None = None,
) -> InWork:
    """A year in work at the values file's earnings (`annual_earnings_in_work` in `case`), or at
    `gross_earnings` a year in `base_year` prices, for `claimant` (default `Claimant()`)."""
    claimant = Claimant() if claimant is None else claimant
    gross = (
        values.real("annual_earnings_in_work", case, base_year) if gross_earnings is None else gross_earnings
    )
    gross = _non_negative("gross_earnings", gross)
    tax = TaxRules.from_values(values, base_year=base_year)
    uc = UCRules.from_values(values, claimant, base_year=base_year)
    income_tax, employee_ni = tax.income_tax(gross), tax.employee_ni(gross)
    net_month = (gross - income_tax - employee_ni) / 12
    return InWork(
        gross_earnings=gross,
        income_tax=income_tax,
        employee_ni=employee_ni,
        employer_ni=tax.employer_ni(gross),
        uc_out_of_work=12 * uc.award(0.0),
        uc_in_work=12 * uc.award(net_month),
    )
