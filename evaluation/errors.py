"""Errors with structured fields and advice, so a user never sees a bare traceback.

Every problem the toolkit reports on purpose is an `EvaluationError`, in four families:

- `InputError`: the input folder or a value in it is wrong (`ContractError` lists data-contract
  findings; `InputFolderNotFoundError` and `UnknownActivityError` name a missing folder or activity);
- `OptionError`: an argument or option of a public function is not allowed (an unknown impact
  design, alpha outside (0, 1), a column name that is not in the frame: `UnknownNameError`);
- `DesignError`: the data are valid but cannot support the analysis (too few people, no controls);
- `RunError`: reports failed during a run.

Anything else raised from the package is a bug. The `evaluation` command maps each family to
an exit code (see `evaluation.cli`). For compatibility, each class is also a subclass of the
builtin exception it replaced, so code that catches `ValueError` (or `KeyError`,
`FileNotFoundError`, `RuntimeError`) keeps working: `InputError`, `OptionError` and
`DesignError` are `ValueError`s, `UnknownActivityError` and `UnknownNameError` are also
`KeyError`s (with a plain message, not a quoted one), `InputFolderNotFoundError` is also a
`FileNotFoundError`, and `RunError` is a `RuntimeError`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One broken rule in one table: where, what, how many rows, and examples."""

    table: str
    column: str | None
    rule: str
    n_rows: int
    rows: tuple[int, ...] = ()
    values: tuple[object, ...] = ()
    advice: str = ""

    def describe(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        text = f"{where}: rule '{self.rule}' broken"
        if self.n_rows:
            text += f" in {self.n_rows} row(s)"
        if self.rows:
            examples = [
                f"row {row} ({self.values[i]!r})" if i < len(self.values) else f"row {row}"
                for i, row in enumerate(self.rows)
            ]
            text += "; first: " + ", ".join(examples)
        if self.advice:
            text += f". {self.advice}"
        return text


class EvaluationError(Exception):
    """The root of every error the toolkit raises on purpose; anything else is a bug."""


class InputError(EvaluationError, ValueError):
    """The input folder, or a value in it, is wrong; the message says what and where."""


class _PlainKeyError(KeyError):
    """A KeyError whose message reads as written (KeyError alone shows its message quoted)."""

    def __str__(self) -> str:
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()


class UnknownActivityError(InputError, _PlainKeyError):
    """An activity id that is not in the delivery plan (also a KeyError, as it once was)."""


class InputFolderNotFoundError(InputError, FileNotFoundError):
    """The input folder does not exist (also a FileNotFoundError, as it once was)."""


class OptionError(EvaluationError, ValueError):
    """An argument or option of a public function is not allowed (see `options.check_option`)."""


class UnknownNameError(OptionError, _PlainKeyError):
    """An argument names something that is not there: a column not in the frame, a horizon not
    estimated (also a KeyError, as it once was)."""


class ContractError(InputError):
    """Input broke one or more data-contract rules; `findings` lists every one."""

    def __init__(self, findings: list[Finding] | tuple[Finding, ...]):
        self.findings = tuple(findings)
        lines = [f"{len(self.findings)} data-contract finding(s):"]
        lines += [f"  - {f.describe()}" for f in self.findings]
        super().__init__("\n".join(lines))

    @property
    def tables(self) -> set[str]:
        return {f.table for f in self.findings}


class DesignError(EvaluationError, ValueError):
    """The data cannot support the requested analysis (too few people, no controls, ...)."""

    def __init__(self, message: str, advice: str = ""):
        self.advice = advice
        super().__init__(f"{message}. {advice}".strip() if advice else message)


@dataclass
class RunFailure:
    activity_id: str
    notebook: str
    message: str
    kept_at: str | None = None


class RunError(EvaluationError, RuntimeError):
    """One or more activities failed during a run; the others completed."""

    def __init__(self, failures: list[RunFailure]):
        self.failures = failures
        lines = [f"{len(failures)} report(s) failed:"]
        lines += [
            f"  - {f.activity_id} ({f.notebook}): {f.message}"
            + (f" [failed notebook kept at {f.kept_at}]" if f.kept_at else "")
            for f in failures
        ]
        super().__init__("\n".join(lines))


__all__ = [
    "ContractError",
    "DesignError",
    "EvaluationError",
    "Finding",
    "InputError",
    "InputFolderNotFoundError",
    "OptionError",
    "RunError",
    "RunFailure",
    "UnknownActivityError",
    "UnknownNameError",
]
