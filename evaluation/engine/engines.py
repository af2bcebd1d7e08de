"""The engines the heavy steps run on: DuckDB (embedded, the default) and Apache Spark.

Each engine reads files into tables of its own and answers the SQL that `evaluation.engine.sql`
and `checks` write once, in DuckDB's dialect; the Spark engine translates it with sqlglot (a
SQL translator) and maps the few functions it translates differently. Both
expose the same small interface, so the checks run unchanged on either:

- `read_csv(path, relation, delimiter, n_columns)` and `read_parquet(path, relation)`: the file's
  rows as a table, in file order, with a row position (`rowid`, from 0);
- `table(name, query)` (kept, computed once), `view(name, query)`, `drop(name)`;
- `row(query)`, `rows(query)`, `frame(query)` (to pandas), `register(name, frame)` (from pandas).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.engine.sql import quote
from evaluation.errors import OptionError

ENGINES = ("duckdb", "spark")
DUCKDB_MEMORY = "3GB"
"""DuckDB's memory by default (EVALUATION_DUCKDB_MEMORY overrides): beyond it, it spills to disk,
so a national table is read and checked beside the tables a run holds, not instead of them."""


class DuckDBEngine:
    """An in-memory DuckDB that spills to a temporary folder when memory runs short."""

    rowid = "rowid"
    read_errors: tuple[type[BaseException], ...]

    def __init__(self, spill: str, memory_limit: str | None = None):
        import duckdb

        self.read_errors = (duckdb.Error,)
        self.con = duckdb.connect(config={"temp_directory": spill, "preserve_insertion_order": True})
        # Off where it is on (a terminal); in Jupyter it is off already and setting it fails
        # without ipywidgets.
        if self.row("SELECT current_setting('enable_progress_bar')")[0]:
            self.con.execute("SET enable_progress_bar = false")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")

    def read_csv(self, path: Path, relation: str, delimiter: str, n_columns: int) -> None:
        """Every cell as text, below the header line; an error if DuckDB cannot read the file as
        one plain table (rows of uneven length, quotes left open, text that is not UTF-8)."""
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n_columns)) + "}"
        self.con.execute(
            f"CREATE OR REPLACE TABLE {relation} AS SELECT * FROM read_csv(?, header = false, skip = 1, "
            f"delim = ?, quote = '\"', escape = '\"', auto_detect = false, strict_mode = true, "
            f"columns = {columns})",
            [str(path), delimiter],
        )

    def read_parquet(self, path: Path, relation: str) -> list[tuple[str, str]]:
        """The file's columns as c0, c1, ... with their own types; returns (name, type) of each."""
        described = self.con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        listed = ", ".join(f"{quote(name)} AS c{i}" for i, (name, *_rest) in enumerate(described))
        self.con.execute(
            f"CREATE OR REPLACE TABLE {relation} AS SELECT {listed} FROM read_parquet(?)", [str(path)]
        )
        return [(str(d[0]), str(d[1])) for d in described]

    def table(self, name: str, query: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {query}")

    def view(self, name: str, query: str) -> None:
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS {query}")

    def drop(self, name: str) -> None:
        kinds = self.con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchall()
        for (kind,) in kinds:
            self.con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {name}")

    def row(self, query: str) -> tuple:
        # Fetched to the end: a result left open makes DuckDB refuse `register` next.
        found = self.con.execute(query).fetchall()
        assert len(found) == 1, "an aggregate query returns one row"
        return tuple(found[0])

    def rows(self, query: str) -> list[tuple]:
        return [tuple(r) for r in self.con.execute(query).fetchall()]

    def frame(self, query: str) -> pd.DataFrame:
        return self.con.execute(query).df()

    def arrow(self, query: str) -> Any:
        """The result as an Arrow table, without pandas (for writing Parquet)."""
        return self.con.sql(query).to_arrow_table()

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self.con.register(f"frame_{name}", frame)
        self.table(name, f"SELECT * FROM frame_{name}")
        self.con.unregister(f"frame_{name}")

    def close(self) -> None:
        self.con.close()


# DuckDB functions sqlglot writes for Spark in a form Spark does not run as DuckDB does.
_STRPTIME = re.compile(r"\bTRY_STRPTIME\(")
_ORD = re.compile(r"\bORD\(")


class SparkEngine:
    """A Spark session: the one already running in this process (a notebook on a Spark platform,
    or a test's), or else a local one (`EVALUATION_SPARK_MASTER`, default local[2]) stopped on
    close.

    Rows keep their file order through a row position taken when the file is read. Tables are
    cached temporary views, so nothing is written to a warehouse folder."""

    rowid = "__rowid"

    def __init__(self, session=None):
        from pyspark.errors import PySparkException
        from pyspark.sql import SparkSession

        self.read_errors = (PySparkException, Exception)
        running = session or SparkSession.getActiveSession()
        self.spark = running or (
            SparkSession.builder.master(os.environ.get("EVALUATION_SPARK_MASTER", "local[2]"))
            .appName("evaluation")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        # Casts that fail give NULL, as in DuckDB; a running session gets its setting back on
        # close. (Dates need no setting: sqlglot writes DuckDB's TIMESTAMP as TIMESTAMP_NTZ.)
        # Results come to pandas and Parquet through Arrow, a column batch at a time, not as rows.
        self._settings = {
            "spark.sql.ansi.enabled": "false",
            "spark.sql.execution.arrow.pyspark.enabled": "true",
        }
        self._before = {key: self.spark.conf.get(key, None) for key in self._settings}
        for key, value in self._settings.items():
            self.spark.conf.set(key, value)
        self._owned = running is None
        self._cached: set[str] = set()

    def _sql(self, query: str):
        import sqlglot

        translated = sqlglot.transpile(query, read="duckdb", write="spark")[0]
        return self.spark.sql(_spark_functions(translated))

    def _with_rowid(self, frame, first: int = 0, flag: str = "false"):
        """The rows numbered from `first` in file order, without a row passing through Python:
        a row's partition and place in it (monotonically_increasing_id) plus the rows of the
        partitions before it; checkpointed, so that the numbers are fixed for later queries.
        Also whether `flag` (an SQL condition) holds in any row, found in the same pass."""
        from pyspark.sql import functions as F

        place = F.monotonically_increasing_id()
        tagged = frame.select(F.spark_partition_id().alias("__p"), place.alias("__m"), "*")
        counted = tagged.groupBy("__p").agg(F.count(F.lit(1)), F.expr(f"coalesce(bool_or({flag}), false)"))
        before, offsets, flagged = first, [], False
        for partition, n, any_flag in sorted(tuple(r) for r in counted.collect()):
            offsets.append(f"WHEN {int(partition)} THEN {before}")
            before += int(n)
            flagged = flagged or bool(any_flag)
        offset = f"CASE __p {' '.join(offsets)} ELSE 0 END" if offsets else "0"
        columns = [f"`{name}`" for name in frame.columns]
        # monotonically_increasing_id puts the partition in the bits above the 33rd.
        place_in = "__m - shiftleft(CAST(__p AS BIGINT), 33)"
        numbered = tagged.selectExpr(f"{offset} + ({place_in}) AS {self.rowid}", *columns)
        return numbered.localCheckpoint(), flagged

    def read_csv(self, path: Path, relation: str, delimiter: str, n_columns: int) -> None:
        from pyspark.sql.types import StringType, StructField, StructType

        schema = StructType([StructField(f"c{i}", StringType(), True) for i in range(n_columns)])
        frame = (
            self.spark.read.option("header", "false")
            .option("sep", delimiter)
            .option("quote", '"')
            .option("escape", '"')
            .option("multiLine", "true")
            .option("mode", "FAILFAST")
            .option("encoding", "UTF-8")
            .schema(schema)
            .csv(str(path))
        )
        # Spark reads bytes that are not UTF-8 as U+FFFD where DuckDB refuses the file: refused
        # here too, so the pandas reader gives its finding (a file that really holds U+FFFD is
        # read there, only slower). The header line is row -1.
        replaced = " OR ".join(f"instr(c{i}, '\ufffd') > 0" for i in range(n_columns))
        indexed, not_utf8 = self._with_rowid(frame, first=-1, flag=replaced)
        if not_utf8:
            raise UnicodeDecodeError("utf-8", b"", 0, 1, f"{path.name} holds bytes that are not UTF-8")
        indexed.filter(f"{self.rowid} >= 0").createOrReplaceTempView(relation)

    def read_parquet(self, path: Path, relation: str) -> list[tuple[str, str]]:
        frame = self.spark.read.parquet(str(path))
        described = [(f.name, f.dataType.simpleString().upper()) for f in frame.schema.fields]
        renamed = frame.toDF(*[f"c{i}" for i in range(len(described))])
        self._with_rowid(renamed)[0].createOrReplaceTempView(relation)
        return [(name, "TIMESTAMP" if kind.startswith("TIMESTAMP") else kind) for name, kind in described]

    def _keep(self, name: str, frame) -> None:
        frame = frame.cache()
        frame.createOrReplaceTempView(name)
        self._cached.add(name)

    def table(self, name: str, query: str) -> None:
        self._keep(name, self._sql(query))

    def view(self, name: str, query: str) -> None:
        self._sql(query).createOrReplaceTempView(name)

    def drop(self, name: str) -> None:
        if name in self._cached:
            self.spark.catalog.uncacheTable(name)
            self._cached.discard(name)
        self.spark.catalog.dropTempView(name)

    def row(self, query: str) -> tuple:
        return tuple(self._sql(query).collect()[0])

    def rows(self, query: str) -> list[tuple]:
        return [tuple(r) for r in self._sql(query).collect()]

    def frame(self, query: str) -> pd.DataFrame:
        return self._sql(query).toPandas()

    def arrow(self, query: str) -> Any:
        """The result as an Arrow table (for writing Parquet); through pandas before Spark 4."""
        import pyarrow as pa

        result = self._sql(query)
        if hasattr(result, "toArrow"):
            return result.toArrow()
        return pa.Table.from_pandas(result.toPandas(), preserve_index=False)

    def register(self, name: str, frame: pd.DataFrame) -> None:
        records = [
            tuple(
                None if _missing(v) else (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v)
                for v in row
            )
            for row in frame.itertuples(index=False)
        ]
        schema = ", ".join(f"`{c}` {_spark_type(frame[c])}" for c in frame.columns)
        self._keep(name, self.spark.createDataFrame(records, schema=schema))

    def close(self) -> None:
        for name in list(self._cached):
            self.drop(name)
        if self._owned:
            self.spark.stop()
            return
        for key, value in self._before.items():
            if value is None:
                self.spark.conf.unset(key)
            else:
                self.spark.conf.set(key, value)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and value != value)


def _spark_type(column: pd.Series) -> str:
    kind = str(column.dtype)
    if kind.startswith("datetime64"):
        return "TIMESTAMP_NTZ"
    if kind.startswith(("int", "Int")):
        return "BIGINT"
    if kind.startswith(("float", "Float")):
        return "DOUBLE"
    return "STRING"


def _spark_functions(query: str) -> str:
    """The DuckDB functions sqlglot leaves as they are, written as Spark's own."""
    query = _STRPTIME.sub("TRY_TO_TIMESTAMP(", query).replace("'%Y-%m-%d'", "'y-M-d'")
    return _ORD.sub("ASCII(", query)


def check_spark() -> None:
    """An OptionError saying what to install when the Spark engine cannot start: pyspark is
    missing, or no Spark session is running and there is no Java to start a local one."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise OptionError(
            "The Spark engine needs pyspark, which is not installed: install it with "
            "pip install 'evaluation[spark]', or use --engine duckdb."
        ) from None
    if SparkSession.getActiveSession() is not None:
        return
    home = os.environ.get("JAVA_HOME")
    if not (home and (Path(home) / "bin" / "java").is_file()) and shutil.which("java") is None:
        raise OptionError(
            "The Spark engine needs Java (17 or later) to start a local Spark session, and none "
            "was found (no java on PATH, no JAVA_HOME): install a Java runtime, or use --engine duckdb."
        )


@contextmanager
def open_engine(kind: str = "duckdb", *, memory_limit: str | None = None) -> Iterator[Any]:
    """An engine for one run of the heavy steps, closed (and its spill folder removed) after."""
    if kind not in ENGINES:
        raise OptionError(f"Unknown engine '{kind}': use one of {', '.join(ENGINES)}.")
    if kind == "spark":
        check_spark()
        engine: Any = SparkEngine()
        try:
            yield engine
        finally:
            engine.close()
        return
    with tempfile.TemporaryDirectory(prefix="evaluation-duckdb-") as spill:
        engine = DuckDBEngine(
            spill, memory_limit or os.environ.get("EVALUATION_DUCKDB_MEMORY", DUCKDB_MEMORY)
        )
        try:
            yield engine
        finally:
            engine.close()
