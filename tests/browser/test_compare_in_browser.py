"""The report across programmes (`evaluation compare`) in headless Chromium, under the same checks as
every other report: charts load and have alt text, nothing is fetched from the network, no script
errors, no WCAG 2.2 AA violations found by axe-core, and the page reflows at 320 px.

It compares the session's end-to-end run with the Rotherham and Manchester runs of
`tests/notebooks/test_compare_cli.py` (the page is written once per session for both files).
"""

from __future__ import annotations

import pytest

from tests.browser.test_reports_in_browser import _axe_violations, _describe, _open
from tests.notebooks.test_compare_cli import compare_report

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("e2e")]


@pytest.fixture(scope="module")
def page_path(rendered_run, tmp_path_factory):
    return compare_report(rendered_run, tmp_path_factory)


def test_compare_loads_offline_with_alt_texted_images_and_no_axe_violations(browser, page_path):
    context, page, seen = _open(browser, page_path)
    try:
        images = page.evaluate(
            """() => Array.from(document.images).map(img => ({
                   src: img.src.slice(0, 30), complete: img.complete, width: img.naturalWidth,
                   alt: (img.getAttribute('alt') || '').trim()}))"""
        )
        violations = _axe_violations(page)
    finally:
        context.close()
    assert not seen["blocked"] and not seen["errors"], seen
    assert len(images) >= 3
    for image in images:
        assert image["complete"] and image["width"] > 0 and image["alt"], image
        assert image["src"].startswith("data:image/png")
    assert not violations, f"{len(violations)} axe violation(s):\n{_describe(violations)}"


def test_compare_reflows_at_320_pixels(browser, page_path):
    context, page, _ = _open(browser, page_path, width=320, height=640)
    try:
        widths = page.evaluate(
            """() => ({page: document.documentElement.scrollWidth, view: window.innerWidth,
                       wide: Array.from(document.querySelectorAll('body *'))
                         .filter(e => !e.closest('.table-wrap') && e.getBoundingClientRect().right > window.innerWidth + 1)
                         .slice(0, 5).map(e => e.tagName + ' ' + (e.textContent || '').trim().slice(0, 40))})"""
        )
    finally:
        context.close()
    assert widths["page"] <= widths["view"] + 1, f"scrolls sideways at 320 px: {widths}"
