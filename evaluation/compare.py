"""Several programmes' results side by side: what `evaluation compare FOLDER...` reads and tabulates.

Each FOLDER is the output folder of an `evaluation run` (its reports, `_aggregates/` and, from
results schema 2, `results.json`). `load_runs` reads each one with `evaluation.read_results` into a
`ProgrammeRun`: the programme's name, data date (as-of, interim or final), results schema, and one
`Activity` per activity with its impact record, its type of support, its reach against target and
its benefit-cost range. The tables the report draws (`effect_frame`, `ratio_frame`, `reach_frame`)
are built here; every word is written by `evaluation.report.compare`.

Where each part comes from, in one place each (`_support_types`, `_reach_of`, `_ratio_of`), so
that a field added to the results later is picked up there:

- the type of support: the results' delivery entry or impact record when they carry
  `support_type`; otherwise the run's own input delivery plan (the folder `run.json` names),
  used only when its file hash is the one the run recorded; otherwise "type not stated";
- reach against target: the results' delivery entries (`Results.delivery`, results schema 2);
  a folder written before results files has none, and the report says so;
- the benefit-cost range: the impact record's value for money (`ImpactRecord.value_for_money`,
  record schema 2), as its own report presents it (no ratio for an effect that is not significant
  or is negative: a ratio from the top of its interval would imply a return).

Results written under different schema versions are not compared: `load_runs` raises an
`InputError` naming each folder and its version (the command exits 2), since a field can change
meaning between versions. Counts are taken exactly as each run published them (rounded, "[c]"
where hidden); nothing here adds people up across programmes.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaluation.errors import InputError, OptionError
from evaluation.report.record import ImpactRecord

SUPPORT_TYPES = {
    "placements": "Placements",
    "case_management": "Case management",
    "engagement": "Engagement",
    "employer_facing": "Employer-facing",
    "system_reform": "System reform",
}
"""The delivery plan's `support_type` values (its contract's allowed list), with their labels, in
the order the report shows them."""
NOT_STATED = "type not stated"
RUN_FILE = "run.json"  # written by every run (evaluation.runner.write_run_record)

Count = int | str | None
"""A published count: a rounded whole number, "[c]" when hidden, None when not applicable."""
Shown = int | float | str | None
"""A published per cent: a number or a marker ("[c]", "[z]", "[x]")."""


@dataclass(frozen=True)
class Reach:
    """An activity's reach against its participant target, as its run published it."""

    target: int | None
    target_stage: str  # what the target counts: referred, engaged or started
    reached: Count
    percent: Shown


@dataclass(frozen=True)
class BenefitCost:
    """An activity's benefit-cost ratio as its impact report presents it: `presented` False (and the
    numbers None) when the effect is not significant or negative."""

    presented: bool
    low: float | None
    central: float | None
    high: float | None
    verdict: str  # positive, not_significant, negative or mixed
    reason: str = ""


@dataclass(frozen=True)
class Activity:
    """One activity of one programme, as compared."""

    programme: str
    activity_id: str
    activity_name: str
    support_type: str  # a key of SUPPORT_TYPES, or "" when not stated
    record: ImpactRecord | None  # None when the run left no impact record for it
    missing_reason: str = ""
    reach: Reach | None = None
    ratio: BenefitCost | None = None

    @property
    def support_label(self) -> str:
        return SUPPORT_TYPES.get(self.support_type, NOT_STATED)

    @property
    def design(self) -> str:
        return self.record.design if self.record is not None else ""


@dataclass(frozen=True)
class ProgrammeRun:
    """One folder's results: the programme and its activities."""

    folder: Path
    name: str
    schema: str  # the results schema, "1" for a folder of records only (or "1 and 2" if mixed)
    as_of: str  # ISO date the data run to
    interim: bool
    activities: tuple[Activity, ...] = ()
    support_source: str = ""  # "results", "input delivery plan" or "" (not available)
    has_reach: bool = False
    has_value_for_money: bool = False
    targets: Mapping[str, int] = field(default_factory=dict)
    percent_of_target: Mapping[str, Shown] = field(default_factory=dict)
    disclosure: str = ""  # the run's disclosure rules in words, when its results hold them


