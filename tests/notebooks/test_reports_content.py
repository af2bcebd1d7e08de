"""What the rendered reports say: each impact design's report has its headline sentence, interval,
methods and caveats; too-small groups say so instead of printing an estimate; the summary has a row
per activity; every page follows the presentation standards (one h1, headings in order, numbered
tables and figures, alt text, self-contained, no anchor pilcrows, provenance footer)."""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from evaluation.synthetic import delivery_plan

pytestmark = [pytest.mark.notebook, pytest.mark.slow, pytest.mark.xdist_group("e2e")]

INTERVAL = re.compile(r"\(95% confidence interval [+-]?\d+(\.\d)? to [+-]?\d+(\.\d)?\)")


class _Page(HTMLParser):
    """Headings (level, id, text), images (alt), table captions, figure captions and row headers."""

    def __init__(self):
        super().__init__()
        self.headings, self.images, self.captions, self.figures, self.rows = [], [], [], [], []
        self._stack, self._text = [], ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        if tag in ("h1", "h2", "h3", "h4", "caption", "figcaption") or (
            tag == "th" and attrs.get("scope") == "row"
        ):
            self._stack.append((tag, attrs))
            self._text = ""

    def handle_data(self, data):
        if self._stack:
            self._text += data

    def handle_endtag(self, tag):
        if not self._stack or self._stack[-1][0] != tag:
            return
        _, attrs = self._stack.pop()
        text = " ".join(self._text.split())
        if tag.startswith("h") and tag[1:].isdigit():
            self.headings.append((int(tag[1]), attrs.get("id"), text))
        elif tag == "caption":
            self.captions.append(text)
        elif tag == "figcaption":
            self.figures.append(text)
        elif tag == "th":
            self.rows.append(text)


def parse(path: Path) -> tuple[str, _Page]:
    html = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    return html, page


def records(out_dir: Path) -> dict[str, dict]:
    return {
        json.loads(p.read_text(encoding="utf-8"))["activity_id"]: json.loads(p.read_text(encoding="utf-8"))
        for p in (out_dir / "_aggregates").glob("*_impact.json")
    }


def first(out_dir: Path, keep) -> str:
    found = sorted(a for a, r in records(out_dir).items() if keep(r))
    if not found:
        pytest.skip("no activity of this kind in the run")
    return found[0]


def section_ids(page: _Page) -> set[str]:
    return {anchor for _, anchor, _ in page.headings if anchor}


def test_every_activity_has_an_impact_report_and_an_aggregate_record(rendered_run):
    assert rendered_run.ok, rendered_run.text()
    found = records(rendered_run.out_dir)
    for activity_id in delivery_plan()["activity_id"]:
        assert (rendered_run.out_dir / f"{activity_id}_impact.html").exists(), (
            f"no impact report for {activity_id}"
        )
        assert activity_id in found, f"no aggregate record for {activity_id}"


def test_matched_impact_report_leads_with_the_edl_sentence_and_its_interval(rendered_run):
    out = rendered_run.out_dir
    activity = first(
        out,
        lambda r: (
            r["design"] == "matched_comparison"
            and r["status"] == "estimated"
            and r["headline"].get("published", True)
        ),
    )
    html, page = parse(out / f"{activity}_impact.html")
    headline = html.split('<div class="headline">', 1)[1].split("</div>", 1)[0]
    assert re.search(
        r"Participants were (between|about) .+ (more|less) likely .*to be in work \d+ months after referral than "
        r"similar people who did not take part\.",
        headline,
    ), headline
    assert INTERVAL.search(headline), "the headline gives no interval"
    record = records(out)[activity]
    if not record["headline"]["significant"]:
        assert "not statistically significant" in headline
    ids = section_ids(page)
    for needed in (
        "headline",
        "who-took-part-and-who-they-were-compared-with",
        "what-this-update-can-and-cannot-show-yet",
        "how-similar-the-comparison-group-is",
        "employment-over-time",
        "checks-before-publication",
        "how-the-estimate-depends-on-the-method",
        "net-additional-outcomes-and-cost",
        "strength-of-evidence",
        "methods-and-assumptions",
        "caveats",
        "what-could-bias-this-estimate",
        "what-the-data-cannot-show",
        "about-this-report",
    ):
        assert needed in ids, f"{activity}: no section {needed}"
    # the headline comes before any evidence
    order = [anchor for _, anchor, _ in page.headings]
    assert order.index("headline") < order.index("how-similar-the-comparison-group-is")
    alts = " ".join(img["alt"] for img in page.images)
    assert "hollow circles" in alts and "filled squares" in alts  # love plot
    assert "dashed line at referral" in alts  # employment over time
    assert "Level 3 of 5 on the Maryland Scientific Methods Scale" in html
    assert "Cost per net additional person in work" in html


def test_a_withheld_verdict_says_so_and_gives_no_net_outcomes(rendered_run):
    out = rendered_run.out_dir
    withheld = [
        a for a, r in records(out).items() if r.get("headline") and not r["headline"].get("published", True)
    ]
    for activity in withheld:
        html, _ = parse(out / f"{activity}_impact.html")
        headline = html.split('<div class="headline">', 1)[1].split("</div>", 1)[0]
        assert "No verdict on the impact of" in headline, activity
        assert "Level 2 of 5 on the Maryland Scientific Methods Scale" in html, activity
        assert "Cost per net additional person in work" not in html, activity
    summary = (out / "summary.html").read_text(encoding="utf-8")
    for activity in withheld:
        assert records(out)[activity]["activity_name"] in summary


