"""Read and check an input folder in an engine (DuckDB by default, or Spark) for `load_programme`.

Same files, same repairs and warnings, same findings (table, column, rule, rows, examples) in the
same order as the pandas reader (`evaluation.programme.read_raw_tables` with
`evaluation.contracts.check_tables`), which `tests/contracts/test_engines.py` checks on every
fault of the fault catalogue. The difference is where the rows live while they are checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from evaluation import contracts as c
from evaluation import programme as p
from evaluation.contracts import Contract
from evaluation.engine import checks
from evaluation.engine.engines import open_engine
from evaluation.engine.sql import quote
from evaluation.errors import ContractError, Finding


def _read_in_engine(con, path: Path, table: str, contract: Contract) -> checks.RawTable | None:
    """The file read by the engine, or None where the pandas reader must read it: an Excel
    workbook, a CSV whose header is not on its first line, or a file the engine cannot read as
    one plain table (rows of uneven length, text that is not UTF-8), so that the findings and
    repairs stay exactly those of `docs/fault_catalogue.md`."""
    relation = f"raw_{table}"
    try:
        if path.suffix == ".parquet":
            described = con.read_parquet(path, relation)
            return checks.RawTable(
                table, relation, tuple(n for n, _ in described), tuple(t for _, t in described)
            )
        if path.suffix == ".csv":
            layout = p.csv_layout(path, contract)
            if layout.header == 0 and layout.headers:
                con.read_csv(path, relation, layout.delimiter, len(layout.headers))
                return checks.RawTable(table, relation, layout.headers, ("VARCHAR",) * len(layout.headers))
    except (*con.read_errors, UnicodeDecodeError, OSError):
        con.drop(relation)
        return None
    return None


def read_and_check(
    folder: Path,
    contracts: Mapping[str, Contract],
    *,
    engine: str = "duckdb",
    memory_limit: str | None = None,
    into_pandas: bool = True,
    parquet_to: Path | None = None,
    progress: bool = False,
) -> tuple[dict[str, pd.DataFrame] | None, dict[str, str]]:
    """The folder's typed tables (None without `into_pandas`: checking only) and file hashes; a
    ContractError with every finding otherwise. `engine`: duckdb or spark. With `parquet_to` (a
    folder), each typed table is also written there as <table>.parquet, exactly as pandas
    writes the typed frame, a batch of rows at a time: a national table never has to fit in
    memory. `progress` shows a bar of the steps with each table's rows."""
    steps = len(c.TABLES) + 1 + (len(c.TABLES) if parquet_to is not None else 0)
    bar = tqdm(total=steps, desc="Validating", unit="step", disable=not progress)
    structural: list[Finding] = []
    cells: list[Finding] = []
    files: list[Finding] = []
    hashes: dict[str, str] = {}
    with bar, open_engine(engine, memory_limit=memory_limit) as con:
        columns: dict[str, list[str]] = {}
        in_duckdb: set[str] = set()
        frames: dict[str, pd.DataFrame] = {}
        for table in c.TABLES:
            bar.set_postfix_str(f"reading and checking {table}")
            bar.update()
            contract = contracts[table]
            paths = p._find_files(folder, table)
            if len(paths) == 1 and (raw := _read_in_engine(con, paths[0], table, contract)) is not None:
                hashes[paths[0].name] = p.file_hash(paths[0])
                present, found, _source = checks.type_table(con, raw, contract)
                con.drop(f"named_{table}")
                con.drop(raw.relation)  # the typed copy is all that is needed now
                structural += [f for f in found if f.rule in c.STRUCTURAL_RULES]
                cells += [f for f in found if f.rule not in c.STRUCTURAL_RULES]
                columns[table] = present
                in_duckdb.add(table)
                bar.set_postfix_str(f"{table}: {con.row(f'SELECT count(*) FROM typed_{table}')[0]:,} rows")
                continue
            raw_frames, table_hashes, problems = p.read_raw_tables(folder, {**contracts}, only=table)
            hashes |= table_hashes
            files += problems
            if table not in raw_frames:
                continue
            frame, coercion, unparsed = c._coerce_table(raw_frames[table], contract)
            structural += [f for f in coercion if f.rule in c.STRUCTURAL_RULES]
            cells += [f for f in coercion if f.rule not in c.STRUCTURAL_RULES]
            cells += c.validate_table(frame, contract, unparsed=unparsed)
            frames[table] = frame
            columns[table] = list(frame.columns)
            checks.register_typed(con, table, frame)
        bar.set_postfix_str("rules across tables")
        bar.update()
        rules = [
            finding
            for table in columns
            for rule in contracts[table].rules
            for finding in checks.rule_findings(con, table, rule, columns, contracts)
        ]
        findings = structural + cells + rules
        if findings:
            raise ContractError(files + c._masked_findings(findings, contracts))
        if files:
            raise ContractError(files)
        if parquet_to is not None:
            for table in columns:
                bar.set_postfix_str(f"writing {table} to the snapshot")
                bar.update()
                frame = frames.get(table)
                path = Path(parquet_to) / f"{table}.parquet"
                if frame is not None:
                    frame.to_parquet(path, index=False)
                else:
                    write_parquet(con, table, contracts[table], columns[table], path)
        if not into_pandas:
            return None, hashes
        tables = {
            table: frames[table]
            if table not in in_duckdb
            else checks.typed_frame(con, table, contracts[table], columns[table])
            for table in columns
        }
    return tables, hashes


BATCH_ROWS = 2_000_000
"""Rows brought from the engine into pandas at a time when a table is written to Parquet."""

_ARROW_TYPES = {
    "string": pa.string(),
    "category": pa.string(),
    "date": pa.timestamp("ns"),
    "boolean": pa.int8(),
    "integer": pa.int64(),
}


def write_parquet(con, table: str, contract: Contract, present: list[str], path: Path) -> None:
    """The typed table as Parquet, `BATCH_ROWS` at a time, in file order; read back with
    pandas it equals `checks.typed_frame` (pandas' own metadata restores the nullable types)."""
    first, last = con.row(f"SELECT min({checks.ROW}), max({checks.ROW}) FROM typed_{table}")
    first, last = (0, -1) if first is None else (int(first), int(last))
    schema = pa.schema(
        [(name, _ARROW_TYPES.get(contract.columns[name].type, pa.float64())) for name in present]
    )
    writer = None
    listed = ", ".join(quote(name) for name in present)
    try:
        for start in range(first, max(last + 1, first + 1), BATCH_ROWS):
            if writer is None or not hasattr(con, "arrow"):
                # Through pandas: the file's schema then carries pandas' own metadata.
                frame = checks.typed_frame(con, table, contract, present, rows=(start, start + BATCH_ROWS))
                batch = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(path, batch.schema)
            else:  # the engine's rows straight into Arrow, cast to the same schema
                batch = con.arrow(
                    f"SELECT {listed} FROM typed_{table} WHERE {checks.ROW} >= {start} "
                    f"AND {checks.ROW} < {start + BATCH_ROWS} ORDER BY {checks.ROW}"
                ).cast(writer.schema)
            writer.write_table(batch)
    finally:
        if writer is not None:
            writer.close()
