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
    return store.query("SELECT * FROM themes ORDER BY sort_order, theme_id")


def rounds(store: Store, theme: str | None = None) -> pd.DataFrame:
    """Return the rounds (one row per theme x round), in date order."""
    return store.query(
        "SELECT * FROM rounds WHERE $theme IS NULL OR theme_id = $theme "
        "ORDER BY theme_id, start_date, round_id",
        {"theme": theme},
    )


def teams(store: Store, theme: str | None = None) -> list[str]:
    """Return the teams that appear in the audited cases, alphabetically."""
    frame = store.query(
        "SELECT DISTINCT team FROM cases WHERE ($theme IS NULL OR theme_id = $theme) "
        "AND team IS NOT NULL ORDER BY team",
        {"theme": theme},
    )
    return frame["team"].tolist()


def check_theme(store: Store, theme: str) -> str:
    """Return the theme id if it is known, else raise an error listing the known ones."""
    known = themes(store)["theme_id"].tolist()
    if theme not in known:
        raise UnknownValueError("theme", theme, known)
    return theme


def check_quadrants(quadrants: tuple[str, ...] | list[str]) -> list[str]:
    """Return the quadrants as a list if each is NW, NE, SW or SE, else raise."""
    for quadrant in quadrants:
        if quadrant not in QUADRANTS:
            raise UnknownValueError("quadrant", quadrant, QUADRANTS)
    return list(quadrants)


def audited_rounds(store: Store, theme: str) -> list[str]:
    """Return the theme's rounds that hold audit results, oldest first."""
    frame = rounds(store, theme)
    frame = frame[frame["status"].isin(ROUND_STATUSES_WITH_DATA)]
    return frame.sort_values(["end_date", "round_id"])["round_id"].tolist()


def resolve_round(store: Store, theme: str, round_id: str | None) -> str | None:
    """Return the chosen round (checked), or the theme's latest audited round; None if none."""
    check_theme(store, theme)
    if round_id is None:
        done = audited_rounds(store, theme)
        return done[-1] if done else None
    known = rounds(store, theme)["round_id"].tolist()
    if round_id not in known:
        raise UnknownValueError(f"round for theme {theme!r}", round_id, known)
    return round_id


def latest_theme_rounds(store: Store) -> list[str]:
    """Return 'theme|round' for each theme's latest audited round."""
    keys = []
    for theme in themes(store)["theme_id"]:
        done = audited_rounds(store, theme)
        if done:
            keys.append(f"{theme}|{done[-1]}")
    return keys


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
    counts = run(
        store, "round_counts", theme=theme, rounds=[round_from, round_to], **_filter_params(filters)
    )
    questions = store.query(
        "SELECT question_id, text, category FROM questions WHERE theme_id = $theme "
        "ORDER BY question_id",
        {"theme": theme},
    )
    wide = counts.pivot_table(index="question_id", columns="round_id", values=["n", "met"])
    rows = []
    for question in questions.itertuples(index=False):
        if question.question_id not in wide.index:
            continue
        cell = wide.loc[question.question_id]
        n_a, met_a = _count(cell, "n", round_from), _count(cell, "met", round_from)
        n_b, met_b = _count(cell, "n", round_to), _count(cell, "met", round_to)
        test = stats.change_test(met_a, n_a, met_b, n_b)
        rows.append(
            {
                "question_id": question.question_id,
                "text": question.text,
                "category": question.category,
                "round_from": round_from,
                "round_to": round_to,
                "n_from": n_a,
                "met_from": met_a,
                "pct_met_from": met_a / n_a if n_a else np.nan,
                "n_to": n_b,
                "met_to": met_b,
                "pct_met_to": met_b / n_b if n_b else np.nan,
                "change": test.change,
                "p_value": test.p_value,
                "test": test.method,
                "beyond_chance": test.beyond_chance,
            }
        )
    return pd.DataFrame(rows, columns=columns)


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
    """Return categories met in under `threshold` of cases in at least `min_themes` themes."""
    matrix = category_matrix(store, filters)
    per_theme = matrix[(matrix["theme_id"] != "All themes") & (matrix["quadrant"] == COUNTY)]
    weak = per_theme[per_theme["pct_met"] < threshold]
    summary = (
        weak.groupby("category")
        .agg(
            weak_themes=("theme_id", "nunique"), themes=("theme_id", lambda s: ", ".join(sorted(s)))
        )
        .reset_index()
    )
    overall = matrix[(matrix["theme_id"] == "All themes") & (matrix["quadrant"] == COUNTY)]
    summary = summary.merge(overall[["category", "n", "met", "pct_met"]], on="category")
    summary = summary[summary["weak_themes"] >= min_themes]
    return summary.sort_values(["weak_themes", "pct_met"], ascending=[False, True]).reset_index(
        drop=True
    )


