"""Errors with a root: every problem the toolkit reports on purpose is an `EvaluationError`, and the
command maps each family to a documented exit code; anything else is a bug (exit 3, traceback logged)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest

from evaluation import cli, synthetic
from evaluation.cli import BUG_LOG, EXIT_BAD_INPUT, EXIT_BUG, EXIT_FAILED, main
from evaluation.contracts import parse_date
from evaluation.disclosure import DisclosurePolicy
from evaluation.errors import (
    ContractError,
    DesignError,
    EvaluationError,
    Finding,
    InputError,
    InputFolderNotFoundError,
    OptionError,
    RunError,
    RunFailure,
    UnknownActivityError,
    UnknownNameError,
)
from evaluation.matching import match
from evaluation.options import check_option, require_columns
from evaluation.programme import cut_at, load_programme
from evaluation.scaffold import FolderNotEmptyError

FAMILIES = [InputError, OptionError, DesignError, RunError]
# Every error class and the builtin it replaced, which code that caught it before still catches.
EVERY_ERROR = {
    InputError: ValueError,
    ContractError: ValueError,
    InputFolderNotFoundError: FileNotFoundError,
    UnknownActivityError: KeyError,
    OptionError: ValueError,
    UnknownNameError: KeyError,
    FolderNotEmptyError: ValueError,
    DesignError: ValueError,
    RunError: RuntimeError,
}


# --- the hierarchy ----------------------------------------------------------------------------


@pytest.mark.parametrize(("error", "builtin"), EVERY_ERROR.items(), ids=lambda e: e.__name__)
def test_every_error_is_an_evaluation_error_of_one_family_and_still_the_builtin_it_replaced(error, builtin):
    assert issubclass(error, EvaluationError)
    assert sum(issubclass(error, family) for family in FAMILIES) == 1, "one family each"
    assert issubclass(error, builtin), "code that caught the builtin (`except ValueError`) still works"


def test_a_key_error_of_the_toolkit_reads_plainly():
    """KeyError shows its message quoted; ours read as written."""
    assert isinstance(UnknownActivityError("x"), KeyError) and isinstance(UnknownNameError("x"), KeyError)
    assert str(UnknownActivityError("Activity 'x' is not in the plan")) == "Activity 'x' is not in the plan"
    assert (
        str(UnknownNameError("f: column(s) not in the frame: a='b'"))
        == "f: column(s) not in the frame: a='b'"
    )


def test_public_functions_raise_the_family_of_the_problem(tmp_path):
    frame = pd.DataFrame({"treated": [1, 0, 0], "age": [30, 40, 50]})
    with pytest.raises(OptionError, match="is not allowed"):
        check_option("impact_design", "synthetic_control", ("matched_comparison", "descriptive"))
    with pytest.raises(UnknownNameError, match="outcome='nope'"):
        require_columns(frame, {"outcome": "nope"}, where="f")
    with pytest.raises(OptionError, match="alpha"):
        match(frame, treatment="treated", covariates=["age"], alpha=2)
    with pytest.raises(OptionError, match="threshold"):
        DisclosurePolicy(threshold=0)
    with pytest.raises(OptionError, match="Unknown synthetic programme"):
        synthetic.shape_of("west-midlands")
    with pytest.raises(InputError, match="is not a date"):
        parse_date("31/31/2025")
    with pytest.raises(InputFolderNotFoundError, match="Input folder not found"):
        load_programme(tmp_path / "nowhere")


def test_an_unknown_activity_is_an_input_error(small_synthetic_folder):
    programme = load_programme(small_synthetic_folder)
    with pytest.raises(UnknownActivityError) as caught:
        programme.plan("nope")
    assert isinstance(caught.value, InputError)
    assert str(caught.value).startswith("Activity 'nope' is not in the delivery plan; known: ")


# --- the command's exit codes -------------------------------------------------------------------


@pytest.fixture
def logs_here(tmp_path, monkeypatch) -> Path:
    """Temporary files (where a bug's traceback goes outside `run`) are made under tmp_path."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _raising(error: BaseException):
    def handler(args):
        raise error

    return handler


# (error raised by a command, exit code, what stderr starts with)
FAMILY_CODES = [
    (InputError("the input is wrong"), EXIT_BAD_INPUT, "evaluation: the input is wrong"),
    (OptionError("alpha=2 is not allowed"), EXIT_BAD_INPUT, "evaluation: alpha=2 is not allowed"),
    (DesignError("too few people", "Add more"), EXIT_BAD_INPUT, "evaluation: too few people. Add more"),
    (
        ContractError([Finding("spend", "spend_gbp", "not negative", 1, (3,), (-5,))]),
        EXIT_BAD_INPUT,
        "The input does not meet the data contracts: 1 finding(s).",
    ),
    (RunError([RunFailure("a", "impact.ipynb", "boom")]), EXIT_FAILED, "evaluation: 1 report(s) failed"),
    # Once "bad input", exit 2: a ValueError or KeyError the toolkit did not mean is a bug.
    (ValueError("an estimator's slip"), EXIT_BUG, "evaluation: internal error (a bug): ValueError"),
    (KeyError("horizon"), EXIT_BUG, "evaluation: internal error (a bug): KeyError"),
]


def test_each_error_family_has_its_exit_code_and_anything_else_is_a_bug(
    tmp_path, monkeypatch, capsys, logs_here
):
    found = []
    for error, _, _ in FAMILY_CODES:
        monkeypatch.setattr(cli, "_validate", _raising(error))
        code = main(["validate", str(tmp_path)])
        found.append((error, code, capsys.readouterr().err))
    for (error, code, message), (_, got, err) in zip(FAMILY_CODES, found, strict=True):
        assert (got, err[: len(message)]) == (code, message), repr(error)
        assert "Traceback" not in err
    bugs = sum(code == EXIT_BUG for _, code, _ in FAMILY_CODES)
    assert len(list(logs_here.iterdir())) == bugs, "a bug's traceback is logged, an EvaluationError's not"


def test_bad_input_exits_2_with_one_plain_line(tmp_path, capsys, logs_here):
    code = main(["validate", str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT == 2
    assert err.strip() == f"evaluation: Input folder not found: {tmp_path / 'nowhere'}"
    assert not list(logs_here.iterdir()), "bad input is no bug: no traceback is logged"
    with pytest.raises(InputError):  # exit 2 because it is an InputError, not any OSError
        load_programme(tmp_path / "nowhere")


def test_a_bad_option_exits_2(small_input_copy, tmp_path, capsys, logs_here):
    """--as-of after the data's own date: an OptionError, refused before any report is made."""
    out = tmp_path / "out"
    code = main(["run", str(small_input_copy.path), "--as-of", "2099-01-01", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert "evaluation: as_of 2099-01-01 is after the data's own date" in err
    assert not (out / BUG_LOG).exists()
    with pytest.raises(OptionError):  # exit 2 because it is an OptionError, not any ValueError
        cut_at(load_programme(small_input_copy.path), "2099-01-01")


def test_a_failing_report_exits_1_and_only_a_run_error_means_one(tmp_path, monkeypatch, capsys, logs_here):
    import evaluation.runner

    raised: list[Exception] = []

    def run(*args, **kwargs):
        raise raised[-1]

    monkeypatch.setattr(evaluation.runner, "run", run)
    (tmp_path / "input").mkdir()
    command = ["run", str(tmp_path / "input"), "--out", str(tmp_path / "out")]
    raised.append(RuntimeError("event loop is closed"))  # not a RunError: a bug
    assert main(command) == EXIT_BUG
    assert "internal error (a bug): RuntimeError: event loop is closed" in capsys.readouterr().err
    raised.append(RunError([RunFailure("women", "impact_evaluation.ipynb", "ZeroDivisionError: boom")]))
    code = main(command)
    err = capsys.readouterr().err
    assert code == EXIT_FAILED == 1
    assert (
        "evaluation: 1 report(s) failed:\n  - women (impact_evaluation.ipynb): ZeroDivisionError: boom" in err
    )


def _log_named_in(err: str) -> Path:
    line = next(ln for ln in err.splitlines() if "internal error (a bug)" in ln)
    return Path(line.split("; the traceback is in ", 1)[1])


def _a_bug_in_the_handler(args):
    return 1 / 0


def test_a_bug_exits_3_and_keeps_its_traceback(tmp_path, monkeypatch, capsys, logs_here):
    monkeypatch.setattr(cli, "_validate", _a_bug_in_the_handler)
    code = main(["validate", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == EXIT_BUG == 3
    assert err.startswith("evaluation: internal error (a bug): ZeroDivisionError: division by zero; ")
    assert "Traceback" not in err, "the traceback goes to the log, not the screen"
    log = _log_named_in(err)
    assert log.parent == logs_here, "outside `run`, in the temporary folder (never the input folder)"
    text = log.read_text(encoding="utf-8")
    assert text.startswith(f"evaluation validate {tmp_path}\n")
    assert "Traceback (most recent call last)" in text
    assert "in _a_bug_in_the_handler" in text
    assert text.rstrip().endswith("ZeroDivisionError: division by zero")
    # An interruption is the user's, not a bug: never caught.
    monkeypatch.setattr(cli, "_validate", _raising(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        main(["validate", str(tmp_path)])


def test_a_bug_in_a_run_is_logged_in_its_output_folder_never_the_input_folder(
    tmp_path, monkeypatch, capsys, logs_here
):
    import evaluation.runner

    def run(*args, **kwargs):
        raise IndexError("single positional indexer is out-of-bounds")

    monkeypatch.setattr(evaluation.runner, "run", run)
    folder = tmp_path / "input"
    folder.mkdir()
    out = tmp_path / "reports"
    assert main(["run", str(folder), "--out", str(out)]) == EXIT_BUG
    err = capsys.readouterr().err
    assert "internal error (a bug): IndexError: single positional indexer is out-of-bounds" in err
    log = _log_named_in(err)
    assert log == (out / BUG_LOG).resolve()
    assert "IndexError: single positional indexer is out-of-bounds" in log.read_text(encoding="utf-8")
    # --out inside the input folder: the log goes to the temporary folder instead.
    assert main(["run", str(folder), "--out", str(folder / "reports")]) == EXIT_BUG
    log = _log_named_in(capsys.readouterr().err)
    assert log.parent == logs_here
    assert not list(folder.rglob("*.log"))


def test_an_unknown_activity_exits_2_with_a_plain_message(small_input_copy, tmp_path, capsys, logs_here):
    out = tmp_path / "out"
    code = main(["run", str(small_input_copy.path), "--activity", "nope", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    line = next(ln for ln in err.splitlines() if ln.startswith("evaluation: "))
    assert line.startswith("evaluation: Activity 'nope' is not in the delivery plan; known: "), line
    assert not list(logs_here.iterdir())


def test_the_exit_codes_are_documented(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for code in ("0 done", "1 one or more reports failed", "2 the input cannot be used", "3 internal error"):
        assert code in text
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8").split())
    assert "Exit codes" in readme and "3 an internal error (a bug)" in readme
