"""The results of a run as one versioned, machine-readable file: what DWP loads across programmes.

Every run writes `results.json` beside its reports (`write_results`, the runner's last step). It
holds, for the programme, what the run was computed from (name, slug, as-of date, interim or not,
input hashes, seed, toolkit version, schema version) and its reach counted once across activities,
and for each activity its impact record (`ImpactRecord`: estimates with intervals, falsification
checks, power, cohort estimates, value for money), its reach and funnel counts, and the combined
value for money of the activities with one (`evaluation.vfm.combine` of the records' appraisals).
Everything is published after disclosure control, exactly as the reports show it: counts rounded
or "[c]", rates and per cents of targets worked out as the reports work them out.

`read_results(folder)` loads it, checked against the shipped JSON Schema
(`evaluation/data/results.schema.json`), as a typed `Results`: a mapping of activity id to
`ImpactRecord` (as before) that also carries `.programme`, `.delivery`, `.reach`,
`.value_for_money` and `.schema`. A file of a schema this toolkit cannot read, or one that breaks
the schema, is refused with a `RecordError` saying which and where. A folder from before results
files (records only, in `_aggregates/`) still reads, with `.programme` None.

The file is written atomically (a reader never sees half of it), and a record is taken only when it
was computed from this run's inputs, as-of date and seed (`computed_from`): an activity whose impact
report left no such record is listed with `impact` null and the reason. The fields, units,
disclosure treatment and how versions change are in docs/results.md.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evaluation.disclosure import (
    DEFAULT_POLICY,
    SUPPRESSED,
    DisclosurePolicy,
    per_person,
    percent_of_target,
    safe_count,
    safe_percent,
)
from evaluation.report.record import (
    RECORD_SCHEMA,
    Count,
    ImpactRecord,
    RecordError,
    ValueForMoneyRecord,
    appraisal_dict,
    record_path,
)
from evaluation.report.record import (
    read_results as _read_records,
)

if TYPE_CHECKING:
    import pandas as pd

    from evaluation.programme import Programme
    from evaluation.vfm import Appraisal

__all__ = [
    "RESULTS_FILE",
    "RESULTS_SCHEMA",
    "SCHEMA_FILE",
    "DeliveryRecord",
    "JobCohortRecord",
    "ProgrammeInfo",
    "ProgrammeReach",
    "Results",
    "build_results",
    "programme_appraisal",
    "read_results",
    "results_schema",
    "write_results",
]

RESULTS_FILE = "results.json"
SCHEMA_FILE = "results.schema.json"
RESULTS_SCHEMA = RECORD_SCHEMA
"""The results file's schema version: one number with the records it holds (2: the first results file)."""
READABLE_RESULTS = (2,)
MISSING_REASON = (
    "its impact report left no record computed from this run's inputs, as-of date and seed "
    "(the report failed or was not run)"
)

Shown = int | float | str | None
"""A published per cent or amount: a number, or a marker ("[c]" hidden, "[z]" not applicable, "[x]")."""


# ---------------------------------------------------------------- typed results


@dataclass(frozen=True)
class ProgrammeInfo:
    """What the run was: the programme, its date, and what it was computed from."""

    name: str
    slug: str
    as_of: str
    interim: bool
    interim_as_of: str
    input_hashes: Mapping[str, str]
    seed: int | None
    toolkit_version: str
    schema: int
    written: str


@dataclass(frozen=True)
class JobCohortRecord:
    """The cohort job-start rate: among people referred at least `weeks` weeks before the as-of
    date, the per cent who started a job within `weeks` weeks (whole per cents, Wilson 95%
    interval), or the marker the report shows instead."""

    weeks: int
    people: Count
    percent: Shown
    lower: Shown
    upper: Shown


@dataclass(frozen=True)
class DeliveryRecord:
    """One activity's reach and funnel as its reports publish them (after disclosure control)."""

    activity_id: str
    activity_name: str
    priority: str
    design: str
    target: int | None
    target_stage: str
    target_reached: Count
    percent_of_target: Shown
    stages: Mapping[str, Count]
    job_outcomes: Mapping[str, Count]
    job_target: int | None
    job_percent_of_target: Mapping[str, Shown]
    job_cohort: JobCohortRecord
    budget_gbp: float | None
    spend_gbp: float | None
    spend_per_started_gbp: Shown
    support_type: str | None = None
    """The delivery plan's type of support ("" when it states none); None in a file written before
    results carried it (then `evaluation compare` reads the run's input plan)."""


