"""Read an input folder into a validated, frozen `Programme`, and cut it at an as-of date.

`as_of` has one meaning: the date the data were extracted. `programme.json` states it (or it is
the last date the data speak for); a folder whose data run past it is refused, and an interim cut
sets it to the cut's date, so a report's "data to" label and the rows it counts never disagree.
Each table's contract says how its time column places a row in time (`time: event`, `month`,
`quarter` or `period`), and a row counts as known on a date only once its event had happened
or its period had ended.
"""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from evaluation.contracts import (
    DATE_FORMS,
    MAX_EXAMPLES,
    TABLES,
    ColumnSpec,
    Contract,
    Stage,
    check_tables,
    known_on,
    load_contracts,
    parse_date,
)
from evaluation.errors import ContractError, DesignError, Finding

READERS = {
    # utf-8-sig: also reads Excel's "CSV UTF-8", which starts with a byte-order mark.
    ".csv": lambda p: pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig"),
    ".parquet": pd.read_parquet,
    ".xlsx": lambda p: pd.read_excel(p, dtype=object),
}
METADATA_FILE = "programme.json"
TRUTH_FILE = "true_effects.csv"


@dataclass(frozen=True)
class Programme:
    """A programme's validated input tables plus what is known about where they came from."""

    name: str
    slug: str
    path: Path
    tables: Mapping[str, pd.DataFrame]
    contracts: Mapping[str, Contract]
    input_hashes: Mapping[str, str]
    as_of: pd.Timestamp
    true_effects: pd.DataFrame | None = None

    @property
    def delivery_plan(self) -> pd.DataFrame:
        return self.tables["delivery_plan"]

    @property
    def participants(self) -> pd.DataFrame:
        return self.tables["participants"]

    @property
    def comparison_pool(self) -> pd.DataFrame:
        return self.tables["comparison_pool"]

    @property
    def outcomes_monthly(self) -> pd.DataFrame:
        return self.tables["outcomes_monthly"]

    @property
    def area_panel(self) -> pd.DataFrame:
        return self.tables["area_panel"]

    @property
    def spend(self) -> pd.DataFrame:
        return self.tables["spend"]

    @property
    def stages(self) -> tuple[Stage, ...]:
        """The funnel stages, in order, from the participants contract."""
        return self.contracts["participants"].stages

    @property
    def activity_ids(self) -> list[str]:
        return self.tables["delivery_plan"]["activity_id"].tolist()

    def plan(self, activity_id: str) -> pd.Series:
        """The delivery-plan row of one activity."""
        plan = self.tables["delivery_plan"]
        rows = plan[plan["activity_id"] == activity_id]
        if rows.empty:
            known = ", ".join(plan["activity_id"])
            raise KeyError(f"Activity '{activity_id}' is not in the delivery plan; known: {known}")
        return rows.iloc[0]

    def participants_of(self, activity_id: str) -> pd.DataFrame:
        people = self.tables["participants"]
        return people[people["activity_id"] == activity_id].reset_index(drop=True)

    def spend_of(self, activity_id: str) -> pd.DataFrame:
        spend = self.tables["spend"]
        return spend[spend["activity_id"] == activity_id].reset_index(drop=True)

    def area_panel_of(self, activity_id: str) -> pd.DataFrame:
        panel = self.tables["area_panel"]
        return panel[panel["activity_id"] == activity_id].reset_index(drop=True)


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes, for provenance."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _find_file(folder: Path, table: str) -> Path | None:
    for suffix in READERS:
        candidate = folder / f"{table}{suffix}"
        if candidate.exists():
            return candidate
    return None


def _read(path: Path, table: str) -> tuple[pd.DataFrame | None, Finding | None]:
    try:
        return READERS[path.suffix](path), None
    except UnicodeDecodeError as error:
        advice = f"Save the file as UTF-8 (the byte at position {error.start} is not UTF-8)."
        return None, Finding(table, None, "file is UTF-8 text", 0, advice=advice)
    except (
        pd.errors.EmptyDataError,
        pd.errors.ParserError,
        ValueError,
        OSError,
        zipfile.BadZipFile,
    ) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        return None, Finding(table, None, "file can be read", 0, advice=f"{path.name}: {first_line}")


