"""The columns a tracker may not bring in, whatever its mapping says: personal data named by the
header, and auditors' names (auditors are pseudonymous). One rule for the proposal and the import.
"""

from __future__ import annotations

import pandas as pd

from analytics.ingest.spec import (
    NAME_LIKE,
    PEOPLE_BY_ROLE,
    ends_in_role,
    header_words,
    personal_data_reason,
)
from analytics.ingest.trackers.layout import TrackerColumn

AUDITOR_HEADERS: tuple[str, ...] = ("auditor", "audited by", "reviewer", "reviewed by", "auditors")
NAMES_SHARE = 0.5  # a column is "of names" when at least this share of its filled cells are
AUDITOR_NAMES_FIX = "replace the names with initials or a code, or delete the column"


def header_parts(column: TrackerColumn) -> list[str]:
    """The texts a header is judged by: the whole header, and its lower row alone."""
    return [column.header, column.lower] if column.upper and column.lower else [column.header]


def field_words(header: object) -> str:
    """Return a header's words as field synonyms are compared ("ChildID" -> "child id")."""
    return " ".join(header_words(str(header).replace("&", " and ")))


def is_auditor_column(column: TrackerColumn) -> bool:
    """Return whether a header says the column names who audited the case."""
    return any(field_words(part) in AUDITOR_HEADERS for part in header_parts(column))


def mostly_names(values: pd.Series) -> bool:
    """Return whether most of a column's filled cells read as a person's name ("Jane Smith")."""
    counts = values.dropna().value_counts()
    total = int(counts.sum())
    if not total:
        return False
    names = pd.Series(counts.index, dtype="str").str.fullmatch(NAME_LIKE).to_numpy(bool)
    return float(counts.to_numpy()[names].sum()) / total >= NAMES_SHARE


# Staff, carers and family ("Social Worker", "Foster carer", "Mother") are refused by their
# header alone, by personal_data_reason: the template's rule too. A header naming a person by
# no role ("Child", "Young person") may head the case reference, so its cells decide.
PERSON_WORDS = frozenset({"child", "person", "pupil", "client"})


def names_a_person(column: TrackerColumn) -> bool:
    """Return whether a header names a person by no role ("Child"): its cells then decide."""
    return any(
        words and words[-1] in PERSON_WORDS
        for words in (field_words(part).split() for part in header_parts(column))
    )


def refusal(column: TrackerColumn, values: pd.Series) -> str | None:
    """Return why a column is refused (what it holds), or None."""
    reason = personal_data_reason(column.header)
    if reason is None and column.upper and column.lower:
        # Under a group heading the lower row names the role ("Case details" over "Supervising
        # social worker": five words together, too many for a column of people alone).
        reason = personal_data_reason(column.lower)
        reason = reason if reason == PEOPLE_BY_ROLE else None
    if reason is not None:
        return reason
    if is_auditor_column(column) and mostly_names(values):
        return "auditors' names (auditors are pseudonymous)"
    if names_a_person(column) and mostly_names(values):
        return "people's names"
    if any(ends_in_role(part) for part in header_parts(column)) and mostly_names(values):
        return PEOPLE_BY_ROLE  # "Visited by worker": Jane Smith, ...
    return None
