"""Errors with structured fields and advice, so a user never sees a bare traceback."""

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


class ContractError(ValueError):
    """Input broke one or more data-contract rules; `findings` lists every one."""

    def __init__(self, findings: list[Finding] | tuple[Finding, ...]):
        self.findings = tuple(findings)
        lines = [f"{len(self.findings)} data-contract finding(s):"]
        lines += [f"  - {f.describe()}" for f in self.findings]
        super().__init__("\n".join(lines))

    @property
    def tables(self) -> set[str]:
        return {f.table for f in self.findings}


class DesignError(ValueError):
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


class RunError(RuntimeError):
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


__all__ = ["ContractError", "DesignError", "Finding", "RunError", "RunFailure"]