def read_raw_tables(folder: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str], list[Finding]]:
    """Raw tables, their file hashes and findings for files missing or unreadable."""
    raw, hashes, findings = {}, {}, []
    for table in TABLES:
        path = _find_file(folder, table)
        if path is None:
            expected = " or ".join(f"{table}{s}" for s in READERS)
            findings.append(Finding(table, None, "file present", 0, advice=f"Add {expected} to {folder}."))
            continue
        hashes[path.name] = file_hash(path)
        frame, problem = _read(path, table)
        if problem:
            findings.append(problem)
        else:
            raw[table] = frame
    return raw, hashes, findings


def load_programme(path: str | Path, *, as_of: str | pd.Timestamp | None = None) -> Programme:
    """Read, type and validate an input folder; raise ContractError listing every finding.

    The programme's `as_of` is the date the data were extracted: `as_of` in programme.json, or
    without it the last date the data speak for. Data that run past a stated `as_of` are refused.
    With `as_of` given here, the programme is then cut at that date (an interim update).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"Input folder not found: {folder}")
    contracts = load_contracts()
    raw, hashes, findings = read_raw_tables(folder)
    try:
        tables = check_tables(raw, contracts)
    except ContractError as error:
        findings += list(error.findings)
    if findings:
        raise ContractError(findings)
    metadata = _metadata(folder)
    extracted = _stated_as_of(metadata)
    if extracted is None:
        extracted = _inferred_as_of(tables, contracts)
    else:
        late = findings_after(tables, contracts, extracted)
        if late:
            raise ContractError(late)
    truth_path = folder / TRUTH_FILE
    programme = Programme(
        name=metadata.get("name", folder.name),
        slug=metadata.get("slug", folder.name),
        path=folder,
        tables=MappingProxyType(tables),
        contracts=MappingProxyType(contracts),
        input_hashes=MappingProxyType(hashes),
        as_of=extracted,
        true_effects=pd.read_csv(truth_path) if truth_path.exists() else None,
    )
    return cut_at(programme, as_of) if as_of is not None else programme


def _metadata(folder: Path) -> dict:
    path = folder / METADATA_FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        warnings.warn(f"{path} is not valid JSON ({error}); using folder name instead.", stacklevel=3)
        return {}


def _stated_as_of(metadata: dict) -> pd.Timestamp | None:
    """programme.json's `as_of`, read like every other date (YYYY-MM-DD or DD/MM/YYYY, day first)."""
    value = metadata.get("as_of")
    if value is None or value == "":
        return None
    try:
        return parse_date(value)
    except ValueError as error:
        advice = f"{error} as_of is the date the data were extracted, written {DATE_FORMS}."
        raise ContractError(
            [Finding(METADATA_FILE, "as_of", "date the data were extracted", 0, advice=advice)]
        ) from None


def _time_columns(tables: Mapping[str, pd.DataFrame], contracts: Mapping[str, Contract]):
    """(table, column spec) for every time column present, in contract order."""
    for name, frame in tables.items():
        for spec in contracts[name].time_columns:
            if spec.name in frame and (spec.period_end is None or spec.period_end in frame):
                yield name, spec


def _inferred_as_of(tables: Mapping[str, pd.DataFrame], contracts: Mapping[str, Contract]) -> pd.Timestamp:
    """Without a stated as_of, the last day the data speak for: the latest event or period end."""
    latest = {
        (name, spec.name): known_on(tables[name], spec).max()
        for name, spec in _time_columns(tables, contracts)
    }
    latest = {k: v for k, v in latest.items() if pd.notna(v)}
    if not latest:
        raise DesignError(
            "The input has no dated rows", "Add programme.json with as_of, the date the data were extracted"
        )
    (table, column), day = max(latest.items(), key=lambda item: item[1])
    warnings.warn(
        f"{METADATA_FILE} gives no as_of (the date the data were extracted): taking {day.date()}, the "
        f"last day the data speak for ({table}.{column}). State as_of in {METADATA_FILE}.",
        stacklevel=3,
    )
    return pd.Timestamp(day)


