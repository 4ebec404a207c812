"""The view state: the shared filter bar (quadrant, round, team, For circulation) above the page
and the theme page's own choices (comparison round, drill-down standard and area), mirrored in
the URL so that a copied link reopens the same view.

The URL is read once per run (a snapshot taken when the filter bar is drawn). It seeds a widget
only when the widget has no state yet and the URL's value is not the one this session wrote
itself: a copied link opens on its values, while a choice made here (say, another filter-bar
quadrant) moves the widgets that follow it. Values the URL cannot mean (an unknown quadrant, a
round the theme lacks, a hostile string) are dropped, never shown. `as_of` (a store snapshot, read
by ui.data.begin_run) is left in the URL; one that names no snapshot is listed as ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from analytics.domain import COUNTY, INCOMPLETE, QUADRANT_LABELS, QUADRANTS, Filters
from analytics.errors import AuditDataError
from analytics.narrative import escape_markdown
from ui import data
from ui.data import no_cases, query

STATE_KEY = "filters"
VIEW_KEY = "view_state"
SUPPRESS_KEY = "suppress_below"
DEFAULT_SUPPRESSION_THRESHOLD = 5
THRESHOLD_RANGE = (2, 50)

# URL keys, in the order they are written. The page keys belong to the open theme page.
FILTER_KEYS = ("quadrant", "round", "team")
CIRCULATION_KEY = "suppress_below"
PAGE_KEYS = ("compare", "standard", "area")
VIEW_KEYS = (*FILTER_KEYS, CIRCULATION_KEY, *PAGE_KEYS)
AS_OF_KEY = data.AS_OF_KEY  # the store snapshot shown (ui.data): never written here

_URL_SNAPSHOT = "_view_url"  # the URL as this run found it
_WRITTEN = "_view_written"  # what this session last wrote, per key
_PUT_THIS_RUN = "_view_put"  # the page keys drawn on this run
_IGNORED = "_view_ignored"  # (URL key, values) this run dropped from the URL
_IGNORED_SLOT = "_view_ignored_slot"  # where the filter bar says so, filled by finish()
# Why a filter bar value from the URL was dropped, by key.
IGNORED_WHY = {
    "quadrant": f"not a quadrant ({', '.join(QUADRANTS)})",
    "round": "not a round of this theme with results",
    "team": "not a team in these audits",
    CIRCULATION_KEY: "not a whole number from {} to {}".format(*THRESHOLD_RANGE),
    "compare": "not a round to compare with here",
    "standard": "not a standard of this theme",
    "area": "not an area of this drill-down",
    AS_OF_KEY: "not a snapshot of this store, or a time before it existed: the newest data shown",
}
# A dropped value is repeated only when it is plainly words; anything else is not echoed.
_PLAIN_VALUE = re.compile(r"[\w .,+()'-]{1,40}")
# Which URL keys each field of the view state writes.
FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "filters": FILTER_KEYS,
    "suppress_below": (CIRCULATION_KEY,),
    "compare_round": ("compare",),
    "standard": ("standard",),
    "area": ("area",),
}


@dataclass(frozen=True)
class ViewState:
    """Everything a copied link brings back: the filters, the trend's comparison round, the
    drill-down cell and the circulation threshold (None: not for circulation)."""

    filters: Filters = field(default_factory=Filters)
    compare_round: str | None = None
    standard: str | None = None
    area: str | None = None
    suppress_below: int | None = None

    def to_params(self) -> dict[str, list[str]]:
        """Return the URL's values for this view, key by key (an empty list: key absent)."""
        return {
            "quadrant": list(self.filters.quadrants),
            "round": _one(self.filters.round_id),
            "team": list(self.filters.teams),
            CIRCULATION_KEY: _one(self.suppress_below),
            "compare": _one(self.compare_round),
            "standard": _one(self.standard),
            "area": _one(self.area),
        }


def _one(value: object) -> list[str]:
    return [] if value is None else [str(value)]


def valid_values(values: Sequence[str], allowed: Sequence[str]) -> list[str]:
    """Return the URL's values that are among `allowed`, each once, in the URL's order."""
    kept: list[str] = []
    for value in values:
        if value in allowed and value not in kept:
            kept.append(value)
    return kept


def valid_threshold(values: Sequence[str]) -> int | None:
    """Return the URL's circulation threshold if it is a whole number in range, else None."""
    low, high = THRESHOLD_RANGE
    if len(values) != 1 or not values[0].isascii() or not values[0].isdigit():
        return None
    number = int(values[0])
    return number if low <= number <= high else None


def _snapshot() -> Mapping[str, list[str]]:
    return st.session_state.get(_URL_SNAPSHOT, {})


