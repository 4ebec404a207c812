"""The report's text for one theme: cohort, findings, quotes, recommendations, actions, charts."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, replace
from typing import Protocol

import pandas as pd

from analytics import queries
from analytics.disclosure.suppression import SUPPRESSED
from analytics.domain import RAG_ORDER, ROUND_STATUSES_WITH_DATA, Filters
from analytics.narrative import status_and_rag
from analytics.report_doc import wording as W
from analytics.report_doc.findings import (
    Finding,
    Printable,
    circulated_trend,
    cohort_sentence,
    earlier_printable,
    findings,
    gender_sentence,
    long_date,
    quadrant_differences,
    quadrant_summary,
    reported,
    trend_summary,
)
from analytics.store import Store

NEXT_STEP = "next step"
RECOMMENDATION = "recommendation"


@dataclass(frozen=True)
class ActionRow:
    """One row of the action plan table."""

    action: str
    outcome: str
    owner: str
    due: str
    status: str
    rag: str


@dataclass(frozen=True)
class ChartData:
    """A chart of the theme: the frame it plots (withheld shares blank) and its words."""

    name: str  # "quadrant_comparison" or "round_trend", the analytics.charts builder to use
    frame: pd.DataFrame
    caption: str
    note: str
    alt_text: str
    round_labels: dict[str, str]


@dataclass(frozen=True)
class ThemeText:
    """Everything the report says about one theme, as text (and the data of its charts)."""

    theme_id: str
    title: str
    round_id: str | None
    round_end: pd.Timestamp | None
    scope: str
    cohort: str
    genders: str | None
    round_sentence: str | None
    selection: str | None
    cases: int
    findings: tuple[Finding, ...]
    trend_summary: str
    quadrant_summary: str | None
    earlier_round: str | None
    quotes: tuple[str, ...]
    recommendations: tuple[str, ...]
    actions_note: str | None
    actions: tuple[ActionRow, ...]
    next_steps: tuple[str, ...]
    quadrant_chart: ChartData | None = None
    trend_chart: ChartData | None = None


def _label(rounds: pd.DataFrame, round_id: str | None) -> str:
    match = rounds.loc[rounds["round_id"] == round_id, "label"]
    return str(match.iloc[0]) if len(match) else (round_id or "no audited round")


def plain(value: object, default: str = "") -> str:
    """Return a cell as text, or `default` when it is missing (None, NaN, NA)."""
    return (
        default if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    )


def _sentence(text: str) -> str:
    # The scope is free text from the themes table; it sits between two full sentences.
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def _natural_key(action_id: str) -> tuple[int | str, ...]:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", action_id))


def _natural_ties(actions: pd.DataFrame) -> pd.DataFrame:
    # The actions page's order (overdue first, then due date), with ties broken by the id read
    # as numbers, so R2 comes before R10 as in the action plan.
    rag = {r: i for i, r in enumerate(RAG_ORDER)}
    keys = [
        (rag.get(a.rag, len(rag)), *_due_key(a.due_date), _natural_key(str(a.action_id)))
        for a in actions.itertuples(index=False)
    ]
    order = sorted(range(len(actions)), key=keys.__getitem__)
    return actions.iloc[order].reset_index(drop=True)


def _due_key(value: object) -> tuple[int, pd.Timestamp]:
    return (1, pd.Timestamp.max) if pd.isna(value) else (0, pd.Timestamp(value))


def action_rows(actions: pd.DataFrame) -> tuple[ActionRow, ...]:
    """Return action-status rows as table rows (overdue first, as on the actions page)."""
    return tuple(
        ActionRow(
            action=plain(a.text),
            outcome=plain(a.outcome),
            owner=plain(a.owner, "Not stated"),
            due=long_date(a.due_date) or W.NO_DUE_DATE,
            status=status_and_rag(plain(a.status).capitalize(), a.rag),
            rag=a.rag,
        )
        for a in actions.itertuples(index=False)
    )


class RoundRow(Protocol):
    """One row of queries.rounds, as itertuples gives it."""

    label: str
    status: str
    start_date: object
    end_date: object


def next_round_sentence(row: RoundRow) -> str:
    """Return "<label> is planned for <dates>." or "<label> is underway (<dates>).", by status."""
    template = W.NEXT_ROUND.get(str(row.status), W.NEXT_ROUND["planned"])
    return template.format(
        label=row.label, start=long_date(row.start_date), end=long_date(row.end_date)
    )


def _blank(frame: pd.DataFrame, rows: list[bool], columns: list[str]) -> None:
    # Withheld cells become NaN, which plotly leaves out: the chart shows only what is printed.
    hide = pd.Series(rows, index=frame.index)
    for column in columns:
        frame[column] = frame[column].astype(float).where(~hide, math.nan)


def quadrant_chart(
    comparison: pd.DataFrame, printable: Printable, round_text: str, filters: Filters
) -> ChartData:
    """Return the quadrant comparison chart's data as printed, with a neutral caption."""
    frame = printable.frame.copy()
    circulated = printable.shown is not None
    if circulated:
        # Each point as the findings would print it: a share only where met and n may be shown.
        cells = [
            printable.share(q, (area,))
            for q, area in zip(frame["question_id"], frame["quadrant"], strict=True)
        ]
        _blank(frame, [not c.known for c in cells], ["pct_met", "ci_low", "ci_high", "met"])
        _blank(frame, [c.n is None for c in cells], ["n"])
    standards = W.counted(comparison["question_id"].nunique(), "standard")
    withheld = W.ALT_WITHHELD if circulated else ""
    return ChartData(
        name="quadrant_comparison",
        frame=frame,
        caption=W.CAPTION_QUADRANTS,
        note=W.FIGURE_NOTE.format(round=round_text, filters=filters.describe()),
        alt_text=W.ALT_QUADRANTS.format(standards=standards, withheld=withheld),
        round_labels={},
    )


