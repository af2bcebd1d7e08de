"""Sections of the programme summary: every activity side by side.

For each activity: reach against target, progression into work (cohort rate from referral to a
job start), the impact estimate with its interval (forest plot), net additional outcomes, spend
per person and per net additional outcome, and the strength of evidence, so DWP can see what
worked, for whom and at what cost.

Each activity is led by its own headline (`ImpactRecord.headline`): the follow-up, estimate and
verdict its impact report leads with, so the two never disagree; estimates at other follow-ups are
shown beside it, labelled. A verdict the impact report withholds (comparison group not credible) is
shown as evidence only: not counted, and without net additional outcomes or cost per outcome.

Impact estimates come from the small aggregate files each impact report leaves in the output
folder (`evaluation.report.record.save_record`), used only when they were computed from the same
inputs, as-of date and seed. When a file is missing or stale (an impact report failed, or was not
rerun), the summary recomputes that activity's estimate itself; if that fails too, the activity is
listed with the reason and the rest of the summary is unaffected.

What each design contributes (its headline sentence, its forest plot, whether it has estimates at
follow-ups in months and net additional outcomes with cost) comes from its report family
(`evaluation.report.families`), so no section here asks which design a record is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML

from evaluation import funnel as funnel_module
from evaluation.disclosure import (
    DEFAULT_POLICY,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SHORTHAND_NOTE,
    SUPPRESSED,
    DisclosurePolicy,
    per_person,
    percent_of_target,
    safe_count,
    safe_percent,
)
from evaluation.impact import DESIGNS, estimate_activity
from evaluation.multiplicity import adjusted_p_values
from evaluation.programme import TARGET_COUNTS, Programme, load_programme
from evaluation.report import charts, vfm_words
from evaluation.report.context import ALPHA, HORIZONS, SummaryContext
from evaluation.report.display import (
    bullets,
    escape,
    heading,
    headline,
    link_list,
    paragraph,
    warning,
)
from evaluation.report.families import Family, families, family_of
from evaluation.report.formatting import (
    about_count,
    and_list,
    clause,
    long_date,
    money,
    month_year,
    people_interval,
    people_range,
    pp_interval,
    signed_people,
)
from evaluation.report.process import (
    COHORT_WEEKS,
    JOB_OUTCOME_STAGES,
    PRIORITY_COHORTS,
    TARGET_STAGES,
    cohort_sentence,
    job_outcome_rows,
    job_target_sentence,
    months_since_start,
    programme_start,
    share_of_target,
    stage_count,
    target_stage,
    update_label,
    whole_target,
)
from evaluation.report.provenance import about  # noqa: F401 - the notebook calls section.about
from evaluation.report.record import (
    RECORD_SCHEMA,
    HorizonRecord,
    ImpactRecord,
    RatioRecord,
    RecordError,
    ValueForMoneyRecord,
    appraisal_dict,
    record,
    record_path,
)
from evaluation.results import required
from evaluation.run_parameters import RunParameters
from evaluation.run_results import programme_appraisal

SUMMARY_COHORTS = (
    "Long-term health condition",
    "Disabled",
    "Carers",
    "Young people (16 to 24)",
    "Aged 50 and over",
    "Women",
    "Ethnic minority groups",
)
DESIGN_LABELS = {name: design.label for name, design in DESIGNS.items()}
"""Each impact design's label in tables, from the registry (`evaluation.impact.DESIGNS`)."""


