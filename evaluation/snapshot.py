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

from evaluation.contracts import load_contracts
from evaluation.errors import InputError
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
    about = {
        "version": SNAPSHOT_VERSION,
        "name": programme.name,
        "slug": programme.slug,
        "source": str(Path(programme.path).resolve()),
        "as_of": programme.as_of.date().isoformat(),
        "tables": list(programme.tables),
        "missing_tables": sorted(programme.missing_tables),
        "targets": dict(programme.targets),
        "input_hashes": dict(programme.input_hashes),
        "last_outcome_month": _last_month(programme),
        "text_columns": {  # Parquet reads text back as pandas' string type; restore plain objects
            name: [c for c in frame.columns if frame[c].dtype == object]
            for name, frame in programme.tables.items()
        },
    }
    (folder / SNAPSHOT_FILE).write_text(json.dumps(about, indent=2), encoding="utf-8")
    return folder


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

    def as_validated(name: str, frame: pd.DataFrame) -> pd.DataFrame:
        for column in about["text_columns"].get(name, []):  # as validated: objects, None when blank
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), None)
        return frame

    def read(name: str) -> pd.DataFrame:
        return as_validated(name, pd.read_parquet(folder / f"{name}.parquet"))

    def outcomes_of(people: pd.Index) -> pd.DataFrame:
        path = folder / "outcomes_monthly.parquet"
        frame = pd.read_parquet(path, filters=[("person_id", "in", people.astype(str).tolist())])
        return as_validated("outcomes_monthly", frame).reset_index(drop=True)

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
