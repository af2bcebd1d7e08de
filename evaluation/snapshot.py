"""A validated snapshot of an input folder: the run validates once, every notebook reads the result.

`evaluation run` loads and checks the input folder once (`load_programme`), cuts it at the
interim date if there is one, and writes what it validated into the staging folder: each table as
typed Parquet, plus `snapshot.json` with the programme's name, slug, as-of date, targets, which
optional tables were missing, and the hashes of the input files the tables came from. Each
notebook then reads the snapshot (`load_programme` recognises one) instead of reading and checking
every file again, so a run of 27 reports checks its inputs once, not 28 times, and every report
describes exactly the same data.

A snapshot is written only from a `Programme` that passed every contract rule, and is never
published: it lives in the run's staging folder and goes when the run ends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from evaluation import programme as p
from evaluation.contracts import TABLES, load_contracts
from evaluation.errors import InputError, InputFolderNotFoundError
from evaluation.programme import SNAPSHOT_FILE, Programme

SNAPSHOT_VERSION = 1


def is_snapshot(folder: str | Path) -> bool:
    """Whether `folder` holds a validated snapshot (rather than an input folder)."""
    return (Path(folder) / SNAPSHOT_FILE).is_file()


def write_snapshot(programme: Programme, folder: str | Path) -> Path:
    """Write the validated `programme` into `folder` (created if needed); returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in programme.tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    if programme.true_effects is not None:
        programme.true_effects.to_parquet(folder / "true_effects.parquet", index=False)
    _write_about(
        folder,
        programme,
        tables=list(programme.tables),
        last_month=_last_month(programme),
        text_columns={  # Parquet reads text back as pandas' string type; restore plain objects
            name: [c for c in frame.columns if frame[c].dtype == object]
            for name, frame in programme.tables.items()
        },
    )
    return folder


def _write_about(
    folder: Path, programme: Programme, *, tables: list[str], last_month: str | None, text_columns: dict
) -> None:
    about = {
        "version": SNAPSHOT_VERSION,
        "name": programme.name,
        "slug": programme.slug,
        "source": str(Path(programme.path).resolve()),
        "as_of": programme.as_of.date().isoformat(),
        "tables": tables,
        "missing_tables": sorted(programme.missing_tables),
        "targets": dict(programme.targets),
        "input_hashes": dict(programme.input_hashes),
        "last_outcome_month": last_month,
        "text_columns": text_columns,
    }
    (folder / SNAPSHOT_FILE).write_text(json.dumps(about, indent=2), encoding="utf-8")


def validate_into_snapshot(
    path: str | Path, folder: str | Path, *, engine: str = "duckdb", progress: bool = False
) -> Programme:
    """Read and check an input folder in `engine` and write its snapshot into `folder`, the typed
    tables going from the engine to Parquet a batch at a time, never whole into pandas; returns
    the programme read back from the snapshot (its tables read when first asked for). The same
    programme, tables and findings as `load_programme` then `write_snapshot`, in the memory a
    national outcome table needs to be checked, not held."""
    from evaluation.engine.folder import read_and_check

    source, folder = Path(path), Path(folder)
    if not source.is_dir():
        raise InputFolderNotFoundError(f"Input folder not found: {source}")
    folder.mkdir(parents=True, exist_ok=True)
    contracts = load_contracts()
    _, hashes = read_and_check(
        source, contracts, engine=engine, into_pandas=False, parquet_to=folder, progress=progress
    )
    written = [name for name in TABLES if (folder / f"{name}.parquet").exists()]
    timed = {  # what the as-of date needs of each table: its time columns alone
        name: pd.read_parquet(
            folder / f"{name}.parquet", columns=_time_names(contracts[name], folder / f"{name}.parquet")
        )
        for name in written
    }
    programme = p.described(source, timed, contracts, hashes)
    truth = source / p.TRUTH_FILE
    if truth.exists():
        pd.read_csv(truth).to_parquet(folder / "true_effects.parquet", index=False)
    months = timed.get("outcomes_monthly", pd.DataFrame()).get("month")
    last = None if months is None or months.isna().all() else pd.Timestamp(months.max()).date().isoformat()
    text = {  # as write_snapshot records them: the typed text columns
        name: [
            col
            for col in _columns(folder / f"{name}.parquet")
            if contracts[name].columns[col].type in ("string", "category")
        ]
        for name in written
    }
    _write_about(folder, programme, tables=written, last_month=last, text_columns=text)
    return read_snapshot(folder)


OUTCOMES = "outcomes_monthly"
CUT_BATCH_ROWS = 2_000_000
"""Outcome rows cut at a time by `cut_snapshot`: the outcome table is never whole in memory."""


