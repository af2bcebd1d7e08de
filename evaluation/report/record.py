"""The machine-readable result of one activity's impact evaluation: a typed, versioned record.

`record` builds one from an `ActivityImpact` (the fields every design has here, the rest from the
design's report family), and each impact report ends by saving it (`save_record`, the notebook's
last cell) in the output folder's `_aggregates/`. The programme summary reads the records through
their attributes, and a reviewer can load them all with `read_results(folder)`. A record holds
disclosure-safe aggregates only: estimates and intervals in percentage points, rounded counts
("[c]" where hidden), spend, the evidence rating, the falsification checks, and what it was
computed from (input hashes, as-of date, seed), so a stale record is never used.

Schema 2 adds the activity's value for money (`ValueForMoneyRecord`: the appraisal's low, central
and high cases with their yearly flows, so the programme can be combined from the records without
recomputing anything) or the reason there is none. A schema-1 record (written before value for
money was recorded) still reads: every field it has means what it meant, and its value for money is
None with the reason saying so; the summary recomputes such a record rather than show it without
value for money. A record of any other schema is refused, naming the schema. The fields, units and
disclosure treatment are documented in docs/results.md; `evaluation.run_results` gathers the records
of a run into its results file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from evaluation.disclosure import DEFAULT_POLICY, DisclosurePolicy, safe_count
from evaluation.errors import InputError

if TYPE_CHECKING:
    from evaluation.activity import ActivityImpact
    from evaluation.report.context import ImpactContext
    from evaluation.results import EstimateResult

RECORD_SCHEMA = 2
READABLE_SCHEMAS = (1, 2)
"""Record schemas this toolkit reads: 1 (before value for money) and 2 (the one it writes)."""
RECORD_DIR = "_aggregates"
RECORD_SUFFIX = "_impact.json"

Count = int | str | None
"""A published count: a rounded whole number, "[c]" when hidden, None when not applicable."""
Rate = float | str | None
"""A published proportion: a number, "[c]" when hidden, None when not available."""


class RecordError(InputError):
    """A file that is not an impact record this toolkit can read (wrong schema, missing fields)."""


def _known(cls, data: Mapping[str, Any], where: str) -> dict:
    """The fields of `cls` from `data`, refusing a missing required field."""
    names = {f.name: f for f in fields(cls)}
    missing = [
        name
        for name, spec in names.items()
        if name not in data and spec.default is MISSING and spec.default_factory is MISSING
    ]
    if missing:
        raise RecordError(f"{where}: the record has no {', '.join(missing)}.")
    return {name: data[name] for name in names if name in data}


@dataclass(frozen=True)
class HorizonRecord:
    """The estimate and net outcomes at one follow-up (months after referral)."""

    horizon: int
    reportable: bool
    n_followed: Count = None
    estimate_pp: float | None = None
    ci_lower_pp: float | None = None
    ci_upper_pp: float | None = None
    participants_rate: Rate = None
    counterfactual_rate: Rate = None
    net_additional: float | None = None
    net_additional_ci_lower: float | None = None
    net_additional_ci_upper: float | None = None
    cost_meaningful: bool | None = None
    cost_per_net_additional: float | None = None
    cost_ci_lower: float | None = None
    cost_ci_upper: float | None = None
    cost_note: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HorizonRecord:
        return cls(**_known(cls, data, "horizon"))

    @property
    def has_net(self) -> bool:
        """Whether net additional outcomes were estimated at this follow-up."""
        return self.net_additional is not None


@dataclass(frozen=True)
class HeadlineRecord:
    """The activity's headline: the follow-up it is judged at, the estimate and the verdict."""

    horizon: int | None
    estimate_pp: float | None
    ci_lower_pp: float | None
    ci_upper_pp: float | None
    significant: bool
    measure: str = ""  # "participants" or "area employment rate"
    term: str = ""
    published: bool = True
    withheld_reason: str = ""
    p_value: float | None = None
    """By the design's own inference (for areas, the wild cluster bootstrap's)."""
    detectable_pp: float | None = None
    """The smallest effect the analysis could detect (80% power, 5% two-sided), percentage points."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HeadlineRecord:
        values = _known(cls, data, "headline")
        values["withheld_reason"] = str(values.get("withheld_reason") or "")
        values["published"] = True if values.get("published") is None else bool(values["published"])
        return cls(**values)


@dataclass(frozen=True)
class SubgroupRecord:
    """The headline within one priority cohort (exploratory), or why it is not estimated."""

    cohort: str
    n_followed: Count = None
    estimate_pp: float | None = None
    ci_lower_pp: float | None = None
    ci_upper_pp: float | None = None
    p_value: float | None = None
    difference_p_value: float | None = None
    reason: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SubgroupRecord:
        return cls(**_known(cls, data, "subgroup"))

    @property
    def estimated(self) -> bool:
        return self.estimate_pp is not None


@dataclass(frozen=True)
class PlaceboRecord:
    months_before: int
    run: bool
    passed: bool | None
    p_value: float | None
    largest_difference_pp: float | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlaceboRecord:
        return cls(**_known(cls, data, "placebo"))


@dataclass(frozen=True)
class FalsificationRecord:
    """The placebo and pre-period checks that decide whether a verdict is published."""

    credible: bool
    failed: tuple[str, ...]
    pre_path_p_value: float | None
    placebos: tuple[PlaceboRecord, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FalsificationRecord:
        values = _known(cls, data, "falsification")
        values["failed"] = tuple(values.get("failed") or ())
        values["placebos"] = tuple(PlaceboRecord.from_dict(p) for p in values.get("placebos") or ())
        return cls(**values)


def _floats(values) -> tuple[float, ...]:
    return tuple(float(v) for v in values or ())


def _number(value) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class AgencyRecord:
    """Who pays and who gains in one case: present values in base-year pounds."""

    agency: str
    costs: float
    benefits: float
    net: float

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AgencyRecord:
        return cls(**_known(cls, data, "value for money agency"))


@dataclass(frozen=True)
class CaseRecord:
    """One case (low, central or high) of an appraisal: its yearly flows (base-year pounds, not
    discounted; year 0 is the year of the spend), which rebuild the `CaseAppraisal` exactly, and
    the measures that follow from them, as published (present values in base-year pounds)."""

    case: str
    discount_rate: float
    people: tuple[float, ...]
    people_full_effect: float
    benefits: Mapping[str, tuple[float, ...]]
    costs: Mapping[str, tuple[float, ...]]
    funder: str
    annual_benefit_full_effect: float
    pv_benefits_per_person: float | None
    first_benefit_year: int
    max_years: int
    pv_costs: float
    pv_public_costs: float
    pv_benefits: float
    pv_by_group: Mapping[str, float]
    npsv: float
    bcr: float | None
    fiscal_return: float | None
    fiscal_net: float
    by_agency: tuple[AgencyRecord, ...]
    payback_years: float | None
    fiscal_payback_years: float | None
    years_needed: float | None
    people_needed: float | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseRecord:
        values = _known(cls, data, "value for money case")
        values["people"] = _floats(values["people"])
        values["benefits"] = {str(k): _floats(v) for k, v in dict(values["benefits"]).items()}
        values["costs"] = {str(k): _floats(v) for k, v in dict(values["costs"]).items()}
        values["pv_by_group"] = {str(k): float(v) for k, v in dict(values["pv_by_group"]).items()}
        values["by_agency"] = tuple(AgencyRecord.from_dict(a) for a in values.get("by_agency") or ())
        return cls(**values)

    def appraisal(self):
        """The `evaluation.vfm.CaseAppraisal` these flows are (its measures are recomputed from
        them, and equal the recorded ones)."""
        from evaluation.vfm import CaseAppraisal

        return CaseAppraisal(
            case=self.case,
            discount_rate=self.discount_rate,
            people=self.people,
            people_full_effect=self.people_full_effect,
            benefits=MappingProxyType(dict(self.benefits)),
            costs=MappingProxyType(dict(self.costs)),
            funder=self.funder,
            annual_benefit_full_effect=self.annual_benefit_full_effect,
            pv_benefits_per_person=self.pv_benefits_per_person,
            first_benefit_year=self.first_benefit_year,
            max_years=self.max_years,
        )


@dataclass(frozen=True)
class RatioRecord:
    """A ratio as it may be presented: `presented` False (no ratio: `low`, `central` and `high` None)
    when the effect is not statistically significant or negative, with the reason in words. A ratio
    from the top of an interval that includes zero would imply a return the evidence does not show;
    the cases' benefits in pounds give the range from zero instead."""

    presented: bool
    low: float | None
    central: float | None
    high: float | None
    reason: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RatioRecord:
        return cls(**_known(cls, data, "value for money ratio"))


