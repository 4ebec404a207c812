"""The report's text for one theme: cohort, findings, quotes, recommendations, actions."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from analytics import queries
from analytics.domain import RAG_ORDER, ROUND_STATUSES_WITH_DATA, Filters
from analytics.report_doc import wording as W
from analytics.report_doc.findings import (
    Finding,
    cohort_sentence,
    findings,
    gender_sentence,
    long_date,
    quadrant_differences,
    trend_summary,
)
from analytics.store import Store


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
class ThemeText:
    """Everything the report says about one theme, as text."""

    theme_id: str
    title: str
    round_id: str | None
    round_label: str
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


def _natural_key(action_id: str) -> tuple:
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
            status=W.STATUS_RAG.format(status=plain(a.status).capitalize(), rag=a.rag),
            rag=a.rag,
        )
        for a in actions.itertuples(index=False)
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
    chosen = Filters(quadrants=filters.quadrants, round_id=round_id, teams=filters.teams)
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

    round_sentence = None
    if round_id is not None:
        row = rounds[rounds["round_id"] == round_id].iloc[0]
        round_sentence = W.ROUND.format(
            label=row["label"], start=long_date(row["start_date"]), end=long_date(row["end_date"])
        )
    selection = None
    if filters.quadrants or filters.teams:
        selection = W.SELECTION.format(selection=filters.describe())

    if cases and not comparison.empty:
        differences = quadrant_differences(comparison, quadrants)
        found = findings(comparison, trend, differences, earlier_label, threshold)
        k = int(differences["beyond_chance"].astype(bool).sum()) if len(differences) else 0
        template = W.QUADRANT_SOME if k else W.QUADRANT_NONE
        quadrant_summary = (
            template.format(k=k, comparisons=len(differences)) if len(differences) else None
        )
        summary = trend_summary(trend, earlier_label)
    else:
        found, quadrant_summary, summary = [], None, W.NO_FINDINGS

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
    recommendations = tuple(
        plain(t) for t in tracked.loc[tracked["kind"] == "recommendation", "text"]
    )
    plan = tracked[tracked["kind"] != "recommendation"]
    actions_note = None
    if plan.empty and len(tracked):
        plan, actions_note = tracked, W.ACTIONS_ARE_RECOMMENDATIONS
    elif tracked.empty:
        actions_note = W.NO_ACTIONS

    next_steps = [
        W.NEXT_ROUND.format(label=r.label, start=long_date(r.start_date), end=long_date(r.end_date))
        for r in rounds[~rounds["status"].isin(ROUND_STATUSES_WITH_DATA)].itertuples(index=False)
    ]
    next_steps += [
        W.NEXT_ACTION.format(
            text=plain(a.text).rstrip("."),
            owner=plain(a.owner, "not stated"),
            due=long_date(a.due_date) or W.NO_DUE_DATE.lower(),
        )
        for a in tracked[tracked["kind"] == "next step"].itertuples(index=False)
    ]

    return ThemeText(
        theme_id=theme,
        title=str(meta["title"]),
        round_id=round_id,
        round_label=_label(rounds, round_id),
        scope=_sentence(plain(meta["scope"])),
        cohort=cohort_sentence(profile, quadrants, threshold),
        genders=gender_sentence(profile, threshold),
        round_sentence=round_sentence,
        selection=selection,
        cases=cases,
        findings=tuple(found),
        trend_summary=summary,
        quadrant_summary=quadrant_summary,
        earlier_round=earlier,
        quotes=quote_lines,
        recommendations=recommendations,
        actions_note=actions_note,
        actions=action_rows(plan),
        next_steps=tuple(next_steps) or (W.NO_NEXT_STEPS,),
    )
