"""Domain words declared once: quadrants, responses, grades, RAG, with labels, order and colours."""

from __future__ import annotations

from dataclasses import dataclass, field

from analytics.errors import UnknownValueError

# Government Analysis Function categorical palette (colour-blind safe), one colour per quadrant.
QUADRANTS: tuple[str, ...] = ("NW", "NE", "SW", "SE")
QUADRANT_LABELS: dict[str, str] = {
    "NW": "North West",
    "NE": "North East",
    "SW": "South West",
    "SE": "South East",
}
QUADRANT_COLOURS: dict[str, str] = {
    "NW": "#12436D",
    "NE": "#28A197",
    "SW": "#801650",
    "SE": "#F46A25",
}
COUNTY = "County"
COUNTY_COLOUR = "#3D3D3D"

MET, PARTIALLY_MET, NOT_MET, NOT_APPLICABLE = "Met", "Partially met", "Not met", "Not applicable"
RESPONSES: tuple[str, ...] = (MET, PARTIALLY_MET, NOT_MET, NOT_APPLICABLE)
APPLICABLE_RESPONSES: tuple[str, ...] = (MET, PARTIALLY_MET, NOT_MET)
# A sequential blue-to-orange scale that stays distinct under common colour-vision deficiencies.
RESPONSE_COLOURS: dict[str, str] = {
    MET: "#12436D",
    PARTIALLY_MET: "#A0B7CF",
    NOT_MET: "#F46A25",
    NOT_APPLICABLE: "#BFBFBF",
}

GRADES: tuple[str, ...] = ("Outstanding", "Good", "Requires improvement", "Inadequate")
GENDERS: tuple[str, ...] = ("Female", "Male", "Not recorded")

# Action status as recorded, and RAG as computed against an as-of date.
ACTION_STATUSES: tuple[str, ...] = ("not started", "in progress", "delayed", "complete")
RAG_COMPLETE, RAG_ON_TRACK, RAG_DUE_SOON, RAG_OVERDUE, RAG_NO_DATE, RAG_DELAYED = (
    "Complete",
    "On track",
    "Due soon",
    "Overdue",
    "No due date",
    "Delayed",  # recorded as delayed and not yet due: amber, never green
)
RAG_ORDER: tuple[str, ...] = (
    RAG_OVERDUE, RAG_DELAYED, RAG_DUE_SOON, RAG_NO_DATE, RAG_ON_TRACK, RAG_COMPLETE
)  # fmt: skip
# The RAG states that ask for attention now (the Overview lists these).
RAG_URGENT: tuple[str, ...] = (RAG_OVERDUE, RAG_DELAYED, RAG_DUE_SOON)
RAG_COLOURS: dict[str, str] = {
    RAG_OVERDUE: "#D4351C",
    RAG_DELAYED: "#F46A25",
    RAG_DUE_SOON: "#F46A25",
    RAG_NO_DATE: "#BFBFBF",
    RAG_ON_TRACK: "#28A197",
    RAG_COMPLETE: "#12436D",
}
DUE_SOON_DAYS = 28


THEME_STATUSES_AUDITED: tuple[str, ...] = ("complete", "concluding")
ROUND_STATUSES_WITH_DATA: tuple[str, ...] = ("complete", "concluding")
ROUND_STATUSES: tuple[str, ...] = ("planned", "underway", "concluding", "complete")

# A round is complete when at least this share of its cases' standards are answered (a row in
# responses: Met, Partially met, Not met or Not applicable; N/A is an answer, a missing row is
# not). Below it the round is held back from the default round, the Overview and trends until an
# analyst accepts it (analytics.ingest.completeness).
COMPLETE_ANSWERED_SHARE = 0.9
# How a held-back round's label is marked wherever it is shown.
INCOMPLETE = "incomplete"

# The protective marking printed on a slide pack unless the user sets another.
DEFAULT_MARKING = "OFFICIAL-SENSITIVE"

# Wording bands for findings: share met among applicable cases -> the word used in prose.
WORDING_BANDS: tuple[tuple[float, str], ...] = (
    (0.80, "consistently"),
    (0.60, "mostly"),
    (0.40, "variable"),
    (0.00, "not routinely"),
)


def wording_band(pct_met: float) -> str:
    """Return the wording band ("consistently", "mostly", ...) for a share met."""
    for lower, word in WORDING_BANDS:
        if pct_met >= lower:
            return word
    return WORDING_BANDS[-1][1]


@dataclass(frozen=True)
class Filters:
    """The shared filter bar: an empty selection means all.

    Checked once, where it is made (the URL, the command line, a caller): an unknown quadrant
    is refused here, so no layer below checks it again and SQL takes it as a bound parameter.
    Teams and rounds are the store's words, checked against it by the queries."""

    quadrants: tuple[str, ...] = field(default_factory=tuple)
    round_id: str | None = None
    teams: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # Tuples whatever was given, so that a Filters is hashable (a cache key) and immutable.
        object.__setattr__(self, "quadrants", tuple(self.quadrants))
        object.__setattr__(self, "teams", tuple(self.teams))
        for quadrant in self.quadrants:
            if quadrant not in QUADRANTS:
                raise UnknownValueError("quadrant", quadrant, QUADRANTS)

    def describe(self) -> str:
        """Return the filters in words, for subtitles and export headers."""
        where = ", ".join(self.quadrants) if self.quadrants else "all quadrants (county)"
        team = ", ".join(self.teams) if self.teams else "all teams"
        return f"{where}; {team}"
