"""Read an input folder into a validated, frozen `Programme`, and cut it at an as-of date.

`as_of` has one meaning: the date the data were extracted. `programme.json` states it (or it is
the last date the data speak for); a folder whose data run past it is refused, and an interim cut
sets it to the cut's date, so a report's "data to" label and the rows it counts never disagree.
Each table's contract says how its time column places a row in time (`time: event`, `month`,
`quarter` or `period`), and a row counts as known on a date only once its event had happened
or its period had ended.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import re
import warnings
import zipfile
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
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
    column_key,
    known_on,
    load_contracts,
    parse_date,
)
from evaluation.errors import (
    ContractError,
    DesignError,
    Finding,
    InputFolderNotFoundError,
    OptionError,
    UnknownActivityError,
)

READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    # utf-8-sig: also reads Excel's "CSV UTF-8", which starts with a byte-order mark.
    ".csv": lambda p: pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig"),
    ".parquet": pd.read_parquet,
    ".xlsx": lambda p: pd.read_excel(p, dtype=object),
}
# A CSV's delimiter, found from the header: commas unless the contract's columns are found
# separated by one of the others.
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs"}
# Where to look for the header (and the delimiter): the first rows of a file or sheet.
HEADER_SEARCH_ROWS = 30
_SNIFF_BYTES = 1 << 16
METADATA_FILE = "programme.json"
SNAPSHOT_FILE = "snapshot.json"  # marks a validated snapshot written by a run (evaluation.snapshot)
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
    missing_tables: frozenset[str] = frozenset()  # optional tables the folder does not hold
    targets: Mapping[str, int] = field(default_factory=dict)  # programme-level, from programme.json
    outcomes_reader: Callable[[pd.Index], pd.DataFrame] | None = field(
        default=None, compare=False, repr=False
    )
    """Where a snapshot can read some people's outcome rows without the whole table (`outcomes_of`)."""
    outcomes_end: pd.Timestamp | None = None
    """The outcome table's last month where a snapshot recorded it (`last_outcome_month`)."""

    def has(self, table: str) -> bool:
        """Whether the input folder held this table (an optional one may be absent)."""
        return table not in self.missing_tables

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
        """The delivery-plan row of one activity; UnknownActivityError (an InputError, and a KeyError)
        for an id that is not in the plan."""
        plan = self.tables["delivery_plan"]
        rows = plan[plan["activity_id"] == activity_id]
        if rows.empty:
            known = ", ".join(plan["activity_id"])
            raise UnknownActivityError(
                f"Activity '{activity_id}' is not in the delivery plan; known: {known}"
            )
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

    def outcomes_of(self, people: pd.Index) -> pd.DataFrame:
        """The outcome rows of `people` only, in table order. Read from a run's snapshot, a report
        reads these rows alone, never the whole table (national pools hold millions of people)."""
        if self.outcomes_reader is not None:
            return self.outcomes_reader(pd.Index(people))
        return outcomes_of_known(self.tables["outcomes_monthly"], people)

    @property
    def last_outcome_month(self) -> pd.Timestamp | None:
        """The last month in the outcome table (None when it has no rows), without reading the
        table where the snapshot recorded it."""
        if self.outcomes_end is not None:
            return self.outcomes_end
        months = self.tables["outcomes_monthly"]["month"]
        return pd.Timestamp(months.max()) if len(months) else None


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes, for provenance."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _find_files(folder: Path, table: str) -> list[Path]:
    """Every file holding the table, in any format read here."""
    return [folder / f"{table}{suffix}" for suffix in READERS if (folder / f"{table}{suffix}").exists()]


def _find_file(folder: Path, table: str) -> Path | None:
    found = _find_files(folder, table)
    return found[0] if found else None