def findings_after(
    tables: Mapping[str, pd.DataFrame], contracts: Mapping[str, Contract], as_of: pd.Timestamp
) -> list[Finding]:
    """A finding per time column with rows not known on `as_of`: an event after it, or a month,
    quarter or period that had not ended by it. Rows are numbered from 1 as in every finding."""
    findings = []
    for name, spec in _time_columns(tables, contracts):
        frame = tables[name]
        known = known_on(frame, spec)
        late = np.flatnonzero((known > as_of).fillna(False).to_numpy(dtype=bool))
        if len(late) == 0:
            continue
        shown = late[:MAX_EXAMPLES]
        findings.append(
            Finding(
                name,
                spec.name,
                f"known by as_of {as_of.date()}",
                len(late),
                tuple(int(p) + 1 for p in shown),
                tuple(_late_value(frame[spec.name].iloc[p], known.iloc[p], spec) for p in shown),
                advice=_late_advice(spec, as_of),
            )
        )
    return findings


def _late_value(value, known: pd.Timestamp, spec: ColumnSpec) -> str:
    day = pd.Timestamp(value).date().isoformat()
    return day if spec.time == "event" else f"{day} ({spec.time} ends {known.date().isoformat()})"


def _late_advice(spec: ColumnSpec, as_of: pd.Timestamp) -> str:
    event = spec.time == "event"
    what = "this date is after it" if event else f"this {spec.time} had not ended by then"
    return (
        f"{METADATA_FILE} says the data were extracted on {as_of.date()} (as_of), but {what}. "
        "Set as_of to the date the data were extracted, or remove the rows it could not yet hold"
        + ("" if event else f"; a {spec.time} counts only once it has ended")
    )


def programme_start(programme: Programme) -> pd.Timestamp:
    """The day the programme started: the earliest planned or actual start in the delivery plan."""
    plan = programme.delivery_plan
    starts = [pd.to_datetime(plan[c]) for c in ("planned_start", "actual_start") if c in plan]
    return pd.Timestamp(pd.concat(starts).min())


def _long(day: pd.Timestamp) -> str:
    return f"{day.day} {day:%B %Y}"


def cut_at(programme: Programme, as_of: str | pd.Timestamp) -> Programme:
    """The programme as known at `as_of`: later referrals and stage dates removed, and every month,
    quarter or period kept only if it had ended by then. The result's `as_of` is the cut's date."""
    cutoff = parse_date(as_of)
    if cutoff > programme.as_of:
        raise ValueError(
            f"as_of {cutoff.date()} is after the data's own date {programme.as_of.date()}: "
            "outcomes after that are not in the input."
        )
    start = programme_start(programme)
    if pd.notna(start) and cutoff < start:
        raise DesignError(
            f"as_of {_long(cutoff)} is before the programme started on {_long(start)} "
            "(the earliest start in the delivery plan), so there is nothing to report yet",
            f"Choose a date on or after {_long(start)} ({DATE_FORMS})",
        )
    tables = {
        name: _cut_table(frame, programme.contracts[name], cutoff) for name, frame in programme.tables.items()
    }
    # A later referral goes with its outcomes: everyone left with outcomes is known (person_is_known).
    if {"participants", "comparison_pool", "outcomes_monthly"} <= set(tables):
        outcomes = tables["outcomes_monthly"]
        known = set(tables["participants"]["person_id"]) | set(tables["comparison_pool"]["person_id"])
        tables["outcomes_monthly"] = outcomes[outcomes["person_id"].isin(known)].reset_index(drop=True)
    return replace(programme, tables=MappingProxyType(tables), as_of=cutoff)


def _cut_table(frame: pd.DataFrame, contract: Contract, cutoff: pd.Timestamp) -> pd.DataFrame:
    """One table as known at the cutoff, by its contract's time columns.

    A row whose required event (such as a referral) or whose month, quarter or period is not
    known by the cutoff is removed; an optional event after the cutoff (a later stage) is blanked,
    with what must go with it (a withdrawal reason with its withdrawal date)."""
    specs = [s for s in contract.time_columns if s.name in frame]
    if not specs:
        return frame
    keep = pd.Series(True, index=frame.index)
    for spec in specs:
        if spec.time != "event" or not spec.nullable:
            keep &= (known_on(frame, spec) <= cutoff).fillna(False)
    frame = frame[keep].copy()
    for spec in specs:
        if spec.time == "event" and spec.nullable:
            later = (frame[spec.name] > cutoff).fillna(False)
            frame[spec.name] = frame[spec.name].where(~later)
            for rule in contract.rules:
                if rule.kind == "required_together" and spec.name in rule.columns:
                    for other in (c for c in rule.columns if c != spec.name and c in frame):
                        frame[other] = frame[other].where(~later, None)
    return frame.reset_index(drop=True)
