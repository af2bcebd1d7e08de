"""The machine-readable result of one activity's impact evaluation: a typed, versioned record.

`record` builds one from an `ActivityImpact` (the fields every design has here, the rest from the
design's report family), and each impact report ends by saving it (`save_record`, the notebook's
last cell) in the output folder's `_aggregates/`. The programme summary reads the records through
their attributes, and a reviewer can load them all with `read_results(folder)`. A record holds
disclosure-safe aggregates only: estimates and intervals in percentage points, rounded counts
("[c]" where hidden), spend, the evidence rating, the falsification checks, and what it was
computed from (input hashes, as-of date, seed), so a stale record is never used.

The JSON form is the same as the first version's (schema 1): a record written then still reads.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evaluation.disclosure import DEFAULT_POLICY, DisclosurePolicy, safe_count
from evaluation.errors import InputError

if TYPE_CHECKING:
    from evaluation.activity import ActivityImpact
    from evaluation.report.context import ImpactContext
    from evaluation.results import EstimateResult

RECORD_SCHEMA = 1
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
    computed_from: Mapping[str, Any] = field(default_factory=dict)
    schema: int = RECORD_SCHEMA

    @property
    def estimated(self) -> bool:
        return self.status == "estimated"

    def at(self, horizon: int | None) -> HorizonRecord | None:
        """The record at a follow-up in months, or None."""
        return next((h for h in self.horizons if horizon is not None and h.horizon == horizon), None)

    def to_dict(self) -> dict:
        """The JSON form (plain types only)."""
        data = asdict(self)
        data["horizons"] = [dict(h) for h in data["horizons"]]
        data["subgroups"] = [dict(g) for g in data["subgroups"]]
        if data["falsification"] is not None:
            data["falsification"]["failed"] = list(data["falsification"]["failed"])
            data["falsification"]["placebos"] = [dict(p) for p in data["falsification"]["placebos"]]
        data["computed_from"] = dict(self.computed_from)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImpactRecord:
        """A record from its JSON form; a RecordError when it is not one (or of another schema)."""
        if not isinstance(data, Mapping):
            raise RecordError("an impact record is a JSON object")
        if data.get("schema", RECORD_SCHEMA) != RECORD_SCHEMA:
            raise RecordError(
                f"the record has schema {data.get('schema')!r}; this toolkit reads schema {RECORD_SCHEMA}"
            )
        values = _known(cls, data, "record")
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
        "computed_from": {
            "input_hashes": dict(programme.input_hashes),
            "as_of": programme.as_of.date().isoformat(),
            "interim_as_of": as_of or "",
            "seed": seed,
        },
    }
    return ImpactRecord.from_dict(_finite(json.loads(json.dumps(clean, default=_plain))))  # plain types only


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
    "RECORD_SCHEMA",
    "FalsificationRecord",
    "HeadlineRecord",
    "HorizonRecord",
    "ImpactRecord",
    "PlaceboRecord",
    "RecordError",
    "SubgroupRecord",
    "estimate_pp",
    "read_results",
    "record",
    "record_path",
    "save_record",
]