def _read(
    path: Path, table: str, contract: Contract | None = None
) -> tuple[pd.DataFrame | None, Finding | None]:
    """The table as text (or the file's own types), or the finding saying why it cannot be read.

    With its contract, a CSV or Excel file's structure is found rather than assumed: the
    header may sit below a title line or blank rows, a CSV may be separated by semicolons or
    tabs, and a workbook may hold the table on a sheet other than the first. Each is read with
    a warning naming it; a workbook holding the columns on several sheets is refused. Blank
    rows at the end, and blank columns without a header, are dropped silently."""
    try:
        frame: pd.DataFrame | Finding
        if contract is None:
            frame = READERS[path.suffix](path)
        elif path.suffix == ".csv":
            frame = _read_csv(path, contract)
        elif path.suffix == ".xlsx":
            frame = _read_excel(path, contract)
        else:
            frame = READERS[path.suffix](path)
        if isinstance(frame, Finding):
            return None, frame
        return _without_blank_margins(frame), None
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


def read_raw_tables(
    folder: Path, contracts: Mapping[str, Contract] | None = None, *, only: str | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, str], list[Finding]]:
    """Raw tables, their file hashes and findings for files missing, unreadable or ambiguous
    (two files for one table, or a workbook with the table on several sheets); `only` reads one."""
    contracts = contracts or load_contracts()
    raw, hashes, findings = {}, {}, []
    for table in TABLES if only is None else (only,):
        paths = _find_files(folder, table)
        if not paths and table in contracts and not contracts[table].required:
            raw[table] = contracts[table].empty_frame()  # optional: reports say it is missing
            continue
        if not paths:
            expected = " or ".join(f"{table}{s}" for s in READERS)
            findings.append(Finding(table, None, "file present", 0, advice=f"Add {expected} to {folder}."))
            continue
        if len(paths) > 1:
            names = " and ".join(p.name for p in paths)
            advice = (
                f"{folder} holds {names}: keep the one with the data to use and move the other "
                "out of the folder (nothing is chosen for you)."
            )
            findings.append(Finding(table, None, "one file per table", 0, advice=advice))
            continue
        (path,) = paths
        hashes[path.name] = file_hash(path)
        frame, problem = _read(path, table, contracts.get(table))
        if problem is not None:
            findings.append(problem)
        elif frame is not None:
            raw[table] = frame
    return raw, hashes, findings


# --- the structure of a provider's file -----------------------------------------------------


def _header_score(cells, keys: set[str]) -> int:
    """How many of a row's cells name a contract column (in any case, spacing or punctuation)."""
    return len({column_key(c) for c in cells if not _is_blank(c)} & keys)


def _header_row(rows: list[list], keys: set[str]) -> tuple[int, int]:
    """(position, score) of the header among the first rows: the first row, unless it names no
    more than half as many contract columns as a later row naming at least two."""
    scores = [_header_score(row, keys) for row in rows]
    if not scores:
        return 0, 0
    best = max(scores)
    if best >= 2 and best > 2 * scores[0]:
        return scores.index(best), best
    return 0, scores[0]


def _is_blank(value) -> bool:
    """A cell with nothing in it: missing, or text of spaces only."""
    if isinstance(value, str):
        return value.strip() == ""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _above(rows: list[list]) -> str:
    """What sits above a header, in words: its first non-blank line, and how many are blank."""
    written = [" ".join(str(c).strip() for c in row if not _is_blank(c)) for row in rows]
    text = [w for w in written if w]
    blank = len(written) - len(text)
    parts = (
        [f"'{text[0][:60]}'" + (f" and {len(text) - 1} more line(s)" if len(text) > 1 else "")]
        if text
        else []
    )
    if blank:
        parts.append(f"{blank} blank line(s)")
    return " and ".join(parts)


def _csv_head(path: Path) -> str:
    """The first complete lines of a CSV file as text, for finding its header and delimiter."""
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    text = head.decode("utf-8-sig", errors="replace")
    if len(head) == _SNIFF_BYTES and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # the last line may be cut short
    return text


def _csv_rows(text: str, delimiter: str) -> list[list[str]]:
    try:
        return list(itertools.islice(csv.reader(io.StringIO(text), delimiter=delimiter), HEADER_SEARCH_ROWS))
    except csv.Error:
        return []


@dataclass(frozen=True)
class CsvLayout:
    """Where a CSV file's table is: its delimiter, the line of its header, and the header's cells."""

    delimiter: str
    header: int  # lines above the header
    headers: tuple[str, ...]


