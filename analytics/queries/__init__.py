"""Named queries: each returns a frame at a stated grain, from one .sql file with bound parameters.

Every function takes the store and the shared filters (quadrants, round, teams; empty means all)
and validates theme, round and quadrant values before any SQL runs.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from analytics import stats
from analytics.domain import (
    COUNTY,
    DUE_SOON_DAYS,
    QUADRANTS,
    RAG_ORDER,
    ROUND_STATUSES_WITH_DATA,
    Filters,
)
from analytics.errors import UnknownValueError
from analytics.store import Store

ALL = Filters()  # no filter: every quadrant, the latest round, every team


@cache
def sql_text(name: str) -> str:
    """Return the SQL of one named query (analytics/queries/<name>.sql)."""
    return resources.files(__name__).joinpath(f"{name}.sql").read_text()


def run(store: Store, name: str, **params: Any) -> pd.DataFrame:
    """Run one named query with bound parameters."""
    return store.query(sql_text(name), params)


# --- vocabularies and validation -------------------------------------------------------------


def themes(store: Store) -> pd.DataFrame:
    """Return every theme (one row per theme), in report order."""
    return store.memo(
        "themes",
        lambda: store.small_table("themes").sort_values(
            ["sort_order", "theme_id"], ignore_index=True
        ),
    ).copy()


def _rounds_by_theme(store: Store) -> dict[str | None, pd.DataFrame]:
    frame = store.small_table("rounds").sort_values(
        ["theme_id", "start_date", "round_id"], ignore_index=True
    )
    by_theme: dict[str | None, pd.DataFrame] = {None: frame}
    for theme, rows in frame.groupby("theme_id", sort=False):
        by_theme[str(theme)] = rows.reset_index(drop=True)
    return by_theme


def rounds(store: Store, theme: str | None = None) -> pd.DataFrame:
    """Return the rounds (one row per theme x round), in date order."""
    by_theme = store.memo("rounds_by_theme", lambda: _rounds_by_theme(store))
    if theme not in by_theme:
        return by_theme[None].iloc[0:0].copy()
    return by_theme[theme].copy()


def question_ids(store: Store, theme: str) -> list[str]:
    """Return a theme's question ids, in order."""

    def build() -> dict[str, list[str]]:
        frame = store.small_table("questions")
        return {str(t): sorted(rows["question_id"]) for t, rows in frame.groupby("theme_id")}

    return list(store.memo("question_ids", build).get(theme, []))


def teams(store: Store, theme: str | None = None) -> list[str]:
    """Return the teams that appear in the audited cases, alphabetically."""
    frame = store.query(
        "SELECT DISTINCT team FROM case_counts WHERE ($theme IS NULL OR theme_id = $theme) "
        "AND team IS NOT NULL ORDER BY team",
        {"theme": theme},
    )
    return frame["team"].tolist()


def check_theme(store: Store, theme: str) -> str:
    """Return the theme id if it is known, else raise an error listing the known ones."""
    known = store.memo("theme_ids", lambda: themes(store)["theme_id"].tolist())
    if theme not in known:
        raise UnknownValueError("theme", theme, known)
    return theme


def check_quadrants(quadrants: tuple[str, ...] | list[str]) -> list[str]:
    """Return the quadrants as a list if each is NW, NE, SW or SE, else raise."""
    for quadrant in quadrants:
        if quadrant not in QUADRANTS:
            raise UnknownValueError("quadrant", quadrant, QUADRANTS)
    return list(quadrants)


def _audited(store: Store) -> dict[str, list[str]]:
    frame = store.small_table("rounds")
    frame = frame[frame["status"].isin(ROUND_STATUSES_WITH_DATA)]
    frame = frame.sort_values(["end_date", "round_id"])
    return {str(t): rows["round_id"].tolist() for t, rows in frame.groupby("theme_id", sort=False)}


def audited_rounds(store: Store, theme: str) -> list[str]:
    """Return the theme's rounds that hold audit results, oldest first."""
    return list(store.memo("audited_rounds", lambda: _audited(store)).get(theme, []))


def resolve_round(store: Store, theme: str, round_id: str | None) -> str | None:
    """Return the chosen round (checked), or the theme's latest audited round; None if none."""
    check_theme(store, theme)
    if round_id is None:
        done = audited_rounds(store, theme)
        return done[-1] if done else None
    known = store.memo(f"round_ids|{theme}", lambda: rounds(store, theme)["round_id"].tolist())
    if round_id not in known:
        raise UnknownValueError(f"round for theme {theme!r}", round_id, known)
    return round_id