@dataclass(frozen=True)
class UnitValueRecord:
    """One unit value the appraisal used, as the values file gives it (see docs/value_for_money.md)."""

    key: str
    description: str
    value: float | None
    low: float | None
    high: float | None
    unit: str
    price_year: int | None
    source: str
    url: str
    date_checked: str
    status: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UnitValueRecord:
        return cls(**_known(cls, data, "unit value"))


@dataclass(frozen=True)
class ValueForMoneyRecord:
    """The social cost-benefit analysis of an activity (or the programme), as its report presents
    it: the effect valued (net additional people in work), the assumptions, the three cases and the
    unit values used. `appraisal()` rebuilds the `evaluation.vfm.Appraisal`, so the programme is
    combined from the records (`evaluation.vfm.combine`) and the sentences are the report's own."""

    label: str
    kind: str  # "activity" or "programme"
    verdict: str  # "positive", "not_significant", "negative" or "mixed"
    base_year: int
    horizon_years: int
    first_benefit_year: int
    discount_rate: float
    displacement: float
    displacement_reason: str
    max_years: int
    effect_people: float | None
    effect_people_lower: float | None
    effect_people_upper: float | None
    measured_months: int | None
    observed_years: int | None
    benefit_cost_ratio: RatioRecord
    fiscal_return: RatioRecord
    cases: Mapping[str, CaseRecord]
    values_used: tuple[UnitValueRecord, ...] = ()
    notes: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    """For a programme: the activities combined (their names)."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValueForMoneyRecord:
        values = _known(cls, data, "value for money")
        for name in ("benefit_cost_ratio", "fiscal_return"):
            ratio = RatioRecord.from_dict(values[name])
            if not ratio.presented:  # a record written when "0 to the high case" was kept
                verdict = "not_significant" if values.get("verdict") == "not_significant" else "negative"
                ratio = RatioRecord(**_ratio(verdict, 0.0, 0.0, 0.0))
            values[name] = ratio
        cases = dict(values["cases"])
        if set(cases) != {"low", "central", "high"}:
            raise RecordError(f"value for money: the cases are {sorted(cases)}, not low, central and high")
        values["cases"] = {name: CaseRecord.from_dict(cases[name]) for name in ("low", "central", "high")}
        values["values_used"] = tuple(UnitValueRecord.from_dict(v) for v in values.get("values_used") or ())
        values["notes"] = tuple(str(n) for n in values.get("notes") or ())
        values["activities"] = tuple(str(n) for n in values.get("activities") or ())
        return cls(**values)

    @property
    def low(self) -> CaseRecord:
        return self.cases["low"]

    @property
    def central(self) -> CaseRecord:
        return self.cases["central"]

    @property
    def high(self) -> CaseRecord:
        return self.cases["high"]

    def appraisal(self):
        """The `evaluation.vfm.Appraisal` this record was made from (flows, assumptions, effect,
        values used), for `combine` and for the sentences of `evaluation.report.vfm_words`. A
        programme's is rebuilt without its parts, so its `verdict` is "mixed" whatever the record's:
        combine the activities' records again (`run_results.programme_appraisal`) for its words."""
        import pandas as pd

        from evaluation.vfm import Appraisal, Assumptions, EmploymentEffect

        assumptions = Assumptions(
            base_year=self.base_year,
            horizon_years=self.horizon_years,
            first_benefit_year=self.first_benefit_year,
            displacement=self.displacement,
            displacement_reason=self.displacement_reason or "as recorded",
            discount_rate=self.discount_rate,
            max_years=self.max_years,
        )
        effect = None
        if self.effect_people is not None and self.effect_people_lower is not None:
            effect = EmploymentEffect(
                estimate=self.effect_people,
                lower=self.effect_people_lower,
                upper=self.effect_people_upper
                if self.effect_people_upper is not None
                else self.effect_people,
                observed_years=self.observed_years or 1,
                measured_months=self.measured_months,
                label=self.label,
            )
        used = pd.DataFrame(
            [asdict(v) | {"value": _nan_if_none(v.value), "low": _nan_if_none(v.low),
                          "high": _nan_if_none(v.high)} for v in self.values_used],
            columns=[f.name for f in fields(UnitValueRecord)],
        )  # fmt: skip
        return Appraisal(
            label=self.label,
            kind="programme" if self.kind == "programme" else "activity",
            assumptions=assumptions,
            cases=MappingProxyType({name: case.appraisal() for name, case in self.cases.items()}),
            values_used=used,
            effect=effect,
            notes=self.notes,
        )