def csv_layout(path: Path, contract: Contract) -> CsvLayout:
    """The CSV's delimiter and header line, found from its first lines and the contract, with a
    warning for each that is not as expected (another delimiter, lines above the header)."""
    keys = {column_key(c) for c in contract.columns}
    text = _csv_head(path)
    found = {d: _csv_rows(text, d) for d in DELIMITERS}
    placed = {d: _header_row(rows, keys) for d, rows in found.items()}
    # The delimiter that shows the most contract columns; commas unless another shows more.
    delimiter = max(DELIMITERS, key=lambda d: placed[d][1])
    if placed[delimiter][1] == 0:
        delimiter = _delimiter_by_fields(found)
    header, _ = placed[delimiter]
    if delimiter != ",":
        warnings.warn(
            f"{path.name}: the columns are separated by {DELIMITERS[delimiter]}, not commas; it was "
            "read that way. Numbers are read with a decimal point (a decimal comma is refused). "
            "Save it as 'CSV (comma delimited)' to silence this warning.",
            stacklevel=5,
        )
    if header:
        _warn_header_moved(
            path,
            f"line {header + 1}",
            _above([[line.strip(delimiter + " ")] for line in text.splitlines()[:header]]),
            f"line {header + 2}",
        )
    rows = found[delimiter]
    return CsvLayout(delimiter, header, tuple(rows[header]) if len(rows) > header else ())


def read_csv_with(path: Path, layout: CsvLayout) -> pd.DataFrame:
    """The CSV's table as text, read by pandas where its layout says."""
    return pd.read_csv(
        path,
        sep=layout.delimiter,
        skiprows=layout.header,
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
    )


def _read_csv(path: Path, contract: Contract) -> pd.DataFrame:
    return read_csv_with(path, csv_layout(path, contract))


def _delimiter_by_fields(found: Mapping[str, list[list[str]]]) -> str:
    """Without a contract column in sight: commas, unless the first line holds no comma but
    splits on one other delimiter."""
    first = {d: next((r for r in rows if r), []) for d, rows in found.items()}
    if len(first[","]) > 1:
        return ","
    others = [d for d in DELIMITERS if d != "," and len(first[d]) > 1]
    return others[0] if len(others) == 1 else ","


def _warn_header_moved(path: Path, where: str, above: str, first_row: str) -> None:
    warnings.warn(
        f"{path.name}: the header is on {where}, not the first (above it: {above}); the table "
        f"was read from there, so row 1 in any finding is {first_row}. Delete what is above the "
        "header to silence this warning.",
        stacklevel=5,
    )


def _read_excel(path: Path, contract: Contract) -> pd.DataFrame | Finding:
    keys = {column_key(c) for c in contract.columns}
    with pd.ExcelFile(path) as book:
        sheets = book.sheet_names
        if len(sheets) == 1:
            (sheet,) = sheets
            grid = book.parse(sheet, header=None, dtype=object)
            header, _ = _header_row(_grid_rows(grid), keys)
        else:
            heads = {s: book.parse(s, header=None, dtype=object, nrows=HEADER_SEARCH_ROWS) for s in sheets}
            placed = {s: _header_row(_grid_rows(head), keys) for s, head in heads.items()}
            best = max(score for _, score in placed.values())
            holding = [s for s in sheets if placed[s][1] >= max(2, best / 2)]
            listed = ", ".join(f"'{s}'" for s in sheets)
            if len(holding) > 1:
                named = " and ".join(f"'{s}'" for s in holding)
                advice = (
                    f"{path.name} has the table's columns on sheets {named}: keep the table on one "
                    "sheet (or in one workbook per table) so that nothing is chosen for you."
                )
                return Finding(contract.table, None, "one sheet holds the table", 0, advice=advice)
            sheet = holding[0] if holding else sheets[0]
            others = ", ".join(f"'{s}'" for s in sheets if s != sheet)
            holds = (
                "holds the table's columns" if holding else "is the first (no sheet has the table's columns)"
            )
            warnings.warn(
                f"{path.name} has {len(sheets)} sheets ({listed}): read sheet '{sheet}', which {holds}; "
                f"{others} ignored. Keep one sheet per workbook to silence this warning.",
                stacklevel=4,
            )
            grid = book.parse(sheet, header=None, dtype=object)
            header = placed[sheet][0]
    if grid.empty:
        return pd.DataFrame()
    if header:
        _warn_header_moved(path, f"row {header + 1}", _above(_grid_rows(grid)[:header]), f"row {header + 2}")
    return _with_header(grid, header)