@dataclass(frozen=True)
class ProgrammeReach:
    """The programme's reach, each person counted once across activities (after disclosure control)."""

    people: Count
    referrals: Count
    in_several: Count
    stages: Mapping[str, Count]
    job_outcomes: Mapping[str, Count]
    targets: Mapping[str, int]
    percent_of_target: Mapping[str, Shown]


@dataclass(frozen=True, eq=False)
class Results(Mapping[str, ImpactRecord]):
    """A run's results: a mapping of activity id to its `ImpactRecord` (activities whose impact
    report left none are in `.missing` with the reason), with the programme, its reach, each
    activity's delivery and the programme's combined value for money. It compares equal to any
    mapping of the same records (as a dict of them did)."""

    records: Mapping[str, ImpactRecord]
    programme: ProgrammeInfo | None = None
    delivery: Mapping[str, DeliveryRecord] = field(default_factory=dict)
    reach: ProgrammeReach | None = None
    value_for_money: ValueForMoneyRecord | None = None
    value_for_money_reason: str = ""
    missing: Mapping[str, str] = field(default_factory=dict)
    disclosure: Mapping[str, Any] = field(default_factory=dict)
    schema: int = RESULTS_SCHEMA
    path: Path | None = None

    def __getitem__(self, activity_id: str) -> ImpactRecord:
        return self.records[activity_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


# ---------------------------------------------------------------- the JSON Schema


@cache
def results_schema() -> dict:
    """The JSON Schema of the results file, shipped as `evaluation/data/results.schema.json`."""
    text = (resources.files("evaluation") / "data" / SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _where(path) -> str:
    return " > ".join(str(part) for part in path) or "the top level"


def check_against_schema(data: Any, name: str = RESULTS_FILE) -> None:
    """Refuse `data` (a parsed results file) that breaks the JSON Schema: a RecordError naming the
    file, where in it, the rule and the value (the first few problems)."""
    import jsonschema  # type: ignore[import-untyped]

    validator = jsonschema.Draft202012Validator(results_schema())
    problems = sorted(
        validator.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path)))
    )
    if not problems:
        return
    shown = "; ".join(f"at {_where(e.absolute_path)}: {e.message}" for e in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    raise RecordError(
        f"{name} does not follow the results schema {SCHEMA_FILE} (schema {RESULTS_SCHEMA}): {shown}{more}."
    )


# ---------------------------------------------------------------- building


def _plain(value: Any) -> Any:
    """numpy numbers as Python ones; NaN as None."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value) if np.isfinite(value) else None
    return value


def _target(value) -> int | None:
    return None if value is None or not np.isfinite(value) or value <= 0 else int(value)


def support_type(programme: Programme, activity_id: str) -> str:
    """The delivery plan's `support_type` for an activity (its contract's allowed values), "" when
    the plan leaves it blank or has no such column."""
    import pandas as pd

    plan = programme.delivery_plan
    if "support_type" not in plan.columns:
        return ""
    value = plan.loc[plan["activity_id"] == activity_id, "support_type"].iloc[0]
    return "" if pd.isna(value) else str(value)


def delivery_record(row: Mapping[Any, Any], people, programme: Programme, policy: DisclosurePolicy) -> dict:
    """One row of the summary's delivery table (`summary.delivery_table`) published as the reports
    publish it."""
    from evaluation.report.process import COHORT_WEEKS, JOB_OUTCOME_STAGES, stage_count

    stages = [(s.name, s.column, s.label) for s in programme.stages]
    target, job_target = _target(row["target"]), _target(row["job_target"])
    job_counts = {stage: int(row[stage]) for stage in JOB_OUTCOME_STAGES}
    rate: Shown = "[z]"
    lower: Shown = None
    upper: Shown = None
    if row["referred"]:
        if not np.isfinite(row["job_rate"]) or row["job_cohort_n"] == 0:
            rate = "[x]"
        elif safe_percent(int(row["job_cohort_reached"]), int(row["job_cohort_n"]), policy) == SUPPRESSED:
            rate = SUPPRESSED
        else:  # as the reach table shows it: whole per cents
            rate, lower, upper = (int(round(100 * row[k])) for k in ("job_rate", "job_lower", "job_upper"))
    started = int(row["started"])
    return {
        "activity_id": str(row["activity_id"]),
        "activity_name": str(row["activity_name"]),
        "priority": str(row["priority"]),
        "design": str(row["design"]),
        "support_type": support_type(programme, str(row["activity_id"])),
        "target": target,
        "target_stage": str(row["target_stage"]),
        "target_reached": safe_count(int(row["target_reached"]), policy),
        "percent_of_target": percent_of_target(int(row["target_reached"]), target, policy)
        if target
        else "[z]",
        "stages": {name: safe_count(stage_count(people, stages, name), policy) for name, *_ in stages},
        "job_outcomes": {stage: safe_count(n, policy) for stage, n in job_counts.items()},
        "job_target": job_target,
        "job_percent_of_target": {
            stage: percent_of_target(n, job_target, policy) if job_target else "[z]"
            for stage, n in job_counts.items()
        },
        "job_cohort": {
            "weeks": COHORT_WEEKS,
            "people": safe_count(int(row["job_cohort_n"]), policy),
            "percent": rate,
            "lower": lower,
            "upper": upper,
        },
        "budget_gbp": _plain(float(row["budget"])),
        "spend_gbp": _plain(float(row["spend"])),
        "spend_per_started_gbp": _plain(per_person(row["spend"], started, policy)),
    }


def reach_record(totals: Mapping[str, Any], policy: DisclosurePolicy) -> dict:
    """The programme totals (`summary.programme_totals`), each person counted once, as published."""
    jobs = totals["jobs"]
    job_counts = {str(r["stage"]): int(r["n"]) for r in jobs.to_dict("records")} if not jobs.empty else {}
    targets = {str(k): int(v) for k, v in totals["targets"].items()}
    reached = {**totals["stage_people"], "job_outcomes": job_counts.get("job_start", 0)}
    return {
        "people": safe_count(int(totals["people"]), policy),
        "referrals": safe_count(int(totals["places"]), policy),
        "in_several": safe_count(int(totals["in_several"]), policy),
        "stages": {str(k): safe_count(int(v), policy) for k, v in totals["stage_people"].items()},
        "job_outcomes": {k: safe_count(v, policy) for k, v in job_counts.items()},
        "targets": targets,
        "percent_of_target": {k: percent_of_target(int(reached[k]), v, policy) for k, v in targets.items()},
    }


def programme_appraisal(
    records: Mapping[str, ImpactRecord] | Results, label: str = "the programme"
) -> Appraisal | None:
    """The programme's value for money: the appraisals in the records (`ImpactRecord.value_for_money`)
    combined case by case (`evaluation.vfm.combine`); None when no activity has one."""
    from evaluation.vfm import combine

    parts = [rec.value_for_money.appraisal() for rec in records.values() if rec.value_for_money is not None]
    return combine(parts, label=label) if parts else None


def current_records(folder: Path, programme: Programme, *, seed: int | None, as_of: str) -> tuple[dict, dict]:
    """Each activity's record in `folder` computed from this programme, seed and as-of date (the
    summary's own test, `summary.read_record`), and the reason for each activity without one."""
    from evaluation.report.summary import computed_from, read_record

    expected = json.loads(json.dumps(computed_from(programme, seed=seed, as_of=as_of)))
    found, missing = {}, {}
    for activity_id in programme.activity_ids:
        rec = read_record(record_path(folder, activity_id), expected)
        if rec is None:
            missing[activity_id] = MISSING_REASON
        else:
            found[activity_id] = rec
    return found, missing