# ----------------------------------------------------------------------------- reading


def load_runs(folders: Sequence[str | Path]) -> list[ProgrammeRun]:
    """Each folder's results (`ProgrammeRun`), in the order given. An OptionError for fewer than two
    folders or one given twice; an InputError for a folder that holds no results, or when the
    folders' results were written under different schema versions (naming each folder and version)."""
    paths = [Path(f) for f in folders]
    if len(paths) < 2:
        raise OptionError("evaluation compare needs at least two result folders (the --out folders of runs).")
    seen: dict[Path, Path] = {}
    for path in paths:
        if path.resolve() in seen:
            raise OptionError(
                f"{path} is given twice (as {seen[path.resolve()]}); give each result folder once."
            )
        seen[path.resolve()] = path
    runs = [load_run(path) for path in paths]
    check_schemas(runs)
    return label_programmes(runs)


def check_schemas(runs: Sequence[ProgrammeRun]) -> None:
    """Refuse runs whose results were written under different schema versions (an InputError)."""
    versions = {run.schema for run in runs}
    if len(versions) > 1:
        listed = "; ".join(f"{run.folder}: schema {run.schema}" for run in runs)
        raise InputError(
            f"The result folders were written under different results schema versions ({listed}), so their "
            "fields may not mean the same. Run the older programmes again with this version of the toolkit "
            "(evaluation run), then compare the new folders."
        )


def label_programmes(runs: list[ProgrammeRun]) -> list[ProgrammeRun]:
    """Runs of the same programme (for example an interim and a final update) named apart by their
    data date, so that every row of the report says which it is."""
    from dataclasses import replace

    from evaluation.report.formatting import long_date

    names = [run.name for run in runs]
    out = []
    for run in runs:
        if names.count(run.name) > 1:
            name = f"{run.name} (to {long_date(run.as_of)})"
            run = replace(
                run, name=name, activities=tuple(replace(a, programme=name) for a in run.activities)
            )
        out.append(run)
    return out


def load_run(folder: str | Path) -> ProgrammeRun:
    """One run's results from its output folder (see the module docstring)."""
    import evaluation

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder: give the --out folder of an `evaluation run`.")
    results = evaluation.read_results(folder)
    if not len(results) and not getattr(results, "delivery", None):
        raise InputError(
            f"{folder} holds no results of a run (no results.json and no impact records in _aggregates/): "
            "give the folder `evaluation run` wrote, such as reports/ne_ca_synthetic."
        )
    run_json = _run_json(folder)
    info = getattr(results, "programme", None)
    records: Mapping[str, ImpactRecord] = dict(results.items())
    first = next(iter(records.values()), None)
    computed = dict(first.computed_from) if first is not None else {}
    name = str(getattr(info, "name", "") or run_json.get("programme") or folder.name)
    as_of = str(getattr(info, "as_of", "") or computed.get("as_of") or "")
    interim = bool(getattr(info, "interim", False) if info is not None else computed.get("interim_as_of"))
    hashes = dict(
        getattr(info, "input_hashes", None)
        or run_json.get("input_hashes")
        or computed.get("input_hashes")
        or {}
    )
    types, source = _support_types(folder, results, run_json, hashes)
    delivery = dict(getattr(results, "delivery", None) or {})
    missing = dict(getattr(results, "missing", None) or {})
    order = list(delivery) or list(records)
    order += [a for a in records if a not in order]
    activities = []
    for activity_id in order:
        rec = records.get(activity_id)
        entry = delivery.get(activity_id)
        activities.append(
            Activity(
                programme=name,
                activity_id=activity_id,
                activity_name=rec.activity_name
                if rec is not None
                else str(getattr(entry, "activity_name", activity_id)),
                support_type=types.get(activity_id, ""),
                record=rec,
                missing_reason=missing.get(activity_id, ""),
                reach=_reach_of(entry),
                ratio=_ratio_of(rec),
            )
        )
    reach = getattr(results, "reach", None)
    return ProgrammeRun(
        folder=folder,
        name=name,
        schema=_schema_of(results, records),
        as_of=as_of,
        interim=interim,
        activities=tuple(activities),
        support_source=source,
        has_reach=bool(delivery),
        has_value_for_money=any(a.ratio is not None for a in activities),
        targets=dict(getattr(reach, "targets", None) or {}),
        percent_of_target=dict(getattr(reach, "percent_of_target", None) or {}),
        disclosure=str((getattr(results, "disclosure", None) or {}).get("rules", "")),
    )


