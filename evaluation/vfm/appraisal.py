"""Social cost-benefit analysis of an activity's employment effect, by the Green Book and the GMCA
cost-benefit method: numbers only (the sentences are in `evaluation.report.vfm_words`).

Against the do-nothing counterfactual that the impact estimate already gives: the net additional
people in work come from `NetImpact` (deadweight estimated from the comparison group), so no
ready-reckoner deadweight is applied here. From them, for each year of the appraisal:

* **costs**: the activity's spend, plus optional partner costs (public) and participants' costs,
  uplifted for optimism bias (none by default: spend from the spend table is outturn);
* **benefits** per person-year in work, in three groups that add up without counting a transfer
  twice: **fiscal** (Universal Credit no longer paid, to DWP, by the taper and work allowance, see
  `universal_credit`; income tax and employee and employer National Insurance, to HM Treasury),
  **economic** (earnings net of tax, NI and Universal Credit withdrawn, to the participants) and
  **social** (the wellbeing of being in work in WELLBYs, to society). Together they are gross
  earnings plus employer NI plus wellbeing: the output of the extra work and its wellbeing;
* **displacement**: a stated share of the extra jobs taken from other workers, who lose what the
  participants gain, so every group is scaled by (1 - displacement); zero only with the reason for
  additional labour supply argued (`Assumptions.displacement_reason`);
* **persistence**: the measured effect holds through the years observed, then keeps a share
  (`persistence_retention`: low, central, high) of its size each year, to the appraisal horizon;
* money in one base year's prices (GDP deflator), discounted at the Green Book rate (3.5%).

Three cases: **low** combines the lower limit of the effect's interval (zero when the interval
includes zero: an effect that is not significant could be no effect), low values and low
persistence with the high optimism bias; **central** the point estimate and central values;
**high** the upper limit and high values. Outputs per case: net present social value, the
benefit-cost ratio (public value) and the fiscal ratio (Exchequer benefits to public costs), by
agency, payback where it exists, and switching values: how long the measured effect must last, and
how many people it must bring into work, for benefits to equal costs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Protocol

import pandas as pd

from evaluation.counterfactual import NetImpact
from evaluation.errors import OptionError
from evaluation.options import check_option
from evaluation.vfm.universal_credit import TAX_KEYS, Claimant, in_work, uc_keys
from evaluation.vfm.values import CASES, DEFLATOR_KEY, Case, ValuesTable, load_values


class ActivityLike(Protocol):
    """What `appraise_activity` reads of an activity's impact result: its name and whole spend (and
    `net_impacts`, the `NetImpact` at each horizon in months, where the design has them)."""

    @property
    def activity_name(self) -> str: ...

    @property
    def spend_gbp(self) -> float: ...


__all__ = [
    "BENEFIT_LINES",
    "COST_LINES",
    "Appraisal",
    "Assumptions",
    "CaseAppraisal",
    "EmploymentEffect",
    "Line",
    "appraise",
    "appraise_activity",
    "combine",
]

Group = Literal["fiscal", "economic", "social"]
GROUPS: tuple[Group, ...] = ("fiscal", "economic", "social")
EffectVerdict = Literal["positive", "not_significant", "negative", "mixed"]

DEFAULT_DISPLACEMENT_REASON = (
    "The people supported are economically inactive, not job seekers competing for the same vacancies: "
    "helping them into work adds to the supply of labour, and over time employment grows with the supply "
    "of labour rather than each new job displacing another worker. Where jobs are scarce locally, a "
    "displacement share should be set instead."
)


@dataclass(frozen=True)
class Line:
    """A benefit or cost line: its key, words, benefit group (or "cost") and who gains or pays."""

    key: str
    label: str
    group: str
    agency: str


BENEFIT_LINES: tuple[Line, ...] = (
    Line("uc_saving", "Universal Credit no longer paid", "fiscal", "DWP"),
    Line("income_tax", "Income tax on the earnings", "fiscal", "HM Treasury"),
    Line("employee_ni", "Employee National Insurance", "fiscal", "HM Treasury"),
    Line("employer_ni", "Employer National Insurance", "fiscal", "HM Treasury"),
    Line(
        "net_earnings_gain",
        "Earnings net of tax, NI and Universal Credit withdrawn",
        "economic",
        "participants",
    ),
    Line("wellbeing", "Wellbeing of being in work", "social", "society"),
)
COST_LINES: tuple[Line, ...] = (
    Line("spend", "Spend on the activity", "cost", "funder"),
    Line("partner", "Partners' costs", "cost", "partners"),
    Line("participant", "Participants' costs", "cost", "participants"),
    Line("overhead", "Programme management and evaluation", "cost", "funder"),
)
PUBLIC_COSTS = ("spend", "partner", "overhead")
_LINES = {line.key: line for line in BENEFIT_LINES + COST_LINES}
_AGENCY_ORDER = ("funder", "DWP", "HM Treasury", "partners", "participants", "society")


def _finite(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise OptionError(f"{name}={value!r} must be a finite number")
    return value


def _amount(name: str, value: float) -> float:
    value = _finite(name, value)
    if value < 0:
        raise OptionError(f"{name}={value!r} must not be negative")
    return value


def _time_to_reach(flows: Sequence[float], target: float) -> float | None:
    """When flows accruing evenly within each year (year t from t to t + 1) first add up to
    `target`: t plus the fraction of year t needed; None if they never do."""
    if target <= 0:
        return 0.0
    total = 0.0
    for t, flow in enumerate(flows):
        if flow > 0 and total + flow >= target:
            return t + (target - total) / flow
        total += flow
    return None


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True, kw_only=True)
class EmploymentEffect:
    """Net additional people in work because of an activity, with its confidence interval.

    `observed_years` is how many years the effect is measured to hold (a 12-month horizon: 1).
    `people_per_unit` is the number of people one whole unit of effect on the rate stands for
    (participants x additionality factor), to turn a number of people back into an effect.
    `displacement_applied` is any displacement already in the number (from `net_impact`);
    `measured_months` the horizon it was measured at, for the words.
    """

    estimate: float
    lower: float
    upper: float
    observed_years: int = 1
    people_per_unit: float | None = None
    displacement_applied: float = 0.0
    measured_months: int | None = None
    label: str = ""

    def __post_init__(self) -> None:
        for name in ("estimate", "lower", "upper"):
            _finite(name, getattr(self, name))
        if not self.lower <= self.estimate <= self.upper:
            raise OptionError(
                f"the effect's interval must contain it: lower {self.lower!r} <= estimate "
                f"{self.estimate!r} <= upper {self.upper!r}"
            )
        if (
            isinstance(self.observed_years, bool)
            or not isinstance(self.observed_years, int)
            or self.observed_years < 1
        ):
            raise OptionError(f"observed_years={self.observed_years!r} must be a whole number of at least 1")

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero."""
        return self.lower > 0 or self.upper < 0

    @property
    def verdict(self) -> EffectVerdict:
        if not self.significant:
            return "not_significant"
        return "positive" if self.lower > 0 else "negative"

    def people(self, case: Case) -> float:
        """People in work in a case: the lower limit, the estimate or the upper limit. An effect that
        is not significant could be no effect, so its range starts at zero; the side of its interval
        below zero is not turned into money."""
        check_option("case", case, Case)
        if self.significant:
            return {"low": self.lower, "central": self.estimate, "high": self.upper}[case]
        return {"low": 0.0, "central": max(self.estimate, 0.0), "high": max(self.upper, 0.0)}[case]

    @classmethod
    def from_net_impact(cls, net: NetImpact, horizon_months: int, label: str = "") -> EmploymentEffect:
        """The effect of a `NetImpact` measured `horizon_months` after referral (the key of
        `net_impacts` of a matched comparison's result): its net additional outcomes and interval."""
        if isinstance(horizon_months, bool) or not isinstance(horizon_months, int) or horizon_months < 1:
            raise OptionError(f"horizon_months={horizon_months!r} must be a whole number of months")
        unit = net.n_participants * net.additionality_factor
        return cls(
            estimate=net.net_additional,
            lower=net.net_additional_ci_lower,
            upper=net.net_additional_ci_upper,
            observed_years=max(1, horizon_months // 12),
            people_per_unit=unit if unit > 0 else None,
            displacement_applied=net.displacement,
            measured_months=horizon_months,
            label=label or net.horizon_label,
        )


@dataclass(frozen=True, kw_only=True)
class Assumptions:
    """The appraisal's stated choices (the unit values are in the values file).

    `base_year`: the financial year whose prices everything is in (2025 for 2025-26).
    `horizon_years`: years appraised, year 0 being the year of the spend. `first_benefit_year`:
    the year the effect starts (0: the same year). `displacement`: share of the extra jobs taken
    from other workers, with `displacement_reason` arguing the choice. `uc_share`: share of the
    people who would be on Universal Credit out of work (from the participants' benefit records
    where known). `wellbeing_key`: "wellby" values wellbeing as WELLBYs; the key of a user's row in
    GBP per person-year (a licensed value, say) replaces it, never adds to it. `discount_rate`:
    None takes the Green Book rate from the values file. `max_years`: how far a switching value
    on duration is sought (the Green Book's 3.5% applies to 30 years).
    """

    base_year: int = 2025
    horizon_years: int = 5
    first_benefit_year: int = 0
    displacement: float = 0.0
    displacement_reason: str = DEFAULT_DISPLACEMENT_REASON
    uc_share: float = 1.0
    wellbeing_key: str = "wellby"
    discount_rate: float | None = None
    max_years: int = 30

    def __post_init__(self) -> None:
        for name, low in (
            ("base_year", 1900),
            ("horizon_years", 1),
            ("first_benefit_year", 0),
            ("max_years", 1),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise OptionError(f"{name}={value!r} must be a whole number of at least {low}")
        if self.first_benefit_year >= self.horizon_years:
            raise OptionError("first_benefit_year must fall inside the horizon (below horizon_years)")
        for name in ("displacement", "uc_share"):
            value = _finite(name, getattr(self, name))
            if not 0 <= value <= 1 or (name == "displacement" and value == 1):
                raise OptionError(
                    f"{name}={value!r} must be a proportion from 0 to {'below 1' if name == 'displacement' else '1'}"
                )
        if not self.displacement_reason.strip():
            raise OptionError("displacement_reason must argue the displacement share chosen (it is printed)")
        if self.discount_rate is not None and not 0 <= _finite("discount_rate", self.discount_rate) < 1:
            raise OptionError(f"discount_rate={self.discount_rate!r} must be a proportion a year below 1")


# ---------------------------------------------------------------- results


@dataclass(frozen=True, kw_only=True)
class CaseAppraisal:
    """One case (low, central or high): yearly flows in base-year pounds and what follows from them.

    `people` is the net additional people in work each year (after displacement), `benefits` and
    `costs` map each line's key to its yearly amounts (undiscounted), `agencies` maps the funder's
    lines to the funder's name. `annual_benefit_full_effect` is the benefit of a year with the whole
    effect and `pv_benefits_per_person` the discounted benefits of one person under this case's
    persistence (None for a programme): they give the switching values.
    """

    case: Case
    discount_rate: float
    people: tuple[float, ...]
    people_full_effect: float
    benefits: Mapping[str, tuple[float, ...]]
    costs: Mapping[str, tuple[float, ...]]
    funder: str = "DWP"
    annual_benefit_full_effect: float
    pv_benefits_per_person: float | None
    first_benefit_year: int = 0
    max_years: int = 30

    @property
    def discount_factors(self) -> tuple[float, ...]:
        return tuple((1 + self.discount_rate) ** -t for t in range(len(self.people)))

    def _pv_flows(self, keys: Sequence[str]) -> list[float]:
        lines = [self.benefits.get(k) or self.costs.get(k) for k in keys]
        return [
            sum(line[t] for line in lines if line is not None) * factor
            for t, factor in enumerate(self.discount_factors)
        ]

    def pv(self, *keys: str) -> float:
        """Present value of the named lines (benefit or cost keys) over the horizon."""
        return sum(self._pv_flows(keys))

    def pv_group(self, group: str) -> float:
        return self.pv(*[line.key for line in BENEFIT_LINES if line.group == group])

    @property
    def pv_benefits(self) -> float:
        return self.pv(*self.benefits)

    @property
    def pv_fiscal(self) -> float:
        return self.pv_group("fiscal")

    @property
    def pv_costs(self) -> float:
        return self.pv(*self.costs)

    @property
    def pv_public_costs(self) -> float:
        return self.pv(*[k for k in self.costs if k in PUBLIC_COSTS])

    @property
    def npsv(self) -> float:
        """Net present social value: discounted benefits less discounted costs."""
        return self.pv_benefits - self.pv_costs

    @property
    def bcr(self) -> float:
        """Benefit-cost ratio (public value): all benefits over all costs; NaN with no costs."""
        return self.pv_benefits / self.pv_costs if self.pv_costs > 0 else float("nan")

    @property
    def fiscal_net(self) -> float:
        return self.pv_fiscal - self.pv_public_costs

    @property
    def fiscal_bcr(self) -> float:
        """Exchequer return: fiscal benefits (DWP, HM Treasury) over public costs."""
        return self.pv_fiscal / self.pv_public_costs if self.pv_public_costs > 0 else float("nan")

    @property
    def payback_years(self) -> float | None:
        """Years from the start of year 0 until discounted benefits reach discounted costs (None:
        not within the horizon)."""
        return _time_to_reach(self._pv_flows(list(self.benefits)), self.pv_costs)

    @property
    def fiscal_payback_years(self) -> float | None:
        fiscal = [line.key for line in BENEFIT_LINES if line.group == "fiscal"]
        return _time_to_reach(self._pv_flows(fiscal), self.pv_public_costs)

    @property
    def years_needed(self) -> float | None:
        """Switching value on persistence: how many years the whole effect must last for benefits
        to equal costs (None: not within `max_years`, or the effect brings no benefit)."""
        if self.annual_benefit_full_effect <= 0:
            return None
        start = self.first_benefit_year
        flows = [0.0] * start + [
            self.annual_benefit_full_effect * (1 + self.discount_rate) ** -t
            for t in range(start, start + self.max_years)
        ]
        reached = _time_to_reach(flows, self.pv_costs)
        return None if reached is None else max(0.0, reached - start)

    @property
    def effect_multiple_needed(self) -> float | None:
        """Switching value on size: how many times this case's effect must be for benefits to equal
        costs, under this case's persistence (None: no benefit to scale)."""
        if self.pv_benefits <= 0:
            return None
        return self.pv_costs / self.pv_benefits

    @property
    def people_needed(self) -> float | None:
        """Net additional people in work the effect must reach for benefits to equal costs."""
        if self.pv_benefits_per_person is not None:
            return self.pv_costs / self.pv_benefits_per_person if self.pv_benefits_per_person > 0 else None
        multiple = self.effect_multiple_needed
        return None if multiple is None else multiple * self.people_full_effect

    def agency(self, key: str) -> str:
        agency = _LINES[key].agency
        return self.funder if agency == "funder" else agency

    def flows(self) -> pd.DataFrame:
        """Every line in every year: year, kind, line, label, group, agency, amount (base-year £,
        undiscounted), discount_factor, present_value."""
        rows = []
        for kind, lines in (("benefit", self.benefits), ("cost", self.costs)):
            for key, amounts in lines.items():
                line = _LINES[key]
                for t, (amount, factor) in enumerate(zip(amounts, self.discount_factors, strict=True)):
                    rows.append(
                        (
                            t,
                            kind,
                            key,
                            line.label,
                            line.group,
                            self.agency(key),
                            amount,
                            factor,
                            amount * factor,
                        )
                    )
        columns = [
            "year",
            "kind",
            "line",
            "label",
            "group",
            "agency",
            "amount",
            "discount_factor",
            "present_value",
        ]
        return pd.DataFrame(rows, columns=columns)

    def by_agency(self) -> pd.DataFrame:
        """Who pays and who gains: agency, costs, benefits and net, in present values."""
        flows = self.flows()
        table = flows.pivot_table(
            index="agency", columns="kind", values="present_value", aggfunc="sum", fill_value=0.0
        ).reindex(columns=["cost", "benefit"], fill_value=0.0)
        order = [self.funder if a == "funder" else a for a in _AGENCY_ORDER]
        table = table.reindex([a for a in dict.fromkeys(order) if a in table.index])
        table = table.rename(columns={"cost": "costs", "benefit": "benefits"}).reset_index()
        table["net"] = table["benefits"] - table["costs"]
        table.columns.name = None
        return table


@dataclass(frozen=True, kw_only=True)
class Appraisal:
    """The social cost-benefit analysis of an activity (or a programme, `combine`) in three cases.

    `values_used` is the table of unit values it drew on, as the report prints it; `parts` the
    activities' appraisals of a programme.
    """

    label: str
    kind: Literal["activity", "programme"] = "activity"
    assumptions: Assumptions
    cases: Mapping[Case, CaseAppraisal]
    values_used: pd.DataFrame = field(repr=False, compare=False)
    effect: EmploymentEffect | None = None
    claimant: Claimant | None = None
    parts: tuple[Appraisal, ...] = field(default=(), repr=False, compare=False)
    notes: tuple[str, ...] = ()

    @property
    def low(self) -> CaseAppraisal:
        return self.cases["low"]

    @property
    def central(self) -> CaseAppraisal:
        return self.cases["central"]

    @property
    def high(self) -> CaseAppraisal:
        return self.cases["high"]

    @property
    def verdict(self) -> EffectVerdict:
        """The effect's verdict: positive, not_significant, negative, or mixed across a programme."""
        if self.effect is not None:
            return self.effect.verdict
        verdicts = {part.verdict for part in self.parts}
        return verdicts.pop() if len(verdicts) == 1 else "mixed"

    def to_frame(self) -> pd.DataFrame:
        """One row per measure, a column per case (present values in base-year pounds)."""
        measures = {
            "net additional people in work (full effect)": lambda c: c.people_full_effect,
            "costs": lambda c: c.pv_costs,
            "public costs": lambda c: c.pv_public_costs,
            "fiscal benefits": lambda c: c.pv_group("fiscal"),
            "economic benefits": lambda c: c.pv_group("economic"),
            "social benefits": lambda c: c.pv_group("social"),
            "benefits": lambda c: c.pv_benefits,
            "net present social value": lambda c: c.npsv,
            "benefit-cost ratio (public value)": lambda c: c.bcr,
            "fiscal return (fiscal benefits / public costs)": lambda c: c.fiscal_bcr,
            "payback (years)": lambda c: c.payback_years,
            "fiscal payback (years)": lambda c: c.fiscal_payback_years,
            "switching value: years the effect must last": lambda c: c.years_needed,
            "switching value: people in work needed": lambda c: c.people_needed,
        }
        rows = [
            {"measure": name} | {case: _nan(get(self.cases[case])) for case in CASES}
            for name, get in measures.items()
        ]
        return pd.DataFrame(rows, columns=["measure", *CASES])


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


# ---------------------------------------------------------------- appraisal


def _profile(assumptions: Assumptions, observed_years: int, retention: float) -> list[float]:
    """Share of the measured effect in each year: 1 through the years observed, then retention to
    the power of the years since."""
    shares = []
    for t in range(assumptions.horizon_years):
        k = t - assumptions.first_benefit_year + 1  # year of the effect, from 1
        shares.append(0.0 if k < 1 else 1.0 if k <= observed_years else retention ** (k - observed_years))
    return shares


def _wellbeing(values: ValuesTable, assumptions: Assumptions, case: Case) -> tuple[float, tuple[str, ...]]:
    if assumptions.wellbeing_key == "wellby":
        keys = ("wellbeing_gain_in_work", "wellby_value")
        points = values.value(keys[0], case)
        return points * values.real(keys[1], case, assumptions.base_year), keys
    return values.real(assumptions.wellbeing_key, case, assumptions.base_year), (assumptions.wellbeing_key,)


def appraise(
    effect: EmploymentEffect,
    *,
    spend_gbp: float,
    values: ValuesTable | None = None,
    assumptions: Assumptions | None = None,
    claimant: Claimant | None = None,
    spend_price_year: int | None = None,
    partner_costs_gbp: float = 0.0,
    participant_costs_gbp: float = 0.0,
    funder: str = "DWP",
    label: str = "the activity",
) -> Appraisal:
    """Appraise an activity's employment effect against its costs, in low, central and high cases.

    `spend_gbp` (with partner and participant costs) is cash in `spend_price_year` prices (default:
    the base year), spent in year 0 and paid by `funder`. `values` defaults to the package's values
    file (`load_values`); `claimant` to a single claimant aged 25 or over with the health element.
    """
    values = load_values() if values is None else values
    assumptions = Assumptions() if assumptions is None else assumptions
    claimant = Claimant() if claimant is None else claimant
    if effect.displacement_applied > 0 and assumptions.displacement > 0:
        raise OptionError(
            "displacement is already applied in the net additional outcomes "
            f"({effect.displacement_applied:.0%}); set Assumptions.displacement=0 so it is not applied twice"
        )
    base = assumptions.base_year
    price_year = base if spend_price_year is None else spend_price_year
    spend = _amount("spend_gbp", spend_gbp)
    partner = _amount("partner_costs_gbp", partner_costs_gbp)
    participant = _amount("participant_costs_gbp", participant_costs_gbp)
    rate = (
        values.value("green_book_discount_rate")
        if assumptions.discount_rate is None
        else assumptions.discount_rate
    )
    discount = [(1 + rate) ** -t for t in range(assumptions.horizon_years)]
    keep = 1 - assumptions.displacement
    opposite: dict[Case, Case] = {"low": "high", "central": "central", "high": "low"}

    cases: dict[Case, CaseAppraisal] = {}
    wellbeing_keys: tuple[str, ...] = ()
    for case in CASES:
        work = in_work(values, base_year=base, claimant=claimant, case=case)
        wellbeing, wellbeing_keys = _wellbeing(values, assumptions, case)
        saving = assumptions.uc_share * work.uc_saving
        per_person = {
            "uc_saving": saving,
            "income_tax": work.income_tax,
            "employee_ni": work.employee_ni,
            "employer_ni": work.employer_ni,
            "net_earnings_gain": work.net_earnings - saving,
            "wellbeing": wellbeing,
        }
        profile = _profile(assumptions, effect.observed_years, values.value("persistence_retention", case))
        full = effect.people(case) * keep
        people = tuple(full * share for share in profile)
        uplift = (1 + values.value("optimism_bias_costs", opposite[case])) * values.price_factor(
            price_year, base
        )
        zeros = (0.0,) * (assumptions.horizon_years - 1)
        costs = {"spend": (spend * uplift, *zeros)}
        if partner:
            costs["partner"] = (partner * uplift, *zeros)
        if participant:
            costs["participant"] = (participant * uplift, *zeros)
        per_person_total = sum(per_person.values()) * keep
        cases[case] = CaseAppraisal(
            case=case,
            discount_rate=rate,
            people=people,
            people_full_effect=full,
            benefits=MappingProxyType({k: tuple(v * n for n in people) for k, v in per_person.items()}),
            costs=MappingProxyType(costs),
            funder=funder,
            annual_benefit_full_effect=sum(per_person.values()) * full,
            pv_benefits_per_person=per_person_total
            * sum(s * d for s, d in zip(profile, discount, strict=True)),
            first_benefit_year=assumptions.first_benefit_year,
            max_years=assumptions.max_years,
        )

    keys = [
        *uc_keys(claimant),
        *TAX_KEYS,
        "annual_earnings_in_work",
        *wellbeing_keys,
        "persistence_retention",
        "optimism_bias_costs",
    ]
    if assumptions.discount_rate is None:
        keys.append("green_book_discount_rate")
    years = {base, price_year} | {
        values.get(k).price_year for k in keys if values.get(k).price_year is not None
    }
    used = values.select(keys, {y for y in years if y is not None})
    notes = (
        "Deadweight is estimated from the comparison group in the impact estimate; no ready-reckoner "
        "deadweight is applied.",
        f"Displacement {assumptions.displacement:.0%}: {assumptions.displacement_reason}",
    )
    return Appraisal(
        label=label,
        assumptions=assumptions,
        cases=MappingProxyType(cases),
        values_used=used,
        effect=effect,
        claimant=claimant,
        notes=notes,
    )


def appraise_activity(
    impact: ActivityLike, *, horizon_months: int | None = None, **options
) -> Appraisal | None:
    """Appraise an activity's impact result: its net impact at `horizon_months` (default: the
    longest horizon reported, so the least is assumed about persistence) against its whole spend.
    None when there is nothing to appraise: no net impacts (a design without them, not estimated,
    too few followed long enough, or failed its checks), an effect without an interval, or no spend. `options` go to `appraise`
    (values, assumptions, claimant, ...).
    """
    nets: Mapping[int, NetImpact] = getattr(impact, "net_impacts", None) or {}
    if not nets or not math.isfinite(impact.spend_gbp):
        return None
    horizon = max(nets) if horizon_months is None else horizon_months
    if horizon not in nets:
        raise OptionError(f"horizon_months={horizon!r} has no net impact; reported: {sorted(nets)}")
    net = nets[horizon]
    if not all(
        map(math.isfinite, (net.net_additional, net.net_additional_ci_lower, net.net_additional_ci_upper))
    ):
        return None  # the effect could not be estimated with an interval
    effect = EmploymentEffect.from_net_impact(net, horizon)
    options.setdefault("label", impact.activity_name)
    return appraise(effect, spend_gbp=impact.spend_gbp, **options)


def combine(
    appraisals: Sequence[Appraisal],
    *,
    label: str = "the programme",
    overhead_gbp: float = 0.0,
) -> Appraisal:
    """The programme: the activities' flows added case by case, plus programme-level costs
    (`overhead_gbp`, management and evaluation, in base-year prices, year 0, paid by the funder).

    Adding the activities' low (or high) cases gives a wider range than an interval for the whole
    programme would, because the activities' errors are not all at their limits together.
    """
    if not appraisals:
        raise OptionError("combine needs at least one appraisal")
    first = appraisals[0]
    for other in appraisals[1:]:
        same = (
            other.assumptions.base_year == first.assumptions.base_year
            and other.assumptions.horizon_years == first.assumptions.horizon_years
            and other.central.discount_rate == first.central.discount_rate
        )
        if not same:
            raise OptionError("combine needs appraisals with the same base year, horizon and discount rate")
    overhead = _amount("overhead_gbp", overhead_gbp)
    funders = {a.central.funder for a in appraisals}
    funder = funders.pop() if len(funders) == 1 else "funders"
    horizon = first.assumptions.horizon_years
    cases: dict[Case, CaseAppraisal] = {}
    for case in CASES:
        parts = [a.cases[case] for a in appraisals]

        def added(kind: str, parts: list[CaseAppraisal] = parts) -> dict[str, tuple[float, ...]]:
            keys = dict.fromkeys(k for p in parts for k in getattr(p, kind))
            return {
                k: tuple(
                    sum(getattr(p, kind).get(k, (0.0,) * horizon)[t] for p in parts) for t in range(horizon)
                )
                for k in keys
            }

        costs = added("costs")
        if overhead:
            costs["overhead"] = (overhead,) + (0.0,) * (horizon - 1)
        cases[case] = CaseAppraisal(
            case=case,
            discount_rate=first.central.discount_rate,
            people=tuple(sum(p.people[t] for p in parts) for t in range(horizon)),
            people_full_effect=sum(p.people_full_effect for p in parts),
            benefits=MappingProxyType(added("benefits")),
            costs=MappingProxyType(costs),
            funder=funder,
            annual_benefit_full_effect=sum(p.annual_benefit_full_effect for p in parts),
            pv_benefits_per_person=None,
            first_benefit_year=min(p.first_benefit_year for p in parts),
            max_years=first.central.max_years,
        )
    frames = [a.values_used for a in appraisals]
    used = pd.concat(frames, ignore_index=True).drop_duplicates(subset=["key", "price_year"], keep="first")
    deflators = used[used["key"] == DEFLATOR_KEY].sort_values("price_year")
    used = pd.concat([used[used["key"] != DEFLATOR_KEY], deflators], ignore_index=True)
    notes = tuple(dict.fromkeys(n for a in appraisals for n in a.notes))
    return Appraisal(
        label=label,
        kind="programme",
        assumptions=first.assumptions,
        cases=MappingProxyType(cases),
        values_used=used,
        parts=tuple(appraisals),
        notes=notes,
    )
