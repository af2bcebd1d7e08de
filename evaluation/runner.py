"""Run the report notebooks with papermill, once per activity, and publish them atomically.

Each report is executed and rendered in a staging folder and moved into place only when both
the executed notebook and its HTML exist, so a failed run never overwrites the last good report.
A failing activity never stops the others; its failed notebook is kept under `_failed/`.

Nothing is written outside the output folder: every name from the input that becomes a path (the
programme's slug, activity ids) must be a plain file name, or the run is refused. The staging
folder is removed when the run ends, however it ends (an error, Ctrl-C, SIGTERM); one left by a run
that was killed outright is removed by the next run. Published notebooks carry no absolute path
of the machine that ran them: paths are given relative to the output folder, or as file names.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import html
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd
import papermill
from tqdm import tqdm

from evaluation.errors import InputError, OptionError, RunError, RunFailure
from evaluation.footprint import estimate as estimate_footprint
from evaluation.kernels import KernelWorkers, ReportKernelManager, WarmKernel
from evaluation.programme import Programme, load_programme
from evaluation.report.render import page, render_notebook
from evaluation.resources import TEMPLATES, package_folder
from evaluation.run_parameters import RunParameters
from evaluation.run_results import RESULTS_FILE, write_results
from evaluation.snapshot import (
    cut_snapshot,
    is_snapshot,
    read_snapshot,
    snapshot_source,
    validate_into_snapshot,
    write_snapshot,
)

NOTEBOOK_DIR = package_folder(TEMPLATES)  # the templates shipped with the package
ACTIVITY_NOTEBOOKS = {"process": "process_evaluation.ipynb", "impact": "impact_evaluation.ipynb"}
SUMMARY_NOTEBOOK = "programme_summary.ipynb"
KERNEL = "python3"
STAGING_PREFIX = ".staging-"
KERNEL_START_TIMEOUT = 300
"""Seconds a report's kernel may take to start. papermill's 60 s failed a report when the
machine was busy (a CI run beside other test suites on two cores: "Kernel didn't respond in 60
seconds"); a kernel that never starts still fails the report, later."""
SNAPSHOT_FOLDER = "snapshot"  # in the staging folder: the validated input every notebook reads
# A name that becomes a file or folder: letters, digits, '.', '-' or '_', starting with a letter or
# digit; no separator, no '..', no name Windows reserves for a device.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
RESERVED_NAMES = {"con", "prn", "aux", "nul", *(f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10))}
WHERE_TO_FIX = {
    "slug": 'Set "slug" in programme.json to a short name such as ne_ca_trailblazer',
    "activity id": "Use the activity ids of the delivery plan (lower case, digits, underscores)",
}


def safe_name(value: object, what: str) -> str:
    """`value` as a file or folder name that stays where it is put: surrounding spaces dropped and
    inner spaces made '-'; an InputError (a ValueError) naming `what` if it still could not be made safe."""
    text = re.sub(r"\s+", "-", str(value if value is not None else "").strip())
    if SAFE_NAME.fullmatch(text) and ".." not in text and text.split(".")[0].lower() not in RESERVED_NAMES:
        return text
    shown = repr(str(value))[:60]
    raise InputError(
        f"The {what} {shown} cannot be used as a file or folder name: it must be 1 to 100 letters, "
        "digits, '.', '-' or '_', start with a letter or digit, and contain no '/', '\\' or '..'. "
        f"{WHERE_TO_FIX.get(what, '')}."
    )


@dataclass(frozen=True)
class Job:
    """One notebook to execute: which template, for which activity, with which parameters."""

    kind: str
    activity_id: str | None
    template: Path
    parameters: dict

    @property
    def stem(self) -> str:
        if self.activity_id is None:
            return safe_name(self.kind, "report kind")
        return f"{safe_name(self.activity_id, 'activity id')}_{safe_name(self.kind, 'report kind')}"


