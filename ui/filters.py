"""The shared filter bar (quadrant, round, team) in the sidebar, mirrored in the URL."""

from __future__ import annotations

import streamlit as st

from analytics.domain import QUADRANT_LABELS, QUADRANTS, Filters
from ui.data import query

STATE_KEY = "filters"


def _from_url(name: str, allowed: list[str]) -> list[str]:
    return [value for value in st.query_params.get_all(name) if value in allowed]


def _seed_widget(key: str, value: object) -> None:
    # The URL seeds a widget once per session; after that the widget's own state rules.
    if key not in st.session_state:
        st.session_state[key] = value


def render(theme_id: str | None, home_quadrants: tuple[str, ...] = ()) -> Filters:
    """Draw the filter bar for the current page, sync it with the URL, and return the filters.

    A session opens on the URL's quadrants, else the user's home quadrants (an inspection lead's).
    """
    sidebar = st.sidebar
    sidebar.header("Filters")
    _seed_widget("filter_quadrants", _from_url("quadrant", list(QUADRANTS)) or list(home_quadrants))
    quadrants = sidebar.multiselect(
        "Quadrant",
        QUADRANTS,
        key="filter_quadrants",
        format_func=lambda q: f"{q} · {QUADRANT_LABELS[q]}",
        placeholder="All quadrants (the county)",
        help="None selected means the whole county.",
    )
    round_id = None
    if theme_id is not None:
        rounds = query("rounds", theme_id)
        audited = query("audited_rounds", theme_id)
        labels = dict(zip(rounds["round_id"], rounds["label"], strict=True))
        if audited:
            options = audited[::-1]  # latest first
            key = f"filter_round_{theme_id}"
            from_url = _from_url("round", options)
            _seed_widget(key, from_url[0] if from_url else options[0])
            round_id = sidebar.selectbox("Round", options, key=key, format_func=labels.get)
    all_teams = query("teams", theme_id)
    _seed_widget("filter_teams", _from_url("team", all_teams))
    if any(team not in all_teams for team in st.session_state["filter_teams"]):
        st.session_state["filter_teams"] = [
            t for t in st.session_state["filter_teams"] if t in all_teams
        ]
    teams = sidebar.multiselect("Team", all_teams, key="filter_teams", placeholder="All teams")
    _circulation_controls(sidebar)
    _write_url(quadrants, round_id, teams)
    filters = Filters(quadrants=tuple(quadrants), round_id=round_id, teams=tuple(teams))
    st.session_state[STATE_KEY] = filters
    return filters


def _write_url(quadrants: list[str], round_id: str | None, teams: list[str]) -> None:
    wanted = {"quadrant": quadrants, "round": [round_id] if round_id else [], "team": teams}
    for name, values in wanted.items():
        if st.query_params.get_all(name) != values:
            if values:
                st.query_params[name] = values
            elif name in st.query_params:
                del st.query_params[name]


SUPPRESS_KEY = "suppress_below"
DEFAULT_SUPPRESSION_THRESHOLD = 5


def _circulation_controls(sidebar) -> None:
    sidebar.divider()
    on = sidebar.toggle(
        "For circulation",
        key="filter_circulation",
        help="Show counts below the threshold as 'c' in tables and exports (with secondary "
        "suppression so totals cannot reveal them).",
    )
    threshold = DEFAULT_SUPPRESSION_THRESHOLD
    if on:
        threshold = int(
            sidebar.number_input(
                "Suppress counts below", min_value=2, max_value=50,
                value=DEFAULT_SUPPRESSION_THRESHOLD, step=1, key="filter_threshold",
            )
        )  # fmt: skip
    st.session_state[SUPPRESS_KEY] = threshold if on else None


def suppress_below() -> int | None:
    """Return the suppression threshold when 'For circulation' is on, else None."""
    return st.session_state.get(SUPPRESS_KEY)


def current() -> Filters:
    """Return the filters the filter bar set on this run (all, if none were drawn)."""
    return st.session_state.get(STATE_KEY, Filters())


THEME_KEY = "current_theme"


def set_theme(theme_id: str | None) -> None:
    """Record which theme page is open (app.py knows it from the navigation)."""
    st.session_state[THEME_KEY] = theme_id


def current_theme() -> str:
    """Return the theme of the open theme page."""
    return st.session_state[THEME_KEY]


def with_quadrants(filters: Filters, quadrants: tuple[str, ...]) -> Filters:
    """Return the same filters for other quadrants (drill-down picks its own cell)."""
    return Filters(quadrants=quadrants, round_id=filters.round_id, teams=filters.teams)
