"""Named queries: each returns a frame at a stated grain, from one .sql file with bound parameters.

Every function takes the store and the shared filters (quadrants, round, teams; empty means all)
and validates theme, round, quadrant and team values before any SQL runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from analytics import stats
from analytics.domain import (
    COMPLETE_ANSWERED_SHARE,
    COUNTY,
    DUE_SOON_DAYS,
    GENDERS,
    GRADES,
    QUADRANTS,
    RAG_ORDER,
    RAG_URGENT,
    ROUND_STATUSES_WITH_DATA,
    Filters,
)
from analytics.errors import AuditDataError, UnknownValueError
from analytics.store import Store

ALL = Filters()  # no filter: every quadrant, the latest round, every team
GOOD_OR_BETTER: tuple[str, ...] = GRADES[:2]  # Outstanding, Good
# The drill-down lists at most this many cases (not met first); cell_cases counts them all.
CASES_BEHIND_LIMIT = 1000


@cache
def sql_text(name: str) -> str:
    """Return the SQL of one named query (analytics/queries/<name>.sql)."""
    return resources.files(__name__).joinpath(f"{name}.sql").read_text()


def run(store: Store, name: str, **params: Any) -> pd.DataFrame:
    """Run one named query with bound parameters."""
    return store.query(sql_text(name), params)


class UnknownInThemeError(UnknownValueError):
    """A round or question id that the theme does not have."""

    def __init__(self, what: str, value: object, allowed: list[str], theme: str):
        super().__init__(what, value, allowed)
        listed = ", ".join(allowed) or "(none loaded)"
        self.args = (f"Unknown {what} {value!r} for theme {theme}. Allowed: {listed}.",)


# --- vocabularies and validation -------------------------------------------------------------


def themes(store: Store) -> pd.DataFrame:
    """Return every theme (one row per theme), in report order."""
    return store.memo(
        "themes",
        lambda: store.small_table("themes").sort_values(
            ["sort_order", "theme_id"], ignore_index=True
        ),
    ).copy()


def theme_choices(store: Store) -> dict[str, str]:
    """Return theme id -> title for every theme, in report order."""
    frame = themes(store)
    return dict(zip(frame["theme_id"], frame["title"], strict=True))


def theme_info(store: Store, theme: str) -> dict[str, Any]:
    """Return one theme's catalogue row (title, status, lead, scope) as a dict."""
    check_theme(store, theme)
    frame = themes(store)
    info: dict[str, Any] = frame[frame["theme_id"] == theme].iloc[0].to_dict()
    return info


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


def round_labels(store: Store, theme: str) -> dict[str, str]:
    """Return round id -> label ("Final (April 2020)") for one theme's rounds, in date order."""
    frame = rounds(store, theme)
    return dict(zip(frame["round_id"], frame["label"], strict=True))


def question_ids(store: Store, theme: str) -> list[str]:
    """Return a theme's question ids, in order."""
    return list(questions(store, theme))


def questions(store: Store, theme: str) -> dict[str, str]:
    """Return question id -> the standard's text for one theme, in question order."""

    def build() -> dict[str, dict[str, str]]:
        frame = store.small_table("questions").sort_values(["theme_id", "question_id"])
        return {
            str(t): dict(zip(rows["question_id"], rows["text"], strict=True))
            for t, rows in frame.groupby("theme_id")
        }

    return dict(store.memo("questions_by_theme", build).get(theme, {}))


def teams(store: Store, theme: str | None = None) -> list[str]:
    """Return the teams that appear in the audited cases (of one theme, or all), alphabetically."""

    def build() -> dict[str | None, list[str]]:
        frame = store.query(
            "SELECT DISTINCT theme_id, team FROM case_counts WHERE team IS NOT NULL ORDER BY team"
        )
        by_theme: dict[str | None, list[str]] = {None: sorted(set(frame["team"]))}
        for key, rows in frame.groupby("theme_id"):
            by_theme[str(key)] = rows["team"].tolist()
        return by_theme

    return list(store.memo("teams_by_theme", build).get(theme, []))