def _from_url(name: str, allowed: Sequence[str]) -> list[str]:
    """The URL's valid values for `name`, unless they are what this session wrote itself."""
    values = list(_snapshot().get(name, []))
    if values == st.session_state.get(_WRITTEN, {}).get(name):
        return []
    kept = valid_values(values, allowed)
    _note_ignored(name, [v for v in values if v not in kept])
    return kept


def _note_ignored(name: str, values: list[str]) -> None:
    if values:
        st.session_state.setdefault(_IGNORED, []).append((name, values))


def ignored_text(ignored: Sequence[tuple[str, Sequence[str]]]) -> str | None:
    """Return one plain sentence naming the URL's values that were dropped and why (None: none)."""
    parts = []
    for name, values in ignored:
        shown = [v for v in dict.fromkeys(values) if _PLAIN_VALUE.fullmatch(v)]
        hidden = len(set(values)) - len(shown)
        listed = ", ".join(shown + ([f"{hidden} value(s) not shown here"] if hidden else []))
        parts.append(f"{name} {listed} ({IGNORED_WHY.get(name, 'not valid here')})")
    return f"Ignored from the link: {'; '.join(parts)}." if parts else None


def _seed_widget(key: str, value: object) -> None:
    # The URL seeds a widget that has no state yet; after that the widget's own state rules.
    if key not in st.session_state:
        st.session_state[key] = value


def _put(name: str, values: list[str]) -> None:
    """Write one key of the view into the URL (only when it changed) and remember it."""
    st.session_state.setdefault(_WRITTEN, {})[name] = values
    st.session_state.setdefault(_PUT_THIS_RUN, set()).add(name)
    if st.query_params.get_all(name) != values:
        if values:
            st.query_params[name] = values
        elif name in st.query_params:
            del st.query_params[name]


def _update(**changes: object) -> ViewState:
    view = replace(view_state(), **changes)
    st.session_state[VIEW_KEY] = view
    params = view.to_params()
    for name in changes:
        for url_name in FIELD_KEYS[name]:
            _put(url_name, params[url_name])
    return view


def render(theme_id: str | None, home_quadrants: tuple[str, ...] = ()) -> Filters:
    """Draw the filter bar above the page, sync it with the URL, and return the filters.

    Above the page, not in the sidebar: it is the first thing the eye and the Tab key reach, on a
    desktop and on a phone (where the sidebar is collapsed) alike. A session opens on the URL's
    quadrants, else the user's home quadrants (an inspection lead's).
    """
    st.session_state[_URL_SNAPSHOT] = {name: st.query_params.get_all(name) for name in VIEW_KEYS}
    st.session_state[_PUT_THIS_RUN] = set()
    st.session_state[_IGNORED] = []
    st.session_state[VIEW_KEY] = ViewState()
    bar = st.container(key="filter_bar")
    _as_of_note(bar)
    # On a phone the columns stack: each filter takes the full width.
    quadrant_box, round_box, team_box, circulation_box = bar.columns([3, 2, 2, 2])
    _seed_widget("filter_quadrants", _from_url("quadrant", QUADRANTS) or list(home_quadrants))
    quadrants = quadrant_box.multiselect(
        "Quadrant",
        QUADRANTS,
        key="filter_quadrants",
        format_func=lambda q: f"{q} · {QUADRANT_LABELS[q]}",
        placeholder="All quadrants (the county)",  # none chosen: the whole county
        # Typing "NE" then Enter selects NE alone: no "Select all/matches" row comes first, and
        # the typed letters must stand side by side ("NE" is not in "NW · North West").
        select_all=False,
        filter_mode="contains",
    )
    round_id = None
    if theme_id is not None:
        rounds = query("rounds", theme_id)
        audited = query("audited_rounds", theme_id)  # the default: the latest not held back
        held = set(query("held_rounds", theme_id)["round_id"])
        labels = dict(zip(rounds["round_id"], rounds["label"], strict=True))
        labels.update({r: f"{labels[r]} · {INCOMPLETE}" for r in held})
        options = query("round_choices", theme_id)[::-1]  # latest first, held-back ones too
        if options:
            key = f"filter_round_{theme_id}"
            from_url = _from_url("round", options)
            # A theme whose only round is held back opens on it, marked incomplete.
            _seed_widget(key, from_url[0] if from_url else (audited[-1] if audited else options[0]))
            round_id = round_box.selectbox("Round", options, key=key, format_func=labels.get)
    all_teams = query("teams", theme_id)
    _seed_widget("filter_teams", _from_url("team", all_teams))
    if any(team not in all_teams for team in st.session_state["filter_teams"]):
        st.session_state["filter_teams"] = [
            t for t in st.session_state["filter_teams"] if t in all_teams
        ]
    teams = team_box.multiselect("Team", all_teams, key="filter_teams", placeholder="All teams")
    filters = Filters(quadrants=tuple(quadrants), round_id=round_id, teams=tuple(teams))
    st.session_state[STATE_KEY] = filters
    _update(filters=filters)
    _circulation_controls(circulation_box)
    _say_if_empty(bar, theme_id, filters)
    # Filled by finish(), once the page's own choices (compare, standard, area) are read too.
    st.session_state[_IGNORED_SLOT] = bar.empty()
    return filters


