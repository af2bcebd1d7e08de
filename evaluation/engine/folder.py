"""Read and check an input folder with DuckDB: the default engine of `load_programme`.

Same files, same repairs and warnings, same findings (table, column, rule, rows, examples) in the
same order as the pandas reader (`evaluation.programme.read_raw_tables` with
`evaluation.contracts.check_tables`), which `tests/contracts/test_engines.py` checks on every
fault of the fault catalogue. The difference is where the rows live while they are checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd

from evaluation import contracts as c
from evaluation import programme as p
from evaluation.contracts import Contract
from evaluation.engine import duck
from evaluation.errors import ContractError, Finding


def _read_with_duckdb(con, path: Path, table: str, contract: Contract) -> duck.RawTable | None:
    """The file read by DuckDB, or None where the pandas reader must read it (see the module)."""
    try:
        if path.suffix == ".parquet":
            return duck.read_parquet(con, path, table)
        if path.suffix == ".csv":
            layout = p.csv_layout(path, contract)
            if layout.header == 0 and layout.headers:
                try:
                    return duck.read_csv(con, path, table, layout.delimiter, list(layout.headers))
                except duckdb.Error:
                    pass
    except (duckdb.Error, UnicodeDecodeError, OSError):
        return None
    return None


def read_and_check(
    folder: Path,
    contracts: Mapping[str, Contract],
    *,
    memory_limit: str | None = None,
    into_pandas: bool = True,
) -> tuple[dict[str, pd.DataFrame] | None, dict[str, str]]:
    """The folder's typed tables (None without `into_pandas`: checking only) and file hashes; a
    ContractError with every finding otherwise."""
    structural: list[Finding] = []
    cells: list[Finding] = []
    files: list[Finding] = []
    hashes: dict[str, str] = {}
    with duck.connection(memory_limit) as con:
        columns: dict[str, list[str]] = {}
        in_duckdb: set[str] = set()
        frames: dict[str, pd.DataFrame] = {}
        for table in c.TABLES:
            contract = contracts[table]
            paths = p._find_files(folder, table)
            if len(paths) == 1 and (raw := _read_with_duckdb(con, paths[0], table, contract)) is not None:
                hashes[paths[0].name] = p.file_hash(paths[0])
                present, found, _source = duck.type_table(con, raw, contract)
                con.execute(f"DROP VIEW named_{table}")
                con.execute(f"DROP TABLE {raw.relation}")  # the typed copy is all that is needed now
                structural += [f for f in found if f.rule in c.STRUCTURAL_RULES]
                cells += [f for f in found if f.rule not in c.STRUCTURAL_RULES]
                columns[table] = present
                in_duckdb.add(table)
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
            duck.register_typed(con, table, frame)
        rules = [
            finding
            for table in columns
            for rule in contracts[table].rules
            for finding in duck.rule_findings(con, table, rule, columns, contracts)
        ]
        findings = structural + cells + rules
        if findings:
            raise ContractError(files + c._masked_findings(findings, contracts))
        if files:
            raise ContractError(files)
        if not into_pandas:
            return None, hashes
        tables = {
            table: frames[table]
            if table not in in_duckdb
            else duck.typed_frame(con, table, contracts[table], columns[table])
            for table in columns
        }
    return tables, hashes