def action_status(
    store: Store,
    as_of: dt.date | None = None,
    theme: str | None = None,
    owners: tuple[str, ...] = (),
    statuses: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Return every action with RAG against `as_of` (default today), overdue first, and for
    linked questions pct_met in the theme's first and latest audited rounds."""
    as_of = as_of or dt.date.today()
    if theme is not None:
        check_theme(store, theme)
    frame = run(store, "action_status", as_of=as_of, due_soon_days=DUE_SOON_DAYS)
    if theme is not None:
        frame = frame[frame["theme_id"] == theme]
    if owners:
        frame = frame[frame["owner"].isin(owners)]
    if statuses:
        frame = frame[frame["status"].isin(statuses)]
    first_last = {t: audited_rounds(store, t) for t in frame["theme_id"].unique()}
    keys = [f"{t}|{r}" for t, done in first_last.items() for r in (done[:1] + done[-1:])]
    measures = run(store, "action_measures", theme_rounds=sorted(set(keys)))
    # "Before" is the theme's first audited round, "after" its latest; with one round, only after.
    for side, pick, min_rounds in (("before", 0, 2), ("after", -1, 1)):
        chosen = {t: done[pick] for t, done in first_last.items() if len(done) >= min_rounds}
        # One string dtype on both sides: a theme with one round maps to all-missing keys.
        merged = frame[["action_id"]].assign(
            round_id=frame["theme_id"].map(chosen).astype("string")
        )
        merged = merged.merge(
            measures.astype({"round_id": "string"}), on=["action_id", "round_id"], how="left"
        )
        measured = merged["n"].notna().to_numpy()
        frame[f"round_{side}"] = merged["round_id"].where(measured).to_numpy()
        frame[f"n_{side}"] = merged["n"].to_numpy()
        frame[f"pct_met_{side}"] = (merged["met"] / merged["n"]).to_numpy()
    frame["rag_order"] = frame["rag"].map({rag: i for i, rag in enumerate(RAG_ORDER)})
    frame = frame.sort_values(["rag_order", "due_date", "action_id"], na_position="last")
    return frame.drop(columns="rag_order").reset_index(drop=True)


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
    known = store.query(
        "SELECT question_id FROM questions WHERE theme_id = $theme", {"theme": theme}
    )["question_id"].tolist()
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


def theme_summary(store: Store, filters: Filters = ALL) -> pd.DataFrame:
    """Return per audited theme x area (NW..SE, County): the latest round's cases, pct_met with n
    and Wilson interval, and the change since the theme's previous round with its test."""
    latest, previous = {}, {}
    for theme in themes(store)["theme_id"]:
        done = audited_rounds(store, theme)
        if done:
            latest[theme] = done[-1]
        if len(done) >= 2:
            previous[theme] = done[-2]
    keys = [f"{t}|{r}" for t, r in (*latest.items(), *previous.items())]
    frame = run(store, "theme_summary", theme_rounds=keys, teams=list(filters.teams))
    is_latest = frame["round_id"] == frame["theme_id"].map(latest)
    now, before = frame[is_latest], frame[~is_latest]
    merged = now.merge(
        before[["theme_id", "quadrant", "round_id", "n", "met"]],
        on=["theme_id", "quadrant"],
        how="left",
        suffixes=("", "_previous"),
    )
    tests = [
        stats.change_test(int(a_met), int(a_n), int(b_met), int(b_n)) if pd.notna(a_n) else None
        for a_met, a_n, b_met, b_n in zip(
            merged["met_previous"], merged["n_previous"], merged["met"], merged["n"], strict=True
        )
    ]
    merged["pct_met_previous"] = merged["met_previous"] / merged["n_previous"]
    merged["change"] = [t.change if t else np.nan for t in tests]
    merged["beyond_chance"] = [bool(t.beyond_chance) if t else False for t in tests]
    titles = themes(store).set_index("theme_id")["title"]
    merged.insert(1, "title", merged["theme_id"].map(titles))
    order = {t: i for i, t in enumerate(titles.index)}
    area = {q: i for i, q in enumerate((*QUADRANTS, COUNTY))}
    merged = merged.sort_values(
        ["theme_id", "quadrant"],
        key=lambda s: s.map(order) if s.name == "theme_id" else s.map(area),
    )
    return _with_wilson(merged.reset_index(drop=True))


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
    met, n = _pooled(store, theme, filters)
    low, high = stats.wilson_interval(met, n)
    headline.update(met=met, n=n, pct_met=met / n if n else np.nan, ci_low=low, ci_high=high)
    done = audited_rounds(store, theme)
    earlier = done[: done.index(round_id)] if round_id in done else []
    headline["previous_round_id"] = earlier[-1] if earlier else None
    headline["change"] = None
    if earlier:
        before = Filters(filters.quadrants, earlier[-1], filters.teams)
        met_b, n_b = _pooled(store, theme, before)
        headline["change"] = stats.change_test(met_b, n_b, met, n)
        headline["pct_met_previous"] = met_b / n_b if n_b else np.nan
    return headline


def _pooled(store: Store, theme: str, filters: Filters) -> tuple[int, int]:
    table = quadrant_comparison(store, theme, filters)
    areas = list(filters.quadrants) or [COUNTY]
    chosen = table[table["quadrant"].isin(areas)]
    return int(chosen["met"].sum()), int(chosen["n"].sum())


def action_owners(store: Store) -> list[str]:
    """Return the distinct action owners, alphabetically."""
    return store.query("SELECT DISTINCT owner FROM actions ORDER BY owner")["owner"].tolist()


def planned_rounds(store: Store, theme: str) -> pd.DataFrame:
    """Return a theme's rounds that have no results yet (planned or underway), in date order."""
    frame = rounds(store, theme)
    return frame[~frame["status"].isin(ROUND_STATUSES_WITH_DATA)].reset_index(drop=True)


def overview_table(store: Store, filters: Filters = ALL) -> pd.DataFrame:
    """Return one row per theme: latest round, cases by quadrant, pct_met with n, and the change
    since the previous round (in percentage points) with whether it is beyond chance."""
    summary = theme_summary(store, filters)
    cases = summary.pivot_table(index="theme_id", columns="quadrant", values="cases", aggfunc="sum")
    county = summary[summary["quadrant"] == COUNTY].set_index("theme_id")
    labels = rounds(store).set_index(["theme_id", "round_id"])["label"]
    rows = []
    for theme in themes(store).itertuples(index=False):
        row: dict[str, Any] = {"theme": theme.title, "status": theme.status}
        if theme.theme_id in county.index:
            c = county.loc[theme.theme_id]
            row["round"] = labels.get((theme.theme_id, c["round_id"]), c["round_id"])
            row["cases"] = int(c["cases"])
            for quadrant in QUADRANTS:
                value = cases.loc[theme.theme_id].get(quadrant)
                row[quadrant] = None if pd.isna(value) else int(value)
            row.update(pct_met=c["pct_met"], n=int(c["n"]))
            if pd.notna(c["round_id_previous"]):
                row["change_pts"] = c["change"] * 100
                row["change"] = "beyond chance" if c["beyond_chance"] else "within noise"
        else:
            planned = planned_rounds(store, theme.theme_id)
            if len(planned):
                first = planned.iloc[0]
                row["round"] = (
                    f"{first['label']}: {first['start_date']:%b %Y}–{first['end_date']:%b %Y}"
                )
        rows.append(row)
    columns = ["theme", "status", "round", "cases", *QUADRANTS, "pct_met", "n", "change_pts",
               "change"]  # fmt: skip
    table = pd.DataFrame(rows).reindex(columns=columns)
    return table.astype({c: "Int64" for c in ("cases", *QUADRANTS, "n")})


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