def trend_chart(
    trend: pd.DataFrame,
    threshold: int | None,
    printable: Printable,
    rounds: pd.DataFrame,
    filters: Filters,
) -> ChartData:
    """Return the round trend chart's data as printed, with a neutral caption."""
    frame = trend.reset_index(drop=True).copy()
    labels = rounds.set_index("round_id")["label"].astype(str).to_dict()
    before = labels.get(str(frame["round_from"].iat[0]), str(frame["round_from"].iat[0]))
    after = labels.get(str(frame["round_to"].iat[0]), str(frame["round_to"].iat[0]))
    shown = circulated_trend(frame, threshold)
    if shown is not None:
        hidden_before = [
            not earlier_printable(frame.iloc[i], shown.iloc[i], threshold)
            for i in range(len(frame))
        ]
        _blank(frame, hidden_before, ["pct_met_from", "n_from"])
        # The later round is printed as the findings print it (pooled over the selection, and
        # protected against the county and quadrants), not as the trend table alone would allow.
        hidden_now = [not printable.selection(q).known for q in frame["question_id"]]
        _blank(frame, hidden_now, ["pct_met_to", "n_to"])
        _blank(frame, list(shown["p_value"] == SUPPRESSED), ["p_value"])
    standards = W.counted(len(frame), "standard")
    withheld = W.ALT_WITHHELD if shown is not None else ""
    return ChartData(
        name="round_trend",
        frame=frame,
        caption=W.CAPTION_TREND.format(before=before, after=after),
        note=W.FIGURE_NOTE.format(round=f"{before} to {after}", filters=filters.describe()),
        alt_text=W.ALT_TREND.format(
            standards=standards, before=before, after=after, withheld=withheld
        ),
        round_labels=labels,
    )