def _nan_if_none(value: float | None) -> float:
    return float("nan") if value is None else float(value)


NO_RATIO = {
    "not_significant": "the effect on employment is not statistically significant, so its benefits could be "
    "zero: no ratio is given, as any would imply a return the evidence does not show (the benefits are a range "
    "in pounds from zero)",
    "negative": "the effect on employment is negative: the monetised effects are losses, so a ratio is not "
    "meaningful",
}


def _ratio(verdict: str, low: float, central: float, high: float) -> dict:
    """A ratio's range as it may be presented (`RatioRecord`), by the effect's verdict."""
    if verdict in ("positive", "mixed"):
        return {"presented": True, "low": low, "central": central, "high": high, "reason": ""}
    reason = NO_RATIO["not_significant" if verdict == "not_significant" else "negative"]
    return {"presented": False, "low": None, "central": None, "high": None, "reason": reason}


def appraisal_dict(appraisal) -> dict:
    """An `evaluation.vfm.Appraisal` as the plain JSON of a `ValueForMoneyRecord`."""
    verdict = appraisal.verdict
    presented = verdict in ("positive", "mixed")
    cases = {}
    for name, case in appraisal.cases.items():
        agencies = case.by_agency()
        cases[name] = {
            "case": name,
            "discount_rate": case.discount_rate,
            "people": list(case.people),
            "people_full_effect": case.people_full_effect,
            "benefits": {k: list(v) for k, v in case.benefits.items()},
            "costs": {k: list(v) for k, v in case.costs.items()},
            "funder": case.funder,
            "annual_benefit_full_effect": case.annual_benefit_full_effect,
            "pv_benefits_per_person": case.pv_benefits_per_person,
            "first_benefit_year": case.first_benefit_year,
            "max_years": case.max_years,
            "pv_costs": case.pv_costs,
            "pv_public_costs": case.pv_public_costs,
            "pv_benefits": case.pv_benefits,
            "pv_by_group": {g: case.pv_group(g) for g in ("fiscal", "economic", "social")},
            "npsv": case.npsv,
            "bcr": case.bcr if presented else None,
            "fiscal_return": case.fiscal_bcr if presented else None,
            "fiscal_net": case.fiscal_net,
            "by_agency": [
                {"agency": str(r["agency"]), "costs": r["costs"], "benefits": r["benefits"], "net": r["net"]}
                for r in agencies.to_dict("records")
            ],
            "payback_years": case.payback_years,
            "fiscal_payback_years": case.fiscal_payback_years,
            "years_needed": case.years_needed,
            "people_needed": case.people_needed,
        }
    effect = appraisal.effect
    a = appraisal.assumptions
    used = []
    for row in appraisal.values_used.to_dict("records"):
        year = row.get("price_year")
        used.append(
            {
                "key": str(row["key"]),
                "description": str(row["description"]),
                "value": row["value"],
                "low": row["low"],
                "high": row["high"],
                "unit": str(row["unit"]),
                "price_year": None if year is None or year != year else int(year),
                "source": str(row["source"]),
                "url": str(row["url"]) if row.get("url") == row.get("url") else "",
                "date_checked": str(row["date_checked"]) if row.get("date_checked") == row.get("date_checked") else "",
                "status": str(row.get("status", "")),
            }
        )  # fmt: skip
    low, central, high = appraisal.low, appraisal.central, appraisal.high
    return {
        "label": appraisal.label,
        "kind": appraisal.kind,
        "verdict": verdict,
        "base_year": a.base_year,
        "horizon_years": a.horizon_years,
        "first_benefit_year": a.first_benefit_year,
        "discount_rate": central.discount_rate,
        "displacement": a.displacement,
        "displacement_reason": a.displacement_reason,
        "max_years": a.max_years,
        "effect_people": effect.estimate if effect is not None else None,
        "effect_people_lower": effect.lower if effect is not None else None,
        "effect_people_upper": effect.upper if effect is not None else None,
        "measured_months": effect.measured_months if effect is not None else None,
        "observed_years": effect.observed_years if effect is not None else None,
        "benefit_cost_ratio": _ratio(verdict, low.bcr, central.bcr, high.bcr),
        "fiscal_return": _ratio(verdict, low.fiscal_bcr, central.fiscal_bcr, high.fiscal_bcr),
        "cases": cases,
        "values_used": used,
        "notes": list(appraisal.notes),
        "activities": [part.label for part in appraisal.parts],
    }