def check_theme(store: Store, theme: str) -> str:
    """Return the theme id if it is known, else raise an error listing the known ones."""
    known = store.memo("theme_ids", lambda: themes(store)["theme_id"].tolist())
    if theme not in known:
        raise UnknownValueError("theme", theme, known)
    return theme


def check_teams(
    store: Store, chosen: tuple[str, ...] | list[str], theme: str | None = None
) -> list[str]:
    """Return the teams as a list if each appears in the audited cases (of the theme, if given;
    of any theme, if not), else raise an error naming the known teams."""
    known = teams(store, theme)
    for team in chosen:
        if team not in known:
            if theme is None:
                raise UnknownValueError("team", team, known)
            raise UnknownInThemeError("team", team, known, theme)
    return list(chosen)


def round_checks(store: Store, theme: str | None = None) -> pd.DataFrame:
    """Return the rounds holding results (one row per theme x round, oldest first), with how
    completely the latest import answered them: cases, standards per case, expected, answered,
    answered_share, complete (at least domain.COMPLETE_ANSWERED_SHARE answered; a round no import
    checked is complete), accepted_by / accepted_at, and held (incomplete and not accepted)."""
    frame = store.memo(
        "round_checks",
        lambda: run(
            store,
            "audited_rounds",
            statuses=list(ROUND_STATUSES_WITH_DATA),
            threshold=COMPLETE_ANSWERED_SHARE,
        ),
    )
    if theme is not None:
        frame = frame[frame["theme_id"] == theme]
    return frame.reset_index(drop=True)


def _audited(store: Store, *, held: bool) -> dict[str, list[str]]:
    frame = round_checks(store)
    if not held:
        frame = frame[~frame["held"].astype(bool)]
    return {str(t): rows["round_id"].tolist() for t, rows in frame.groupby("theme_id", sort=False)}


def audited_rounds(store: Store, theme: str) -> list[str]:
    """Return the theme's rounds that hold audit results and are not held back, oldest first:
    the rounds the default round, the Overview and trends draw on. An incomplete round joins
    them once an analyst accepts it (held_rounds lists those still waiting)."""
    return list(store.memo("audited_rounds", lambda: _audited(store, held=False)).get(theme, []))


def round_choices(store: Store, theme: str) -> list[str]:
    """Return every round of the theme that holds results, held-back ones included, oldest
    first: the rounds a user may open explicitly (the filter bar lists these)."""
    return list(store.memo("round_choices", lambda: _audited(store, held=True)).get(theme, []))


def held_rounds(store: Store, theme: str | None = None) -> pd.DataFrame:
    """Return the incomplete rounds not yet accepted (of one theme, or all), with their figures."""
    frame = round_checks(store, theme)
    return frame[frame["held"].astype(bool)].reset_index(drop=True)


def earlier_rounds(store: Store, theme: str, round_id: str | None = None) -> list[str]:
    """Return the audited rounds before `round_id` (default: the latest), latest first: the
    rounds a trend can start from. A held-back round has none and is never one."""
    current = resolve_round(store, theme, round_id)
    done = audited_rounds(store, theme)
    return done[: done.index(current)][::-1] if current in done else []


def _planned_text(row: Any) -> str:
    return f"{row.round_id} ({row.label}, {row.start_date:%B %Y}–{row.end_date:%B %Y})"


def resolve_round(store: Store, theme: str, round_id: str | None) -> str | None:
    """Return the chosen round (checked), or the theme's latest audited round; None if none.

    A round that is known but planned (no results yet) is refused with a message saying so.
    """
    check_theme(store, theme)
    done = round_choices(store, theme)
    if round_id is None:
        released = audited_rounds(store, theme)  # the default is never a held-back round
        round_id = released[-1] if released else None
    elif round_id not in done:
        known = store.memo(f"round_ids|{theme}", lambda: rounds(store, theme)["round_id"].tolist())
        if round_id not in known:
            raise UnknownInThemeError("round", round_id, known, theme)
        listed = rounds(store, theme)
        row = next(listed[listed["round_id"] == round_id].itertuples(index=False))
        with_data = ", ".join(done) if done else "none yet"
        raise AuditDataError(
            f"Round {_planned_text(row)} of theme {theme} is {row.status}: it has no audit "
            f"results yet. Rounds with results: {with_data}."
        )
    if round_id is not None:
        store.require_readable([(theme, round_id)])
    return round_id


