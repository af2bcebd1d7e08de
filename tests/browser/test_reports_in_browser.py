"""Rendered reports opened in a real browser (headless Chromium): every chart loads and has alt text,
nothing is fetched from the network, no script errors, no WCAG 2.2 AA violations found by axe-core,
and the page reflows at 320 px without sideways scrolling (WCAG 1.4.10; tables may scroll inside
their own box).

Pages: the index, the programme summary, one process report and one impact report of each kind
(matched comparison with an estimate, too few participants, area-level DiD, descriptive).
A full-page screenshot of the summary is saved; its path is printed and recorded as a test property
(set EVALUATION_SCREENSHOT_DIR to keep it somewhere, for example reports/screenshots).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("e2e")]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
ROLES = [
    "index",
    "summary",
    "process",
    "impact_matched",
    "impact_too_few",
    "impact_area",
    "impact_descriptive",
]
IMPACT_KINDS = {
    "impact_matched": lambda r: r["design"] == "matched_comparison" and r["status"] == "estimated",
    "impact_too_few": lambda r: r["design"] == "matched_comparison" and r["status"] != "estimated",
    "impact_area": lambda r: r["design"] == "did" and r["status"] == "estimated",
    "impact_descriptive": lambda r: r["design"] == "descriptive",
}


def report_for(out_dir: Path, role: str) -> Path:
    """The rendered page that plays `role` in this run."""
    if role == "index":
        return out_dir / "index.html"
    if role == "summary":
        return out_dir / "summary.html"
    if role == "process":
        return out_dir / "women_process.html"
    records = sorted((out_dir / "_aggregates").glob("*_impact.json"))
    for path in records:
        record = json.loads(path.read_text(encoding="utf-8"))
        page = out_dir / f"{record['activity_id']}_impact.html"
        if IMPACT_KINDS[role](record) and page.exists():
            return page
    pytest.skip(f"this run has no {role.replace('_', ' ')} report")


def _open(browser, path: Path, *, width: int = 1280, height: int = 900):
    """Open a page, blocking and recording any request that is not file: or data:."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    seen = {"requests": [], "blocked": [], "errors": []}
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.on(
        "console", lambda message: seen["errors"].append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))

    def only_local(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            seen["blocked"].append(url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(path.as_uri(), wait_until="load")
    return context, page, seen


def _axe_violations(page) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return results.response["violations"]


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = [node["target"] for node in violation["nodes"]][:5]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return "\n".join(lines)


@pytest.mark.parametrize("role", ROLES)
def test_report_loads_offline_with_alt_texted_images_and_no_axe_violations(
    browser, rendered_run, role, record_property
):
    path = report_for(rendered_run.out_dir, role)
    context, page, seen = _open(browser, path)
    try:
        images = page.evaluate(
            """() => Array.from(document.images).map(img => ({
                   src: img.src.slice(0, 30), complete: img.complete, width: img.naturalWidth,
                   alt: (img.getAttribute('alt') || '').trim()}))"""
        )
        violations = _axe_violations(page)
    finally:
        context.close()
    record_property(f"axe_violations_{role}", len(violations))
    print(f"{path.name}: {len(images)} image(s), {len(violations)} axe violation(s)")
    assert not seen["blocked"], f"{path.name} tried to fetch from the network: {seen['blocked']}"
    assert all(url.startswith(("file:", "data:")) for url in seen["requests"]), seen["requests"]
    assert not seen["errors"], f"{path.name}: console errors {seen['errors']}"
    if role not in ("index",):
        assert images or role in ("impact_too_few", "impact_descriptive"), f"{path.name} has no charts"
    for image in images:
        assert image["complete"] and image["width"] > 0, (
            f"{path.name}: an image did not load ({image['src']})"
        )
        assert image["alt"], f"{path.name}: an image has no alt text"
        assert image["src"].startswith("data:image/png"), f"{path.name}: image not embedded ({image['src']})"
    assert not violations, f"{path.name}: {len(violations)} axe violation(s):\n{_describe(violations)}"


@pytest.mark.parametrize("role", ROLES)
def test_report_reflows_at_320_pixels(browser, rendered_run, role):
    path = report_for(rendered_run.out_dir, role)
    context, page, _ = _open(browser, path, width=320, height=640)
    try:
        widths = page.evaluate(
            """() => ({page: document.documentElement.scrollWidth, view: window.innerWidth,
                       body: document.body.scrollWidth,
                       wide: Array.from(document.querySelectorAll('body *'))
                         .filter(e => !e.closest('.table-wrap') && e.getBoundingClientRect().right > window.innerWidth + 1)
                         .slice(0, 5).map(e => e.tagName + ' ' + (e.className || '') + ' '
                                                + (e.textContent || '').trim().slice(0, 40))})"""
        )
    finally:
        context.close()
    assert widths["page"] <= widths["view"] + 1, (
        f"{path.name} scrolls sideways at 320 px ({widths['page']} px wide); too wide: {widths['wide']}"
    )


def test_screenshot_of_the_summary(browser, rendered_run, tmp_path_factory, record_property):
    path = report_for(rendered_run.out_dir, "summary")
    folder = Path(os.environ.get("EVALUATION_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / "programme_summary.png"
    context, page, _ = _open(browser, path, width=1100, height=900)
    try:
        page.screenshot(path=str(shot), full_page=True)
    finally:
        context.close()
    record_property("screenshot", str(shot))
    print(f"Screenshot of the programme summary: {shot}")
    assert shot.exists() and shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