@dataclass
class RunSummary:
    """What a run produced and what failed."""

    out_dir: Path
    written: list[Path] = field(default_factory=list)
    failures: list[RunFailure] = field(default_factory=list)
    seconds: float = 0.0
    reports: list[str] = field(default_factory=list)
    """The kind of each report published (process, impact, summary); each is two files."""

    @property
    def ok(self) -> bool:
        return not self.failures

    def text(self) -> str:
        """'3 reports written to ... in 95 s: 1 process, 1 impact, 1 summary.', then any failures."""
        count = len(self.reports)
        kinds = [*ACTIVITY_NOTEBOOKS, "summary"]
        kinds += sorted(set(self.reports) - set(kinds))
        by_kind = ", ".join(f"{self.reports.count(k)} {k}" for k in kinds if k in self.reports)
        lines = [
            f"{count} report{'' if count == 1 else 's'} written to {self.out_dir} in {self.seconds:.0f} s"
            + (f": {by_kind}." if by_kind else ".")
        ]
        lines += [f"FAILED {f.activity_id} ({f.notebook}): {f.message}" for f in self.failures]
        return "\n".join(lines)


def notebook_parameters(template: Path) -> dict:
    """The names and defaults in a template's single `parameters` cell."""
    return papermill.inspect_notebook(str(template))


def activity_jobs(
    programme: Programme, *, kinds: Sequence[str], activities: Sequence[str] | None, common: dict
) -> list[Job]:
    chosen = activities or programme.activity_ids
    jobs = []
    for activity_id in chosen:
        programme.plan(activity_id)  # raises UnknownActivityError, a plain message, for an unknown activity
        for kind in kinds:
            template = NOTEBOOK_DIR / ACTIVITY_NOTEBOOKS[kind]
            jobs.append(Job(kind, activity_id, template, {**common, "activity_id": activity_id}))
    return jobs


def longest_first(jobs: list[Job], programme: Programme) -> list[Job]:
    """Jobs in the order that finishes soonest on few workers: impact reports first, those of
    activities with more participants (longer estimates) before the rest, so the short reports
    fill in at the end rather than one long estimate starting last."""

    def expected_work(job: Job) -> tuple[int, int]:
        if job.kind != "impact" or job.activity_id is None:
            return (0, 0)
        return (1, len(programme.participants_of(job.activity_id)))

    return sorted(jobs, key=expected_work, reverse=True)


def execute(
    job: Job, staging: Path, failed_dir: Path, title: str, *, kernel: WarmKernel | None = None
) -> tuple[list[Path] | None, RunFailure | None]:
    """Execute and render one job in `staging`; on failure keep the notebook in `failed_dir`.
    The executed notebook is rewritten without the machine's absolute paths before either.
    With a warm `kernel` the notebook runs there and the kernel is reset after (or discarded
    if the notebook failed); without, in a kernel of its own."""
    executed = staging / f"{job.stem}.ipynb"
    destination = failed_dir.parent
    try:
        try:
            where: dict = (
                {"kernel_manager_class": ReportKernelManager} if kernel is None else {"km": kernel.manager()}
            )
            papermill.execute_notebook(
                str(job.template),
                str(executed),
                parameters=job.parameters,
                kernel_name=KERNEL,
                progress_bar=False,
                request_save_on_cell_execute=False,
                start_timeout=KERNEL_START_TIMEOUT,
                **where,
            )
        except BaseException:
            if kernel is not None:
                kernel.discard()
            raise
        else:
            if kernel is not None:
                kernel.reset()
        finally:
            if executed.exists():
                without_machine_paths(executed, job, staging=staging, destination=destination)
        rendered = render_notebook(
            executed,
            staging / f"{job.stem}.html",
            title=title,
            banner=job.parameters.get("programme_name", ""),
        )
        return [executed, rendered], None
    except Exception as error:  # noqa: BLE001 - one failed report must not stop the others
        kept = None
        if executed.exists():
            failed_dir.mkdir(parents=True, exist_ok=True)
            kept = failed_dir / executed.name
            shutil.copy2(executed, kept)
        message = _first_line(error)
        return None, RunFailure(
            job.activity_id or "-", job.template.name, message, str(kept) if kept else None
        )


