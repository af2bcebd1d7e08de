"""Fixtures for the tests that read rendered reports: the one end-to-end run of the session.

The fixtures live in `tests/e2e_fixtures.py` so that the browser tests share the same run (it
is cached there, so it happens once per session however many directories use it).
"""

from __future__ import annotations

from tests.e2e_fixtures import (  # noqa: F401 - fixtures and constants used by the tests here
    E2E_SCALE,
    E2E_SEED,
    PLANTED,
    plant_identifiers,
    rendered_run,
    synthetic_input,
)