def test_too_small_group_says_so_and_prints_no_estimate(rendered_run):
    out = rendered_run.out_dir
    activity = first(out, lambda r: r["design"] == "matched_comparison" and r["status"] != "estimated")
    html, page = parse(out / f"{activity}_impact.html")
    headline = html.split('<div class="headline">', 1)[1].split("</div>", 1)[0]
    assert "No impact estimate is given" in headline
    assert "60" in html and ("Justice Data Lab" in html or "followed for" in html)
    assert not INTERVAL.search(html) and "percentage points more likely" not in html
    assert not page.images, "a too-small group must not get charts of noise"
    assert {"methods-and-assumptions", "caveats"} <= section_ids(page)


def test_area_did_report_shows_areas_the_estimate_and_what_few_areas_mean(rendered_run):
    out = rendered_run.out_dir
    activity = first(
        out,
        lambda r: (
            r["design"] == "did" and r["status"] == "estimated" and r["headline"].get("published", True)
        ),
    )
    html, page = parse(out / f"{activity}_impact.html")
    headline = html.split('<div class="headline">', 1)[1].split("</div>", 1)[0]
    assert "In areas where the activity ran" in headline
    assert INTERVAL.search(headline)
    assert {"areas-over-time", "few-areas"} <= section_ids(page)
    record = records(out)[activity]
    assert f"Only {record['n_treated_areas']} local authorities ran the activity" in html
    assert any(c.startswith("Data for figure") for c in page.captions), "no data table for the area chart"
    assert "Employment rate where the activity ran (%)" in html
    assert len(page.images) >= 2  # treated vs comparison over time, event study
    assert {"methods-and-assumptions", "caveats"} <= section_ids(page)


def test_descriptive_report_says_why_there_is_no_estimate_and_what_is_reported_instead(rendered_run):
    out = rendered_run.out_dir
    activity = first(out, lambda r: r["design"] == "descriptive")
    html, page = parse(out / f"{activity}_impact.html")
    assert "descriptive design" in html and "What is reported instead" in html
    assert not INTERVAL.search(html)
    assert {"methods-and-assumptions", "caveats", "about-this-report"} <= section_ids(page)


def test_summary_has_a_row_per_activity_and_a_forest_plot(rendered_run):
    out = rendered_run.out_dir
    html, page = parse(out / "summary.html")
    names = delivery_plan()["activity_name"].tolist()
    for caption in (
        "Impact estimate, verdict and strength of evidence for every activity",
        "Reach against target",
        "Spend, net additional people",
    ):
        block = html.split(caption, 1)[1].split("</table>", 1)[0]
        rows = [unescape(r) for r in re.findall(r'<th scope="row">(.*?)</th>', block)]
        assert sorted(rows) == sorted(names), f"{caption}: rows {rows} are not one per activity"
    assert any("Forest plot" in img["alt"] for img in page.images)
    assert "not significant" in html
    ids = section_ids(page)
    assert {"headline", "impact-on-employment-every-activity-side-by-side", "cost-and-net-additional-outcomes",
            "what-this-update-can-and-cannot-show-yet", "about-this-report"} <= ids  # fmt: skip
    assert 'href="women_impact.html"' in html


def test_reports_say_which_update_they_are(rendered_run):
    for name in ("women_process.html", "women_impact.html", "summary.html"):
        html = (rendered_run.out_dir / name).read_text(encoding="utf-8")
        assert re.search(r"\d+-month update with data to \d{1,2} \w+ \d{4}", html), name
        assert "not yet observable" in html or "Everyone has been followed" in html or "cohort" in html, name


@pytest.mark.parametrize("kind", ["process", "impact"])
def test_every_page_meets_the_presentation_standards(rendered_run, kind):
    pages = sorted(rendered_run.out_dir.glob(f"*_{kind}.html"))
    if kind == "impact":
        pages.append(rendered_run.out_dir / "summary.html")
    assert pages
    for path in pages:
        html, page = parse(path)
        levels = [level for level, _, _ in page.headings]
        assert levels.count(1) == 1 and levels[0] == 1, f"{path.name}: needs exactly one h1, first"
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (
            f"{path.name}: skips a level"
        )
        assert "anchor-link" not in html and "¶" not in html, f"{path.name}: pilcrow anchor links left in"
        assert "<script" not in html and "<link" not in html, f"{path.name}: loads a script or stylesheet"
        assert not re.search(r"""(src|href)=["']https?:""", html), f"{path.name}: refers to the network"
        for img in page.images:
            assert img.get("alt", "").strip(), f"{path.name}: an image without alt text"
            assert img["src"].startswith("data:image/png;base64,"), f"{path.name}: image not embedded"
        numbers = [
            int(re.match(r"Table (\d+):", c).group(1)) for c in page.captions if re.match(r"Table \d+:", c)
        ]
        assert numbers == list(range(1, len(numbers) + 1)), (
            f"{path.name}: tables not numbered in order {numbers}"
        )
        figures = [int(re.match(r"Figure (\d+):", c).group(1)) for c in page.figures]
        assert figures == list(range(1, len(figures) + 1)), f"{path.name}: figures not numbered in order"
        assert len(figures) == len(page.images), f"{path.name}: an image outside a numbered figure"
        assert "Input files (SHA-256)" in html and "Parameters" in html, f"{path.name}: no provenance footer"
        assert "No participants are recorded" not in html or kind == "process"
