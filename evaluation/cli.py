"""The `evaluation` command: validate an input folder, generate the synthetic programme, run reports."""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import traceback
import warnings
from datetime import datetime
from pathlib import Path

from threadpoolctl import threadpool_limits

from evaluation import synthetic
from evaluation.contracts import parse_date
from evaluation.errors import ContractError, EvaluationError, RunError
from evaluation.programme import ENGINES, load_programme

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_BUG = 0, 1, 2, 3
BUG_LOG = "run-error.log"  # `run` writes a bug's traceback here, in its --out folder

EXIT_CODES = f"""exit codes:
  0  done
  1  one or more reports failed (each is named; the others were written), or the --out
     folder holds reports of other inputs
  2  the input cannot be used (a data-contract finding, a missing folder, an unknown activity),
     an option is not allowed, or the data cannot support the analysis; the message says what
     to change
  3  internal error (a bug): the message names the file holding the traceback ({BUG_LOG} in
     the --out folder for `run`, otherwise a file in the temporary folder); please report it"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evaluation",
        description=__doc__,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser(
        "init", help="write a blank, documented input folder (headers, programme.json, README.md)"
    )
    init.add_argument("folder", type=Path, help="a new or empty folder (nothing is overwritten)")

    validate = commands.add_parser("validate", help="check an input folder against the data contracts")
    validate.add_argument("path", type=Path)
    _engine_option(validate)

    generate = commands.add_parser("synthetic", help="write a built-in synthetic programme to a folder")
    generate.add_argument("out", type=Path)
    generate.add_argument("--seed", type=int, default=2025)
    generate.add_argument("--scale", type=float, default=1.0, help="multiply every activity's size")
    _programme_option(generate)

    run = commands.add_parser(
        "run",
        help="render process and impact reports for every activity",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("path", type=Path, nargs="?", help="input folder (default: a fresh synthetic programme)")
    _programme_option(run, "without an input folder: ")
    run.add_argument("--out", type=Path, default=Path("reports"))
    run.add_argument(
        "--as-of",
        dest="as_of",
        type=_as_of_date,
        help="interim update: use only what was known on this date (YYYY-MM-DD or DD/MM/YYYY, day first)",
    )
    run.add_argument("--activity", action="append", help="rerun only this activity (repeatable)")
    run.add_argument("--seed", type=int, default=2025)
    run.add_argument("--workers", type=int, default=2)
    _engine_option(run)
    run.add_argument(
        "--replace-previous",
        action="store_true",
        help="the output folder holds reports of other inputs: move them aside into previous-<time>/",
    )
    check = commands.add_parser(
        "check-design",
        help="plasmode simulation on the real comparison pool: can the method be trusted on these data?",
    )
    check.add_argument("path", type=Path)
    check.add_argument("--activity", required=True, help="the activity whose design to check")
    check.add_argument(
        "--draws", type=int, default=100, help="simulated programmes (Monte Carlo error falls as 1/sqrt)"
    )
    check.add_argument(
        "--effect",
        type=float,
        default=0.05,
        help="injected effect (chance a month out of work becomes one in work)",
    )
    check.add_argument("--seed", type=int, default=2025)
    check.add_argument(
        "--no-checks", dest="checks", action="store_false", help="skip the falsification checks (3x faster)"
    )
    check.add_argument(
        "--out", type=Path, help="folder for design_check_<activity>.csv (the table) and _draws.csv"
    )
    compare = commands.add_parser(
        "compare",
        help="one accessible HTML report across several programmes' result folders",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument(
        "folders",
        type=Path,
        nargs="+",
        metavar="FOLDER",
        help="the --out folder of each `evaluation run` (two or more)",
    )
    compare.add_argument(
        "--out", type=Path, required=True, help=f"folder for the report ({COMPARE_FILE}; created if needed)"
    )
    return parser


COMPARE_FILE = "compare.html"


def _as_of_date(text: str) -> str:
    """An --as-of date read as everywhere else (YYYY-MM-DD or DD/MM/YYYY, day first), as YYYY-MM-DD."""
    try:
        return parse_date(text).date().isoformat()
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _one_blas_thread() -> None:
    """Small regressions run fastest on one BLAS thread; more threads per process oversubscribe
    a machine that runs several notebooks at once (measured: one matched estimate 2 s -> 25 s).
    This process is limited through threadpoolctl; report kernels set their own
    (`evaluation.kernels.ReportKernelManager.start_kernel`)."""
    threadpool_limits(1)


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code (see EXIT_CODES). A problem the toolkit reports
    on purpose is an EvaluationError and gets a plain message; anything else is a bug, whose
    traceback goes to a log file. KeyboardInterrupt and SystemExit are never caught."""
    args = _parser().parse_args(argv)
    _one_blas_thread()
    handler = {
        "init": _init,
        "validate": _validate,
        "synthetic": _synthetic,
        "run": _run,
        "check-design": _check_design,
        "compare": _compare,
    }[args.command]
    try:
        with plain_warnings():
            return handler(args)
    except ContractError as error:
        print(_findings_report(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    except RunError as error:
        print(f"evaluation: {error}", file=sys.stderr)
        return EXIT_FAILED
    except EvaluationError as error:  # InputError, OptionError, DesignError
        print(f"evaluation: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:  # noqa: BLE001 - anything else is a bug: say so and keep the traceback
        log = _write_bug_log(args, sys.argv[1:] if argv is None else argv)
        print(
            f"evaluation: internal error (a bug): {_one_line(error)}; the traceback is in {log}",
            file=sys.stderr,
        )
        return EXIT_BUG


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _bug_log_path(args) -> Path:
    """Where a bug's traceback goes: `run`'s --out folder (run-error.log), else a new file in the
    temporary folder. Never inside the input folder, which may be read-only or shared."""
    out = getattr(args, "out", None) if args.command == "run" else None
    inputs = [Path(p).resolve() for p in (getattr(args, "path", None), getattr(args, "folder", None)) if p]
    if out is not None:
        target = (Path(out) / BUG_LOG).resolve()
        if not any(target.is_relative_to(folder) for folder in inputs):
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.touch()
                return target
            except OSError:
                pass
    handle, name = tempfile.mkstemp(prefix="evaluation-error-", suffix=".log")
    os.close(handle)
    return Path(name)


def _write_bug_log(args, argv: list[str]) -> Path | str:
    """Write the traceback of the exception being handled, with the command and versions, to a
    log file; returns its path, or says the traceback was printed if no file could be written."""
    text = traceback.format_exc()
    try:
        from importlib.metadata import version

        package = version("evaluation")
    except Exception:  # noqa: BLE001 - the log must be written whatever the install
        package = "unknown"
    header = [
        f"evaluation {' '.join(str(a) for a in argv)}",
        f"at {datetime.now().isoformat(timespec='seconds')}, evaluation {package}, "
        f"Python {sys.version.split()[0]} on {sys.platform}",
        "",
    ]
    try:
        path = _bug_log_path(args)
        path.write_text("\n".join(header) + text, encoding="utf-8")
        return path
    except OSError:
        print(text, file=sys.stderr)
        return "the lines above (no log file could be written)"


@contextlib.contextmanager
def plain_warnings():
    """While a command runs, a warning prints as one plain line on stderr, 'warning: ...' (as
    `validate` prints them), not in Python's form with a file, line number and source line. A
    warning other than a UserWarning (the toolkit's own) keeps its category: 'warning (FutureWarning): ...'."""

    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        kind = "" if issubclass(category, UserWarning) else f" ({category.__name__})"
        print(f"warning{kind}: {text}", file=file if file is not None else sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def _findings_report(error: ContractError) -> str:
    """Every finding, grouped by table. Tables come in the order of their first finding, which
    comes cause first (a missing file or column before the rows of other tables it breaks)."""
    lines = [f"The input does not meet the data contracts: {len(error.findings)} finding(s).", ""]
    for table in dict.fromkeys(f.table for f in error.findings):
        lines.append(f"Table {table}:")
        lines += [f"  - {f.describe()}" for f in error.findings if f.table == table]
        lines.append("")
    lines.append("Rows are numbered from 1 at the first data row (in a CSV file, line = row + 1).")
    return "\n".join(lines)


def _validate(args) -> int:
    warn_if_in_git_repository(args.path)
    # Warnings are printed whether the input passes or not, before any findings: a warning
    # (a header moved, a column read under another name) is often the cause of a finding.
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            programme = load_programme(args.path, engine=args.engine)
    except ContractError as error:
        for warning in caught:
            print(f"warning: {warning.message}", file=sys.stderr)
        print(_findings_report(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception:
        for warning in caught:
            print(f"warning: {warning.message}", file=sys.stderr)
        raise
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    counts = ", ".join(
        f"{name} {len(frame):,} rows" if programme.has(name) else f"{name} not supplied (optional)"
        for name, frame in programme.tables.items()
    )
    print(f"{args.path}: all data-contract rules pass ({counts}).")
    return EXIT_OK


def _init(args) -> int:
    from evaluation.scaffold import README_FILE, write_blank_folder

    written = write_blank_folder(args.folder)
    warn_if_in_git_repository(args.folder)
    print(f"Wrote a blank input folder to {args.folder} ({len(written)} files):")
    for path in written:
        print(f"  {path.name}")
    print(
        f"Read {args.folder / README_FILE} for what each table and column holds, fill in the tables, "
        f"then check them with: evaluation validate {args.folder}"
    )
    return EXIT_OK


def _engine_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help="what reads and checks the input: duckdb (default), spark (needs pyspark and Java) "
        "or pandas (docs/engines.md)",
    )


def _programme_option(parser: argparse.ArgumentParser, when: str = "") -> None:
    parser.add_argument(
        "--programme",
        choices=list(synthetic.SHAPES),
        default="ne-ca",
        help=f"{when}which built-in programme: North East CA (13 activities, 7 areas), South Yorkshire's "
        "Rotherham plan (4 components, one area) or Manchester's one-year service",
    )


def _synthetic(args) -> int:
    folder = synthetic.write(args.out, args.seed, scale=args.scale, programme=args.programme)
    name = synthetic.shape_of(args.programme).name
    print(f"Wrote {name} (seed {args.seed}) to {folder}")
    return EXIT_OK


def _check_design(args) -> int:
    from evaluation.design_check import check_design
    from evaluation.report.checks import design_check_sentences

    warn_if_in_git_repository(args.path)
    programme = load_programme(args.path)
    programme.plan(args.activity)
    found = check_design(
        programme, args.activity, draws=args.draws, effect=args.effect, seed=args.seed, checks=args.checks
    )
    print(found.summary())
    print()
    for sentence in design_check_sentences(found):
        print(sentence)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in args.activity)
        found.table.to_csv(args.out / f"design_check_{safe}.csv", index=False)
        found.replications.to_csv(args.out / f"design_check_{safe}_draws.csv", index=False)
        print(f"Wrote {args.out / f'design_check_{safe}.csv'}")
    return EXIT_OK


def _compare(args) -> int:
    """Read each run's results, refuse folders of different results schemas (exit 2, naming each
    folder and version), and write the report across programmes to --out/compare.html."""
    from evaluation.compare import load_runs
    from evaluation.report.compare import compare_page

    runs = load_runs(args.folders)
    text = compare_page(runs)
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / COMPARE_FILE
    target.write_text(text, encoding="utf-8")
    print(f"Compared {len(runs)} programmes ({', '.join(run.name for run in runs)}): open {target}")
    return EXIT_OK


def _run(args) -> int:
    from evaluation.runner import run  # papermill import is slow; only the run command needs it

    with contextlib.ExitStack() as cleanup:
        if args.path is None:  # a synthetic input for this run only, removed when it ends
            folder = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="evaluation-synthetic-")))
            args.path = synthetic.write(folder, args.seed, programme=args.programme)
            print(
                f"No input folder given: generated {synthetic.shape_of(args.programme).name} for this run "
                "(`evaluation synthetic OUT` keeps one)"
            )
        else:
            warn_if_in_git_repository(args.path)
        summary = run(
            args.path,
            args.out,
            as_of=args.as_of,
            seed=args.seed,
            activities=args.activity,
            workers=args.workers,
            replace_previous=args.replace_previous,
            engine=args.engine,
        )
    print(summary.text())
    print(f"Open {summary.out_dir / 'index.html'}")
    return EXIT_OK if summary.ok else EXIT_FAILED


def warn_if_in_git_repository(path: Path) -> bool:
    """Warn when personal data sits inside a git working tree, where it could be committed."""
    try:
        inside = (
            subprocess.run(
                ["git", "-C", str(Path(path).resolve()), "rev-parse", "--is-inside-work-tree"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
            == "true"
        )
    except (OSError, subprocess.SubprocessError):
        return False
    if inside:
        print(
            f"warning: {path} is inside a git repository. Keep personal data outside version control "
            "(see docs/data_handling.md).",
            file=sys.stderr,
        )
    return inside


if __name__ == "__main__":
    sys.exit(main())