def latest_theme_rounds(store: Store) -> list[str]:
    """Return 'theme|round' for each theme's latest audited round."""

    def build() -> list[str]:
        keys = []
        for theme in themes(store)["theme_id"]:
            done = audited_rounds(store, theme)
            if done:
                keys.append(f"{theme}|{done[-1]}")
        return keys

    return list(store.memo("latest_theme_rounds", build))


def _filter_params(filters: Filters) -> dict[str, list[str]]:
    return {"quadrants": check_quadrants(filters.quadrants), "teams": list(filters.teams)}


def _with_wilson(frame: pd.DataFrame, met: str = "met", n: str = "n") -> pd.DataFrame:
    low, high = stats.wilson_bounds(frame[met].to_numpy(), frame[n].to_numpy())
    return frame.assign(ci_low=low, ci_high=high)


# --- the queries behind the charts -----------------------------------------------------------


def quadrant_comparison(store: Store, theme: str, filters: Filters = ALL) -> pd.DataFrame:
    """Return question x quadrant (and County) counts, pct_met and Wilson 95% interval.

    The selected quadrants are flagged in `selected`, not filtered out, so a page can highlight
    them against the others.
    """
    round_id = resolve_round(store, theme, filters.round_id)
    params = _filter_params(filters)
    frame = run(store, "quadrant_comparison", theme=theme, round=round_id, teams=params["teams"])
    frame = _with_wilson(frame)
    chosen = params["quadrants"]
    frame["selected"] = frame["quadrant"].isin(chosen) if chosen else frame["quadrant"] == COUNTY
    return frame


def finding_frequency(
    store: Store, theme: str | None = None, filters: Filters = ALL
) -> pd.DataFrame:
    """Return questions ranked by share not met, for the selection and for the county.

    With no theme, ranks the standards of every theme at its latest audited round.
    """
    if theme is None:
        theme_rounds = latest_theme_rounds(store)
    else:
        round_id = resolve_round(store, theme, filters.round_id)
        theme_rounds = [f"{theme}|{round_id}"] if round_id else []
    frame = run(store, "finding_frequency", theme_rounds=theme_rounds, **_filter_params(filters))
    return frame


def round_trend(
    store: Store,
    theme: str,
    filters: Filters = ALL,
    round_from: str | None = None,
    round_to: str | None = None,
) -> pd.DataFrame:
    """Return per question pct_met in two rounds, the change, n on both sides, and its test.

    Defaults: the latest audited round (or the filter's round) against the one before it. With
    fewer than two audited rounds the frame is empty.
    """
    round_to = resolve_round(store, theme, round_to or filters.round_id)
    if round_from is None:
        done = audited_rounds(store, theme)
        earlier = done[: done.index(round_to)] if round_to in done else []
        round_from = earlier[-1] if earlier else None
    else:
        resolve_round(store, theme, round_from)
    columns = [
        "question_id", "text", "category", "round_from", "round_to", "n_from", "met_from",
        "pct_met_from", "n_to", "met_to", "pct_met_to", "change", "p_value", "test",
        "beyond_chance",
    ]  # fmt: skip
    if round_from is None or round_to is None or round_from == round_to:
        return pd.DataFrame(columns=columns)
    frame = run(
        store,
        "round_trend",
        theme=theme,
        round_from=round_from,
        round_to=round_to,
        **_filter_params(filters),
    )
    tests = [
        stats.change_test(int(a_met), int(a_n), int(b_met), int(b_n))
        for a_met, a_n, b_met, b_n in zip(
            frame["met_from"], frame["n_from"], frame["met_to"], frame["n_to"], strict=True
        )
    ]
    frame["change"] = [t.change for t in tests]
    frame["p_value"] = [t.p_value for t in tests]
    frame["test"] = [t.method for t in tests]
    frame["beyond_chance"] = [t.beyond_chance for t in tests]
    return frame[columns]


def _count(cell: pd.Series, measure: str, round_id: str) -> int:
    value = cell.get((measure, round_id), 0)
    return 0 if pd.isna(value) else int(value)


def cohort_profile(store: Store, theme: str, filters: Filters = ALL) -> pd.DataFrame:
    """Return cases by dimension (quadrant, team, gender, age_band, overall_grade) and value."""
    round_id = resolve_round(store, theme, filters.round_id)
    return run(store, "cohort_profile", theme=theme, round=round_id, **_filter_params(filters))


def category_matrix(store: Store, filters: Filters = ALL) -> pd.DataFrame:
    """Return pct_met by category x theme x quadrant, with 'All themes' and 'County' roll-ups.

    Each theme contributes its latest audited round.
    """
    return run(
        store, "category_matrix", theme_rounds=latest_theme_rounds(store), **_filter_params(filters)
    ).pipe(_with_wilson)