def _as_of_note(bar: DeltaGenerator) -> None:
    # An older snapshot from the link: said at the top of the page, with the way back.
    text = data.as_of_text()  # first: it looks the run's snapshot up if nothing has yet
    if data.ignored_as_of() is not None:
        _note_ignored(AS_OF_KEY, [data.ignored_as_of()])
    if text is None:
        return
    note, back = bar.columns([5, 1], vertical_alignment="center")
    note.info(text)
    if back.button("Show the newest data", key="as_of_newest"):
        del st.query_params[AS_OF_KEY]
        st.rerun()


def _say_if_empty(bar: DeltaGenerator, theme_id: str | None, filters: Filters) -> None:
    # A selection with no cases empties every chart and table: said once, here, in words.
    try:
        empty = no_cases(theme_id, filters)
    except AuditDataError:
        return  # a damaged store: the page itself says what is wrong
    if empty is not None:
        bar.info(escape_markdown(empty))


def _circulation_controls(place: DeltaGenerator) -> None:
    asked = _from_url(CIRCULATION_KEY, _snapshot().get(CIRCULATION_KEY, []))
    from_url = valid_threshold(asked)
    if asked and from_url is None:
        _note_ignored(CIRCULATION_KEY, asked)
    _seed_widget("filter_circulation", from_url is not None)
    _seed_widget("filter_threshold", from_url or DEFAULT_SUPPRESSION_THRESHOLD)
    on = place.toggle(
        "For circulation",
        key="filter_circulation",
        help="Show counts below the threshold as 'c' in tables and exports (with secondary "
        "suppression so totals cannot reveal them).",
    )
    threshold = None
    if on:
        low, high = THRESHOLD_RANGE
        threshold = int(
            place.number_input(
                "Suppress counts below", min_value=low, max_value=high, step=1,
                key="filter_threshold",
            )
        )  # fmt: skip
    st.session_state[SUPPRESS_KEY] = threshold
    _update(suppress_below=threshold)


def choose(name: str, key: str, options: Sequence[str], default: str) -> None:
    """Seed the page widget `key` for view field `name` ("compare_round", "standard", "area")
    from the URL when the URL names one of `options`, else with `default`. Draw the widget with
    `key` next, then call `chosen(name, value)`."""
    (url_name,) = FIELD_KEYS[name]
    from_url = _from_url(url_name, options)
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]  # its options changed under it (another round, say)
    _seed_widget(key, from_url[0] if from_url else default)


def chosen(name: str, value: str | None) -> None:
    """Record a page widget's value in the view state and the URL."""
    _update(**{name: value})


def finish() -> None:
    """Drop from the URL the page keys that this run did not draw (another page, a hidden
    drill-down), so a copied link holds only what the view shows; say in the filter bar which
    of the link's values were ignored."""
    drawn = st.session_state.get(_PUT_THIS_RUN, set())
    for name in PAGE_KEYS:
        if name not in drawn:
            _put(name, [])
    slot = st.session_state.pop(_IGNORED_SLOT, None)
    ignored = ignored_text(st.session_state.get(_IGNORED, []))
    if slot is not None and ignored:  # never dropped without a word
        slot.warning(escape_markdown(ignored))


def view_state() -> ViewState:
    """Return the view state of this run so far (filters, circulation, page choices)."""
    return st.session_state.get(VIEW_KEY, ViewState())


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
    return replace(filters, quadrants=quadrants)


def drill_areas(filters: Filters) -> list[str]:
    """Return the drill-down's areas: each quadrant, the filter bar's selection of several
    quadrants (as "NE+SW"), and the county."""
    several = ["+".join(filters.quadrants)] if len(filters.quadrants) > 1 else []
    return [*QUADRANTS, *several, COUNTY]


def drill_default_area(filters: Filters) -> str:
    """Return the drill-down's area for the filter bar's quadrants: the quadrant, the selection, or
    the county when none is chosen."""
    return "+".join(filters.quadrants) if filters.quadrants else COUNTY


def area_quadrants(area: str) -> tuple[str, ...]:
    """Return the quadrants of a drill-down area (none: the county)."""
    return () if area == COUNTY else tuple(area.split("+"))
