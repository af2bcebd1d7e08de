"""Read an input folder into a validated, frozen `Programme`, and cut it at an as-of date."""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from evaluation.contracts import TABLES, Contract, Stage, check_tables, load_contracts
from evaluation.errors import ContractError, Finding

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
    """Read, type and validate an input folder; raise ContractError listing every finding."""
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
    truth_path = folder / TRUTH_FILE
    programme = Programme(
        name=metadata.get("name", folder.name),
        slug=metadata.get("slug", folder.name),
        path=folder,
        tables=MappingProxyType(tables),
        contracts=MappingProxyType(contracts),
        input_hashes=MappingProxyType(hashes),
        as_of=pd.Timestamp(metadata.get("as_of") or _latest_date(tables)),
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


def _latest_date(tables: Mapping[str, pd.DataFrame]) -> pd.Timestamp:
    """The last month with outcomes, as its last day: what the data can speak for."""
    latest = tables["outcomes_monthly"]["month"].max()
    return latest + pd.offsets.MonthEnd(0)


def cut_at(programme: Programme, as_of: str | pd.Timestamp) -> Programme:
    """The programme as known at `as_of`: later referrals, stage dates, months and spend removed."""
    cutoff = pd.Timestamp(as_of)
    if cutoff > programme.as_of:
        raise ValueError(
            f"as_of {cutoff.date()} is after the data's own date {programme.as_of.date()}: "
            "outcomes after that are not in the input."
        )
    tables = dict(programme.tables)
    people = tables["participants"]
    people = people[people["referred_date"] <= cutoff].copy()
    date_columns = [c for c, s in programme.contracts["participants"].columns.items() if s.type == "date"]
    for column in date_columns:
        people[column] = people[column].where(people[column] <= cutoff)
    people.loc[people["withdrawn_date"].isna(), "withdrawal_reason"] = None
    tables["participants"] = people.reset_index(drop=True)
    # A later referral goes with its outcomes: everyone left with outcomes is known (person_is_known).
    outcomes = tables["outcomes_monthly"]
    known = set(people["person_id"]) | set(tables["comparison_pool"]["person_id"])
    outcomes = outcomes[outcomes["person_id"].isin(known)]
    tables["outcomes_monthly"] = _before(outcomes, "month", cutoff)
    tables["spend"] = _before(tables["spend"], "month", cutoff)
    tables["area_panel"] = _before(tables["area_panel"], "period", cutoff)
    return replace(programme, tables=MappingProxyType(tables), as_of=cutoff)


def _before(frame: pd.DataFrame, column: str, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Rows whose month (or period) had ended by the cutoff: only complete months count."""
    return frame[frame[column] + pd.offsets.MonthEnd(0) <= cutoff].reset_index(drop=True)
