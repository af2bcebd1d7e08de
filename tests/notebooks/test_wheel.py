"""The package is self-contained: a wheel built from the repository, installed in a fresh virtual
environment outside the checkout, writes a synthetic programme and renders one activity's reports
end to end with `evaluation run`, finding its contracts and templates in the installed package.

Nothing is downloaded: the wheel is built with this environment's setuptools (`--no-build-isolation`)
and installed with `--no-deps --no-index`; the fresh environment reaches the dependencies
installed here through a `.pth` line naming this environment's site-packages (such a line adds the
folder to `sys.path` without running the `.pth` files in it, so this environment's editable
install of the checkout stays out of sight). The kernels papermill starts run the fresh
environment's Python, and the reports say "toolkit commit not available": they were computed by
the installed copy, which lies in no git checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import evaluation

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

ROOT = Path(evaluation.__file__).resolve().parents[1]
ACTIVITY = "employment_health_service"  # the Manchester programme's one activity, a matched design


def _run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, (
        f"{command} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


def _build_wheel(tmp: Path) -> Path:
    """A wheel built from a copy of the package's sources (the build writes into its source folder)."""
    source = tmp / "source"
    source.mkdir()
    shutil.copytree(ROOT / "evaluation", source / "evaluation", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    wheels = tmp / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _run(
        [*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "--no-index", "-w", str(wheels)],
        cwd=tmp,
    )
    (wheel,) = wheels.glob("evaluation-*.whl")
    return wheel


def _fresh_environment(tmp: Path, wheel: Path) -> Path:
    """A new virtual environment holding the wheel, seeing this environment's dependencies."""
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "--python", str(python)]
    _run([*pip, "install", "--no-deps", "--no-index", str(wheel)], cwd=tmp)
    # Only after the install, so pip never sees (nor offers to uninstall) this environment's copy.
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=tmp).strip()
    )
    dependencies = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (site / "_dependencies_from_test_environment.pth").write_text(
        "\n".join(dependencies) + "\n", encoding="utf-8"
    )
    # nbconvert's templates, which an install of nbconvert puts under its environment's share/.
    templates = Path(sys.prefix, "share", "jupyter", "nbconvert")
    assert templates.is_dir(), f"nbconvert's templates are not in {templates}"
    (venv / "share" / "jupyter").mkdir(parents=True)
    (venv / "share" / "jupyter" / "nbconvert").symlink_to(templates, target_is_directory=True)
    return venv


@pytest.mark.skipif(not (ROOT / "pyproject.toml").exists(), reason="needs the repository's sources")
def test_a_wheel_installed_outside_the_checkout_runs_end_to_end(tmp_path):
    venv = _fresh_environment(tmp_path, _build_wheel(tmp_path))
    work = tmp_path / "work"  # outside the checkout, so nothing is found relative to it
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV"))}
    env |= {
        "JUPYTER_DATA_DIR": str(tmp_path / "jupyter-data"),  # no kernel spec of this machine's user
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }

    found = _run(
        [str(venv / "bin" / "python"), "-c", "import evaluation; print(evaluation.__file__)"],
        cwd=work,
        env=env,
    )
    assert Path(found.strip()).is_relative_to(venv), found
    command = str(venv / "bin" / "evaluation")
    _run([command, "synthetic", "--programme", "manchester", "--scale", "0.1", "input"], cwd=work, env=env)
    _run([command, "run", "input", "--out", "reports", "--activity", ACTIVITY], cwd=work, env=env)

    reports = work / "reports" / "manchester_synthetic"
    names = [f"{ACTIVITY}_process", f"{ACTIVITY}_impact", "summary"]
    for name in names:
        assert (reports / f"{name}.ipynb").exists(), sorted(p.name for p in reports.iterdir())
        page = (reports / f"{name}.html").read_text(encoding="utf-8")
        assert "commit not available" in page, f"{name}.html was not computed by the installed copy"