def build_results(
    programme: Programme,
    records: Mapping[str, ImpactRecord],
    *,
    seed: int | None,
    interim: bool,
    missing: Mapping[str, str] | None = None,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    delivery: pd.DataFrame | None = None,
    totals: Mapping[str, Any] | None = None,
) -> dict:
    """The results file's JSON for a programme and its activities' records (checked against the
    schema). `delivery` and `totals` default to the summary's (`delivery_table`, `programme_totals`)."""
    import pandas as pd

    import evaluation
    from evaluation.report.summary import delivery_table, programme_totals

    delivery = delivery_table(programme, policy=policy) if delivery is None else delivery
    totals = programme_totals(programme, delivery) if totals is None else totals
    missing = dict(missing or {})
    activities = {}
    for row in delivery.to_dict("records"):
        activity_id = str(row["activity_id"])
        rec = records.get(activity_id)
        activities[activity_id] = {
            "impact": rec.to_dict() if rec is not None else None,
            "impact_missing_reason": "" if rec is not None else missing.get(activity_id, MISSING_REASON),
            "delivery": delivery_record(row, programme.participants_of(activity_id), programme, policy),
        }
    combined = programme_appraisal(records)
    data = {
        "schema": RESULTS_SCHEMA,
        "kind": "evaluation-results",
        "programme": {
            "name": programme.name,
            "slug": programme.slug,
            "as_of": programme.as_of.date().isoformat(),
            "interim": bool(interim),
            "interim_as_of": programme.as_of.date().isoformat() if interim else "",
            "input_hashes": dict(programme.input_hashes),
            "seed": seed,
            "toolkit_version": evaluation.__version__,
            "schema": RESULTS_SCHEMA,
            "written": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        },
        "disclosure": {
            "threshold": policy.threshold,
            "rounding_base": policy.rounding_base,
            "min_impact_n": policy.min_impact_n,
            "percent_decimals": policy.percent_decimals,
            "suppress_zero": policy.suppress_zero,
            "rules": policy.describe(),
        },
        "reach": reach_record(totals, policy),
        "activities": activities,
        "value_for_money": appraisal_dict(combined) if combined is not None else None,
        "value_for_money_reason": "" if combined is not None else "no activity has an appraisal to combine",
    }
    data = json.loads(json.dumps(data, default=_plain, allow_nan=False))
    check_against_schema(data)
    return data