def _grid_rows(grid: pd.DataFrame) -> list[list]:
    return grid.head(HEADER_SEARCH_ROWS).to_numpy(dtype=object).tolist()


def _with_header(grid: pd.DataFrame, header: int) -> pd.DataFrame:
    """The rows below the header, named by it (a blank header cell as pandas names it)."""
    names = [f"Unnamed: {i}" if _is_blank(v) else str(v) for i, v in enumerate(grid.iloc[header])]
    frame = grid.iloc[header + 1 :].reset_index(drop=True)
    frame.columns = names
    return frame


def _without_blank_margins(frame: pd.DataFrame) -> pd.DataFrame:
    """The table without the blank rows at its end and blank columns without a header, which
    carry nothing (a spreadsheet's formatted but empty cells). Other blank rows are kept, so
    that rows in findings keep their numbers."""
    unnamed = [
        c for c in frame.columns if re.fullmatch(r"Unnamed: \d+", str(c)) and frame[c].map(_is_blank).all()
    ]
    frame = frame.drop(columns=unnamed)
    end = len(frame)
    while end > 0:
        chunk = frame.iloc[max(0, end - 1000) : end]
        filled = np.flatnonzero(~chunk.map(_is_blank).all(axis=1).to_numpy(dtype=bool))
        if len(filled):
            end = end - len(chunk) + int(filled[-1]) + 1
            break
        end -= len(chunk)
    return frame.iloc[:end] if end < len(frame) else frame


ENGINES = ("duckdb", "spark", "pandas")