def require_audited_round(store: Store, theme: str, round_id: str | None = None) -> str:
    """Return the resolved round, or raise if the theme has no audited round yet (naming its
    planned rounds), for callers that cannot show an empty result (the command line)."""
    resolved = resolve_round(store, theme, round_id)
    if resolved is not None:
        return resolved
    planned = planned_rounds(store, theme)
    listed = "; ".join(_planned_text(r) for r in planned.itertuples(index=False))
    title = theme_info(store, theme)["title"]
    raise AuditDataError(
        f"Theme {theme} ({title}) has no audited round yet, so there is nothing to report. "
        + (f"Planned: {listed}." if listed else "No round is planned yet.")
    )


def _round_keys(store: Store) -> dict[str, list[str]]:
    # 'theme|round' keys of each theme's first, previous and latest audited rounds ("first" and
    # "previous" only for themes with two or more).
    keys: dict[str, list[str]] = {"first": [], "previous": [], "latest": []}
    for theme in themes(store)["theme_id"]:
        done = audited_rounds(store, theme)
        if done:
            keys["latest"].append(f"{theme}|{done[-1]}")
        if len(done) >= 2:
            keys["first"].append(f"{theme}|{done[0]}")
            keys["previous"].append(f"{theme}|{done[-2]}")
    return keys


def _theme_round_keys(store: Store, *which: str) -> list[list[str]]:
    keys = store.memo("round_keys", lambda: _round_keys(store))
    chosen = [list(keys[w]) for w in which]
    pairs = [k.split("|", 1) for listed in chosen for k in listed]
    store.require_readable((theme, round_id) for theme, round_id in pairs)
    return chosen


def latest_theme_rounds(store: Store) -> list[str]:
    """Return 'theme|round' for each theme's latest audited round."""
    return _theme_round_keys(store, "latest")[0]


def _filter_params(store: Store, filters: Filters) -> dict[str, list[str]]:
    return {
        "quadrants": list(filters.quadrants),
        "teams": check_teams(store, filters.teams),
    }


def _with_wilson(frame: pd.DataFrame, met: str = "met", n: str = "n") -> pd.DataFrame:
    low, high = stats.wilson_bounds(frame[met].to_numpy(), frame[n].to_numpy())
    return frame.assign(ci_low=low, ci_high=high)


def _selected(frame: pd.DataFrame, quadrants: list[str]) -> pd.Series:
    # The selection is flagged, not filtered, so a page can highlight it against the others.
    return frame["quadrant"].isin(quadrants) if quadrants else frame["quadrant"] == COUNTY


# --- the queries behind the charts -----------------------------------------------------------


def quadrant_comparison(store: Store, theme: str, filters: Filters = ALL) -> pd.DataFrame:
    """Return question x quadrant (and County) counts, pct_met and Wilson 95% interval.

    The selected quadrants are flagged in `selected`, not filtered out, so a page can highlight
    them against the others.
    """
    round_id = resolve_round(store, theme, filters.round_id)
    params = _filter_params(store, filters)
    frame = run(store, "quadrant_comparison", theme=theme, round=round_id, teams=params["teams"])
    frame = _with_wilson(frame)
    frame["selected"] = _selected(frame, params["quadrants"])
    return frame


def response_mix(store: Store, theme: str, filters: Filters = ALL) -> pd.DataFrame:
    """Return per quadrant (and County) the answers of each response pooled over the theme's
    questions, and each one's share of all answers (Not applicable included: they add up to 1).

    The selected quadrants are flagged in `selected`, not filtered out.
    """
    round_id = resolve_round(store, theme, filters.round_id)
    params = _filter_params(store, filters)
    frame = run(store, "response_mix", theme=theme, round=round_id, teams=params["teams"])
    frame["selected"] = _selected(frame, params["quadrants"])
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
    return run(
        store, "finding_frequency", theme_rounds=theme_rounds, **_filter_params(store, filters)
    )