def path_replacements(job: Job, *, staging: Path, destination: Path) -> dict[str, str]:
    """Absolute paths of this machine, each with what a published notebook says instead: the
    output folder (and staging) become '.', the input folder its path relative to the output
    folder, the template its file name; the toolkit, Python and home folders a placeholder."""
    found: dict[str, str] = {}

    def add(path: Path | str | None, replacement: str) -> None:
        if not path:
            return
        for form in {str(path), str(Path(path).resolve())}:
            if os.path.isabs(form) and form not in (os.sep, "") and form not in found:
                found[form] = replacement

    add(staging, ".")
    add(destination, ".")
    programme_path = job.parameters.get("programme_path")
    if programme_path:  # a run's snapshot stands for the input folder it was validated from
        source = snapshot_source(programme_path) or programme_path
        add(programme_path, relative_to(Path(source), destination))
    add(job.template, job.template.name)
    add(NOTEBOOK_DIR, "notebooks")
    add(sys.prefix, "<python>")
    add(sys.base_prefix, "<python>")
    add(Path(__file__).resolve().parents[1], "<toolkit>")  # the folder holding the package
    add(Path.home(), "~")
    add(Path.cwd(), "<working folder>")
    return found


def relative_to(path: Path, folder: Path) -> str:
    """`path` written relative to `folder` (with '..' as needed), or its name if it cannot be."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path(folder).resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return Path(path).name


def without_machine_paths(notebook_path: Path, job: Job, *, staging: Path, destination: Path) -> None:
    """Rewrite an executed notebook so it carries no absolute path of this machine: in the
    parameters cell, papermill's metadata (input_path, output_path, parameters, cwd) and outputs."""
    notebook = nbformat.read(notebook_path, as_version=4)
    replacements = path_replacements(job, staging=staging, destination=destination)
    alternatives = "|".join(re.escape(p) for p in sorted(replacements, key=len, reverse=True))
    pattern = re.compile(rf"(?:{alternatives})(?![\w.-])")  # whole folder names only

    def clean(value):
        if isinstance(value, str):
            return pattern.sub(lambda m: replacements[m.group(0)], value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    cleaned = nbformat.from_dict(clean(dict(notebook)))
    meta = cleaned.metadata.get("papermill")
    if meta is not None:
        meta["input_path"] = job.template.name
        meta["output_path"] = notebook_path.name
        if "cwd" in meta:
            meta["cwd"] = "."
    nbformat.write(cleaned, notebook_path)


def _first_line(error: Exception) -> str:
    """A one-line reason: the notebook's exception name and value, or the error and its file."""
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    name = getattr(error, "ename", type(error).__name__)
    value = getattr(error, "evalue", lines[-1] if lines else "")
    filename = getattr(error, "filename", None)
    where = f" ({filename})" if filename else ""
    return f"{name}: {value}{where}"[:500]


def publish(files: list[Path], destination: Path) -> list[Path]:
    """Move finished files into place; each replace is atomic on one file system."""
    destination.mkdir(parents=True, exist_ok=True)
    placed = []
    for path in files:
        target = destination / path.name
        os.replace(path, target)
        placed.append(target)
    return placed


def report_title(programme: Programme, job: Job) -> str:
    if job.activity_id is None:
        return f"Programme summary: {programme.name}"
    name = programme.plan(job.activity_id)["activity_name"]
    return f"{job.kind.capitalize()} evaluation: {name}"


def run(
    programme_path: str | Path,
    out_dir: str | Path = "reports",
    *,
    as_of: str | pd.Timestamp | None = None,
    seed: int = 2025,
    activities: Sequence[str] | None = None,
    kinds: Sequence[str] = ("process", "impact"),
    summary: bool = True,
    workers: int = 2,
    progress: bool = True,
    replace_previous: bool = False,
    engine: str = "duckdb",
) -> RunSummary:
    """Validate the input, then render every report; returns a summary (never raises on a report failure).

    `as_of` (YYYY-MM-DD or DD/MM/YYYY, day first) makes an interim update: the data are cut at that
    date, and the folder name and every report's label take their date from the cut programme.
    `engine` reads and checks the input (`evaluation.programme.ENGINES`).
    """
    started = time.perf_counter()
    interim = as_of is not None and str(as_of) != ""
    if progress is not False and Path(programme_path).is_dir() and not is_snapshot(programme_path):
        print(estimate_footprint(programme_path, workers=workers).sentence(), file=sys.stderr, flush=True)
    validated = Path(tempfile.mkdtemp(prefix="evaluation-snapshot-"))
    try:
        return _run_validated(
            programme_path,
            out_dir,
            validated,
            started=started,
            as_of=as_of if interim else None,
            engine=engine,
            seed=seed,
            activities=activities,
            kinds=kinds,
            summary=summary,
            workers=workers,
            progress=progress,
            replace_previous=replace_previous,
        )
    finally:
        shutil.rmtree(validated, ignore_errors=True)


def validated_programme(
    programme_path: str | Path,
    folder: Path,
    *,
    as_of: str | pd.Timestamp | None,
    engine: str,
    progress: bool = False,
) -> Programme:
    """Validate the input once and write its snapshot into `folder`. From an input folder, the
    engine writes the snapshot without the outcome table ever whole in memory, and an interim
    update then cuts the snapshot a batch at a time; the pandas engine or a snapshot given as
    input go through `load_programme`."""
    if engine != "pandas" and not is_snapshot(programme_path):
        whole = validate_into_snapshot(programme_path, folder, engine=engine, progress=progress)
        return whole if as_of is None else cut_snapshot(folder, as_of)
    programme = load_programme(programme_path, as_of=as_of, engine=engine)
    write_snapshot(programme, folder)
    return programme


def _run_validated(
    programme_path,
    out_dir,
    validated: Path,
    *,
    started: float,
    as_of,
    engine,
    seed,
    activities,
    kinds,
    summary,
    workers,
    progress,
    replace_previous,
) -> RunSummary:
    interim = as_of is not None
    programme = validated_programme(
        programme_path, validated, as_of=as_of, engine=engine, progress=progress is not False
    )
    destination = report_folder(Path(out_dir), programme, interim)
    check_same_inputs(destination, programme, replace_previous=replace_previous)
    result = RunSummary(out_dir=destination)
    common = run_parameters(programme, programme_path, destination, interim=interim, seed=seed)
    kinds = [k for k in kinds if (NOTEBOOK_DIR / ACTIVITY_NOTEBOOKS[k]).exists()]
    jobs = longest_first(
        activity_jobs(programme, kinds=kinds, activities=activities, common=common), programme
    )
    for job in jobs:
        job.stem  # noqa: B018 - refuses an activity id that cannot be a file name, before any work
    destination.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(destination)
    with _sigterm_stops_the_run(), staging_folder(destination) as staging:
        # Validated once, above: every notebook reads this snapshot instead of the input folder.
        snapshot = Path(shutil.move(str(validated), staging / SNAPSHOT_FOLDER))
        programme = held_lightly(snapshot)
        for job in jobs:
            job.parameters["programme_path"] = str(snapshot)
        pool = KernelWorkers(min(max(1, workers), len(jobs) or 1), _report_kernel)
        try:
            _run_jobs(jobs, programme, staging, destination, result, pool, progress)
            summary_template = NOTEBOOK_DIR / SUMMARY_NOTEBOOK
            last = []
            if summary and summary_template.exists():
                last.append(
                    Job("summary", None, summary_template, {**common, "programme_path": str(snapshot)})
                )

            def results_file() -> None:  # from the impact records, while the summary is written
                try:
                    write_results(programme, destination, seed=seed, interim=interim)
                except Exception as error:  # noqa: BLE001 - a bug here must not lose the reports written
                    result.failures.append(RunFailure("-", RESULTS_FILE, _first_line(error)))

            _run_jobs(last, programme, staging, destination, result, pool, False, meanwhile=results_file)
        except BaseException:
            # Interrupted: start nothing more, and do not wait for running notebooks before the
            # staging folder is removed (they fail to save once it is gone, and publish nothing).
            pool.close(wait=False)
            raise
        pool.close()
    write_index(programme, destination)
    write_run_record(programme, destination, result, common)
    result.seconds = time.perf_counter() - started
    return result


def held_lightly(snapshot: Path) -> Programme:
    """The programme as the run holds it while its reports are written: read back from the
    snapshot without the outcome table (the reports read what they need of it themselves), and
    the memory the full tables took handed back to the system, so that a national outcome table
    is not held by the runner beside the reports' kernels."""
    programme = read_snapshot(snapshot)
    for name in programme.tables:
        if name != "outcomes_monthly":
            programme.tables[name]  # read now: the snapshot goes with the staging folder
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # glibc only: return freed heap pages
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return programme


@contextlib.contextmanager
def staging_folder(destination: Path):
    """A fresh staging folder in `destination`, named with this process's id, removed on exit
    however the run ends (an error, KeyboardInterrupt, or SIGTERM turned into SystemExit)."""
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=destination))
    try:
        yield staging
    finally:
        for _ in range(20):  # a notebook still stopping may write one last file meanwhile
            shutil.rmtree(staging, ignore_errors=True)
            if not staging.exists():
                break
            time.sleep(0.1)


