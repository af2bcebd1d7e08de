"""Outputs can be handed to anyone: no personal data, no small counts, failed runs lose nothing,
and the same inputs give the same numbers."""

from __future__ import annotations

import json
import math
import re
import shutil
from collections import Counter
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import pytest

from evaluation.disclosure import DEFAULT_POLICY
from evaluation.errors import RunError
from evaluation.runner import run

from .conftest import E2E_SEED, PLANTED

pytestmark = [pytest.mark.notebook, pytest.mark.slow, pytest.mark.xdist_group("e2e")]

COUNT_HEADER = re.compile(r"^(people|participants|number|count|cohort size|areas?|referred|engaged)\b", re.I)


def _output_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_no_planted_identifier_or_date_in_any_output(rendered_run):
    spellings = [*PLANTED["person_ids"], PLANTED["referred_date"], "25 December 2025", "25/12/2025"]
    files = _output_files(rendered_run.out_dir)
    assert len(files) >= 26
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for needle in spellings:
            assert needle not in text, f"{needle!r} found in {path.name}"


def test_no_person_level_identifiers_in_any_output(rendered_run):
    """No pseudonym of the synthetic generator (P + 10 digits) reaches a report or notebook."""
    pseudonym = re.compile(r"\bP\d{10}\b")
    for path in _output_files(rendered_run.out_dir):
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not pseudonym.search(text), f"a person identifier is in {path.name}"


class _Tables(HTMLParser):
    """Collect (caption, header, cell text) for every table cell of a page."""

    def __init__(self):
        super().__init__()
        self.cells, self._headers, self._row, self._in, self._caption, self._text = [], [], [], None, "", ""

    def handle_starttag(self, tag, attrs):
        if tag in ("th", "td", "caption"):
            self._in, self._text = tag, ""
        if tag == "table":
            self._headers = []
        if tag == "tr":
            self._row = []

    def handle_data(self, data):
        if self._in:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "caption":
            self._caption = self._text.strip()
        elif tag in ("th", "td") and self._in:
            self._row.append(self._text.strip())
        elif tag == "tr":
            if not self._headers:
                self._headers = self._row
            else:
                for header, value in zip(self._headers, self._row, strict=False):
                    self.cells.append((self._caption, header, value))
        if tag in ("th", "td", "caption"):
            self._in = None


def test_no_published_count_below_the_disclosure_threshold(rendered_run):
    """Every table column that holds counts of people shows 0, a rounded count >= 10, or [c]."""
    checked = 0
    for page in rendered_run.out_dir.glob("*.html"):
        parser = _Tables()
        parser.feed(page.read_text(encoding="utf-8"))
        for caption, header, value in parser.cells:
            if not COUNT_HEADER.match(header) or not re.fullmatch(r"[\d,]+", value):
                continue
            number = int(value.replace(",", ""))
            checked += 1
            assert number == 0 or number >= DEFAULT_POLICY.threshold, (
                f"{page.name}: {caption}: {header} = {value}"
            )
            assert number % DEFAULT_POLICY.rounding_base == 0, (
                f"{page.name}: {caption}: {header} = {value} not rounded"
            )
    assert checked > 50, "the scan found too few count cells to be meaningful"


def _numbers_of(page: Path) -> str:
    """A page's text without the provenance time stamp, which is the only thing allowed to differ."""
    text = page.read_text(encoding="utf-8")
    return re.sub(r"<dt>Generated</dt><dd>[^<]*</dd>", "", text)


def test_same_inputs_and_seed_give_identical_reports(rendered_run, synthetic_input, tmp_path):
    activities = ["women", "service_redesign", "lmi_hub"]
    again = run(
        synthetic_input, tmp_path, seed=E2E_SEED, activities=activities, summary=False, progress=False
    )
    assert again.ok, again.text()
    for activity_id in activities:
        for kind in ("process", "impact"):
            name = f"{activity_id}_{kind}.html"
            first, second = rendered_run.out_dir / name, again.out_dir / name
            if first.exists():
                assert _numbers_of(first) == _numbers_of(second), f"{name} differs between two identical runs"


def test_failed_run_keeps_the_last_good_report(rendered_run, synthetic_input, tmp_path, monkeypatch):
    out = tmp_path / "reports"
    shutil.copytree(rendered_run.out_dir, out / rendered_run.out_dir.name)
    good = out / rendered_run.out_dir.name / "women_process.html"
    before = good.read_bytes()
    monkeypatch.setattr("evaluation.runner.KERNEL", "no-such-kernel")
    failed = run(
        synthetic_input,
        out,
        seed=E2E_SEED,
        activities=["women"],
        kinds=["process"],
        summary=False,
        progress=False,
    )
    assert not failed.ok and failed.failures[0].activity_id == "women"
    assert good.read_bytes() == before