def load_programme(
    path: str | Path, *, as_of: str | pd.Timestamp | None = None, engine: str = "duckdb"
) -> Programme:
    """Read, type and validate an input folder; raise ContractError listing every finding.

    The programme's `as_of` is the date the data were extracted: `as_of` in programme.json, or
    without it the last date the data speak for. Data that run past a stated `as_of` are refused.
    With `as_of` given here, the programme is then cut at that date (an interim update). A run's
    validated snapshot (`evaluation.snapshot`) is read as it was validated, without checking again.
    `engine` reads and checks the files in DuckDB (the default: out of core, fast on large
    tables), in Spark (where the data live in a Spark estate; needs pyspark and Java) or in
    pandas; all give the same tables and the same findings (docs/engines.md).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InputFolderNotFoundError(f"Input folder not found: {folder}")
    if (folder / SNAPSHOT_FILE).is_file():  # validated once by the run: read, do not check again
        from evaluation.snapshot import read_snapshot

        programme = read_snapshot(folder)
        if as_of is None or parse_date(as_of) == programme.as_of:
            return programme
        return cut_at(programme, as_of)
    if engine not in ENGINES:
        raise OptionError(f"Unknown engine '{engine}': use one of {', '.join(ENGINES)}.")
    contracts = load_contracts()
    if engine != "pandas":
        from evaluation.engine.folder import read_and_check

        typed, hashes = read_and_check(folder, contracts, engine=engine)
        assert typed is not None, "read_and_check returns the tables unless asked not to"
        tables = typed
    else:
        raw, hashes, findings = read_raw_tables(folder, contracts)
        try:
            tables = check_tables(raw, contracts)
        except ContractError as error:
            findings += list(error.findings)
        if findings:
            raise ContractError(findings)
    truth_path = folder / TRUTH_FILE
    programme = replace(
        described(folder, tables, contracts, hashes),
        tables=MappingProxyType(tables),
        true_effects=pd.read_csv(truth_path) if truth_path.exists() else None,
    )
    return cut_at(programme, as_of) if as_of is not None else programme


def described(
    folder: Path,
    timed: Mapping[str, pd.DataFrame],
    contracts: Mapping[str, Contract],
    hashes: Mapping[str, str],
) -> Programme:
    """The programme an input folder describes, without its tables: name, slug, targets and the
    date the data were extracted from programme.json, that date found from the time columns in
    `timed` (each table's, or just its time columns) where programme.json does not state it,
    and refused when rows run past a stated one."""
    metadata = _metadata(folder)
    extracted = _stated_as_of(metadata)
    if extracted is None:
        extracted = _inferred_as_of(timed, contracts)
    elif late := findings_after(timed, contracts, extracted):
        raise ContractError(late)
    return Programme(
        name=metadata.get("name", folder.name),
        slug=metadata.get("slug", folder.name),
        path=folder,
        tables=MappingProxyType({}),
        contracts=MappingProxyType(dict(contracts)),
        input_hashes=MappingProxyType(dict(hashes)),
        as_of=extracted,
        missing_tables=frozenset(t for t in TABLES if not _find_files(folder, t)),
        targets=MappingProxyType(_stated_targets(metadata)),
    )


def _metadata(folder: Path) -> dict:
    path = folder / METADATA_FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        warnings.warn(f"{path} is not valid JSON ({error}); using folder name instead.", stacklevel=3)
        return {}


TARGET_COUNTS = ("referred", "engaged", "started", "job_outcomes")
"""What a programme-level target in programme.json's `targets` can count (people, once each)."""


def _stated_targets(metadata: dict) -> dict[str, int]:
    """programme.json's programme-level targets, for example `"targets": {"engaged": 1000,
    "job_outcomes": 400}`; each counts people once across all activities. Anything else is refused
    when the folder is loaded, so `validate` reports it with the tables."""
    targets = metadata.get("targets")
    if targets is None:
        return {}
    if isinstance(targets, dict):
        bad = [
            (key, value)
            for key, value in targets.items()
            if key not in TARGET_COUNTS or isinstance(value, bool) or not isinstance(value, int) or value < 0
        ]
    else:
        bad = [("targets", targets)]
    if bad:
        advice = (
            f"targets maps what a target counts ({', '.join(TARGET_COUNTS)}) to a whole number of people, for "
            'example "targets": {"engaged": 1000, "job_outcomes": 400}.'
        )
        values = tuple(f"{k}: {v!r}" for k, v in bad)
        raise ContractError(
            [Finding(METADATA_FILE, "targets", "programme targets", 0, values=values, advice=advice)]
        )
    return {key: int(value) for key, value in targets.items() if value > 0}


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
        stacklevel=4,
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
    cutoff = cutoff_for(programme, as_of)
    tables = {
        name: cut_table(frame, programme.contracts[name], cutoff) for name, frame in programme.tables.items()
    }
    if {"participants", "comparison_pool", "outcomes_monthly"} <= set(tables):
        tables["outcomes_monthly"] = outcomes_of_known(tables["outcomes_monthly"], known_people(tables))
    return replace(
        programme, tables=MappingProxyType(tables), as_of=cutoff, outcomes_reader=None, outcomes_end=None
    )


def cutoff_for(programme: Programme, as_of: str | pd.Timestamp) -> pd.Timestamp:
    """`as_of` as a date the programme can be cut at; an error when the data stop before it or
    the programme had not started by then."""
    cutoff = parse_date(as_of)
    if cutoff > programme.as_of:
        raise OptionError(
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
    return cutoff


def known_people(tables: Mapping[str, pd.DataFrame]) -> set:
    """Everyone still referred or in the pool after a cut, whose outcomes stay: a later referral
    goes with its outcomes (the `person_is_known` rule)."""
    return set(tables["participants"]["person_id"]) | set(tables["comparison_pool"]["person_id"])


def outcomes_of_known(outcomes: pd.DataFrame, known: Collection) -> pd.DataFrame:
    """The outcome rows of the people in `known`, in their order."""
    return outcomes[outcomes["person_id"].isin(known)].reset_index(drop=True)


def cut_table(frame: pd.DataFrame, contract: Contract, cutoff: pd.Timestamp) -> pd.DataFrame:
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