def _schema_of(results, records: Mapping[str, ImpactRecord]) -> str:
    """The results schema: the results file's, else (a folder of records only) the records'."""
    if getattr(results, "programme", None) is not None:
        return str(results.schema)
    found = sorted({int(r.schema) for r in records.values()})
    return " and ".join(map(str, found)) or "unknown"


def _run_json(folder: Path) -> dict:
    try:
        data = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _support_types(
    folder: Path, results, run_json: Mapping, hashes: Mapping[str, str]
) -> tuple[dict[str, str], str]:
    """Each activity's type of support and where it was found ("results", "input delivery plan" or
    "" when neither holds it)."""
    found = {}
    for where in (getattr(results, "delivery", None) or {}, results):
        for activity_id, entry in where.items():
            value = getattr(entry, "support_type", None)
            if value is not None and activity_id not in found:
                found[activity_id] = _support_key(value)
    if found:
        return found, "results"
    plan = _input_plan(folder, run_json, hashes)
    if plan is None:
        return {}, ""
    if "support_type" not in plan:  # read, but the plan states no type for any activity
        return {}, "input delivery plan"
    types = zip(plan["activity_id"], plan["support_type"], strict=True)
    return {str(a): _support_key(v) for a, v in types}, "input delivery plan"


def _support_key(value: Any) -> str:
    """A delivery plan's support_type as a key of SUPPORT_TYPES; "" when blank or not one of them."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    text = str(value).strip()
    return text if text in SUPPORT_TYPES else ""


def _input_plan(folder: Path, run_json: Mapping, hashes: Mapping[str, str]) -> pd.DataFrame | None:
    """The delivery plan of the input folder the run was made from (`run.json` gives its path,
    relative to the output folder), read and typed by its contract; None when that folder is gone,
    or its plan has changed since the run (its hash differs from the one the run recorded)."""
    from evaluation.contracts import coerce_table, load_contracts
    from evaluation.programme import _find_file, _read, file_hash  # one table, read as the loader reads it

    relative = str((run_json.get("parameters") or {}).get("programme_path") or "")
    if not relative:
        return None
    source = (folder / relative).resolve()
    if (source / "snapshot.json").is_file():
        return None  # a run's staging snapshot, removed when the run ended
    path = _find_file(source, "delivery_plan") if source.is_dir() else None
    if path is None or hashes.get(path.name) != file_hash(path):
        return None
    contract = load_contracts()["delivery_plan"]
    with warnings.catch_warnings():  # a plan the run accepted: its reading notes were given then
        warnings.simplefilter("ignore")
        frame, problem = _read(path, "delivery_plan", contract)
        if frame is None or problem is not None:
            return None
        typed, _ = coerce_table(frame, contract)
    return typed if "activity_id" in typed else None


def _reach_of(entry) -> Reach | None:
    """Reach against the participant target from a results delivery entry (`DeliveryRecord`)."""
    if entry is None:
        return None
    return Reach(
        target=getattr(entry, "target", None),
        target_stage=str(getattr(entry, "target_stage", "") or "started"),
        reached=getattr(entry, "target_reached", None),
        percent=getattr(entry, "percent_of_target", None),
    )


def _ratio_of(rec: ImpactRecord | None) -> BenefitCost | None:
    """The benefit-cost ratio's range from an impact record's value for money, or None."""
    money = getattr(rec, "value_for_money", None)
    ratio = getattr(money, "benefit_cost_ratio", None)
    if ratio is None:
        return None
    return BenefitCost(
        presented=bool(ratio.presented),
        low=ratio.low,
        central=ratio.central,
        high=ratio.high,
        verdict=str(getattr(money, "verdict", "")),
        reason=str(ratio.reason or ""),
    )


# ----------------------------------------------------------------------------- tables


def activities(runs: Iterable[ProgrammeRun]) -> list[Activity]:
    """Every activity of every run, grouped by type of support (in SUPPORT_TYPES order, then "type
    not stated"), programmes in the order given within each type."""
    found = [a for run in runs for a in run.activities]
    order = {key: i for i, key in enumerate(SUPPORT_TYPES)}
    return sorted(found, key=lambda a: order.get(a.support_type, len(order)))


def support_groups(runs: Iterable[ProgrammeRun]) -> list[tuple[str, list[Activity]]]:
    """(type label, its activities) for each type of support with at least one activity."""
    groups: dict[str, list[Activity]] = {}
    for activity in activities(runs):
        groups.setdefault(activity.support_label, []).append(activity)
    return list(groups.items())


MEASURES = {"participants": "participants", "area employment rate": "area employment rate"}


def effect_frame(runs: Iterable[ProgrammeRun]) -> pd.DataFrame:
    """Every headline effect (percentage points with interval), one row per activity with one:
    programme, activity, type of support, label ("Programme: activity (12 months)"), measure
    ("participants" or "area employment rate"), horizon (months; None for an area comparison),
    estimate, ci_lower, ci_upper, verdict (as its own report gives it), evidence level."""
    from evaluation.report.summary import headline_of

    rows = []
    for activity in activities(runs):
        rec = activity.record
        head = headline_of(rec) if rec is not None else None
        if head is None or rec is None or rec.headline is None:
            continue
        rows.append(
            {
                "support_type": activity.support_label,
                "programme": activity.programme,
                "activity_name": activity.activity_name,
                "label": f"{activity.programme}: {head.label}",
                "measure": rec.headline.measure or "participants",
                "design": rec.design,
                "horizon": head.horizon,
                "estimate": head.estimate,
                "ci_lower": head.ci_lower,
                "ci_upper": head.ci_upper,
                "verdict": head.verdict,
                "evidence_level": rec.evidence_level,
            }
        )
    columns = ["support_type", "programme", "activity_name", "label", "measure", "design", "horizon",
               "estimate", "ci_lower", "ci_upper", "verdict", "evidence_level"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def ratio_frame(runs: Iterable[ProgrammeRun]) -> pd.DataFrame:
    """Every benefit-cost range, one row per activity with a value for money: programme, activity,
    type of support, label, low, central (None when no ratio is presented), high, presented, verdict,
    reason. An effect that is not significant or negative has no ratio (low, central and high None)."""
    rows = [
        {
            "support_type": a.support_label,
            "programme": a.programme,
            "activity_name": a.activity_name,
            "label": f"{a.programme}: {a.activity_name}",
            "low": a.ratio.low,
            "central": a.ratio.central,
            "high": a.ratio.high,
            "presented": a.ratio.presented,
            "verdict": a.ratio.verdict,
            "reason": a.ratio.reason,
        }
        for a in activities(runs)
        if a.ratio is not None
    ]
    columns = ["support_type", "programme", "activity_name", "label", "low", "central", "high", "presented",
               "verdict", "reason"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def reach_frame(runs: Iterable[ProgrammeRun]) -> pd.DataFrame:
    """Reach against target for every activity with a participant target, as each run published it:
    programme, activity, type of support, target, target_stage, reached (rounded or "[c]"), percent
    (of target, or a marker)."""
    rows = [
        {
            "support_type": a.support_label,
            "programme": a.programme,
            "activity_name": a.activity_name,
            "label": f"{a.programme}: {a.activity_name}",
            "target": a.reach.target,
            "target_stage": a.reach.target_stage,
            "reached": a.reach.reached,
            "percent": a.reach.percent,
        }
        for a in activities(runs)
        if a.reach is not None and a.reach.target
    ]
    columns = [
        "support_type",
        "programme",
        "activity_name",
        "label",
        "target",
        "target_stage",
        "reached",
        "percent",
    ]
    return pd.DataFrame(rows, columns=columns)


__all__ = [
    "NOT_STATED",
    "SUPPORT_TYPES",
    "Activity",
    "BenefitCost",
    "ProgrammeRun",
    "Reach",
    "activities",
    "check_schemas",
    "effect_frame",
    "load_run",
    "load_runs",
    "ratio_frame",
    "reach_frame",
    "support_groups",
]