def test_refuses_to_mix_reports_of_different_inputs(rendered_run, synthetic_input, tmp_path):
    changed = tmp_path / "changed_input"
    shutil.copytree(synthetic_input, changed)
    spend = changed / "spend.csv"
    spend.write_text(spend.read_text(encoding="utf-8").replace(",1", ",2", 1), encoding="utf-8")
    out = tmp_path / "reports"
    shutil.copytree(rendered_run.out_dir, out / rendered_run.out_dir.name)
    with pytest.raises(RunError, match="different inputs"):
        run(
            changed,
            out,
            seed=E2E_SEED,
            activities=["lmi_hub"],
            kinds=["process"],
            summary=False,
            progress=False,
        )
    record = json.loads((out / rendered_run.out_dir.name / "run.json").read_text(encoding="utf-8"))
    assert (
        record["input_hashes"]
        == json.loads((rendered_run.out_dir / "run.json").read_text(encoding="utf-8"))["input_hashes"]
    )


# --------------------------------------------------------------------------- rates and derived figures
# Issue 9, item 12. A rate publishes the people behind it (GSS/ONS "Disclosure control guidance for
# tables produced from administrative sources": a percentage is disclosive when its count is): "8% of
# about 75" leaves only 6 people. A per cent of a published target or spend per person worked out from
# the exact count undoes the rounding (75 shown, 77% of a target of 100 reveals 77). The scan reads
# every rate next to the group size published with it (same row, the report's other tables, or the
# sentence itself) and every per cent of target and spend per person next to its count.

BASE, THRESHOLD = DEFAULT_POLICY.rounding_base, DEFAULT_POLICY.threshold
_LOWEST = -(-THRESHOLD // BASE) * BASE  # the smallest count shown other than 0


class _Page(HTMLParser):
    """A page's tables (caption, header, rows as {header: cell}) and its running text, alt text included."""

    def __init__(self):
        super().__init__()
        self.tables, self._parts = [], []
        self._table = self._row = self._cell = self._caption = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "table":
            self._table = {"caption": "", "header": [], "rows": []}
        elif tag == "caption":
            self._caption = ""
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td"):
            self._cell = ""
        elif tag == "img":
            self._parts.append(f" {dict(attrs).get('alt') or ''} ")
        self._parts.append(" ")

    def handle_data(self, data):
        if self._skip:
            return
        if self._cell is not None:
            self._cell += data
        if self._caption is not None:
            self._caption += data
        self._parts.append(data)

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        elif tag == "caption" and self._table is not None:
            self._table["caption"], self._caption = self._caption.strip(), None
        elif tag in ("th", "td") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._table is not None:
            if not self._table["header"]:
                self._table["header"] = self._row
            else:
                self._table["rows"].append(dict(zip(self._table["header"], self._row, strict=False)))
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None
        self._parts.append(" ")

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self._parts))


def _number(text: str | None) -> int | None:
    """A published whole number ("1,370"), or None for a marker or anything else."""
    return int(text.replace(",", "")) if text and re.fullmatch(r"\d[\d,]*", text) else None


def _leading_percent(text: str | None) -> int | None:
    """The first whole per cent in a cell: "16% (10% to 24%)" or "16 (10 to 24)" -> 16."""
    found = re.match(r"(\d+)%?(?: \(|$)", text or "")
    return int(found.group(1)) if found else None


def _pounds(text: str) -> float:
    return float(text.strip().lstrip("£").replace(",", ""))


