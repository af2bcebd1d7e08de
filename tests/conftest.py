# ruff: noqa: E402  (the BLAS thread limit must be set before numpy is imported)
"""Fixtures shared by every kind of test.

* `synthetic_folder`: one small synthetic programme (CSV files) written once per session.
  Treat it as read-only; corrupt a copy instead.
* `raw_tables`: that folder's tables exactly as the loader reads them (every cell text).
* `small_raw_tables` / `small_synthetic_folder`: a consistent, still valid subset (every other
  participant, 300 comparison people and their outcomes) for tests that load many variants.
* `input_copy` / `small_input_copy`: a fresh, writable copy of either folder, with helpers to
  corrupt one table (`InputFolder`); `copy_input(folder)` copies any folder the same way.
"""

from __future__ import annotations

import os

# Small linear algebra runs fastest on one BLAS thread; with pytest-xdist on two cores, more
# threads per worker oversubscribe the machine (measured: one matched estimate 2 s -> 25 s).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import pytest

from evaluation import synthetic
from evaluation.programme import METADATA_FILE, READERS, TRUTH_FILE, read_raw_tables

SYNTHETIC_SEED = 7
SYNTHETIC_SCALE = 0.3
SYNTHETIC_POOL = 1500  # about three times the participants; keeps every load under a second


class InputFolder:
    """A writable input folder (one file per table) with helpers to change one table."""

    def __init__(self, path: Path):
        self.path = path

    def file(self, table: str) -> Path | None:
        """The file holding a table, whatever its format, or None."""
        found = [self.path / f"{table}{suffix}" for suffix in READERS]
        return next((p for p in found if p.exists()), None)

    def read(self, table: str) -> pd.DataFrame:
        """A CSV table as text, as the loader reads it (no value is turned into NaN)."""
        return pd.read_csv(self.file(table), dtype=str, keep_default_na=False, encoding="utf-8")

    def edit(self, table: str, change: Callable[[pd.DataFrame], pd.DataFrame | None]) -> Path:
        """Read a CSV table as text, apply `change` (which may edit in place) and write it back."""
        frame = self.read(table).astype(object)
        changed = change(frame)
        return self.write(table, frame if changed is None else changed)

    def write(self, table: str, frame: pd.DataFrame, suffix: str = ".csv") -> Path:
        """Replace a table's file by `frame` written as CSV, Parquet or Excel."""
        self.remove(table)
        target = self.path / f"{table}{suffix}"
        if suffix == ".csv":
            frame.to_csv(target, index=False, date_format="%Y-%m-%d")
        elif suffix == ".parquet":
            frame.to_parquet(target, index=False)
        else:
            frame.to_excel(target, index=False)
        return target

    def write_bytes(self, table: str, data: bytes, suffix: str = ".csv") -> Path:
        """Replace a table's file by raw bytes (for encoding and file-format faults)."""
        self.remove(table)
        target = self.path / f"{table}{suffix}"
        target.write_bytes(data)
        return target

    def remove(self, table: str) -> None:
        """Delete the table's file, whatever its format."""
        while (current := self.file(table)) is not None:
            current.unlink()


@pytest.fixture(scope="session")
def synthetic_folder(tmp_path_factory) -> Path:
    """A small, valid synthetic input folder (seed 7, scale 0.3, pool 1500). Read-only: copy it to change it."""
    folder = tmp_path_factory.mktemp("synthetic")
    return synthetic.write(folder, seed=SYNTHETIC_SEED, scale=SYNTHETIC_SCALE, pool_size=SYNTHETIC_POOL)


@pytest.fixture(scope="session")
def raw_tables(synthetic_folder) -> Mapping[str, pd.DataFrame]:
    """The synthetic tables as read from CSV, all text. Shared: `.copy()` a table before changing it."""
    raw, _, findings = read_raw_tables(synthetic_folder)
    assert not findings, findings
    return MappingProxyType(raw)


@pytest.fixture(scope="session")
def small_raw_tables(raw_tables) -> Mapping[str, pd.DataFrame]:
    """A valid subset of `raw_tables`: every other participant, the first 300 comparison
    people, and the outcomes of those people. Shared: `.copy()` a table before changing it."""
    people = raw_tables["participants"].iloc[::2].reset_index(drop=True)
    pool = raw_tables["comparison_pool"].iloc[:300].reset_index(drop=True)
    outcomes = raw_tables["outcomes_monthly"]
    keep = outcomes["person_id"].isin(set(people["person_id"]) | set(pool["person_id"]))
    subset = {
        **raw_tables,
        "participants": people,
        "comparison_pool": pool,
        "outcomes_monthly": outcomes[keep].reset_index(drop=True),
    }
    return MappingProxyType(subset)


@pytest.fixture(scope="session")
def small_synthetic_folder(small_raw_tables, synthetic_folder, tmp_path_factory) -> Path:
    """`small_raw_tables` written as an input folder (CSV). Read-only: copy it to change it."""
    folder = tmp_path_factory.mktemp("small_synthetic")
    for extra in (METADATA_FILE, TRUTH_FILE):
        shutil.copy(synthetic_folder / extra, folder)
    for name, frame in small_raw_tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.fixture
def copy_input(tmp_path) -> Callable[[Path], InputFolder]:
    """A function that copies an input folder to a fresh, writable folder under tmp_path."""
    copies = iter(range(1_000))

    def copy(folder: Path) -> InputFolder:
        return InputFolder(Path(shutil.copytree(folder, tmp_path / f"input_{next(copies)}")))

    return copy


@pytest.fixture
def input_copy(synthetic_folder, copy_input) -> InputFolder:
    """A fresh, writable copy of the synthetic input folder."""
    return copy_input(synthetic_folder)


@pytest.fixture
def small_input_copy(small_synthetic_folder, copy_input) -> InputFolder:
    """A fresh, writable copy of the small synthetic input folder."""
    return copy_input(small_synthetic_folder)