def write_results(
    programme: Programme,
    folder: str | Path,
    *,
    seed: int | None,
    interim: bool,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> Path:
    """Write `results.json` in a run's output folder from the records its impact reports left
    there (only those computed from this run), atomically; returns its path."""
    folder = Path(folder)
    as_of = programme.as_of.date().isoformat() if interim else ""
    records, missing = current_records(folder, programme, seed=seed, as_of=as_of)
    data = build_results(programme, records, seed=seed, interim=interim, missing=missing, policy=policy)
    return _atomic_json(data, folder / RESULTS_FILE)


def _atomic_json(data: Any, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2, allow_nan=False)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


# ---------------------------------------------------------------- reading


def from_dict(data: Any, name: str = RESULTS_FILE, path: Path | None = None) -> Results:
    """`Results` from a parsed results file: its schema version checked first, then the JSON Schema."""
    if not isinstance(data, Mapping):
        raise RecordError(f"{name}: a results file is a JSON object")
    schema = data.get("schema")
    if isinstance(schema, bool) or schema not in READABLE_RESULTS:
        raise RecordError(
            f"{name} has results schema {schema!r}; this toolkit reads schema "
            f"{' and '.join(map(str, READABLE_RESULTS))}: read it with the version of the toolkit that wrote it "
            f"({data.get('programme', {}).get('toolkit_version', 'not recorded') if isinstance(data.get('programme'), Mapping) else 'not recorded'})"
        )
    check_against_schema(data, name)
    records, delivery, missing = {}, {}, {}
    for activity_id, entry in data["activities"].items():
        if entry["impact"] is not None:
            records[activity_id] = ImpactRecord.from_dict(entry["impact"])
        else:
            missing[activity_id] = entry["impact_missing_reason"]
        d = dict(entry["delivery"])
        d["job_cohort"] = JobCohortRecord(**d["job_cohort"])
        delivery[activity_id] = DeliveryRecord(**d)
    money_ = data["value_for_money"]
    return Results(
        records=records,
        programme=ProgrammeInfo(**data["programme"]),
        delivery=delivery,
        reach=ProgrammeReach(**data["reach"]),
        value_for_money=ValueForMoneyRecord.from_dict(money_) if money_ else None,
        value_for_money_reason=data["value_for_money_reason"],
        missing=missing,
        disclosure=dict(data["disclosure"]),
        schema=int(schema),
        path=path,
    )


def read_results(folder: str | Path) -> Results:
    """A run's results from its report folder: `results.json` (typed, checked against the schema),
    or, for a folder written before results files, every record in `_aggregates/` (then
    `.programme` is None). A RecordError (an EvaluationError) names what is wrong."""
    folder = Path(folder)
    path = folder / RESULTS_FILE
    if not path.exists():
        if not folder.is_dir():
            raise RecordError(f"{folder} is not a folder of results (it does not exist)")
        return Results(records=_read_records(folder))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RecordError(f"{path.name}: not a readable results file ({error})") from None
    return from_dict(data, path.name, path)