def remove_stale_staging(destination: Path) -> list[Path]:
    """Remove staging folders left by runs that were killed outright: those of a process that no
    longer runs, or of an older version that did not name its process. Another live run's
    staging folder is left alone (and nothing in a staging folder is ever published)."""
    removed = []
    for folder in destination.glob(f"{STAGING_PREFIX}*"):
        match = re.match(rf"{re.escape(STAGING_PREFIX)}(\d+)-", folder.name)
        if not folder.is_dir() or (match and _process_alive(int(match.group(1)))):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True
    return True


@contextlib.contextmanager
def _sigterm_stops_the_run():
    """While a run is under way in the main thread, SIGTERM stops it as SystemExit (exit status
    143), so the staging folder is removed as after Ctrl-C; the previous handler is restored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_parameters(
    programme: Programme, programme_path: str | Path, destination: Path, *, interim: bool, seed: int
) -> dict:
    """The notebooks' parameters. An interim update passes the cut programme's own date, in ISO
    form, so each notebook cuts the data at the very date the folder and labels name."""
    run = RunParameters(
        snapshot=str(Path(programme_path).resolve()),
        as_of=programme.as_of.normalize() if interim else None,
        seed=seed,
        output_dir=str(destination.resolve()),
    )
    return run.as_notebook() | {"programme_name": programme.name}


def report_folder(out_dir: Path, programme: Programme, interim: bool) -> Path:
    """reports/<programme>/ for a full update; reports/<programme>-as-of-<date>/ for an interim one,
    named by the date the programme was cut at."""
    suffix = f"-as-of-{programme.as_of.date().isoformat()}" if interim else ""
    folder = out_dir / f"{safe_name(programme.slug, 'slug')}{suffix}"
    if not folder.resolve().is_relative_to(out_dir.resolve()):  # a link pointing elsewhere
        raise OptionError(
            f"The report folder {folder} leads outside {out_dir}: remove the link or choose --out."
        )
    return folder


def check_same_inputs(destination: Path, programme: Programme, *, replace_previous: bool) -> None:
    """Refuse to mix reports from different inputs in one folder; with `replace_previous`, move the
    earlier reports aside into `previous-<time>/` (never deleted)."""
    record_path = destination / "run.json"
    if not record_path.exists():
        return
    previous = json.loads(record_path.read_text(encoding="utf-8")).get("input_hashes", {})
    if previous == dict(programme.input_hashes):
        return
    changed = sorted(
        k
        for k in set(previous) | set(programme.input_hashes)
        if previous.get(k) != programme.input_hashes.get(k)
    )
    if not replace_previous:
        raise RunError(
            [
                RunFailure(
                    "-",
                    "-",
                    (
                        f"{destination} holds reports made from different inputs (changed: {', '.join(changed)}). "
                        "Choose another --out folder, or pass --replace-previous to move the earlier reports aside."
                    ),
                )
            ]
        )
    stamp = pd.Timestamp.now().strftime("%Y%m%d-%H%M%S")
    archive = destination / f"previous-{stamp}"
    archive.mkdir()
    for path in destination.iterdir():
        if path.is_file():
            os.replace(path, archive / path.name)


def _report_kernel() -> WarmKernel:
    return WarmKernel(ReportKernelManager, kernel_name=KERNEL, start_timeout=KERNEL_START_TIMEOUT)


def _run_jobs(
    jobs, programme, staging, destination, result, pool: KernelWorkers, progress, *, meanwhile=None
) -> None:
    """Execute `jobs` on the pool and publish each report as it is done; `meanwhile` (if given)
    is called in this thread once they are submitted, while the kernels work."""
    failed_dir = destination / "_failed"
    bar = tqdm(total=len(jobs), desc="Reports", unit="report", disable=progress is False)
    try:
        futures = {
            pool.submit(_execute, job, staging, failed_dir, report_title(programme, job)): job for job in jobs
        }
        if meanwhile is not None:
            meanwhile()
        for future in _as_done(futures, bar, pool):
            files, failure = future.result()
            if failure is not None:
                result.failures.append(failure)
            elif files is not None:
                result.written += publish(files, destination)
                result.reports.append(futures[future].kind)
                (failed_dir / f"{futures[future].stem}.ipynb").unlink(missing_ok=True)
            bar.update(1)
    finally:
        bar.close()


def _as_done(futures, bar, pool: KernelWorkers, every: float = 0.5):
    """The futures as they finish; meanwhile the bar shows what each kernel is doing, as its
    report says (`evaluation.progress`): at national scale one impact report works for minutes."""
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=every, return_when=FIRST_COMPLETED)
        if not bar.disable:
            bar.set_postfix_str(" | ".join(pool.steps()), refresh=True)
        yield from done


def _execute(job, staging, failed_dir, title, *, kernel):
    """`execute`, looked up when called (tests replace it)."""
    return execute(job, staging, failed_dir, title, kernel=kernel)


def write_index(programme: Programme, destination: Path) -> Path:
    """An index page linking every report that exists in the folder."""
    plan = programme.delivery_plan
    rows = []
    for _, activity in plan.iterrows():
        links = []
        for kind in ACTIVITY_NOTEBOOKS:
            name = f"{activity['activity_id']}_{kind}.html"
            if (destination / name).exists():
                links.append(
                    f'<a href="{name}">{kind.capitalize()} report<span class="visually-hidden"> for '
                    f"{html.escape(activity['activity_name'])}</span></a>"
                )
        rows.append(
            f"<tr><td>{html.escape(activity['activity_name'])}</td><td>{html.escape(activity['priority'])}</td>"
            f"<td>{html.escape(str(activity['impact_design']).replace('_', ' '))}</td>"
            f"<td>{' · '.join(links) or 'not yet produced'}</td></tr>"
        )
    summary_link = ""
    if (destination / "summary.html").exists():
        summary_link = '<p><a href="summary.html">Programme summary: every activity side by side</a></p>'
    body = (
        f"<h1>{html.escape(programme.name)}</h1>"
        f"<p>Evaluation reports with data as of {programme.as_of.date():%d %B %Y}.</p>{summary_link}"
        "<table><caption>Table 1: Reports by activity</caption><thead><tr><th scope='col'>Activity</th>"
        "<th scope='col'>Priority</th><th scope='col'>Impact design</th><th scope='col'>Reports</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    css_extra = "<style>.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);}</style>"
    index = destination / "index.html"
    index.write_text(
        page(
            title=f"Reports: {programme.name}",
            body=css_extra + body,
            banner="Evaluation reports",
            footer="Aggregates only.",
        ),
        encoding="utf-8",
    )
    return index


def write_run_record(programme: Programme, destination: Path, result: RunSummary, parameters: dict) -> Path:
    """A JSON record of the inputs (hashes), parameters and outcome of the run."""
    record = {
        "programme": programme.name,
        "input_hashes": dict(programme.input_hashes),
        "parameters": {
            **{k: v for k, v in parameters.items() if k != "output_dir"},
            "programme_path": relative_to(Path(parameters["programme_path"]), destination),
        },
        "written": sorted(p.name for p in result.written),
        "failures": [f.__dict__ for f in result.failures],
        "finished": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
    }
    path = destination / "run.json"
    path.write_text(json.dumps(record, indent=2), encoding="utf-8")
    return path