def _group(shown: int) -> range:
    """The group sizes a count published as `shown` can stand for (rounded to the nearest 5, halves up)."""
    return range(max(shown - BASE // 2, 1), shown + (BASE - 1) // 2 + 1)


def _behind(percent: int, shown: int) -> set[int]:
    """The numbers of people a reader cannot rule out behind a whole `percent` of a group shown as `shown`."""
    found: set[int] = set()
    for n in _group(shown):
        low, high = Fraction(n * (2 * percent - 1), 200), Fraction(n * (2 * percent + 1), 200)
        found |= set(range(max(math.ceil(low), 0), min(math.floor(high), n) + 1))
    return found


def _reveals_few(percent: int, shown: int) -> bool:
    """True when every number of people consistent with the rate is between 1 and the threshold - 1."""
    found = _behind(percent, shown)
    return bool(found) and all(0 < k < THRESHOLD for k in found)


def _of_target(shown: int, target: int) -> int:
    """Per cent of a target worked out from a published count, halves up."""
    return (200 * shown + target) // (2 * target)


def _publishable_share(percent: int, target: int) -> bool:
    """Some publishable count (0 or a multiple of 5 from 10) gives this per cent of the target."""
    return any(_of_target(m, target) == percent for m in [0, *range(_LOWEST, 20 * target + 1, BASE)])


def _scan_page(name: str, page: _Page, problems: list[str], checked: Counter) -> None:
    text = page.text
    rows_by_header: dict[str, list[dict]] = {}
    for table in page.tables:
        rows_by_header.setdefault(table["header"][0] if table["header"] else "", []).extend(table["rows"])
    followed = {
        int(m.group(1)): _number(row.get("People"))
        for row in rows_by_header.get("Group", [])
        if (m := re.fullmatch(r"Participants followed for (\d+) months after referral", row.get("Group", "")))
    }
    stages = {row.get("Stage"): row for row in rows_by_header.get("Stage", []) if "Cohort size" in row}
    referred = _number(stages.get("Referred", {}).get("People"))
    reach = {row.get("Measure"): row for row in rows_by_header.get("Measure", [])}

    def rate(kind: str, where: str, percent: int | None, shown: int | None) -> None:
        if percent is None or shown is None:
            return
        checked[kind] += 1
        if _reveals_few(percent, shown):
            people = sorted(_behind(percent, shown))
            problems.append(f"{name}: {where}: {percent}% of about {shown} reveals {people} people")

    def of_target(where: str, percent: int | None, target: int | None, shown: int | str | None) -> None:
        if percent is None or not target:
            return
        checked["per cent of target"] += 1
        if shown == "[c]":
            problems.append(f"{name}: {where}: {percent}% of a target beside a hidden count")
        elif isinstance(shown, int) and percent != _of_target(shown, target):
            problems.append(
                f"{name}: {where}: {percent}% of {target} is not {shown} people; it undoes the rounding"
            )
        elif shown is None and not _publishable_share(percent, target):
            problems.append(f"{name}: {where}: {percent}% of {target} fits no rounded count; it is exact")

    def per_person(where: str, total: float, each: float, shown: int | None) -> None:
        if shown is None:
            return
        checked["spend per person"] += 1
        if abs(total / shown - each) > 0.5 + 1e-6:
            problems.append(
                f"{name}: {where}: £{total:,.0f} / £{each:,.0f} = {total / each:.2f} people, not the {shown} shown"
            )

    for table in page.tables:
        header, caption = table["header"], table["caption"]
        for row in table["rows"]:
            label = row.get(header[0], "") if header else ""
            where = f"{caption} [{label}]"
            if "People followed this long" in row:  # impact: employment by month
                observed = row.get("Per cent of participants in work")
                rate("employment rate", where, _number(observed), _number(row["People followed this long"]))
                without = next(
                    (v for k, v in row.items() if k.startswith("Per cent estimated without")), None
                )
                if observed == "[c]" and without != "[c]":
                    problems.append(
                        f"{name}: {where}: rate hidden but its counterfactual {without} gives it back"
                    )
            if "Months after referral" in row and "Per cent of participants in work" in row:  # net outcomes
                observed = row["Per cent of participants in work"]
                months = _number(row["Months after referral"])
                rate("employment rate", where, _number(observed), followed.get(months))
                without = next((v for k, v in row.items() if k.startswith("Per cent without")), None)
                if observed == "[c]" and without != "[c]":
                    problems.append(
                        f"{name}: {where}: rate hidden but its counterfactual {without} gives it back"
                    )
            if "Cohort rate (95% CI)" in row:  # funnel and job outcomes
                rate(
                    "cohort rate",
                    where,
                    _leading_percent(row["Cohort rate (95% CI)"]),
                    _number(row.get("Cohort size")),
                )
            for key, value in row.items():  # Kaplan-Meier estimates, a share of everyone referred
                if re.fullmatch(r"By week \d+", key):
                    rate("Kaplan-Meier estimate", f"{where} {key}", _leading_percent(value), referred)
            target = re.search(r"target of ([\d,]+) (?:residents|job outcomes)", caption)
            if target and "Per cent of target" in row:
                of_target(
                    where,
                    _number(row["Per cent of target"]),
                    _number(target.group(1)),
                    _number(row["People"]) if row["People"] != "[c]" else "[c]",
                )
            if target and "Per cent of job outcome target" in row:
                of_target(
                    where,
                    _number(row["Per cent of job outcome target"]),
                    _number(target.group(1)),
                    _number(row["People"]) if row["People"] != "[c]" else "[c]",
                )
            if "Per cent of participant target reached" in row:  # summary
                counts = re.fullmatch(r"([\d,]+) (.+)", row.get("Participant target (what it counts)", ""))
                if counts:
                    column = {
                        "started support": "People who started support",
                        "referred": "People referred",
                    }.get(counts.group(2))
                    shown = row.get(column) if column else None
                    of_target(
                        where,
                        _number(row["Per cent of participant target reached"]),
                        _number(counts.group(1)),
                        "[c]" if shown == "[c]" else _number(shown),
                    )
            jobs = _number(row.get("Job outcome target"))
            for key in ("Started a job", "In work 13 weeks", "In work 26 weeks"):
                cell = re.fullmatch(r"([\d,]+|\[c\]) \((\d+)%\)", row.get(key, ""))
                if jobs and cell:
                    of_target(
                        f"{where} {key}",
                        int(cell.group(2)),
                        jobs,
                        "[c]" if cell.group(1) == "[c]" else _number(cell.group(1)),
                    )
            if "Spend per person who started support" in row and row[
                "Spend per person who started support"
            ].startswith("£"):
                summary_reach = next(
                    (
                        r
                        for r in rows_by_header.get("Activity", [])
                        if r.get("Activity") == label and "People who started support" in r
                    ),
                    {},
                )
                per_person(
                    where,
                    _pounds(row["Spent to date"]),
                    _pounds(row["Spend per person who started support"]),
                    _number(summary_reach.get("People who started support")),
                )
        spent = (
            {row.get(header[0]): row.get("Value") for row in table["rows"]}
            if header[:1] == ["Measure"]
            else {}
        )
        if str(spent.get("Spend per person starting support", "")).startswith("£"):
            per_person(
                caption,
                _pounds(spent["Spent to date"]),
                _pounds(spent["Spend per person starting support"]),
                _number(reach.get("Started support", {}).get("People")),
            )

    for m in re.finditer(r"(\d+)% of participants were in work (\d+) months after referral", text):
        rate("employment rate", m.group(0), int(m.group(1)), followed.get(int(m.group(2))))
    for m in re.finditer(r"in work (\d+) months after referral anyway, compared with (\d+)% who were", text):
        rate("employment rate", m.group(0), int(m.group(2)), followed.get(int(m.group(1))))
    for m in re.finditer(
        r"Of (?:about )?([\d,]+) (?:people|residents) referred by [^,]+, who have had at least \d+ weeks to reach it, (\d+)%",
        text,
    ):
        rate("cohort rate", m.group(0), int(m.group(2)), _number(m.group(1)))
    for m in re.finditer(
        r"between (\d+)% and (\d+)% started a job within \d+ weeks of referral \(best estimate (\d+)%\)", text
    ):
        rate(
            "cohort rate",
            m.group(0),
            int(m.group(3)),
            _number(stages.get("Started a job", {}).get("Cohort size")),
        )
    for m in re.finditer(r"An estimated (\d+)% of people start a job within \d+ weeks", text):
        rate("Kaplan-Meier estimate", m.group(0), int(m.group(1)), referred)
    for m in re.finditer(r"(\d+)% of the target of ([\d,]+)", text):
        of_target(m.group(0), int(m.group(1)), _number(m.group(2)), None)
    for m in re.finditer(r"\((\d+)% of the target", text):
        before = text[max(0, m.start() - 600) : m.start()]
        targets = list(re.finditer(r"(?:target of|add up to) ([\d,]+)", before))
        if targets:
            about = re.findall(r"about ([\d,]+)", before[targets[-1].end() :])
            of_target(
                before[targets[-1].start() :] + m.group(0),
                int(m.group(1)),
                _number(targets[-1].group(1)),
                _number(about[-1]) if about else None,
            )
    area = re.search(r": £([\d,]+)\. Spend per participant recorded: £([\d,]+)\.", text)
    people = re.search(r"Participants: about ([\d,]+) residents", text)
    if area and people:
        per_person(
            "spend per participant", _pounds(area.group(1)), _pounds(area.group(2)), _number(people.group(1))
        )


def _scan_record(path: Path, problems: list[str], checked: Counter) -> None:
    """An impact record's participants' rates against the rounded number followed (exact rates: rate x n is whole)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for entry in data.get("horizons") or []:
        rate, shown = entry.get("participants_rate"), entry.get("n_followed")
        if rate == "[c]":
            if entry.get("counterfactual_rate") not in (None, "[c]"):
                problems.append(
                    f"{path.name}: {entry['horizon']} months: hidden rate, counterfactual published"
                )
            continue
        if not isinstance(rate, float) or not isinstance(shown, int):
            continue
        checked["record rate"] += 1
        people = {round(rate * n) for n in _group(shown) if abs(rate * n - round(rate * n)) < 1e-6}
        if people and all(0 < k < THRESHOLD for k in people):
            problems.append(
                f"{path.name}: {entry['horizon']} months: rate {rate:.4f} of about {shown} is {people} people"
            )


def scan_rates(folder: Path) -> tuple[list[str], Counter]:
    """Every published rate, per cent of target and spend per person in a report folder that gives a
    small count or an exact count away, and how many of each kind were checked."""
    problems: list[str] = []
    checked: Counter = Counter()
    for path in sorted(folder.glob("*.html")):
        page = _Page()
        page.feed(path.read_text(encoding="utf-8"))
        _scan_page(path.name, page, problems, checked)
    for path in sorted(folder.glob("_aggregates/*.json")):
        _scan_record(path, problems, checked)
    return problems, checked


def test_no_rate_per_cent_of_target_or_spend_per_person_gives_a_count_away(rendered_run):
    """Every rate is checked against the group size published with it: no rate may leave only 1 to 9
    people behind it (a hidden rate takes its counterfactual with it); every per cent of a target and
    spend per person must follow from the rounded count shown, not the exact one."""
    problems, checked = scan_rates(rendered_run.out_dir)
    assert not problems, f"{len(problems)} published figures give a count away:\n" + "\n".join(problems)
    for kind in (
        "employment rate",
        "cohort rate",
        "Kaplan-Meier estimate",
        "per cent of target",
        "spend per person",
        "record rate",
    ):
        assert checked[kind] > 0, f"the scan checked no {kind}: it would miss a leak"
    assert sum(checked.values()) > 200, checked


def test_the_rate_scan_catches_each_kind_of_leak(tmp_path):
    """The scan above fails on the holes it is there for (a page and a record written by hand)."""
    page = (
        "<h2>x</h2><div><table><caption>Table 1: Who is in the analysis</caption><tr><th>Group</th><th>People</th></tr>"
        "<tr><th>Participants followed for 6 months after referral</th><td>75</td></tr></table></div>"
        "<table><caption>Table 2: Per cent in work by month</caption><tr><th>Months since referral</th>"
        "<th>People followed this long</th><th>Per cent of participants in work</th>"
        "<th>Per cent estimated without the activity (95% CI)</th></tr>"
        "<tr><th>-1</th><td>75</td><td>8</td><td>3 (0 to 9)</td></tr>"
        "<tr><th>0</th><td>75</td><td>[c]</td><td>4 (0 to 10)</td></tr></table>"
        "<table><caption>Table 3: Reach against the delivery-plan target of 100 residents started support</caption>"
        "<tr><th>Measure</th><th>People</th><th>Per cent of target</th></tr>"
        "<tr><th>Started support</th><td>75</td><td>77</td></tr></table>"
        "<table><caption>Table 4: Spend</caption><tr><th>Measure</th><th>Value</th></tr>"
        "<tr><th>Spent to date</th><td>£77,000</td></tr><tr><th>Spend per person starting support</th><td>£1,000</td></tr></table>"
        '<p>would have been in work 6 months after referral anyway, compared with 8% who were.</p><img alt="8% of participants were in work 6 months after referral">'
    )
    (tmp_path / "a_impact.html").write_text(page, encoding="utf-8")
    (tmp_path / "_aggregates").mkdir()
    record = {
        "horizons": [
            {"horizon": 6, "n_followed": 75, "participants_rate": 6 / 75, "counterfactual_rate": 0.01}
        ]
    }
    (tmp_path / "_aggregates" / "a_impact.json").write_text(json.dumps(record), encoding="utf-8")
    problems, _ = scan_rates(tmp_path)
    text = "\n".join(problems)
    assert "8% of about 75 reveals [6] people" in text  # table row and the figure title
    assert "rate hidden but its counterfactual" in text
    assert "77% of 100 is not 75 people" in text
    assert "£77,000 / £1,000 = 77.00 people, not the 75 shown" in text
    assert "rate 0.0800 of about 75 is {6} people" in text
    assert len(problems) == 7, text