@dataclass(frozen=True)
class ImpactRecord:
    """One activity's impact result, as published (see the module docstring)."""

    activity_id: str
    activity_name: str
    design: str
    status: str  # "estimated", "not_estimated" or "failed"
    reason: str = ""
    evidence_level: int | None = None
    evidence_label: str = ""
    alpha: float = 0.05
    n_participants: Count = None
    spend_gbp: float | None = None
    n_treated_areas: int = 0
    n_control_areas: int = 0
    headline: HeadlineRecord | None = None
    horizons: tuple[HorizonRecord, ...] = ()
    falsification: FalsificationRecord | None = None
    subgroups: tuple[SubgroupRecord, ...] = ()
    value_for_money: ValueForMoneyRecord | None = None
    value_for_money_reason: str = ""
    """Why there is no value for money (no estimate, verdict withheld, an area rate, ...)."""
    computed_from: Mapping[str, Any] = field(default_factory=dict)
    schema: int = RECORD_SCHEMA

    @property
    def estimated(self) -> bool:
        return self.status == "estimated"

    def at(self, horizon: int | None) -> HorizonRecord | None:
        """The record at a follow-up in months, or None."""
        return next((h for h in self.horizons if horizon is not None and h.horizon == horizon), None)

    def to_dict(self) -> dict:
        """The JSON form (plain types only: objects, lists, strings, numbers, booleans, null)."""
        return json.loads(json.dumps(asdict(self), allow_nan=False))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImpactRecord:
        """A record from its JSON form; a RecordError when it is not one (or of another schema)."""
        if not isinstance(data, Mapping):
            raise RecordError("an impact record is a JSON object")
        schema = data.get("schema", RECORD_SCHEMA)
        if isinstance(schema, bool) or schema not in READABLE_SCHEMAS:
            raise RecordError(
                f"the record has schema {schema!r}; this toolkit reads schemas "
                f"{' and '.join(map(str, READABLE_SCHEMAS))}: read it with the version of the toolkit that wrote it"
            )
        values = _known(cls, data, "record")
        money_ = values.get("value_for_money")
        values["value_for_money"] = ValueForMoneyRecord.from_dict(money_) if money_ else None
        if schema == 1:
            values["value_for_money_reason"] = SCHEMA_1_NO_VALUE_FOR_MONEY
        head = values.get("headline")
        values["headline"] = HeadlineRecord.from_dict(head) if head else None
        values["horizons"] = tuple(HorizonRecord.from_dict(h) for h in values.get("horizons") or ())
        values["subgroups"] = tuple(SubgroupRecord.from_dict(g) for g in values.get("subgroups") or ())
        checks = values.get("falsification")
        values["falsification"] = FalsificationRecord.from_dict(checks) if checks else None
        values["computed_from"] = dict(values.get("computed_from") or {})
        return cls(**values)

    def save(self, path: str | Path) -> Path:
        """Write the record atomically (a reader never sees half a file); returns the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=target.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(self.to_dict(), file, indent=2, allow_nan=False)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    @classmethod
    def read(cls, path: str | Path) -> ImpactRecord:
        """The record saved at `path`; a RecordError naming the file when it cannot be read."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls.from_dict(data)
        except (OSError, ValueError) as error:
            raise RecordError(f"{Path(path).name}: not a readable impact record ({error})") from None