TREND_COLUMNS = [
    "question_id", "text", "category", "round_from", "round_to", "n_from", "met_from",
    "pct_met_from", "n_to", "met_to", "pct_met_to", "change", "p_value", "test",
    "beyond_chance",
]  # fmt: skip


def round_trend(
    store: Store,
    theme: str,
    filters: Filters = ALL,
    round_from: str | None = None,
    round_to: str | None = None,
) -> pd.DataFrame:
    """Return per question pct_met in two rounds, the change, n on both sides, and its test.

    The comparison always runs from the earlier round to the later one (by the rounds' dates),
    whichever order they are given in. Defaults: the filter's round (else the latest audited
    round) against the audited round before it. With no second round the frame is empty.
    """
    chosen = resolve_round(store, theme, round_to or filters.round_id)
    if round_from is None:
        earlier = earlier_rounds(store, theme, chosen)
        other = earlier[0] if earlier else None
    else:
        other = resolve_round(store, theme, round_from)
    if chosen is None or other is None or other == chosen:
        return pd.DataFrame(columns=TREND_COLUMNS)
    done = round_choices(store, theme)
    first, second = sorted((other, chosen), key=done.index)
    frame = run(
        store,
        "round_trend",
        theme=theme,
        round_from=first,
        round_to=second,
        **_filter_params(store, filters),
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
    return frame[TREND_COLUMNS]


def cohort_profile(store: Store, theme: str, filters: Filters = ALL) -> pd.DataFrame:
    """Return cases and share by dimension (quadrant, team, gender, age_band, overall_grade) and
    value, values in their declared order (quadrants, grades, genders as domain.py lists them)."""
    round_id = resolve_round(store, theme, filters.round_id)
    profile = run(
        store,
        "cohort_profile",
        theme=theme,
        round=round_id,
        quadrant_order=list(QUADRANTS),
        grade_order=list(GRADES),
        gender_order=list(GENDERS),
        **_filter_params(store, filters),
    )
    # Every case has one value in each dimension: each dimension's cases add up to the total.
    total = profile.loc[profile["dimension"] == "quadrant", "cases"].sum()
    return profile.assign(share=profile["cases"] / total if total else 0.0)


def category_matrix(store: Store, filters: Filters = ALL) -> pd.DataFrame:
    """Return pct_met by category x theme x quadrant, with 'All themes' and 'County' roll-ups.

    Each theme contributes its latest audited round.
    """
    return run(
        store,
        "category_matrix",
        theme_rounds=latest_theme_rounds(store),
        **_filter_params(store, filters),
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
        **_filter_params(store, filters),
    )


# A practice area or theme is named the weakest only with at least this many audited cases in the
# selection: a share from fewer cases moves too much with one case to single it out.
MIN_CASES_FOR_WEAKEST = 10
WEAKEST_COLUMNS = [
    "kind", "name", "theme_id", "round_id", "n", "met", "pct_met", "cases", "themes",
    "ci_low", "ci_high",
]  # fmt: skip


def area_and_theme_totals(store: Store, filters: Filters = ALL) -> pd.DataFrame:
    """Return one row per practice area (kind 'area') and per theme (kind 'theme'), each theme at
    its latest audited round, within the selection: n, met, pct_met, cases and a case-level 95%
    Wilson interval (stats.case_level_wilson), lowest share first within each kind."""
    frame = run(
        store,
        "area_and_theme_totals",
        theme_rounds=latest_theme_rounds(store),
        **_filter_params(store, filters),
    )
    bounds = [
        stats.case_level_wilson(int(met), int(n), int(cases))
        for met, n, cases in zip(frame["met"], frame["n"], frame["cases"], strict=True)
    ]
    frame["ci_low"] = [low for low, _ in bounds]
    frame["ci_high"] = [high for _, high in bounds]
    return frame[WEAKEST_COLUMNS]


def weakest(
    store: Store, filters: Filters = ALL, min_cases: int = MIN_CASES_FOR_WEAKEST
) -> pd.DataFrame:
    """Return the weakest practice area and the weakest theme (one row per kind, 'area' then
    'theme'): the lowest pct_met among those with at least `min_cases` audited cases in the
    selection; a kind with none that qualifies has no row. The next lowest follows (`next_name`,
    `next_pct_met`), and `clearly_lowest` says whether the two 95% intervals do not overlap.
    With quadrants chosen, the county's figures for the same area or theme follow in `county_*`
    columns."""
    totals = area_and_theme_totals(store, filters)
    eligible = totals[totals["cases"] >= min_cases]
    rows = []
    for kind in ("area", "theme"):
        ranked = eligible[eligible["kind"] == kind]
        if ranked.empty:
            continue
        row = ranked.iloc[0].to_dict()
        runner_up = ranked.iloc[1] if len(ranked) > 1 else None
        row["next_name"] = None if runner_up is None else runner_up["name"]
        row["next_pct_met"] = np.nan if runner_up is None else runner_up["pct_met"]
        # Clearly the weakest only when the two intervals do not overlap.
        row["clearly_lowest"] = runner_up is not None and row["ci_high"] < runner_up["ci_low"]
        rows.append(row)
    found = pd.DataFrame(rows, columns=[*WEAKEST_COLUMNS, "next_name", "next_pct_met",
                                        "clearly_lowest"])  # fmt: skip
    if filters.quadrants:
        # The county's figures are the same whichever quadrants are chosen: once per snapshot.
        whole = replace(filters, quadrants=())
        county = store.memo(
            f"county_area_and_theme_totals{(whole.round_id, tuple(whole.teams))!r}",
            lambda: area_and_theme_totals(store, whole),
        ).set_index(["kind", "name"])
        for column in ("n", "met", "pct_met", "cases", "ci_low", "ci_high"):
            found[f"county_{column}"] = [
                county[column].get((kind, name), np.nan)
                for kind, name in zip(found["kind"], found["name"], strict=True)
            ]
    return found


def latest_audited_end(store: Store) -> dt.date | None:
    """Return the end date of the latest audited round of any theme, held-back rounds left out
    (None: nothing audited)."""
    return store.memo("latest_audited_end", lambda: _latest_audited_end(store))


def _latest_audited_end(store: Store) -> dt.date | None:
    frame = store.small_table("rounds")
    checks = round_checks(store)
    released = checks[~checks["held"].astype(bool)]
    counted = set(zip(released["theme_id"], released["round_id"], strict=True))
    keys = zip(frame["theme_id"], frame["round_id"], strict=True)
    released_here = pd.Series([k in counted for k in keys], index=frame.index, dtype=bool)
    audited = frame["status"].isin(ROUND_STATUSES_WITH_DATA) & released_here
    ends = frame.loc[audited, "end_date"].dropna()
    return pd.Timestamp(ends.max()).date() if len(ends) else None


def actions_as_of(store: Store) -> dt.date:
    """Return the date RAG is worked out against by default: the end of the latest audited round
    (a tracker, pack or report of an old round reads as it stood then), else today."""
    return latest_audited_end(store) or dt.date.today()


def action_status(
    store: Store,
    as_of: dt.date | None = None,
    theme: str | None = None,
    owners: tuple[str, ...] = (),
    statuses: tuple[str, ...] = (),
    filters: Filters = ALL,
) -> pd.DataFrame:
    """Return every action with RAG against `as_of` (default: the end of the latest audited
    round, else today), overdue first, and for linked questions pct_met in the theme's first and
    latest audited rounds, counted within the filters' quadrants and teams.

    Actions are county-wide: the quadrant and team filters narrow the measures, not the list.
    """
    if theme is not None:
        check_theme(store, theme)
    first, latest = _theme_round_keys(store, "first", "latest")
    return run(
        store,
        "action_status",
        as_of=as_of or actions_as_of(store),
        due_soon_days=DUE_SOON_DAYS,
        rag_order=list(RAG_ORDER),
        before=first,
        after=latest,
        theme=theme,
        owners=list(owners),
        statuses=list(statuses),
        **_filter_params(store, filters),
    )


def quotes(store: Store, theme: str | None = None, filters: Filters = ALL) -> pd.DataFrame:
    """Return the quotes for a theme (all themes if None), round (all if None) and quadrants."""
    if theme is not None:
        check_theme(store, theme)
        if filters.round_id is not None:
            resolve_round(store, theme, filters.round_id)
    elif filters.round_id is not None:
        known = sorted(set(rounds(store)["round_id"]))
        if filters.round_id not in known:
            raise UnknownValueError("round", filters.round_id, known)
    return run(
        store,
        "quotes",
        theme=theme,
        round=filters.round_id,
        quadrants=list(filters.quadrants),
    )


def _cell(store: Store, theme: str, question_id: str, filters: Filters) -> dict[str, Any]:
    round_id = resolve_round(store, theme, filters.round_id)
    known = question_ids(store, theme)
    if question_id not in known:
        raise UnknownInThemeError("question", question_id, known, theme)
    return {"theme": theme, "round": round_id, "question": question_id,
            **_filter_params(store, filters)}  # fmt: skip


def cases_behind(
    store: Store,
    theme: str,
    question_id: str,
    filters: Filters = ALL,
    limit: int | None = CASES_BEHIND_LIMIT,
) -> pd.DataFrame:
    """Return the audited cases behind one question x quadrant cell (pseudonymous references),
    not met first, at most `limit` of them (None: all; cell_cases counts them all)."""
    params = _cell(store, theme, question_id, filters)
    return store.query(sql_text("cases_behind"), {**params, "limit": limit}, large=True)


def cell_cases(store: Store, theme: str, question_id: str, filters: Filters = ALL) -> int:
    """Return the number of cases behind one question x quadrant cell (all of them)."""
    return int(
        run(store, "cell_count", **_cell(store, theme, question_id, filters))["cases"].iat[0]
    )


def theme_summary(store: Store, filters: Filters = ALL) -> pd.DataFrame:
    """Return per audited theme x area (NW..SE, County): the latest round's cases, pct_met with n
    and Wilson interval, and the change since the theme's previous round with its test.

    The selected quadrants (County when none) are flagged in `selected`. The change pools the
    answers to every question of the theme, so it is tested at the case level
    (stats.pooled_change_test): answers from one case are not independent.
    """
    params = _filter_params(store, filters)
    # Only the teams reach its SQL (the quadrants only flag `selected`), and the overview, the
    # heatmap and the subtitles ask it for every quadrant choice: once per snapshot and teams.
    teams = sorted(set(params["teams"]))
    frame = store.memo(f"theme_summary{tuple(teams)!r}", lambda: _theme_summary(store, teams))
    frame = frame.copy()
    frame["selected"] = _selected(frame, params["quadrants"])
    return frame


def _theme_summary(store: Store, teams: list[str]) -> pd.DataFrame:
    latest, previous = _theme_round_keys(store, "latest", "previous")
    frame = run(store, "theme_summary", latest=latest, previous=previous, teams=teams)
    tests = [
        _pooled_change(met_b, n_b, cases_b, met, n, cases)
        for met_b, n_b, cases_b, met, n, cases in zip(
            frame["met_previous"], frame["n_previous"], frame["cases_previous"],
            frame["met"], frame["n"], frame["cases"], strict=True,
        )
    ]  # fmt: skip
    frame["change"] = [t.change if t else np.nan for t in tests]
    frame["beyond_chance"] = [bool(t and t.beyond_chance) for t in tests]
    return _with_wilson(frame)


def _pooled_change(
    met_a: Any, n_a: Any, cases_a: Any, met_b: Any, n_b: Any, cases_b: Any
) -> stats.ChangeResult | None:
    if any(pd.isna(v) for v in (met_a, n_a, cases_a, met_b, n_b, cases_b)) or not n_a or not n_b:
        return None
    return stats.pooled_change_test(
        int(met_a), int(n_a), int(cases_a), int(met_b), int(n_b), int(cases_b)
    )


def store_contents(store: Store) -> pd.DataFrame:
    """Return per theme x round the label, status, dates, and cases and responses loaded."""
    return run(store, "store_contents")


def headline(store: Store, theme: str, filters: Filters = ALL) -> dict[str, Any]:
    """Return one theme's headline figures for the selection, as the theme page shows them.

    Keys: round_id; cases; grades (grade -> cases, in grade order); good_or_better (cases graded
    Outstanding or Good) and pct_good_or_better; met, n, pct_met, ci_low, ci_high over every
    question; previous_round_id, met_previous, n_previous, cases_previous, pct_met_previous and
    change (a stats.ChangeResult from pooled_change_test, at the case level, or None without an
    earlier audited round).
    """
    round_id = resolve_round(store, theme, filters.round_id)
    profile = cohort_profile(store, theme, filters)
    graded = profile[profile["dimension"] == "overall_grade"]
    by_grade = dict(zip(graded["value"], graded["cases"], strict=True))
    grades = {g: int(by_grade[g]) for g in (*GRADES, *sorted(set(by_grade) - set(GRADES)))
              if g in by_grade}  # fmt: skip
    earlier = earlier_rounds(store, theme, round_id) if round_id else []
    previous = earlier[0] if earlier else None
    totals = run(
        store,
        "selection_totals",
        theme=theme,
        rounds=[r for r in (round_id, previous) if r],
        **_filter_params(store, filters),
    )
    by_round = {r.round_id: (int(r.met), int(r.n), int(r.cases)) for r in totals.itertuples()}
    met, n, cases = by_round.get(round_id, (0, 0, 0))
    good = sum(grades.get(g, 0) for g in GOOD_OR_BETTER)
    low, high = stats.wilson_interval(met, n)
    figures: dict[str, Any] = {
        "round_id": round_id,
        "cases": cases,
        "grades": grades,
        "good_or_better": good,
        "pct_good_or_better": good / cases if cases else np.nan,
        "met": met,
        "n": n,
        "pct_met": met / n if n else np.nan,
        "ci_low": low,
        "ci_high": high,
        "previous_round_id": previous,
        "met_previous": None,
        "n_previous": None,
        "cases_previous": None,
        "pct_met_previous": np.nan,
        "change": None,
    }
    if previous:
        met_b, n_b, cases_b = by_round.get(previous, (0, 0, 0))
        figures.update(met_previous=met_b, n_previous=n_b, cases_previous=cases_b)
        figures["pct_met_previous"] = met_b / n_b if n_b else np.nan
        figures["change"] = _pooled_change(met_b, n_b, cases_b, met, n, cases)
    return figures


def action_owners(store: Store) -> list[str]:
    """Return the distinct action owners, alphabetically."""
    return sorted(store.small_table("actions")["owner"].dropna().unique())


def _still_ahead(frame: pd.DataFrame) -> pd.Series:
    """Return which rounds have no results yet and are not overtaken: a planned round that
    starts no later than an audited round of its theme (an import brought the real one) is
    not "next" any more."""
    has_results = frame["status"].isin(ROUND_STATUSES_WITH_DATA)
    latest = frame[has_results].groupby("theme_id")["start_date"].max().to_dict()
    overtaken = [
        theme in latest and pd.notna(start) and start <= latest[theme]
        for theme, start in zip(frame["theme_id"], frame["start_date"], strict=True)
    ]
    return ~has_results & ~pd.Series(overtaken, index=frame.index, dtype=bool)


def planned_rounds(store: Store, theme: str) -> pd.DataFrame:
    """Return a theme's rounds that have no results yet (planned or underway) and have not been
    overtaken by an audited round, in date order."""
    frame = rounds(store, theme)
    return frame[_still_ahead(frame)].reset_index(drop=True)


def next_planned(store: Store, theme: str) -> str | None:
    """Return the theme's first round without results as "label: Mon YYYY–Mon YYYY", or None."""
    return store.memo("next_planned", lambda: _next_planned(store)).get(theme)


OVERVIEW_COLUMNS = [
    "theme", "status", "round", "cases", *QUADRANTS, "pct_met", "n", "change_pts", "change",
]  # fmt: skip
SELECTION_COLUMNS = [
    "selection", "selection_cases", "selection_pct_met", "selection_n", "selection_change_pts",
    "selection_change",
]  # fmt: skip


def overview_table(store: Store, filters: Filters = ALL) -> pd.DataFrame:
    """Return one row per theme: latest round, cases by quadrant, the county's pct_met with n and
    change since the previous round (percentage points, and whether beyond chance).

    With quadrants chosen, the selection's own cases, pct_met, n and change (the chosen quadrants
    pooled) follow in the `selection_*` columns.
    """
    by_theme: dict[str, dict[str, dict[str, Any]]] = {}
    for summary in theme_summary(store, filters).to_dict("records"):
        by_theme.setdefault(summary["theme_id"], {})[summary["quadrant"]] = summary
    # A team with no cases in a theme's latest audited round: that round, with no cases, is
    # what the row shows (not the theme's next planned round).
    audited = {}
    if filters.teams:
        everyone = theme_summary(store, replace(filters, teams=()))
        audited = dict(
            everyone.loc[everyone["quadrant"] == COUNTY, ["theme_id", "round_id"]].values
        )
    quadrants = tuple(filters.quadrants)
    labels = store.memo(
        "round_labels",
        lambda: {(r.theme_id, r.round_id): r.label for r in rounds(store).itertuples()},
    )
    rows = []
    for theme in themes(store).itertuples(index=False):
        row: dict[str, Any] = {"theme": theme.title, "status": theme.status}
        areas = by_theme.get(theme.theme_id, {})
        if COUNTY in areas:
            county = areas[COUNTY]
            row["round"] = labels.get((theme.theme_id, county["round_id"]), county["round_id"])
            row.update({q: areas[q]["cases"] for q in QUADRANTS if q in areas})
            row.update(_overview_figures([county], ""))
            if quadrants:
                chosen = [areas[q] for q in quadrants if q in areas]
                row.update(_overview_figures(chosen, "selection_"), selection=", ".join(quadrants))
        elif theme.theme_id in audited:
            round_id = audited[theme.theme_id]
            row.update(round=labels.get((theme.theme_id, round_id), round_id), cases=0)
        else:
            row["round"] = next_planned(store, theme.theme_id)
        rows.append(row)
    columns = OVERVIEW_COLUMNS + (SELECTION_COLUMNS if quadrants else [])
    table = pd.DataFrame(rows).reindex(columns=columns)
    counts = ("cases", *QUADRANTS, "n", *(("selection_cases", "selection_n") if quadrants else ()))
    return table.astype({c: "Int64" for c in counts})


def _overview_figures(areas: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    # The chosen areas pooled: counts add up, so the share and its change are recomputed.
    cases, n, met = (sum(int(a[c]) for a in areas) for c in ("cases", "n", "met"))
    figures: dict[str, Any] = {
        f"{prefix}cases": cases,
        f"{prefix}n": n,
        f"{prefix}pct_met": met / n if n else np.nan,
    }
    if areas and all(isinstance(a["round_id_previous"], str) for a in areas):
        met_before, n_before, cases_before = (
            sum(int(a[c]) for a in areas) for c in ("met_previous", "n_previous", "cases_previous")
        )
        test = _pooled_change(met_before, n_before, cases_before, met, n, cases)
        if test is not None:
            figures[f"{prefix}change_pts"] = test.change * 100
            figures[f"{prefix}change"] = "beyond chance" if test.beyond_chance else "within noise"
    return figures


def _next_planned(store: Store) -> dict[str, str]:
    # The first round without results, as "label: Mon YYYY–Mon YYYY", per theme.
    upcoming = {}
    frame = rounds(store)
    for row in frame[_still_ahead(frame)].itertuples(index=False):
        if row.theme_id in upcoming:
            continue
        upcoming[row.theme_id] = f"{row.label}: {row.start_date:%b %Y}–{row.end_date:%b %Y}"
    return upcoming


def urgent_actions(store: Store, as_of: dt.date | None = None) -> pd.DataFrame:
    """Return the actions overdue, delayed or due within DUE_SOON_DAYS, most overdue first."""
    frame = action_status(store, as_of)
    urgent = frame[frame["rag"].isin(RAG_URGENT)]
    return urgent[["theme_id", "action_id", "text", "owner", "due_date", "status", "rag",
                   "days_overdue"]].reset_index(drop=True)  # fmt: skip


def rag_counts(actions: pd.DataFrame) -> dict[str, int]:
    """Return the number of actions in each RAG state, in RAG order (from action_status)."""
    counts = actions["rag"].value_counts()
    return {rag: int(counts.get(rag, 0)) for rag in RAG_ORDER}
