"""The memory a run will need, estimated from the input files before any is read (issue 13).

A run's memory has two phases. Validation reads and checks the folder in the engine (DuckDB
holds at most `DUCKDB_MEMORY` and spills beyond it) and writes the snapshot `BATCH_ROWS` rows at a
time, holding every table but the outcomes in pandas. The reports then run on `workers` kernels at
once, each holding the comparison pool and the outcome rows of one activity's participants and of
the comparison people it may stack (at most `POOL_SAMPLE`), plus the stacked, matched sample built
from them. Rows are counted from Parquet metadata, or estimated from a CSV's size and the length
of its first lines. The bytes per row were measured on the synthetic programme at a
1,000,000-person pool, and the kernels' constants fitted to whole runs at 15,000 and 1,000,000
people (bench/bench_scale_run.py); the estimate is a guide, printed before a run starts, not a
limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from evaluation.contracts import TABLES

GB = 2**30
BYTES_PER_ROW = {"outcomes_monthly": 90, "comparison_pool": 320, "participants": 600}
"""Bytes a row takes in pandas, as validated (text as Python strings), measured."""
OTHER_ROW_BYTES = 300
KERNEL_BASE = 0.45 * GB  # a report kernel with pandas, statsmodels, matplotlib and the package
RUNNER_BASE = 0.30 * GB
STACKED_FACTOR = 6.0
"""The stacked, matched sample and its outcome matrices, as a multiple of the outcome rows read."""
POOL_COPIES = 2.8
"""The comparison pool as a kernel holds it: the table, its covariate frame and strata codes."""
# Fitted (1 December 2026) to the process tree's peak in bench/results_scale_run.txt: 2.1 GB at a
# 15,000-person pool and 5.7 to 5.9 GB at 1,000,000; tests/unit/test_footprint.py holds both.


@dataclass(frozen=True)
class Footprint:
    """Rows per table (estimated for CSV) and the peak memory of each phase, in bytes."""

    rows: dict[str, int]
    validation: float
    reports: float

    @property
    def peak(self) -> float:
        return max(self.validation, self.reports)

    def sentence(self) -> str:
        outcomes = self.rows.get("outcomes_monthly", 0)
        return (
            f"This run needs about {self.peak / GB:.1f} GB of memory "
            f"(validation {self.validation / GB:.1f} GB, reports {self.reports / GB:.1f} GB; "
            f"about {outcomes:,} outcome rows)."
        )


def table_rows(path: Path) -> int:
    """A table file's rows: exact for Parquet, estimated for CSV from its size and first lines."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    if path.suffix != ".csv":
        return 0
    size = path.stat().st_size
    with path.open("rb") as file:
        head = file.read(1 << 16)
    lines = head.count(b"\n")
    if lines <= 1 or size <= len(head):
        return max(0, lines - 1)
    return int(size / (len(head) / lines)) - 1


def estimate(folder: str | Path, *, workers: int = 2) -> Footprint:
    """The memory a full run over `folder` will need with `workers` report kernels."""
    from evaluation.programme import _find_files

    folder = Path(folder)
    return estimate_rows(
        {table: sum(table_rows(f) for f in _find_files(folder, table)) for table in TABLES}, workers=workers
    )


def estimate_rows(rows: dict[str, int], *, workers: int = 2) -> Footprint:
    """The memory a full run will need for tables of these many rows, with `workers` kernels."""
    from evaluation.engine.engines import DUCKDB_MEMORY
    from evaluation.engine.folder import BATCH_ROWS
    from evaluation.stacking import POOL_SAMPLE

    bytes_of = {t: n * BYTES_PER_ROW.get(t, OTHER_ROW_BYTES) for t, n in rows.items()}
    held = sum(b for t, b in bytes_of.items() if t != "outcomes_monthly")
    outcomes = bytes_of.get("outcomes_monthly", 0)
    engine = min(_bytes(DUCKDB_MEMORY), 2 * (outcomes + held))
    batch = min(outcomes, BATCH_ROWS * BYTES_PER_ROW["outcomes_monthly"] * 3)
    validation = RUNNER_BASE + engine + held + batch
    people = rows.get("participants", 0) + rows.get("comparison_pool", 0)
    per_person = outcomes / people if people else 0
    read = min(people, rows.get("participants", 0) + POOL_SAMPLE) * per_person
    pool = bytes_of.get("comparison_pool", 0)
    kernel = KERNEL_BASE + held + (POOL_COPIES - 1) * pool + read * (1 + STACKED_FACTOR)
    reports = RUNNER_BASE + held + max(1, workers) * kernel
    return Footprint(rows, validation, reports)


def _bytes(size: str) -> float:
    found = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]?)i?B?\s*", str(size), re.IGNORECASE)
    if not found:
        return 3 * GB
    return float(found.group(1)) * 1024 ** " KMGT".index(found.group(2).upper() or " ")
