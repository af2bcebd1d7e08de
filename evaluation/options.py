"""Check string options against their `Literal` type on entry, naming the allowed values."""

from __future__ import annotations

from typing import Any, get_args

from evaluation.errors import OptionError, UnknownNameError


def check_option(name: str, value: Any, allowed: Any) -> Any:
    """Return `value` if it is one of `allowed` (a Literal type or a sequence), else raise OptionError."""
    choices = get_args(allowed) or tuple(allowed)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise OptionError(f"{name}={value!r} is not allowed; choose one of {listed}")
    return value


def require_columns(frame: Any, columns: dict[str, Any], *, where: str) -> None:
    """Raise UnknownNameError (a KeyError) naming every missing column passed as keyword arguments."""
    missing = {arg: col for arg, col in columns.items() if col is not None and col not in frame}
    if missing:
        listed = ", ".join(f"{arg}={col!r}" for arg, col in missing.items())
        raise UnknownNameError(f"{where}: column(s) not in the frame: {listed}")