SCHEMA_1_NO_VALUE_FOR_MONEY = (
    "not recorded: the record was written under schema 1, before value for money was recorded"
)


def record_path(output_dir: str | Path, activity_id: str) -> Path:
    """Where an activity's record is saved in an output folder."""
    return Path(output_dir) / RECORD_DIR / f"{activity_id}{RECORD_SUFFIX}"


def read_results(folder: str | Path) -> dict[str, ImpactRecord]:
    """Every activity's impact record in a report folder (as written by `evaluation run`), by
    activity id: the machine-readable results of the run."""
    found = sorted((Path(folder) / RECORD_DIR).glob(f"*{RECORD_SUFFIX}"))
    records = [ImpactRecord.read(path) for path in found]
    return {record.activity_id: record for record in records}


def estimate_pp(result: EstimateResult, scale: float) -> dict[str, float]:
    """An estimate and its interval in percentage points (`scale` 100 for proportions, 1 when they
    are percentage points already), as a record's headline holds them."""
    return {
        "estimate_pp": scale * float(result.estimate),
        "ci_lower_pp": scale * float(result.ci_lower),
        "ci_upper_pp": scale * float(result.ci_upper),
    }


def _detectable_pp(estimate: EstimateResult | None, head: Mapping[str, Any]) -> float | None:
    """The headline's minimum detectable effect, on the record's percentage-point scale."""
    from evaluation.power import detectable_from_standard_error

    if estimate is None or not np.isfinite(estimate.std_error) or estimate.std_error <= 0:
        return None
    width = float(estimate.ci_upper - estimate.ci_lower)
    if not np.isfinite(width) or width <= 0:
        return None
    scale = (head["ci_upper_pp"] - head["ci_lower_pp"]) / width
    return scale * detectable_from_standard_error(estimate.std_error, max(int(estimate.n), 1)).difference