def theme_text(
    store: Store,
    theme: str,
    filters: Filters = queries.ALL,
    threshold: int | None = None,
    as_of: dt.date | None = None,
) -> ThemeText:
    """Return the report's text for one theme, round and selection."""
    meta = queries.themes(store).set_index("theme_id").loc[theme]
    rounds = queries.rounds(store, theme)
    round_id = queries.resolve_round(store, theme, filters.round_id)
    chosen = replace(filters, round_id=round_id)
    quadrants = tuple(filters.quadrants)

    if round_id is None:
        profile = pd.DataFrame(columns=["dimension", "value", "cases", "share"])
        comparison = pd.DataFrame()
    else:
        profile = queries.cohort_profile(store, theme, chosen)
        comparison = queries.quadrant_comparison(store, theme, chosen)
    cases = int(profile.loc[profile["dimension"] == "quadrant", "cases"].sum())
    trend = queries.round_trend(store, theme, chosen) if round_id else pd.DataFrame()
    earlier = str(trend["round_from"].iloc[0]) if len(trend) else None
    earlier_label = _label(rounds, earlier) if earlier else None

    round_sentence, round_end = None, None
    if round_id is not None:
        row = rounds[rounds["round_id"] == round_id].iloc[0]
        round_end = pd.Timestamp(row["end_date"]) if pd.notna(row["end_date"]) else None
        round_sentence = W.ROUND.format(
            label=row["label"], start=long_date(row["start_date"]), end=long_date(row["end_date"])
        )
    selection = None
    if filters.quadrants or filters.teams:
        selection = W.SELECTION.format(selection=filters.describe())

    charts: dict[str, ChartData | None] = {"quadrant_chart": None, "trend_chart": None}
    if cases and not comparison.empty:
        printable = Printable(comparison, threshold)
        differences = quadrant_differences(comparison, quadrants)
        found = findings(comparison, trend, differences, earlier_label, threshold, printable)
        stated = reported(found)
        quadrant_note = quadrant_summary(differences, stated, quadrants)
        summary = trend_summary(
            trend, earlier_label, left_out=set(comparison["question_id"]) - stated
        )
        charts["quadrant_chart"] = quadrant_chart(
            comparison, printable, _label(rounds, round_id), chosen
        )
        if len(trend):
            charts["trend_chart"] = trend_chart(trend, threshold, printable, rounds, chosen)
    else:
        found, quadrant_note, summary = [], None, W.NO_FINDINGS

    quotes = queries.quotes(store, theme, chosen) if round_id else pd.DataFrame()
    quote_lines = tuple(
        W.QUOTE.format(
            text=plain(q.text).strip().strip('\u201c\u201d"'),
            who=plain(q.role, "Practitioner")
            + (f" ({plain(q.quadrant)})" if plain(q.quadrant) else ""),
        )
        for q in quotes.itertuples(index=False)
    )

    tracked = _natural_ties(queries.action_status(store, as_of=as_of, theme=theme))
    recommendations = tracked[tracked["kind"] == RECOMMENDATION]
    # Next steps are given once, under Next steps (with owner, date and status), not in the table.
    plan = tracked[~tracked["kind"].isin([RECOMMENDATION, NEXT_STEP])]
    actions_note = None
    if plan.empty and len(recommendations):
        plan, actions_note = recommendations, W.ACTIONS_ARE_RECOMMENDATIONS
    elif plan.empty:
        actions_note = W.NO_ACTIONS

    next_steps = [
        next_round_sentence(r)
        for r in rounds[~rounds["status"].isin(ROUND_STATUSES_WITH_DATA)].itertuples(index=False)
    ]
    next_steps += [
        W.NEXT_ACTION.format(
            text=plain(a.text).rstrip("."),
            owner=plain(a.owner, "not stated"),
            due=long_date(a.due_date) or W.NO_DUE_DATE.lower(),
            status=status_and_rag(
                plain(a.status, "status not recorded"), str(a.rag).lower(), W.NEXT_ACTION_STATUS
            ),
        )
        for a in tracked[tracked["kind"] == NEXT_STEP].itertuples(index=False)
    ]

    return ThemeText(
        theme_id=theme,
        title=str(meta["title"]),
        round_id=round_id,
        round_end=round_end,
        scope=_sentence(plain(meta["scope"])),
        cohort=cohort_sentence(profile, quadrants, threshold),
        genders=gender_sentence(profile, threshold),
        round_sentence=round_sentence,
        selection=selection,
        cases=cases,
        findings=tuple(found),
        trend_summary=summary,
        quadrant_summary=quadrant_note,
        earlier_round=earlier,
        quotes=quote_lines,
        recommendations=tuple(plain(t) for t in recommendations["text"]),
        actions_note=actions_note,
        actions=action_rows(plan),
        next_steps=tuple(next_steps) or (W.NO_NEXT_STEPS,),
        **charts,
    )