def context(
    programme_path: str,
    as_of: str | None = None,
    *,
    output_dir: str | None = None,
    seed: int | None = 2025,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> SummaryContext:
    """Load the programme and gather every activity's delivery figures and impact record."""
    run = RunParameters.from_notebook(programme_path, None, as_of, seed=seed, output_dir=output_dir)
    programme = load_programme(run.snapshot, as_of=run.as_of)
    records, sources = {}, {}
    for activity_id in programme.activity_ids:
        records[activity_id], sources[activity_id] = impact_record(
            programme, activity_id, output_dir=output_dir, seed=seed, as_of=run.as_of_text, policy=policy
        )
    delivery = delivery_table(programme, policy=policy)
    return SummaryContext(
        programme=programme,
        delivery=delivery,
        totals=programme_totals(programme, delivery),
        records=records,
        sources=sources,
        policy=policy,
        interim=run.interim,
        parameters=run.provenance(),
        output_dir=output_dir,
    )


def computed_from(programme: Programme, *, seed: int | None, as_of: str | None) -> dict:
    return {
        "input_hashes": dict(programme.input_hashes),
        "as_of": programme.as_of.date().isoformat(),
        "interim_as_of": as_of or "",
        "seed": seed,
    }


def read_record(path: Path, expected: dict) -> ImpactRecord | None:
    """An impact record from `path` if it exists, reads, is of the schema this toolkit writes (an
    older one lacks value for money) and was computed from `expected`."""
    if not path.exists():
        return None
    try:
        found = ImpactRecord.read(path)
    except RecordError:
        return None
    return found if found.schema == RECORD_SCHEMA and dict(found.computed_from) == expected else None


def impact_record(
    programme: Programme,
    activity_id: str,
    *,
    output_dir: str | None,
    seed: int | None,
    as_of: str | None,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> tuple[ImpactRecord, str]:
    """One activity's impact record and where it came from ("impact report", "recomputed" or "failed")."""
    expected = computed_from(programme, seed=seed, as_of=as_of)
    if output_dir:
        found = read_record(record_path(output_dir, activity_id), json.loads(json.dumps(expected)))
        if found is not None:
            return found, "impact report"
    plan = programme.plan(activity_id)
    try:
        impact = estimate_activity(
            programme, activity_id, policy=policy, seed=seed, alpha=ALPHA, horizons=HORIZONS
        )
        return record(impact, programme, seed=seed, as_of=as_of, policy=policy), "recomputed"
    except Exception as error:  # noqa: BLE001 - one activity must not stop the summary
        failed = ImpactRecord(
            activity_id=activity_id,
            activity_name=str(plan["activity_name"]),
            design=str(plan["impact_design"]),
            status="failed",
            reason=f"the estimate could not be computed ({type(error).__name__})",
        )
        return failed, "failed"


def delivery_table(programme: Programme, *, policy: DisclosurePolicy = DEFAULT_POLICY) -> pd.DataFrame:
    """Exact delivery figures per activity (published only through disclosure control):
    target, referred, started support, cohort job-start rate and interval, budget, spend."""
    rows = []
    stages = [(s.name, s.column, s.label) for s in programme.stages]
    for _, plan in programme.delivery_plan.iterrows():
        activity_id = plan["activity_id"]
        people = programme.participants_of(activity_id)
        spend = programme.spend_of(activity_id)
        row = {
            "activity_id": activity_id,
            "activity_name": str(plan["activity_name"]),
            "priority": str(plan["priority"]),
            "design": str(plan["impact_design"]),
            "target": float(plan["target_participants"]) if pd.notna(plan["target_participants"]) else np.nan,
            "target_stage": target_stage(plan),
            "target_reached": stage_count(people, stages, target_stage(plan)),
            "job_target": float(whole_target(plan.get("target_job_outcomes")) or np.nan),
            **dict.fromkeys(JOB_OUTCOME_STAGES, 0),
            "referred": len(people),
            "started": int(people["started_date"].notna().sum()) if not people.empty else 0,
            "budget": float(plan["budget_gbp"]),
            "spend": (
                np.nan
                if not programme.has("spend")
                else float(pd.to_numeric(spend["spend_gbp"]).sum())
                if not spend.empty
                else 0.0
            ),
            "job_cohort_n": 0,
            "job_cohort_reached": 0,
            "job_rate": np.nan,
            "job_lower": np.nan,
            "job_upper": np.nan,
        }
        for cohort in SUMMARY_COHORTS:
            row[cohort] = int(PRIORITY_COHORTS[cohort](people).sum()) if not people.empty else 0
        if not people.empty:
            try:
                table = funnel_module.funnel(people, stages=stages, as_of=programme.as_of).table
                row |= dict(zip(*job_outcome_rows(table)[["stage", "n"]].T.to_numpy(), strict=True))
                job = table[(table["group"] == funnel_module.ALL) & (table["stage"] == "job_start")]
                if not job.empty:
                    first = job.iloc[0]
                    row |= {
                        "job_cohort_n": int(first["cohort_n"]),
                        "job_cohort_reached": int(first["cohort_reached"]),
                        "job_rate": float(first["cohort_rate"]),
                        "job_lower": float(first["cohort_lower"]),
                        "job_upper": float(first["cohort_upper"]),
                    }
            except Exception:  # noqa: BLE001, S110 - a funnel problem leaves the rate not available
                pass
        rows.append(row)
    return pd.DataFrame(rows)


PROGRAMME_TARGETS = {
    **{stage: f"residents {words}" for stage, words in TARGET_STAGES.items()},
    "job_outcomes": "job outcomes",
}
"""What a programme-level target in programme.json's `targets` counts, in words (keys: TARGET_COUNTS)."""
assert tuple(PROGRAMME_TARGETS) == TARGET_COUNTS


def programme_targets(programme: Programme) -> dict[str, int]:
    """Programme-level targets, read and checked with the input folder (`Programme.targets`)."""
    return dict(getattr(programme, "targets", {}))


def people_once(participants: pd.DataFrame, stages) -> pd.DataFrame:
    """One row per person across activities: the earliest referral and the earliest date of each
    later stage in any activity, so programme counts and cohort rates count people, not places."""
    columns = [column for _, column, *_ in stages]
    return participants.groupby("person_id", sort=True)[columns].min().reset_index()


def programme_totals(programme: Programme, delivery: pd.DataFrame) -> dict:
    """Exact programme totals (published only through disclosure control): distinct people at each
    stage, referrals (places), people in more than one activity, the person-level job outcomes
    funnel, programme-level targets, and the combined activity targets with the count over the
    same activities."""
    people = programme.participants
    stages = [(s.name, s.column, s.label) for s in programme.stages]
    once = people_once(people, stages) if not people.empty else people
    per_person = people.groupby("person_id").size() if not people.empty else pd.Series(dtype=int)
    totals = {
        "people": len(once),
        "places": len(people),
        "in_several": int((per_person > 1).sum()),
        "stage_people": {name: stage_count(once, stages, name) for name in TARGET_STAGES},
        "jobs": pd.DataFrame(),
        "targets": programme_targets(programme),
    }
    if not once.empty:
        table = funnel_module.funnel(once, stages=stages, as_of=programme.as_of).table
        totals["jobs"] = job_outcome_rows(table)
    with_target = delivery[delivery["target"].notna() & (delivery["target"] > 0)]
    totals["combined"] = {
        "activities": len(with_target),
        "target": int(with_target["target"].sum()),
        "reached": int(with_target["target_reached"].sum()),
        "stages": sorted(set(with_target["target_stage"])),
    }
    with_jobs = delivery[delivery["job_target"].notna() & (delivery["job_target"] > 0)]
    totals["combined_jobs"] = {
        "activities": len(with_jobs),
        "target": int(with_jobs["job_target"].sum()),
        "reached": int(with_jobs["job_start"].sum()) if len(with_jobs) else 0,
    }
    return totals


def reach_sentences(ctx: SummaryContext) -> list[str]:
    """The programme's reach and targets in words: people counted once, overlaps stated, and each
    per cent of target over the same activities (or people) as the target."""
    totals, policy, as_of = required(ctx.totals, "programme totals"), ctx.policy, long_date(ctx.as_of)
    stage_people = totals["stage_people"]
    overlap = (
        f"{about_count(totals['in_several'], policy)} people were referred to more than one activity and are "
        f"counted once here, so the {about_count(totals['places'], policy).removeprefix('about ')} referrals to "
        "activities add up to more"
        if totals["in_several"]
        else "nobody was referred to more than one activity, so people and referrals are the same"
    )
    said = [
        f"Reach: {about_count(totals['people'], policy)} people had been referred by {as_of}, "
        f"{about_count(stage_people['engaged'], policy)} had engaged and "
        f"{about_count(stage_people['started'], policy)} had started support, each person counted once across "
        f"all activities ({overlap})."
    ]
    for stage, target in totals["targets"].items():
        if stage == "job_outcomes":
            continue
        words = TARGET_STAGES[stage]
        said.append(
            f"Programme target of {target:,} residents {words}: {about_count(stage_people[stage], policy)} people had "
            f"{words} by {as_of} ({share_of_target(stage_people[stage], target, policy)}), each counted once "
            "across all activities."
        )
    jobs = totals["jobs"]
    if "job_outcomes" in totals["targets"] and not jobs.empty:
        said.append(
            job_target_sentence(
                jobs, totals["targets"]["job_outcomes"], ctx.as_of, policy, target_name="programme target"
            )
            + " Each person is counted once across all activities."
        )
    if not jobs.empty:
        start = jobs[jobs["stage"] == "job_start"]
        if not start.empty:
            said.append(cohort_sentence(start.iloc[0], ctx.as_of, policy) + " (each person counted once)")
    combined = totals["combined"]
    if combined["activities"]:
        stages_ = combined["stages"]
        words = (
            f"residents {TARGET_STAGES[stages_[0]]}"
            if len(stages_) == 1
            else "residents at the stage each plan names"
        )
        reached = (
            f"had {TARGET_STAGES[stages_[0]]}"
            if len(stages_) == 1
            else "had reached the stage their plan names"
        )
        said.append(
            f"{_with_target(combined['activities'], 'target')} {combined['target']:,} "
            f"{words}; in those activities {about_count(combined['reached'], policy)} {reached} "
            f"({share_of_target(combined['reached'], combined['target'], policy)}). Like the targets, this counts "
            "a person in two of those activities once for each."
        )
    combined_jobs = totals["combined_jobs"]
    if combined_jobs["activities"]:
        said.append(
            f"{_with_target(combined_jobs['activities'], 'job outcome target')} "
            f"{combined_jobs['target']:,}; in those activities {about_count(combined_jobs['reached'], policy)} "
            f"job starts had been recorded ({share_of_target(combined_jobs['reached'], combined_jobs['target'], policy)}), "
            "a person starting a job through two of them counted once for each."
        )
    return said


# --------------------------------------------------------------------------- helpers


def _with_target(n_activities: int, what: str) -> str:
    """ "The targets of the 3 activities with one add up to" (or "The target of the one activity
    with one is"), for the sentence on combined activity targets."""
    if n_activities == 1:
        return f"The {what} of the one activity with one is"
    return f"The {what}s of the {n_activities} activities with one add up to"


WITHHELD = "verdict withheld"
"""The verdict of an activity whose impact report withholds it (comparison group not credible)."""
AREA_FOLLOW_UP = "Quarters after the start (area employment rate)"


@dataclass(frozen=True)
class ActivityHeadline:
    """One activity's headline exactly as its own impact report leads with it: the follow-up
    (months after referral; None for an area comparison), estimate and interval (percentage
    points), whether it is significant, and whether the verdict is published."""

    activity_name: str
    design: str
    horizon: int | None
    estimate: float
    ci_lower: float
    ci_upper: float
    significant: bool
    published: bool = True
    withheld_reason: str = ""
    entry: HorizonRecord | None = None
    """The record's figures at the headline follow-up (net additional outcomes, cost), if any."""

    @property
    def verdict(self) -> str:
        """Significant increase, significant decrease, not significant, or verdict withheld (in words)."""
        if not self.published:
            return WITHHELD
        if not self.significant:
            return "not significant"
        return "significant increase" if self.estimate > 0 else "significant decrease"

    @property
    def label(self) -> str:
        """The name with the headline follow-up: "Women (12 months)"."""
        return f"{self.activity_name} ({self.horizon} months)" if self.horizon else self.activity_name

    @property
    def named(self) -> str:
        """The name and follow-up for running text: "Women at 12 months"."""
        return f"{self.activity_name} at {self.horizon} months" if self.horizon else self.activity_name

    @property
    def follow_up(self) -> str:
        return f"{self.horizon} months after referral" if self.horizon else AREA_FOLLOW_UP

    @property
    def interval(self) -> str:
        return pp_interval(self.estimate, self.ci_lower, self.ci_upper, scale=1.0)

    def withheld_because(self, who: str = "it") -> str:
        """Why there is no verdict, in plain words (for a withheld verdict): the record's reason,
        introduced by "the comparison group was not credible" unless the reason says so itself."""
        reason = clause(self.withheld_reason)
        if "not credible" in reason:
            return reason
        return f"the comparison group was not credible for {who}" + (f": {reason}" if reason else "")


def headline_of(rec: ImpactRecord) -> ActivityHeadline | None:
    """The activity's headline from its impact record (`ImpactRecord.headline`), or None when the
    activity has no impact estimate. Nothing is recomputed, so the summary and the activity's
    own report lead with the same follow-up, estimate and verdict."""
    head = rec.headline
    if not rec.estimated or head is None:
        return None
    estimate, lower, upper = head.estimate_pp, head.ci_lower_pp, head.ci_upper_pp
    if estimate is None or lower is None or upper is None or not np.isfinite([estimate, lower, upper]).all():
        return None
    horizon = int(head.horizon) if head.horizon is not None else None
    return ActivityHeadline(
        activity_name=rec.activity_name,
        design=rec.design,
        horizon=horizon,
        estimate=float(estimate),
        ci_lower=float(lower),
        ci_upper=float(upper),
        significant=head.significant,
        published=head.published,
        withheld_reason=head.withheld_reason,
        entry=rec.at(horizon),
    )


def _records(records: Mapping[str, ImpactRecord] | Iterable[ImpactRecord]) -> list[ImpactRecord]:
    return list(records.values()) if isinstance(records, Mapping) else list(records)


def headlines(
    records: Mapping[str, ImpactRecord] | Iterable[ImpactRecord], design: str | None = None
) -> list[ActivityHeadline]:
    """The headlines of every activity (of `design`, if given) with an impact estimate, in record order."""
    found = (headline_of(rec) for rec in _records(records) if design is None or rec.design == design)
    return [h for h in found if h is not None]


def by_family(records: Mapping[str, ImpactRecord]) -> list[tuple[Family, list[ImpactRecord]]]:
    """Every report family of the registered designs, in registry order, with its activities' records
    (an empty list when it has none)."""
    return [(family, [r for r in records.values() if r.design in names]) for family, names in families()]


def _estimate_at(rec: ImpactRecord, horizon: int) -> str:
    """An estimate at `horizon` months for the table: the interval, "not yet" (too few participants
    followed that long so far) or [x] (not available)."""
    entry = rec.at(horizon)
    if entry is None:
        return NOT_AVAILABLE
    if not entry.reportable:
        return "not yet"
    estimate, lower, upper = entry.estimate_pp, entry.ci_lower_pp, entry.ci_upper_pp
    if estimate is None or lower is None or upper is None:
        return NOT_AVAILABLE
    return pp_interval(estimate, lower, upper, scale=1.0)


def table_horizons(records: dict[str, ImpactRecord]) -> list[int]:
    """The follow-ups (months) that get their own column in the table of estimates: the standard
    ones and any other of a design estimated at follow-ups (`Family.follow_ups`)."""
    found = {
        int(e.horizon) for rec in records.values() if family_of(rec.design).follow_ups for e in rec.horizons
    }
    return sorted(set(HORIZONS) | found)


def forest_frame(
    records: Mapping[str, ImpactRecord] | Iterable[ImpactRecord], design: str | None = None
) -> pd.DataFrame:
    """Each activity's headline estimate (percentage points) for a forest plot (of `design`'s
    activities, if given): labelled with its own headline follow-up ("Women (12 months)"), with
    the verdict of its impact report."""
    rows = [
        {
            "label": h.label,
            "activity_name": h.activity_name,
            "horizon": h.horizon,
            "estimate": h.estimate,
            "ci_lower": h.ci_lower,
            "ci_upper": h.ci_upper,
            "verdict": h.verdict,
        }
        for h in headlines(records, design)
    ]
    columns = ["label", "activity_name", "horizon", "estimate", "ci_lower", "ci_upper", "verdict"]
    return pd.DataFrame(rows, columns=columns)


def by_verdict(heads: list[ActivityHeadline], verdict_: str) -> list[ActivityHeadline]:
    """The headlines with one verdict ("significant increase", ..., `WITHHELD`)."""
    return [h for h in heads if h.verdict == verdict_]


def withheld_sentences(heads: list[ActivityHeadline]) -> list[str]:
    """One sentence per activity whose verdict is withheld, saying why in plain words."""
    return [
        f"No verdict is given for {h.named} because {h.withheld_because()}. Its estimate is shown as evidence only: "
        "it is not counted among activities that raised or lowered employment, and no net additional outcomes or "
        "cost per outcome are given for it."
        for h in heads
        if not h.published
    ]


def net_text(entry: HorizonRecord) -> str:
    """Net additional people in work with interval: "+46 (+12 to +80)"; [x] when not available."""
    return people_interval(entry.net_additional, entry.net_additional_ci_lower, entry.net_additional_ci_upper)


def net_sentence(head: ActivityHeadline) -> str:
    """Net additional people in work and cost per net additional person, at the activity's
    headline follow-up, in words; empty when there are no such figures or the verdict is withheld."""
    entry = head.entry
    if not head.published or entry is None or entry.net_additional is None:
        return ""
    low, high = entry.net_additional_ci_lower, entry.net_additional_ci_upper
    if low is None or high is None:
        return ""
    span = people_range(low, high)
    text = (
        f"{head.activity_name}: {span} people in work {head.horizon} months after referral because of the activity "
        f"(central estimate {signed_people(entry.net_additional)})"
    )
    if entry.cost_meaningful and entry.cost_per_net_additional is not None:
        text += (
            f", at {money(entry.cost_per_net_additional)} per net additional person in work "
            f"({money(entry.cost_ci_lower)} to {money(entry.cost_ci_upper)})."
        )
    elif not head.significant:
        text += (
            "; the effect is not statistically significant, so the cost per net additional person could be anything "
            "up to infinite and is not given."
        )
    else:
        text += "; the cost per net additional person is not meaningful here and is not given."
    return text


# --------------------------------------------------------------------------- sections


def title_block(ctx: SummaryContext) -> list:
    return [
        HTML(f"<h1>Programme summary: {escape(ctx.programme.name)}</h1>"),
        paragraph(
            f"Every activity side by side · {update_label(ctx.programme, ctx.interim)} · {ctx.programme.name}",
            css_class="note",
        ),
    ]


def headline_section(ctx: SummaryContext) -> list:
    """What the activities found, each family in its own words, the withheld verdicts, reach and spend."""
    records, delivery = ctx.records, ctx.delivery
    texts, notes, heads = [], [], []
    for family, found in by_family(records):
        said, noted = family.summary_headline(ctx, found)
        texts += said
        notes += noted
        heads += headlines(found)
    texts += withheld_sentences(heads)
    bullets_ = [
        *(reach_sentences(ctx) if ctx.totals is not None else []),
        f"Spend: {money(delivery['spend'].sum())} of the {money(delivery['budget'].sum())} budget to the latest "
        "month recorded."
        if ctx.programme.has("spend")
        else f"Spend is not reported: no spend returns were supplied (the budget is {money(delivery['budget'].sum())}).",
        *notes,
    ]
    failed = [r.activity_name for r in records.values() if r.status == "failed"]
    out = [heading("Headline"), headline(*texts), bullets(bullets_)]
    if failed:
        out.append(
            warning(f"The impact estimate could not be computed for {and_list(failed)}; see the table below.")
        )
    return out


def update_scope(ctx: SummaryContext) -> list:
    start = long_date(programme_start(ctx.programme))
    last = ctx.programme.last_outcome_month or ctx.as_of
    people = ctx.programme.participants
    items = [
        f"This summary counts {months_since_start(ctx.programme)} months from the programme's start on {start} and "
        f"uses data known on {long_date(ctx.as_of)}; employment records run to {month_year(last)}."
    ]
    if ctx.interim:
        items.append(
            "It is an interim update: figures are provisional and will change as more people are referred and "
            "followed for longer."
        )
    for horizon in HORIZONS:
        cutoff = (last.to_period("M") - horizon).to_timestamp()
        months = people["referred_date"].dt.to_period("M").dt.to_timestamp()
        later = int((months > cutoff).sum())
        if later and len(people):
            share = safe_percent(later, len(people), ctx.policy)
            items.append(
                f"{horizon}-month employment outcomes are not yet observable for people referred after "
                f"{month_year(cutoff)} ({'a few' if share == SUPPRESSED else f'{share}%'} of all referrals)."
            )
    items.append(
        f"Progression into work uses cohort rates: only people referred at least {COHORT_WEEKS} weeks before "
        f"{long_date(ctx.as_of)} count, so recent referrals do not pull the rates down."
    )
    return [heading("What this update can and cannot show yet"), bullets(items)]


JOB_OUTCOME_COLUMNS = ("Started a job", "In work 13 weeks", "In work 26 weeks")


def _count_and_share(n, target: int | None, policy: DisclosurePolicy) -> str:
    """A rounded count with its per cent of a target, worked out from the rounded count so that it
    gives nothing more away: "45 (11%)"; [c] parts hidden."""
    shown = safe_count(int(n), policy)
    if target is None:
        return f"{shown}"
    share = percent_of_target(int(n), target, policy)
    return f"{shown} ({share}%)" if share != SUPPRESSED else f"{shown} ([c])"


def reach_and_conversion(ctx: SummaryContext) -> list:
    delivery = ctx.delivery
    rows = []
    row: Any  # a row of the delivery table, whose columns have several types
    for row in delivery.itertuples():
        has_target = np.isfinite(row.target) and row.target > 0
        rate = "[z]"
        if row.referred:
            if not np.isfinite(row.job_rate) or row.job_cohort_n == 0:
                rate = "[x]"
            elif safe_percent(row.job_cohort_reached, row.job_cohort_n, ctx.policy) == SUPPRESSED:
                rate = SUPPRESSED
            else:
                rate = f"{100 * row.job_rate:.0f} ({100 * row.job_lower:.0f} to {100 * row.job_upper:.0f})"
        stage = getattr(row, "target_stage", "started")
        reached = getattr(row, "target_reached", row.started)
        job_target = whole_target(getattr(row, "job_target", np.nan))
        jobs = {
            label: _count_and_share(getattr(row, stage_, 0), job_target, ctx.policy)
            if row.referred
            else "[z]"
            for stage_, label in zip(JOB_OUTCOME_STAGES, JOB_OUTCOME_COLUMNS, strict=True)
        }
        rows.append(
            {
                "Activity": row.activity_name,
                "Participant target (what it counts)": f"{int(row.target):,} {TARGET_STAGES[stage]}"
                if has_target
                else "[z]",
                "People referred": safe_count(row.referred, ctx.policy),
                "People who started support": safe_count(row.started, ctx.policy),
                "Per cent of participant target reached": percent_of_target(
                    reached, int(row.target), ctx.policy
                )
                if has_target
                else "[z]",
                f"Per cent starting a job within {COHORT_WEEKS} weeks (95% CI)": rate,
                "Job outcome target": f"{job_target:,}" if job_target is not None else "[z]",
                **jobs,
            }
        )
    table = pd.DataFrame(rows).set_index("Activity")
    chart = delivery[delivery["target"].notna() & (delivery["target"] > 0)].copy()
    reached = chart["target_reached"] if "target_reached" in chart else chart["started"]
    chart["share"] = [
        np.nan if isinstance(v := percent_of_target(int(s), int(t), ctx.policy), str) else float(v)
        for s, t in zip(reached, chart["target"], strict=True)
    ]
    chart = chart.sort_values("share", ascending=False, na_position="last")
    out = [heading("Reach and progression into work")]
    if not chart.empty:
        met = int((chart["share"] >= 100).sum())
        if met:
            title = (
                f"{met} of {len(chart)} activities with a target had reached their full participant target"
            )
        else:
            best = chart.dropna(subset=["share"])
            title = "No activity had yet reached its full participant target" + (
                f"; the closest was {best['activity_name'].iloc[0]} at {best['share'].iloc[0]:.0f}%"
                if not best.empty
                else ""
            )
        fig = charts.horizontal_bars(
            chart["activity_name"],
            chart["share"],
            xlabel="People at the stage the target counts, per cent of the delivery-plan target",
            value_format="{:.0f}%",
            reference=100,
            reference_label="Target (100%)",
        )
        out.append(
            ctx.numbering.figure(
                fig,
                title=title,
                subtitle=f"People at the stage each target counts (started support unless the plan says otherwise) "
                f"as a per cent of the target, by activity, "
                f"{ctx.programme.name}, to {long_date(ctx.as_of)}",
                alt=(
                    f"Bar chart, one bar per activity, of people at the stage the target counts as a per cent of the "
                    f"target, with "
                    f"a dashed line at 100%. {title}. "
                    + "; ".join(
                        f"{name}: {'[c]' if not np.isfinite(v) else f'{v:.0f}%'}"
                        for name, v in zip(chart["activity_name"], chart["share"], strict=True)
                    )
                    + ". The numbers are in the next table."
                ),
            )
        )
    out.append(
        ctx.numbering.table(
            table,
            index=True,
            title=f"Reach against target and progression into work by activity, to {long_date(ctx.as_of)}",
            note=(
                f"People rounded to the nearest 5. The job-start rate is a cohort rate: among people referred at least "
                f"{COHORT_WEEKS} weeks before {long_date(ctx.as_of)}, the per cent who started a job within {COHORT_WEEKS} "
                "weeks of referral, with a Wilson 95% interval. Job outcomes: people who had reached each by "
                f"{long_date(ctx.as_of)}, with the per cent of the activity's job outcome target in brackets; a "
                "target does not say which outcome it counts, so each is shown against it, and jobs started less "
                "than 13 or 26 weeks ago cannot yet show that long in work. Each activity counts its own "
                "participants: a person in two activities is in both rows. Per cent of a target is worked out "
                "from the rounded number of people, so that it does not give the exact number away. "
                "[z]: no target, or no individual participants. " + SHORTHAND_NOTE
            ),
        )
    )
    return out


def _power_columns(rec: ImpactRecord, holm: float) -> list[str]:
    """The headline's p-value, its Holm-adjusted value and its smallest detectable effect, as text."""
    head = rec.headline
    p = head.p_value if head is not None else None
    detectable = head.detectable_pp if head is not None else None
    return [
        f"{p:.3f}" if p is not None and np.isfinite(p) else "[x]",
        f"{holm:.3f}" if np.isfinite(holm) else "[x]",
        f"{detectable:.1f}" if detectable is not None and np.isfinite(detectable) else "[x]",
    ]


def impact_comparison(ctx: SummaryContext) -> list:
    """Each family's forest plot, then every activity's estimate, verdict and evidence in one table."""
    records = ctx.records
    out = [heading("Impact on employment: every activity side by side")]
    for family, found in by_family(records):
        out += family.summary_figures(ctx, found)
    horizons = table_horizons(records)
    p_values = [rec.headline.p_value if rec.headline is not None and rec.headline.p_value is not None else np.nan
                for rec in records.values()]  # fmt: skip
    holm = dict(zip(records, adjusted_p_values(p_values, "holm"), strict=True))
    rows = []
    for activity_id, rec in records.items():
        design = DESIGN_LABELS.get(rec.design, rec.design)
        level = rec.evidence_level
        evidence = f"Level {level} of 5" if level else "No impact estimate"
        follow_ups = family_of(rec.design).follow_ups
        at = [_estimate_at(rec, h) if follow_ups else NOT_APPLICABLE for h in horizons]
        head = headline_of(rec)
        if head is not None:
            said = (
                head.verdict
                if head.published
                else f"Verdict withheld, because {head.withheld_because('this activity')}"
            )
            power = _power_columns(rec, holm[activity_id])
            rows.append(
                [rec.activity_name, design, head.follow_up, head.interval, said, *power, *at, evidence]
            )
        else:
            reason = rec.reason.rstrip(".")
            rows.append(
                [
                    rec.activity_name,
                    design,
                    "[z]",
                    "[z]",
                    f"Not estimated: {reason}",
                    "[z]",
                    "[z]",
                    "[z]",
                    *at,
                    "No impact estimate",
                ]
            )
    table = pd.DataFrame(
        rows,
        columns=[
            "Activity",
            "Design",
            "Headline follow-up",
            "Headline effect, percentage points (95% CI)",
            "Verdict at the headline follow-up",
            "p-value",
            "p-value adjusted across activities (Holm)",
            "Smallest detectable effect, percentage points",
            *[f"At {h} months, percentage points (95% CI)" for h in horizons],
            "Strength of evidence (Maryland scale)",
        ],
    ).set_index("Activity")
    out.append(
        ctx.numbering.table(
            table,
            index=True,
            title="Impact estimate, verdict and strength of evidence for every activity",
            note=(
                "p-value: of the headline, by the design's own inference (for areas, a wild cluster bootstrap); adjusted "
                "across the activities estimated (Holm), it says whether the verdict survives testing this many "
                "activities at once. Smallest detectable effect: what the analysis would find significant 4 times in "
                "5 (2.8 standard errors); a 'not significant' verdict with a large one says little. "
                "Headline follow-up: the longest time after referral at which enough participants have been followed; "
                "the effect and verdict are at that follow-up, as in the activity's impact report. "
                + f"At {and_list([str(h) for h in horizons])} months: the estimate at each follow-up, for comparison; 'not yet': too few participants followed "
                "that long so far; [x]: not available. "
                "Matched comparison: participants against matched similar non-participants before and after referral "
                "(effect on the chance of being in work). Area comparison: areas where the activity ran against areas "
                "where it did not (effect on the employment rate). Level 3 of 5 on the Maryland Scientific Methods "
                "Scale: a justified comparison group with before-and-after data. [z]: not applicable. Counts of "
                f"people are rounded, so an activity shown with {ctx.policy.min_impact_n} people referred can have "
                f"fewer than the {ctx.policy.min_impact_n} needed for an estimate."
            ),
        )
    )
    recomputed = [records[a].activity_name for a, s in ctx.sources.items() if s == "recomputed"]
    failed = [records[a].activity_name for a, s in ctx.sources.items() if s == "failed"]
    notes = []
    if recomputed and ctx.output_dir:
        notes.append(
            f"Estimates for {and_list(recomputed)} were recomputed for this summary because their impact report did not "
            "leave results from this run (for example because it failed); they use the same method and seed."
        )
    if failed:
        notes.append(f"No estimate could be computed for {and_list(failed)}.")
    if notes:
        out.append(paragraph(*notes, css_class="note"))
    return out


def value_for_money(ctx: SummaryContext) -> list:
    records, delivery = ctx.records, ctx.delivery.set_index("activity_id")
    rows, sentences = [], []
    for activity_id, rec in records.items():
        d = delivery.loc[activity_id]
        assert isinstance(d, pd.Series), "activity ids are unique: the delivery plan's primary key"
        each = per_person(d["spend"], int(d["started"]), ctx.policy)
        per_start = money(each) if not isinstance(each, str) else each
        head = headline_of(rec) if family_of(rec.design).costed else None
        follow_up, net_, cost_text = "[z]", "[z]", "[z]"
        if head is not None:
            follow_up = head.follow_up
            entry = head.entry
            if not head.published:
                net_, cost_text = f"[z] {WITHHELD}", f"[z] {WITHHELD}"
            elif entry is not None and entry.net_additional is not None:
                net_ = net_text(entry)
                cost_text = (
                    f"{money(entry.cost_per_net_additional)} ({money(entry.cost_ci_lower)} to "
                    f"{money(entry.cost_ci_upper)})"
                    if entry.cost_meaningful and entry.cost_per_net_additional is not None
                    else "[z] not meaningful"
                )
                sentences.append(net_sentence(head))
        rows.append(
            [
                rec.activity_name,
                money(d["budget"]),
                money(d["spend"]),
                per_start,
                follow_up,
                net_,
                cost_text,
            ]
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "Activity",
            "Budget",
            "Spent to date",
            "Spend per person who started support",
            "Headline follow-up",
            "Net additional people in work at the headline follow-up (95% CI)",
            "Cost per net additional person in work (95% CI)",
        ],
    ).set_index("Activity")
    heads = [h for rec in records.values() if family_of(rec.design).costed and (h := headline_of(rec))]
    out = [
        heading("Cost and net additional outcomes"),
        paragraph(
            "Net additional outcomes are the people in work because of the activity: the effect applied to everyone "
            "who took part, after taking off those who would have been in work anyway (deadweight, estimated from the "
            "comparison group). Cost per net additional outcome divides all spend to date by that number. Each "
            "activity's figures are at its headline follow-up, as in its own impact report."
        ),
    ]
    said = [s for s in sentences if s] + [
        f"{h.activity_name}: no net additional outcomes or cost per outcome are given because "
        f"{h.withheld_because()}."
        for h in heads
        if not h.published
    ]
    if said:
        out.append(bullets(said))
    out.append(
        ctx.numbering.table(
            table,
            index=True,
            title=f"Spend, net additional people in work and cost per net additional person, by activity, to "
            f"{long_date(ctx.as_of)}",
            note=(
                "Net additional outcomes are model estimates, not counts, and are not rounded. They are at each "
                "activity's headline follow-up (months after referral). Spend per person divides spend to date by "
                "the number who started support rounded to the nearest 5, as published, so that it does not give "
                f"the exact number away; [c]: fewer than {ctx.policy.threshold} people started support, so it is "
                "hidden. [z]: not applicable or not meaningful: no estimate, nobody started support, the verdict is "
                "withheld because the comparison group was not credible, or the interval of the effect includes "
                "zero, so the cost per net additional outcome could be anything up to infinite. [x]: not available "
                "(no spend returns). Leakage, displacement and substitution are taken as zero and the multiplier "
                "as one."
            ),
        )
    )
    return out


# --------------------------------------------------------------------------- value for money


PROGRAMME_ROW = "Programme"


def value_for_money_of(rec: ImpactRecord) -> ValueForMoneyRecord | None:
    """The activity's appraisal as its impact report printed it (`ImpactRecord.value_for_money`)."""
    return rec.value_for_money if rec.estimated else None


def programme_value(records: Mapping[str, ImpactRecord]) -> ValueForMoneyRecord | None:
    """The programme's appraisal: the records' appraisals combined case by case (`vfm.combine`),
    as the run's results file holds it; None when no activity has one. Nothing is re-estimated."""
    combined = programme_appraisal({k: r for k, r in records.items() if value_for_money_of(r) is not None})
    return ValueForMoneyRecord.from_dict(appraisal_dict(combined)) if combined is not None else None


def ratio_range(ratio: RatioRecord, what: str = "", verdict: str = "") -> str:
    """A ratio's range for a table: "1.3 (0.8 to 1.9)", or why there is no ratio (`verdict`, the
    effect's): "no ratio: not significant", "no ratio: negative effect". `what` prefixes money ("£")."""

    def text(value: float | None) -> str:
        return f"{what}{vfm_words.ratio_text(value)}" if value is not None else "[x]"

    if ratio.presented and ratio.central is not None:
        return f"{text(ratio.central)} ({text(ratio.low)} to {text(ratio.high)})"
    return "no ratio: not significant" if verdict == "not_significant" else "no ratio: negative effect"


def money_range(central: float, low: float, high: float) -> str:
    """Money for a table, central then range: "£0.3m (-£0.2m to £1.1m)"."""
    short = vfm_words.short_money
    return f"{short(central)} ({short(low)} to {short(high)})"


def switching_years(vfm: ValueForMoneyRecord) -> str:
    """How long the measured effect must last for benefits to equal costs (central case)."""
    central = vfm.central
    if central.people_full_effect <= 0:
        return "[z] no effect to last"
    if central.years_needed is None:
        return f"more than {vfm.max_years} years"
    return vfm_words.years_text(central.years_needed)


def switching_people(vfm: ValueForMoneyRecord) -> str:
    """Net additional people in work needed for benefits to equal costs, against the central estimate."""
    needed = vfm.central.people_needed
    if needed is None:
        return "[x]"
    return f"{needed:,.0f} (central estimate {vfm.central.people_full_effect:,.0f})"


def people_valued(vfm: ValueForMoneyRecord) -> str:
    """The net additional people in work valued: central (low to high case)."""
    low, central, high = (vfm.cases[c].people_full_effect for c in ("low", "central", "high"))
    return f"{central:,.0f} ({low:,.0f} to {high:,.0f})"


def value_for_money_row(name: str, vfm: ValueForMoneyRecord | None, reason: str = "") -> list[str]:
    """One row of the programme's value-for-money table: ranges and switching values first."""
    if vfm is None:
        return [name, *["[z]"] * 6, f"Not valued: {clause(reason) or 'no appraisal'}"]
    low, central, high = vfm.low, vfm.central, vfm.high
    note = {
        "not_significant": "Effect not statistically significant: the range starts at zero benefit",
        "negative": "Effect negative: the monetised effects are losses",
        "mixed": "Activities' ranges added case by case; those not significant start at zero benefit",
    }.get(vfm.verdict, "")
    return [
        name,
        people_valued(vfm),
        money_range(central.npsv, low.npsv, high.npsv),
        switching_years(vfm),
        switching_people(vfm),
        ratio_range(vfm.benefit_cost_ratio, verdict=vfm.verdict),
        ratio_range(vfm.fiscal_return, what="£", verdict=vfm.verdict),
        note,
    ]


VALUE_FOR_MONEY_COLUMNS = [
    "Activity",
    "Net additional people in work valued, central (low to high case)",
    "Net present social value, central (low to high case)",
    "Switching value: the effect must last at least",
    "Switching value: people in work needed for benefits to equal costs",
    "Benefit-cost ratio, central (low to high case)",
    "Return to the Exchequer per £1 of public money, central (low to high case)",
    "Note",
]


def value_for_money_table(records: Mapping[str, ImpactRecord]) -> pd.DataFrame:
    """Every activity's value for money as its record holds it (or the reason there is none), and
    the programme's, combined from the records."""
    rows = [value_for_money_row(rec.activity_name, value_for_money_of(rec), rec.value_for_money_reason or rec.reason)
            for rec in records.values()]  # fmt: skip
    combined = programme_value(records)
    if combined is not None:
        rows.append(
            value_for_money_row(f"{PROGRAMME_ROW} ({len(combined.activities)} activities valued)", combined)
        )
    return pd.DataFrame(rows, columns=VALUE_FOR_MONEY_COLUMNS).set_index("Activity")


def ratio_frame(records: Mapping[str, ImpactRecord]) -> pd.DataFrame:
    """The benefit-cost ranges to chart: each activity valued, then the programme."""
    found = [(rec.activity_name, v) for rec in records.values() if (v := value_for_money_of(rec)) is not None]
    combined = programme_value(records)
    if combined is not None and found:
        found.append((PROGRAMME_ROW, combined))
    rows = [
        {
            "label": name,
            "low": v.benefit_cost_ratio.low,
            "central": v.benefit_cost_ratio.central,
            "high": v.benefit_cost_ratio.high,
            "presented": v.benefit_cost_ratio.presented,
        }
        for name, v in found
        if v.benefit_cost_ratio.high is not None
    ]
    return pd.DataFrame(rows, columns=["label", "low", "central", "high", "presented"])


def value_for_money_sentences(records: Mapping[str, ImpactRecord]) -> list[str]:
    """What the value-for-money table shows, in words built from the records: which activities are
    valued and why the others are not, where the whole range of the ratio lies above or below 1
    (a range, never a pass mark), then the programme's ranges, switching values and Exchequer return."""
    estimated = [rec for rec in records.values() if headline_of(rec) is not None]
    valued = [(rec, v) for rec in estimated if (v := value_for_money_of(rec)) is not None]
    said = []
    if not estimated:
        return ["No activity has an impact estimate yet, so value for money cannot be assessed."]
    names = and_list([rec.activity_name for rec, _ in valued])
    if len(estimated) == 1:
        only = estimated[0].activity_name
        assessed = "is assessed" if valued else "is not assessed"
        said.append(f"Value for money {assessed} for the one activity with an impact estimate, {only}.")
    else:
        said.append(
            f"Value for money is assessed for {len(valued)} of the {len(estimated)} activities with an impact estimate"
            + (f" ({names})." if valued else ".")
        )
    others = [rec for rec in estimated if value_for_money_of(rec) is None]
    if others:
        said.append(
            "Not valued: "
            + "; ".join(
                f"{rec.activity_name}, because {clause(rec.value_for_money_reason)}" for rec in others
            )
            + "."
        )
    not_significant = [rec.activity_name for rec, v in valued if v.verdict == "not_significant"]
    if not_significant:
        said.append(
            f"The effect of {and_list(not_significant)} is not statistically significant, so "
            f"{'its' if len(not_significant) == 1 else 'their'} benefits could be zero: "
            f"{'its range starts' if len(not_significant) == 1 else 'their ranges start'} at zero and no "
            "benefit-cost ratio is given as a return."
        )
    ratios = [
        (rec.activity_name, v.benefit_cost_ratio) for rec, v in valued if v.benefit_cost_ratio.presented
    ]
    above = [name for name, r in ratios if r.low is not None and r.low > 1]
    below = [name for name, r in ratios if r.high is not None and r.high < 1]
    across = [name for name, r in ratios if name not in above and name not in below]
    if above:
        said.append(f"For {and_list(above)}, benefits exceed costs even in the low case: the whole range of the "
                    "benefit-cost ratio is above 1.")  # fmt: skip
    if across:
        said.append(f"For {and_list(across)}, the range of the ratio spans 1: whether benefits exceed costs "
                    "depends on how large the effect is and how long it lasts (see the switching values).")  # fmt: skip
    if below:
        said.append(f"For {and_list(below)}, benefits fall short of costs even in the high case: the whole "
                    "range of the ratio is below 1.")  # fmt: skip
    appraisal = programme_appraisal({rec.activity_id: rec for rec, _ in valued})  # its verdict from its parts
    if appraisal is not None and len(valued) > 1:
        said += [vfm_words.range_sentence(appraisal), *vfm_words.switching_sentences(appraisal),
                 vfm_words.ratio_sentence(appraisal), vfm_words.fiscal_sentences(appraisal)[0]]  # fmt: skip
    return said


def programme_value_for_money(ctx: SummaryContext) -> list:
    """The programme's value for money from the records: ranges and switching values first, the
    benefit-cost ranges charted, every activity in one table with the programme combined."""
    records = ctx.records
    out = [
        heading("Value for money"),
        paragraph(
            "A social cost-benefit analysis of each activity's effect on employment, as in its impact report: the "
            "fiscal benefits (Universal Credit no longer paid, income tax and National Insurance), the participants' "
            "higher incomes and the wellbeing of being in work, against all spend, in low, central and high cases. "
            "Following the Green Book (2026), ranges and switching values come first: a benefit-cost ratio "
            "summarises the same figures and is not a pass mark. Nothing here is recomputed: each activity's "
            "figures are those its impact report printed, and the programme's add them up case by case."
        ),
        bullets(value_for_money_sentences(records)),
    ]
    frame = ratio_frame(records)
    combined = programme_value(records)
    if not frame.empty and combined is not None:
        data = charts.ratio_range_data(frame)
        spanning = sum(
            1 for lo, shown in zip(data["low"], data["presented"], strict=True) if shown and lo > 1
        )
        activities = len(data) - 1
        title = (
            f"Benefit-cost ratio ranges of the {activities} activit{'y' if activities == 1 else 'ies'} with a ratio "
            "and the programme" + (f"; for {spanning} the whole range is above 1" if spanning else "")
        )
        years = combined.horizon_years
        prices = f"{combined.base_year}-{(combined.base_year + 1) % 100:02d}"
        out.append(
            ctx.numbering.figure(
                charts.ratio_ranges(frame),
                title=title,
                subtitle=f"Benefits per £1 of cost, low to high case, present values in {prices} prices over {years} "
                f"years, {ctx.programme.name}, to {long_date(ctx.as_of)}",
                alt=(
                    "Range bars of the benefit-cost ratio, one per activity with a ratio and one for the programme, from "
                    "the low to the high case with the central case marked, and a dashed line at 1 where benefits "
                    f"equal costs. {title}. "
                    + "; ".join(
                        f"{label}: {text}" for label, text in zip(data["label"], data["text"], strict=True)
                    )
                    + ". The numbers are in the next table."
                ),
            )
        )
    out.append(
        ctx.numbering.table(
            value_for_money_table(records),
            index=True,
            title=f"Value for money by activity and for the programme, to {long_date(ctx.as_of)}",
            note=(
                "Present values in base-year prices, discounted at the Green Book rate (3.5% a year) from the year of "
                "the spend. Low case: the lower limit of the effect (zero when it is not statistically significant), "
                "low unit values and persistence, high optimism bias; high case the reverse. Switching values use "
                "the central case: how long the effect must last at its measured size, and how many more people must "
                "be in work because of the activity, for benefits to equal costs. Return to the Exchequer: fiscal "
                "benefits to DWP and HM Treasury per £1 of public spend. The programme adds the activities' cases, so "
                "its range is wider than an interval for the whole programme would be. Each activity's impact report "
                "gives the values used and who pays and who saves. [z]: not valued, for the reason given. "
                "[x]: not available."
            ),
        )
    )
    return out


def who_was_reached(ctx: SummaryContext) -> list:
    delivery = ctx.delivery[ctx.delivery["referred"] > 0]
    if delivery.empty:
        return []
    rows = []
    for row in delivery.to_dict("records"):
        shares = [safe_percent(int(row[c]), int(row["referred"]), ctx.policy) for c in SUMMARY_COHORTS]
        rows.append([row["activity_name"], *shares])
    table = pd.DataFrame(rows, columns=["Activity", *[f"{c} (%)" for c in SUMMARY_COHORTS]]).set_index(
        "Activity"
    )
    return [
        heading("Who each activity reached"),
        ctx.numbering.table(
            table,
            index=True,
            title=f"Per cent of each activity's participants in priority groups, to {long_date(ctx.as_of)}",
            note="A person can be in several groups. Percentages are of people referred, computed before rounding. "
            "[c]: hidden because the group is small. What each activity achieved for each group, where it could be "
            "estimated, is in the next table.",
        ),
        *cohort_effects(ctx),
    ]


def cohort_effect_table(records: Mapping[str, ImpactRecord], cohorts=SUMMARY_COHORTS) -> pd.DataFrame:
    """Per activity with cohort estimates, each cohort's effect (percentage points, 95% interval),
    "not estimated" where the activity's report says why, and [z] where the design has none."""
    rows = []
    for rec in records.values():
        if not rec.subgroups:
            continue
        found = {g.cohort: g for g in rec.subgroups}
        cells = []
        for cohort in cohorts:
            group = found.get(cohort)
            if group is None:
                cells.append("[z]")
            elif (
                group.estimate_pp is not None
                and group.ci_lower_pp is not None
                and group.ci_upper_pp is not None
            ):
                cells.append(pp_interval(group.estimate_pp, group.ci_lower_pp, group.ci_upper_pp, scale=1.0))
            else:
                cells.append("not estimated")
        rows.append([rec.activity_name, *cells])
    return pd.DataFrame(rows, columns=["Activity", *cohorts]).set_index("Activity")


def cohort_effects(ctx: SummaryContext) -> list:
    """What each matched activity achieved for each priority group (exploratory)."""
    table = cohort_effect_table(ctx.records)
    if table.empty:
        return []
    estimated = int(table.apply(lambda column: column.str.contains(" to ")).to_numpy().sum())
    return [
        paragraph(
            f"Effects by priority group are exploratory: {estimated} of {table.size} activity-and-group pairs "
            "shown could be estimated (both the group and the other participants large enough, and matching "
            "balanced within the group). Each activity's impact report gives the reason for the rest."
        ),
        ctx.numbering.table(
            table,
            index=True,
            title="What each activity achieved for each priority group (effect on the share in work)",
            note="Percentage points with 95% intervals, at each activity's headline follow-up. Not adjusted for "
            "the number of groups here; the activity reports give adjusted p-values. [z]: not applicable.",
        ),
    ]


def methods_and_caveats(ctx: SummaryContext) -> list:
    return [
        heading("Methods, evidence and caveats"),
        bullets(
            [
                "Each activity's impact report sets out its method, the checks on its comparison group and its caveats; "
                "this summary repeats the headline estimates.",
                "Each activity is judged at its own headline follow-up, the longest time after referral at which "
                "enough of its participants have been followed, so the summary and the activity's report give the "
                "same estimate and verdict. Activities with different follow-ups are not measured at the same point: "
                f"the table of impact estimates also gives each estimate at {and_list([str(h) for h in HORIZONS])} "
                "months.",
                "Where the checks show the comparison group was not credible, the verdict is withheld: the estimate "
                "is shown as evidence only, with no net additional outcomes or cost per outcome.",
                "Activities differ in who they serve: an activity working with people further from work can show a "
                "smaller effect and still be worthwhile. Compare like with like.",
                "Matched comparison estimates (level 3 of 5 on the Maryland Scientific Methods Scale) can still be "
                "biased by differences the data do not record, such as motivation.",
                "Area comparisons rest on few local authorities, so only large changes in the employment rate could "
                "be detected.",
                "Estimates for several activities are shown together: with many comparisons, one may look significant "
                "by chance.",
                ctx.policy.describe(),
            ]
        ),
    ]


def reports(ctx: SummaryContext) -> list:
    """Links to each activity's reports that exist in the output folder."""
    if not ctx.output_dir:
        return []
    folder = Path(ctx.output_dir)
    links = []
    for row in ctx.delivery.itertuples():
        for kind in ("process", "impact"):
            name = f"{row.activity_id}_{kind}.html"
            if (folder / name).exists():
                links.append((name, f"{kind.capitalize()} report: {row.activity_name}"))
    if not links:
        return []
    return [heading("Reports for each activity"), link_list(links)]