def record(impact: ActivityImpact, programme, *, seed: int | None, as_of: str | None,
           policy: DisclosurePolicy = DEFAULT_POLICY) -> ImpactRecord:  # fmt: skip
    """The disclosure-safe aggregates of one activity's impact (`ImpactRecord`), for the programme
    summary and for anyone loading the run's results (`read_results`).

    Estimates and intervals (percentage points), rounded counts, spend, evidence level, and what the
    record was computed from (input hashes, as-of date, seed), so a stale record is never used. The
    design's own fields (follow-ups, areas, the headline's measure and scale) come from its report
    family (`Family.record`). No person-level data and no exact small counts.
    """
    from evaluation.report.checks import withheld_reason  # the report layer: not needed to read records
    from evaluation.report.families import family_of

    own = {"horizons": [], "n_treated_areas": 0, "n_control_areas": 0} | family_of(impact.design).record(
        impact, policy
    )
    head = own.pop("headline", None)
    if head is not None:
        estimate = impact.headline
        head |= {
            "term": str(estimate.term) if estimate is not None else "",
            "significant": bool(estimate.significant) if estimate is not None else False,
            "published": bool(impact.published),
            "withheld_reason": withheld_reason(impact),
            "p_value": impact.headline_p_value,
            "detectable_pp": _detectable_pp(estimate, head),
        }
    clean = {
        "schema": RECORD_SCHEMA,
        "activity_id": impact.activity_id,
        "activity_name": impact.activity_name,
        "design": impact.design,
        "status": impact.status,
        "reason": impact.reason,
        "evidence_level": impact.evidence.level,
        "evidence_label": impact.evidence.label,
        "alpha": impact.alpha,
        "n_participants": safe_count(int(impact.n_participants), policy),
        "spend_gbp": float(impact.spend_gbp) if np.isfinite(impact.spend_gbp) else None,
        **own,
        "headline": head,
        "falsification": _falsification_record(impact),
        **_value_for_money(impact),
        "computed_from": {
            "input_hashes": dict(programme.input_hashes),
            "as_of": programme.as_of.date().isoformat(),
            "interim_as_of": as_of or "",
            "seed": seed,
        },
    }
    return ImpactRecord.from_dict(_finite(json.loads(json.dumps(clean, default=_plain))))  # plain types only


