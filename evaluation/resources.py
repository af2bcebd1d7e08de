"""Folders of files shipped inside the package: the data contracts and the notebook templates.

They are found through importlib.resources, never through the source tree, so a wheel installed
anywhere finds its own copy (the repository's top-level `data_contracts/` and `notebooks/` are
links to these folders, for readers of the repository).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

CONTRACTS = "data_contracts"  # one YAML file per input table
TEMPLATES = "notebooks"  # the parameterised report templates


@functools.cache
def package_folder(name: str) -> Path:
    """The package's data folder `name` as a folder on disk: in place for an ordinary install or a
    checkout; for a package imported from a zip file, a copy in a temporary folder removed at exit."""
    resource = resources.files("evaluation") / name
    if isinstance(resource, Path):
        return resource
    copy = Path(tempfile.mkdtemp(prefix="evaluation-")) / name
    atexit.register(shutil.rmtree, copy.parent, ignore_errors=True)
    _copy_tree(resource, copy)
    return copy


def _copy_tree(source: Traversable, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_dir():
            _copy_tree(item, target / item.name)
        else:
            (target / item.name).write_bytes(item.read_bytes())