def cut_snapshot(folder: str | Path, as_of: str | pd.Timestamp) -> Programme:
    """Cut a validated snapshot at `as_of` in place (an interim update) and return it read back:
    the same tables as `programme.cut_at` gives, the small tables cut in pandas and the outcome
    table a batch at a time, so an interim update of a national pool needs no more memory than a
    full one. Each file is replaced only once its cut copy is complete."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    programme = read_snapshot(folder)
    about = json.loads((folder / SNAPSHOT_FILE).read_text(encoding="utf-8"))
    cutoff = p.cutoff_for(programme, as_of)
    small = {
        name: p.cut_table(programme.tables[name], programme.contracts[name], cutoff)
        for name in programme.tables
        if name != OUTCOMES
    }
    known = p.known_people(small) if {"participants", "comparison_pool"} <= set(small) else None
    months: list[pd.Timestamp] = []  # the last month of each batch, for the snapshot's record
    if OUTCOMES in programme.tables:
        source = folder / f"{OUTCOMES}.parquet"
        cut = source.with_suffix(".cut")
        contract = programme.contracts[OUTCOMES]
        reader = pq.ParquetFile(source)
        with pq.ParquetWriter(cut, reader.schema_arrow) as writer:
            for batch in reader.iter_batches(batch_size=CUT_BATCH_ROWS):
                typed = _as_validated(batch.to_pandas(), about["text_columns"].get(OUTCOMES, []))
                frame = p.cut_table(typed, contract, cutoff)
                if known is not None:
                    frame = p.outcomes_of_known(frame, known)
                months.append(frame["month"].max())
                writer.write_table(
                    pa.Table.from_pandas(frame, schema=reader.schema_arrow, preserve_index=False)
                )
        cut.replace(source)
    for name, frame in small.items():
        path = folder / f"{name}.parquet"
        frame.to_parquet(path.with_suffix(".cut"), index=False)
        path.with_suffix(".cut").replace(path)
    about["as_of"] = cutoff.date().isoformat()
    if OUTCOMES in programme.tables:
        last = pd.Series(months, dtype="datetime64[ns]").max()
        about["last_outcome_month"] = None if pd.isna(last) else pd.Timestamp(last).date().isoformat()
    (folder / SNAPSHOT_FILE).write_text(json.dumps(about, indent=2), encoding="utf-8")
    return read_snapshot(folder)


def _as_validated(frame: pd.DataFrame, text_columns: list[str]) -> pd.DataFrame:
    """A frame read from the snapshot as it was validated: text as plain objects, None when blank
    (Parquet reads text back as pandas' string type)."""
    for column in text_columns:
        values = frame[column].astype(object)
        frame[column] = values.where(values.notna(), None)
    return frame


def _columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def _time_names(contract, path: Path) -> list[str]:
    present = set(_columns(path))
    names = []
    for spec in contract.time_columns:
        for name in (spec.name, spec.period_end):
            if name and name in present and name not in names:
                names.append(name)
    return names


def _last_month(programme: Programme) -> str | None:
    if "outcomes_monthly" not in programme.tables:
        return None
    last = programme.last_outcome_month
    return None if last is None else last.date().isoformat()


class _TablesOnDemand(Mapping):
    """The snapshot's tables, each read from its Parquet file the first time it is asked for:
    a report that never looks at the outcome table never holds it."""

    def __init__(self, names: list[str], read: Callable[[str], pd.DataFrame]):
        self._names, self._read = list(names), read
        self._frames: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._frames:
            self._frames[name] = self._read(name)
        return self._frames[name]

    def __contains__(self, name: object) -> bool:  # Mapping's own would read the table to answer
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def snapshot_source(folder: str | Path) -> str | None:
    """The input folder a snapshot was validated from, or None when `folder` is not a snapshot."""
    path = Path(folder) / SNAPSHOT_FILE
    if not path.is_file():
        return None
    return str(json.loads(path.read_text(encoding="utf-8")).get("source") or "") or None


def read_snapshot(folder: str | Path) -> Programme:
    """The programme a snapshot holds, exactly as validated (no file is read or checked again)."""
    folder = Path(folder)
    about = json.loads((folder / SNAPSHOT_FILE).read_text(encoding="utf-8"))
    if about.get("version") != SNAPSHOT_VERSION:
        raise InputError(
            f"{folder / SNAPSHOT_FILE} is a snapshot of version {about.get('version')!r}; this toolkit "
            f"reads version {SNAPSHOT_VERSION}. Run the reports again from the input folder."
        )

    def read(name: str) -> pd.DataFrame:
        return _as_validated(pd.read_parquet(folder / f"{name}.parquet"), about["text_columns"].get(name, []))

    def outcomes_of(people: pd.Index) -> pd.DataFrame:
        path = folder / "outcomes_monthly.parquet"
        frame = pd.read_parquet(path, filters=[("person_id", "in", people.astype(str).tolist())])
        return _as_validated(frame, about["text_columns"].get("outcomes_monthly", [])).reset_index(drop=True)

    tables = _TablesOnDemand(about["tables"], read)
    last = about.get("last_outcome_month")
    truth = folder / "true_effects.parquet"
    return Programme(
        name=about["name"],
        slug=about["slug"],
        path=Path(about["source"]),
        tables=MappingProxyType(tables),
        contracts=MappingProxyType(load_contracts()),
        input_hashes=MappingProxyType(about["input_hashes"]),
        as_of=pd.Timestamp(about["as_of"]),
        true_effects=pd.read_parquet(truth) if truth.exists() else None,
        missing_tables=frozenset(about["missing_tables"]),
        targets=MappingProxyType(about["targets"]),
        outcomes_reader=outcomes_of if "outcomes_monthly" in about["tables"] else None,
        outcomes_end=pd.Timestamp(last) if last else None,
    )