def _value_for_money(impact: ActivityImpact) -> dict:
    """The activity's appraisal as its impact report presents it (the shipped values), or the
    reason the report gives for having none."""
    from evaluation.report.value_for_money import _why_not
    from evaluation.vfm import appraise_activity, load_values

    appraisal = appraise_activity(impact, values=load_values()) if impact.estimated else None
    if appraisal is None:
        return {"value_for_money": None, "value_for_money_reason": _why_not(impact)}
    return {"value_for_money": appraisal_dict(appraisal), "value_for_money_reason": ""}


def _falsification_record(impact: ActivityImpact) -> dict | None:
    """The placebo and pre-period checks as plain numbers (percentage points, p-values)."""
    found = impact.falsification
    if found is None:
        return None
    return {
        "credible": bool(found.credible),
        "failed": list(found.failed),
        "pre_path_p_value": found.pre_path.p_value if found.pre_path is not None else None,
        "placebos": [
            {
                "months_before": p.months_before,
                "run": p.run,
                "passed": p.passed,
                "p_value": p.test.p_value if p.test is not None else None,
                "largest_difference_pp": 100 * p.largest if p.run else None,
            }
            for p in found.placebos
        ],
    }


def _finite(value):
    """NaN and infinities as None (JSON has no NaN)."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _plain(value):
    """numpy numbers as Python ones, for `json.dumps`."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def save_record(ctx: ImpactContext) -> None:
    """Save the activity's impact record in the output folder's `_aggregates/` (atomically), for the
    programme summary and `read_results`: the impact report's last, explicit step. Nothing is
    saved without an output folder."""
    if not ctx.output_dir:
        return
    found = record(
        ctx.result, ctx.programme, seed=ctx.seed, as_of=ctx.parameters.get("as_of"), policy=ctx.policy
    )
    found.save(record_path(ctx.output_dir, ctx.activity_id))


__all__ = [
    "READABLE_SCHEMAS",
    "RECORD_SCHEMA",
    "AgencyRecord",
    "CaseRecord",
    "FalsificationRecord",
    "HeadlineRecord",
    "HorizonRecord",
    "ImpactRecord",
    "PlaceboRecord",
    "RatioRecord",
    "RecordError",
    "SubgroupRecord",
    "UnitValueRecord",
    "ValueForMoneyRecord",
    "appraisal_dict",
    "estimate_pp",
    "read_results",
    "record",
    "record_path",
    "save_record",
]