def recurring_weaknesses(
    store: Store, filters: Filters = ALL, threshold: float = 0.5, min_themes: int = 3
) -> pd.DataFrame:
    """Return categories met in under `threshold` of cases in at least `min_themes` themes
    (each theme at its latest audited round), weakest first."""
    return run(
        store,
        "recurring_weaknesses",
        theme_rounds=latest_theme_rounds(store),
        threshold=threshold,
        min_themes=min_themes,
        **_filter_params(filters),
    )


def _first_and_latest(store: Store) -> tuple[list[str], list[str]]:
    # "Before" is a theme's first audited round (only with two or more), "after" its latest.
    before, after = [], []
    for theme in themes(store)["theme_id"]:
        done = audited_rounds(store, theme)
        if len(done) >= 2:
            before.append(f"{theme}|{done[0]}")
        if done:
            after.append(f"{theme}|{done[-1]}")
    return before, after


def action_status(
    store: Store,
    as_of: dt.date | None = None,
    theme: str | None = None,
    owners: tuple[str, ...] = (),
    statuses: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Return every action with RAG against `as_of` (default today), overdue first, and for
    linked questions pct_met in the theme's first and latest audited rounds."""
    if theme is not None:
        check_theme(store, theme)
    before, after = store.memo("first_and_latest", lambda: _first_and_latest(store))
    return run(
        store,
        "action_status",
        as_of=as_of or dt.date.today(),
        due_soon_days=DUE_SOON_DAYS,
        before=before,
        after=after,
        theme=theme,
        owners=list(owners),
        statuses=list(statuses),
    )


def quotes(store: Store, theme: str | None = None, filters: Filters = ALL) -> pd.DataFrame:
    """Return the quotes for a theme (all themes if None), round and quadrants."""
    if theme is not None:
        check_theme(store, theme)
    return run(
        store,
        "quotes",
        theme=theme,
        round=filters.round_id,
        quadrants=check_quadrants(filters.quadrants),
    )


def cases_behind(
    store: Store, theme: str, question_id: str, filters: Filters = ALL
) -> pd.DataFrame:
    """Return the audited cases behind one question x quadrant cell (pseudonymous references)."""
    round_id = resolve_round(store, theme, filters.round_id)
    known = question_ids(store, theme)
    if question_id not in known:
        raise UnknownValueError(f"question for theme {theme!r}", question_id, known)
    return run(
        store,
        "cases_behind",
        theme=theme,
        round=round_id,
        question=question_id,
        **_filter_params(filters),
    )


def _latest_and_previous(store: Store) -> tuple[list[str], list[str]]:
    latest, previous = [], []
    for theme in themes(store)["theme_id"]:
        done = audited_rounds(store, theme)
        if done:
            latest.append(f"{theme}|{done[-1]}")
        if len(done) >= 2:
            previous.append(f"{theme}|{done[-2]}")
    return latest, previous


def theme_summary(store: Store, filters: Filters = ALL) -> pd.DataFrame:
    """Return per audited theme x area (NW..SE, County): the latest round's cases, pct_met with n
    and Wilson interval, and the change since the theme's previous round with its test."""
    latest, previous = store.memo("latest_and_previous", lambda: _latest_and_previous(store))
    frame = run(store, "theme_summary", latest=latest, previous=previous, teams=list(filters.teams))
    tests = [
        stats.change_test(int(b_met), int(b_n), int(a_met), int(a_n)) if pd.notna(b_n) else None
        for b_met, b_n, a_met, a_n in zip(
            frame["met_previous"], frame["n_previous"], frame["met"], frame["n"], strict=True
        )
    ]
    frame["change"] = [t.change if t else np.nan for t in tests]
    frame["beyond_chance"] = [bool(t and t.beyond_chance) for t in tests]
    return _with_wilson(frame)


def store_contents(store: Store) -> pd.DataFrame:
    """Return per theme x round the label, status, dates, and cases and responses loaded."""
    return run(store, "store_contents")


def headline(store: Store, theme: str, filters: Filters = ALL) -> dict[str, Any]:
    """Return one theme's headline figures for the selection: cases, pct_met with n and interval,
    grades, and the change since the previous audited round with its test."""
    round_id = resolve_round(store, theme, filters.round_id)
    profile = cohort_profile(store, theme, filters)
    grades = profile[profile["dimension"] == "overall_grade"].set_index("value")["cases"]
    headline: dict[str, Any] = {
        "round_id": round_id,
        "cases": int(profile.loc[profile["dimension"] == "quadrant", "cases"].sum()),
        "grades": {str(k): int(v) for k, v in grades.items()},
    }
    done = audited_rounds(store, theme)
    earlier = done[: done.index(round_id)] if round_id in done else []
    previous = earlier[-1] if earlier else None
    totals = run(
        store,
        "selection_totals",
        theme=theme,
        rounds=[r for r in (round_id, previous) if r],
        **_filter_params(filters),
    ).set_index("round_id")
    met, n = _totals(totals, round_id)
    low, high = stats.wilson_interval(met, n)
    headline.update(met=met, n=n, pct_met=met / n if n else np.nan, ci_low=low, ci_high=high)
    headline["previous_round_id"] = previous
    headline["change"] = None
    if previous:
        met_b, n_b = _totals(totals, previous)
        headline["change"] = stats.change_test(met_b, n_b, met, n)
        headline["pct_met_previous"] = met_b / n_b if n_b else np.nan
    return headline


def _totals(totals: pd.DataFrame, round_id: str | None) -> tuple[int, int]:
    if round_id not in totals.index:
        return 0, 0
    row = totals.loc[round_id]
    return int(row["met"]), int(row["n"])


def action_owners(store: Store) -> list[str]:
    """Return the distinct action owners, alphabetically."""
    return sorted(store.small_table("actions")["owner"].dropna().unique())


def planned_rounds(store: Store, theme: str) -> pd.DataFrame:
    """Return a theme's rounds that have no results yet (planned or underway), in date order."""
    frame = rounds(store, theme)
    return frame[~frame["status"].isin(ROUND_STATUSES_WITH_DATA)].reset_index(drop=True)


def overview_table(store: Store, filters: Filters = ALL) -> pd.DataFrame:
    """Return one row per theme: latest round, cases by quadrant, pct_met with n, and the change
    since the previous round (in percentage points) with whether it is beyond chance."""
    summary = theme_summary(store, filters).to_dict("records")
    by_theme: dict[str, dict[str, dict[str, Any]]] = {}
    for row in summary:
        by_theme.setdefault(row["theme_id"], {})[row["quadrant"]] = row
    labels = store.memo(
        "round_labels",
        lambda: {(r.theme_id, r.round_id): r.label for r in rounds(store).itertuples()},
    )
    planned = store.memo("next_planned", lambda: _next_planned(store))
    rows = []
    for theme in themes(store).itertuples(index=False):
        row: dict[str, Any] = {"theme": theme.title, "status": theme.status}
        areas = by_theme.get(theme.theme_id)
        if areas and COUNTY in areas:
            county = areas[COUNTY]
            row["round"] = labels.get((theme.theme_id, county["round_id"]), county["round_id"])
            row["cases"] = county["cases"]
            row.update({q: areas[q]["cases"] for q in QUADRANTS if q in areas})
            row.update(pct_met=county["pct_met"], n=county["n"])
            if isinstance(county["round_id_previous"], str):
                row["change_pts"] = county["change"] * 100
                row["change"] = "beyond chance" if county["beyond_chance"] else "within noise"
        elif theme.theme_id in planned:
            row["round"] = planned[theme.theme_id]
        rows.append(row)
    columns = ["theme", "status", "round", "cases", *QUADRANTS, "pct_met", "n", "change_pts",
               "change"]  # fmt: skip
    table = pd.DataFrame(rows).reindex(columns=columns)
    return table.astype({c: "Int64" for c in ("cases", *QUADRANTS, "n")})


def _next_planned(store: Store) -> dict[str, str]:
    # The first round without results, as "label: Mon YYYY–Mon YYYY", per theme.
    upcoming = {}
    for row in rounds(store).itertuples(index=False):
        if row.status in ROUND_STATUSES_WITH_DATA or row.theme_id in upcoming:
            continue
        upcoming[row.theme_id] = f"{row.label}: {row.start_date:%b %Y}–{row.end_date:%b %Y}"
    return upcoming


def urgent_actions(store: Store, as_of: dt.date | None = None) -> pd.DataFrame:
    """Return the actions overdue or due within DUE_SOON_DAYS, most overdue first."""
    frame = action_status(store, as_of)
    urgent = frame[frame["rag"].isin(("Overdue", "Due soon"))]
    return urgent[["theme_id", "action_id", "text", "owner", "due_date", "status", "rag",
                   "days_overdue"]].reset_index(drop=True)  # fmt: skip


def rag_counts(actions: pd.DataFrame) -> dict[str, int]:
    """Return the number of actions in each RAG state, in RAG order (from action_status)."""
    counts = actions["rag"].value_counts()
    return {rag: int(counts.get(rag, 0)) for rag in RAG_ORDER}
